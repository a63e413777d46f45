"""Step 1 of reading a page: pdfplumber words -> lines in reading order, with geometry.

Word gaps are judged relative to the font size (pdfplumber's fixed 3 pt tolerance glues
words on tightly justified lines); superscript note markers join the line they sit on; drop
caps are given back to the line beside them; two-column pages are read column by column.
Runs per page in worker processes (stages/pdf/document.py); stages/pdf/paragraphs.py
reads its output.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from stages.pdf.text import CID, clean

Line = dict[str, Any]

X_TOLERANCE_RATIO = 0.15  # word gap relative to font size; pdfplumber's fixed 3pt glues words
NOTE_MARK = re.compile(r"^[0-9]{1,3}$|^[*†‡§¶]{1,3}$")


# --------------------------------------------------------------------------- step 1
def _gutter(words: list[dict], width: float, body: float) -> tuple[float, float] | None:
    """(x, half width) of an empty vertical strip in the middle third that splits the
    body text in two, judged on body-size words only (headings and notes may cross it)."""
    text = [w for w in words if abs(w["size"] - body) < 0.5 and w["x1"] - w["x0"] < width * 0.45]
    if len(text) < 40:
        return None
    step = 2.0
    lo, hi = int(width * 0.33 / step), int(width * 0.67 / step)
    cover = [0] * (hi + 1)
    for w in text:
        for b in range(max(lo, int(w["x0"] / step)), min(hi, int(w["x1"] / step)) + 1):
            cover[b] += 1
    empty = [b for b in range(lo, hi + 1) if cover[b] <= 1]  # a stray word may cross it
    if not empty:
        return None
    # the widest run of empty bins
    runs, run = [], [empty[0]]
    for b in empty[1:]:
        if b == run[-1] + 1:
            run.append(b)
        else:
            runs.append(run)
            run = [b]
    runs.append(run)
    best = max(runs, key=len)
    x, half = (best[0] + best[-1] + 1) / 2 * step, len(best) * step / 2
    left = sum(1 for w in text if w["x1"] <= x)
    right = sum(1 for w in text if w["x0"] >= x)
    enough = min(left, right) >= max(8, 0.08 * len(text))  # a short last column counts too
    return (x, half) if half >= 0.4 * body and enough else None


def _cluster(words: list[dict]) -> list[list[dict]]:
    """Cluster words into lines by baseline."""
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["bottom"], 1), w["x0"])):
        if lines:
            ref = max(lines[-1], key=lambda v: v["size"])
            if abs(w["bottom"] - ref["bottom"]) <= 0.45 * max(ref["size"], w["size"]):
                lines[-1].append(w)
                continue
        lines.append([w])
    return lines


def _group_lines(words: list[dict], body: float) -> list[list[dict]]:
    """Lines of words; small raised words (note markers) join the line they sit on."""
    big = [w for w in words if w["size"] >= 0.8 * body]
    lines = _cluster(big)
    leftover = []
    for w in (w for w in words if w["size"] < 0.8 * body):
        home = [
            ln
            for ln in lines
            if min(v["top"] for v in ln) - 0.2 * body <= w["bottom"] <= max(v["bottom"] for v in ln)
            and min(v["top"] for v in ln) <= w["top"] + 0.2 * body
        ]
        if home:
            home[0].append(w)
        else:
            leftover.append(w)
    lines += _cluster(leftover)
    lines.sort(key=lambda ln: min(v["top"] for v in ln))
    return [sorted(ws, key=lambda w: w["x0"]) for ws in lines]


def _line(words: list[dict], page_no: int, column: int) -> Line:
    sizes = Counter()
    for w in words:
        sizes[round(w["size"], 1)] += len(w["text"])
    size = sizes.most_common(1)[0][0]
    base = max(w["bottom"] for w in words if round(w["size"], 1) == size)
    text, notes, prev = "", [], None
    for w in words:
        raised = w["size"] < 0.8 * size and w["bottom"] < base - 0.15 * size
        if raised and NOTE_MARK.match(w["text"]) and prev is not None:
            notes.append(w["text"])
            continue
        if prev is not None and w["x0"] - prev["x1"] > X_TOLERANCE_RATIO * size:
            text += " "
        text += w["text"]
        prev = w
    main = [w for w in words if round(w["size"], 1) == size]
    line = {
        "page": page_no,
        "column": column,
        "top": min(w["top"] for w in main),
        "bottom": base,
        "x0": min(w["x0"] for w in words),
        "x1": max(w["x1"] for w in words),
        "size": size,
        "bold": all("bold" in w["fontname"].lower() for w in main),
        "text": clean(text),
        "notes": notes,
    }
    if unmapped := [w["fontname"] for w in words if CID.search(w["text"])]:
        # glyphs without a Unicode map: decoded per font, over the whole book (glyphs.py)
        line["cid_font"] = Counter(unmapped).most_common(1)[0][0]
    return line


def _two_columns(words: list[dict], body: float, page_no: int, x: float, half: float) -> list[Line]:
    """Lines of a two-column page in reading order: a line that crosses the gutter (a
    heading, a running head, a note) separates bands; within a band the left column is read
    before the right one."""
    out: list[Line] = []
    band: dict[int, list[Line]] = {0: [], 1: []}
    for ws in _group_lines(words, body):
        if any(w["x0"] < x + half / 2 and w["x1"] > x - half / 2 for w in ws):
            out += band[0] + band[1] + [_line(ws, page_no, 0)]
            band = {0: [], 1: []}
            continue
        for c, part in enumerate(([w for w in ws if w["x1"] <= x], [w for w in ws if w["x1"] > x])):
            if part:
                band[c].append(_line(part, page_no, c))
    return out + band[0] + band[1]


def page_lines(page: Any, page_no: int) -> dict[str, Any]:
    """Lines of one pdfplumber page, in reading order, plus per-page flags."""
    words = page.extract_words(
        x_tolerance_ratio=X_TOLERANCE_RATIO, extra_attrs=["size", "fontname"], use_text_flow=False
    )
    flags: list[str] = []
    if not words:
        return {"page": page_no, "lines": [], "flags": ["no-text"] if page.images else []}
    sizes = Counter()
    for w in words:
        sizes[round(w["size"], 1)] += len(w["text"])
    body = sizes.most_common(1)[0][0]
    drops = [
        w
        for w in words
        if w["size"] >= 1.8 * body
        and (len(w["text"]) == 1 and w["text"].isalpha() or CID.fullmatch(w["text"]))
    ]
    words = [w for w in words if w not in drops]
    gutter = _gutter(words, float(page.width), body)
    if gutter is None:
        lines = [_line(ws, page_no, 0) for ws in _group_lines(words, body)]
    else:
        flags.append("two-column")
        lines = _two_columns(words, body, page_no, *gutter)
    for d in drops:
        if CID.fullmatch(d["text"]):
            flags.append("drop-cap-unreadable")
            continue
        # the lines whose baselines run beside the letter: the first gets it back, and all of
        # them count as flush with the text block (their indent is the letter's width)
        beside = [
            ln
            for ln in lines
            if ln["x0"] > d["x1"] - 1 and d["top"] <= ln["bottom"] <= d["bottom"] + 0.5 * body
        ]
        if beside:
            first = min(beside, key=lambda ln: ln["top"])
            first["dropcap"] = d["text"]  # joined to the text in paragraphs(), which knows words
            for ln in beside:
                ln["x0"] = d["x0"]
            flags.append("drop-cap")
    if any(CID.search(ln["text"]) for ln in lines):
        flags.append("cid-glyphs")
    return {"page": page_no, "lines": lines, "flags": sorted(set(flags))}
