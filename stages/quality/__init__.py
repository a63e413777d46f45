"""What good and bad text look like: the vocabulary, the review checks and the trait metrics.

lexicon (word lists and patterns, one source for checks and metrics) -> text (shared views
of an example) -> checks (review flags, one named function each) and near_duplicates ->
traits (per-probe metrics of model answers) and judge (the teacher's rubric scores). Used by
review_merge, format, evaluate and the review command.
"""
