"""Extraction quality on the typeset sample books, the harder layouts, and PDFs from other
tools.

    python bench/extract_quality.py

1. Typesets each source (data/sample/books/*.md, and variants with two columns, drop caps,
   ligature fonts and small-caps heads), extracts it, and prints character error rate,
   running-head/page-number leaks, broken hyphens and paragraph boundary F1.
2. Reads the PDFs other tools made (tests/fixtures/pdf: a Word-style LibreOffice export,
   a page-number-less book, a reflowed reissue, Gutenberg and Standard Ebooks matter,
   Chromium's print to PDF, fonts without a Unicode map) and prints word recall against the
   published text, the share of words it never uses, stray page numbers, lines not
   accounted for, and what was removed. Definitions in stages/pdf/quality.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts import make_sample_pdfs as books  # noqa: E402
from stages.pdf.document import extract_file, page_count_and_titles, read_pages  # noqa: E402
from stages.pdf.paragraphs import account, read_book  # noqa: E402
from stages.pdf.quality import extraction_quality, word_scores  # noqa: E402

VARIANTS = {
    "two columns, small-caps heads": "columns: 2\nheads: smallcaps\n",
    "drop caps, Vera ligatures": "dropcap: true\nfont: vera\n",
}


def measure(src: Path, tmp: Path) -> dict:
    book = books.parse_book(src)
    pdf = tmp / f"{src.stem}.pdf"
    pdf.write_bytes(books.Typesetter(book).render())
    books.use_font("times")
    heads = [book.meta["title"], book.meta["author"]] + [t for t, _ in book.chapters]
    return extraction_quality(books.expected_paragraphs(src), extract_file(str(pdf)), heads)


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for src in sorted((ROOT / "data/sample/books").glob("*.md")):
            rows.append((src.stem, "as bundled", measure(src, t)))
            front, body = src.read_text().split("---\n", 2)[1:]
            for name, extra in VARIANTS.items():
                variant = t / f"{src.stem}-{len(rows)}.md"
                variant.write_text("---\n" + front + extra + "---\n" + body)
                rows.append((src.stem, name, measure(variant, t)))
    print(f"{'book':28} {'layout':30} {'CER':>8} {'leaks':>6} {'hyphens':>8} {'F1':>6}")
    for book, layout, q in rows:
        print(
            f"{book:28} {layout:30} {q['cer']:8.4%} {q['leaks']:6d} {q['broken_hyphens']:8d} "
            f"{q['boundary_f1']:6.3f}"
        )
    print()
    print(
        f"{'PDF from another tool':18} {'recall':>7} {'OOV':>7} {'stray #':>8} {'(cid:':>6} "
        f"{'lost':>5}  removed"
    )
    for pdf in sorted((ROOT / "tests/fixtures/pdf").glob("*.pdf")):
        n, titles = page_count_and_titles(pdf)
        reading = read_book(read_pages(str(pdf), 0, n), titles)
        book = pdf.with_suffix(".txt").read_text().partition("=== matter ===")[0]
        text = [r for r in reading.records if r["kind"] not in ("front-matter", "back-matter")]
        q = word_scores(book, text)
        removed: dict[str, int] = {}
        for r in reading.removed:
            removed[r["reason"]] = removed.get(r["reason"], 0) + 1
        print(
            f"{pdf.stem:18} {q['recall']:7.4f} {q['oov']:7.4f} {q['stray_numbers']:8d} "
            f"{q['cid']:6d} {len(account(reading)):5d}  {removed}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
