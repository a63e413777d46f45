"""The dataset's records and files: what an example is, and how the training files are made.

templates (the elicitation templates and gold examples) -> examples (content-addressed
example records, reviewer edits) -> decisions (human review) -> render, splits, exports and
card (the formatted dataset). Used by curate, generate, review_merge, format, train and the
review, validate and fmt commands.
"""
