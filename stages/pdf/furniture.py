"""Page furniture: running heads, footers and page numbers, found across the whole book.

Found by isolation, position and repetition across pages, never from a fixed list, so a
book from any publisher is read the same way. Used by stages/pdf/paragraphs.py, which
leaves the lines found here out of the text.
"""

from __future__ import annotations

import re
from collections import Counter

from stages.pdf.lines import Line
from stages.pdf.text import CID

FOLIO = re.compile(
    r"^(page\s+)?[-–—\s]*([0-9]{1,4}|[ivxlcdm]{1,7})[-–—\s]*$|^[0-9]{1,4}\s*(/|of)\s*[0-9]{1,4}$",
    re.IGNORECASE,
)
# --------------------------------------------------------------------------- step 2
FOLIO_EDGE = re.compile(r"^\s*[0-9]{1,4}\s+|\s+[0-9]{1,4}\s*$")


def letters_key(text: str) -> str:
    """Letters only, lowercased: 'O N  A T T E N D I N G' and 'On Attending' share a key."""
    return re.sub(r"[^a-z]", "", CID.sub("", text.lower()))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[0-9ivxlcdm]+\b", "#", CID.sub("", text.lower()))).strip()


def repeats(pages: int, text: str) -> bool:
    """Repeated like a running head: a short line on two pages or more, or any line on three
    or more (a line of prose can recur once, in a book that repeats a passage)."""
    return pages >= 3 or (pages >= 2 and len(text) <= 60)


def furniture(
    pages: list[dict], body: float, leading: float, known: set[str]
) -> dict[tuple[int, int], str]:
    """(page, line index) of each line's `ref` -> reason, for running heads, running feet
    and page numbers.

    A candidate is an isolated line in the top or bottom band of a page. Position alone
    never removes text (the last line of every full page sits at the same height in a book
    without running feet): a candidate is furniture only when it is a lone page number, or
    repeats in text on other pages in the same band (the same words, or the same words with
    a changing number), or repeats the book's title, author or one of its headings.
    """
    candidates: list[tuple[Line, str]] = []
    for p in pages:
        ls = sorted(p["lines"], key=lambda ln: ln["top"])
        if not ls:
            continue
        height = p["height"]
        # isolated lines in the top and bottom bands of the page
        # (set apart from the text by a gap, or in smaller type: a browser's header sits
        # close to the text in 8 pt)
        for idx in range(min(2, len(ls))):
            ln = ls[idx]
            nxt = ls[idx + 1] if idx + 1 < len(ls) else None
            apart = nxt is None or nxt["top"] - ln["bottom"] > 0.5 * leading
            if ln["top"] < 0.16 * height and (apart or ln["size"] < 0.9 * body):
                candidates.append((ln, "head"))
        for idx in range(len(ls) - 1, max(len(ls) - 3, -1), -1):
            ln = ls[idx]
            prv = ls[idx - 1] if idx > 0 else None
            apart = prv is None or ln["top"] - prv["bottom"] > 0.5 * leading
            if ln["bottom"] > 0.84 * height and (apart or ln["size"] < 0.9 * body):
                candidates.append((ln, "foot"))
    seen: Counter = Counter((band, _norm(ln["text"])) for ln, band in candidates)
    found: dict[tuple[int, int], str] = {}
    for ln, band in candidates:
        where = tuple(ln["ref"])
        if ln["size"] > 1.1 * body:
            continue  # a chapter heading, not a running head
        text = ln["text"].strip()
        if FOLIO.match(text) or CID.fullmatch(text.replace(" ", "")):
            found[where] = "page number"
        elif repeats(seen[(band, _norm(text))], text) or (
            (bare := letters_key(FOLIO_EDGE.sub("", text))) and bare in known
        ):
            found[where] = "running head" if band == "head" else "running foot"
    return found
