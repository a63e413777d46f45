"""Reading book PDFs: pages -> lines -> headings, paragraphs, footnotes, contents entries.

Reading order: document (a PDF file, its errors and cache) -> lines (step 1, per page) ->
furniture (running heads, footers, page numbers across the book) -> paragraphs (step 2,
the whole book), with word-level repairs in text. quality measures extraction against a
known source text. Used by the extract stage (and bench/, tests/).
"""
