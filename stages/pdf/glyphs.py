"""Glyphs without a Unicode map: "(cid:38)(cid:50)..." decoded, or kept out of the text.

A font embedded without a ToUnicode map (common in browser "print to PDF") comes out of
pdfplumber as "(cid:N)" tokens. Often the glyph ids follow the font's standard glyph order,
a constant offset from the characters (cid + 29 is ASCII in many TrueType fonts). For each
font, every offset is tried and the one whose decoded text reads as English (the share of
its words that are among the most common English words) is used; without a convincing one,
the glyph runs are taken out of the text and reported. Used by stages/pdf/paragraphs.py.
"""

from __future__ import annotations

import re
from typing import Any

from stages.pdf.text import CID

CID_NUMBER = re.compile(r"\(cid:(\d+)\)")
CID_RUN = re.compile(r"(?:\(cid:\d+\)\s*)+")
# the most common English words: enough evidence that a decoded text is English
COMMON = frozenset(
    """
    the of and to a in is it you that he was for on are with as i his they be at one have
    this from or had by not but what some we can out other were all there when up use your
    how said an each she which do their time if will way about many then them would like so
    these her long make thing see him two has look more day could go come did my no most who
    over know than call first down side been now find any new work part take get place made
    where after back little only man came me our under name very through just form much great
    think say help low line before turn cause same mean differ move right old too does tell
    """.split()  # noqa: SIM905  (a word list reads best as text)
)
MIN_WORDS, MIN_SHARE = 8, 0.25  # words of two letters or more, and the share that is common


def best_offset(texts: list[str]) -> int | None:
    """The constant offset that turns these lines' glyph ids into English, if one does:
    the one whose decoded text is mostly plain letters and holds the most common words."""
    numbers = sorted({int(n) for t in texts for n in CID_NUMBER.findall(t)})
    if not numbers:
        return None
    # only the glyph runs: the readable words beside them say nothing about the offset
    sample = " ".join(m.group(0) for t in texts for m in CID_RUN.finditer(t))[:40000]
    best, best_hits = None, 0
    for offset in range(max(-256, 32 - numbers[0]), 257):  # decoded text starts at the space
        decoded = decode(sample, offset)
        letters = sum(c.isascii() and (c.isalpha() or c in " .,;:'!?-") for c in decoded)
        if letters < 0.8 * len(decoded):
            continue
        words = re.findall(r"[a-z]{2,}", decoded.lower())
        hits = sum(w in COMMON for w in words)
        if len(words) >= MIN_WORDS and hits >= MIN_SHARE * len(words) and hits > best_hits:
            best, best_hits = offset, hits
    return best


def decode(text: str, offset: int) -> str:
    return CID_NUMBER.sub(lambda m: chr(int(m.group(1)) + offset), text)


def offsets(pages: list[dict[str, Any]]) -> dict[str, int | None]:
    """Per font with unmapped glyphs: its offset, or None when none reads as text."""
    by_font: dict[str, list[str]] = {}
    for page in pages:
        for ln in page["lines"]:
            if "cid_font" in ln:
                by_font.setdefault(ln["cid_font"], []).append(ln["text"])
    return {font: best_offset(texts) for font, texts in sorted(by_font.items())}


def repair(line: dict[str, Any], found: dict[str, int | None]) -> tuple[str, list[str]]:
    """A line's text with its unmapped glyphs decoded, or taken out (and returned)."""
    text = line["text"]
    if not CID.search(text):
        return text, []
    offset = found.get(line.get("cid_font", ""))
    if offset is not None:
        return decode(text, offset), []
    spans = [m.group(0).strip() for m in CID_RUN.finditer(text)]
    return re.sub(r"\s+", " ", CID_RUN.sub(" ", text)).strip(), spans
