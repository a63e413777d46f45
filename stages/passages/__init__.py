"""Passages: the person's selection of book passages, and help choosing them.

parse reads passages.md (or YAML) as people write it; locate finds each passage in the
extracted books despite small differences; rank scores paragraphs by inner experience for
the suggest command. Used by curate, the validate, check and suggest commands.
"""
