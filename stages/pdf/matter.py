"""Front and back matter: licenses, "Produced by...", colophons, copyright pages.

They are kept in the output, as kinds `front-matter` and `back-matter`, but they are not the
book: suggest does not rank them and curate does not match passages in them. Project
Gutenberg's START/END lines bound the book where they exist; elsewhere a paragraph is
matter when it, or a paragraph on the same page, carries a publishing marker and it lies
before the book's first or after its last page of plain text. Used by stages/pdf/paragraphs.py.
"""

from __future__ import annotations

import re
from typing import Any

MARKERS = re.compile(
    r"project gutenberg|gutenberg\.org|this e-?book is for the use of anyone|"
    r"produced by\b|e-?text prepared by|transcriber'?s note|standard ebooks|"
    r"this e-?book is the product of|uncopyright|creative commons|\bcc0\b|"
    r"public domain (dedication|in the united states)|all rights reserved|\bisbn\b|"
    r"copyright ©|©\s*\d{4}|\(c\)\s*\d{4}|first published in|printed (and bound )?in|"
    r"library of congress|typeset in|cover (art|design|image|page) (is|was|by)|colophon|"
    r"www\.|https?://|this (work|file) (is|was) (licensed|released)|license|licence",
    re.IGNORECASE,
)
START = re.compile(r"\*{3}\s*start of (the|this) project gutenberg", re.IGNORECASE)
END = re.compile(r"\*{3}\s*end of (the|this) project gutenberg", re.IGNORECASE)
PROSE = ("paragraph",)
MATTER = ("paragraph", "heading")  # a matter page's heading ("Colophon") is matter too


def mark_matter(records: list[dict[str, Any]]) -> None:
    """Set kind front-matter / back-matter on the records that are not the book."""
    starts = [i for i, r in enumerate(records) if START.search(r["text"])]
    ends = [i for i, r in enumerate(records) if END.search(r["text"])]
    marked = {
        page
        for r in records
        if MARKERS.search(r["text"])
        for page in range(r["page_start"], r["page_end"] + 1)
    }

    def plain(r: dict[str, Any]) -> bool:
        pages = range(r["page_start"], r["page_end"] + 1)
        return r["kind"] in PROSE and not any(p in marked for p in pages)

    book = [i for i, r in enumerate(records) if plain(r)] or [len(records)]
    for i, r in enumerate(records):
        if starts:  # Project Gutenberg's own lines bound the book, whatever the records are
            front = i <= starts[0]
        else:
            front = r["kind"] in MATTER and i < book[0] and r["page_start"] in marked
        if ends:
            back = i >= ends[-1]
        else:
            back = r["kind"] in MATTER and i > book[-1] and r["page_end"] in marked
        if front:
            r["kind"] = "front-matter"
        elif back:
            r["kind"] = "back-matter"
