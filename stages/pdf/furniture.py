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


def furniture(
    pages: list[dict], body: float, leading: float, known: set[str]
) -> set[tuple[int, int]]:
    """(page index, line index) of running headers, footers and page numbers.

    A candidate is an isolated line in the top or bottom band of a page. It is furniture
    when it is a page number, repeats on other pages, repeats the book's title, author or
    a heading, or is a short small-type line; then one-off heads at the same height as
    confirmed ones follow.
    """
    candidates: list[tuple[int, int, Line]] = []
    for pi, p in enumerate(pages):
        ls = sorted(p["lines"], key=lambda ln: ln["top"])
        if not ls:
            continue
        height = p["height"]
        # isolated lines in the top and bottom bands of the page
        for idx in range(min(2, len(ls))):
            ln = ls[idx]
            nxt = ls[idx + 1] if idx + 1 < len(ls) else None
            if ln["top"] < 0.16 * height and (
                nxt is None or nxt["top"] - ln["bottom"] > 0.5 * leading
            ):
                candidates.append((pi, p["lines"].index(ln), ln))
        for idx in range(len(ls) - 1, max(len(ls) - 3, -1), -1):
            ln = ls[idx]
            prv = ls[idx - 1] if idx > 0 else None
            if ln["bottom"] > 0.84 * height and (
                prv is None or ln["top"] - prv["bottom"] > 0.5 * leading
            ):
                candidates.append((pi, p["lines"].index(ln), ln))
    seen: Counter = Counter(_norm(ln["text"]) for _, _, ln in candidates)
    found: set[tuple[int, int]] = set()
    positions: list[float] = []
    for pi, li, ln in candidates:
        if ln["size"] > 1.1 * body:
            continue  # a chapter heading, not a running head
        text = ln["text"].strip()
        norm = _norm(text)
        bare = letters_key(FOLIO_EDGE.sub("", text))
        small_head = ln["size"] < 0.95 * body and len(text) < 70 and text[-1:] not in ".!?,;"
        if (
            FOLIO.match(text)
            or CID.fullmatch(text.replace(" ", ""))
            or seen[norm] >= 2
            or (bare and bare in known)
            or small_head
        ):
            found.add((pi, li))
            positions.append(round(ln["top"]))
    # one-off running heads (a chapter title on its only recto) sit where the others do
    for pi, li, ln in candidates:
        if (
            (pi, li) not in found
            and ln["size"] <= body * 1.02
            and any(abs(ln["top"] - y) <= 2 for y in positions)
            and len(ln["text"]) < 80
        ):
            found.add((pi, li))
    return found
