"""Book-grade text from PDF pages: lines from pdfplumber words, then paragraphs.

Two steps, so the slow one can run per page in parallel and be cached per document:

1. `page_lines(page)`: words (pdfplumber, word gaps relative to font size) grouped into
   lines with their geometry, font size and boldness; superscript note markers, drop
   caps and two-column layouts are resolved here.
2. `paragraphs(pages)`: the whole document at once: running headers, footers and page
   numbers found by isolation, position and repetition across pages (no fixed list);
   headings, footnotes and body paragraphs told apart by size, weight and layout;
   paragraphs rebuilt across line and page breaks, with words hyphenated at line ends
   joined and real compounds ("self-awareness") kept.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from typing import Any

Line = dict[str, Any]

X_TOLERANCE_RATIO = 0.15  # word gap relative to font size; pdfplumber's fixed 3pt glues words
LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
SOFT_HYPHEN = "\u00ad"
HYPHENS = "-\u2010\u2011"
NOTE_MARK = re.compile(r"^[0-9]{1,3}$|^[*†‡§¶]{1,3}$")
FOLIO = re.compile(
    r"^(page\s+)?[-–—\s]*([0-9]{1,4}|[ivxlcdm]{1,7})[-–—\s]*$|^[0-9]{1,4}\s*(/|of)\s*[0-9]{1,4}$",
    re.IGNORECASE,
)
CID = re.compile(r"\(cid:\d+\)")
SCENE_BREAK = re.compile(r"^[\s*•·⁂~#§◆◇✦-]{1,20}$")
# a table-of-contents entry: leader dots before a page number ("Waking . . . . . 12", "xiv")
CONTENTS = re.compile(r"(?:\.\s*){4,}(?:\d{1,4}|[ivxlc]{1,7})\s*$", re.IGNORECASE)
# Prefixes that form real hyphenated compounds: kept when the document gives no evidence.
COMPOUND_PREFIXES = {"self", "half", "well", "ill", "all", "non", "quasi", "semi", "ex", "anti"}


def clean(text: str) -> str:
    """Ligatures expanded, NFC, soft hyphens and odd spaces normalized."""
    for lig, plain in LIGATURES.items():
        text = text.replace(lig, plain)
    text = text.replace("\u00a0", " ").replace("\u2009", " ").replace("\u200b", "")
    return unicodedata.normalize("NFC", text)


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
    return {
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


# --------------------------------------------------------------------------- step 2
FOLIO_EDGE = re.compile(r"^\s*[0-9]{1,4}\s+|\s+[0-9]{1,4}\s*$")


def _key(text: str) -> str:
    """Letters only, lowercased: 'O N  A T T E N D I N G' and 'On Attending' share a key."""
    return re.sub(r"[^a-z]", "", CID.sub("", text.lower()))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[0-9ivxlcdm]+\b", "#", CID.sub("", text.lower()))).strip()


def _body_metrics(pages: list[dict]) -> tuple[float, float]:
    sizes: Counter = Counter()
    for p in pages:
        for ln in p["lines"]:
            sizes[ln["size"]] += len(ln["text"])
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    gaps = []
    for p in pages:
        ls = [ln for ln in p["lines"] if ln["size"] == body]
        for a, b in zip(ls, ls[1:], strict=False):
            if a["column"] == b["column"] and 0 < b["bottom"] - a["bottom"] < 2.5 * body:
                gaps.append(b["bottom"] - a["bottom"])
    return body, statistics.median(gaps) if gaps else 1.2 * body


def _furniture(
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
        bare = _key(FOLIO_EDGE.sub("", text))
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


def _joins_hyphen(left: str, right: str, vocab: Counter) -> bool:
    """True when `left-` + `right` is one word broken by hyphenation (drop the hyphen)."""
    head = re.findall(r"[A-Za-z’']+$", left[:-1])
    tail = re.match(r"[A-Za-z’']+", right)
    if not head or not tail or not right[:1].islower():
        return False
    h, t = head[0], tail.group(0)
    if "-" in re.findall(r"\S+$", left[:-1] + "-")[0][:-1]:
        return False  # "twenty-first-" style chains keep their hyphens
    joined, hyphenated = (h + t).lower(), f"{h}-{t}".lower()
    if vocab[hyphenated] > vocab[joined]:
        return False
    if vocab[joined] > 0:
        return True
    return h.lower() not in COMPOUND_PREFIXES


def _join(text: str, nxt: str, vocab: Counter) -> str:
    if text.endswith(SOFT_HYPHEN):
        return text[:-1] + nxt
    if text[-1:] in HYPHENS and len(text) > 1 and text[-2].isalpha():
        return text[:-1] + nxt if _joins_hyphen(text, nxt, vocab) else text + nxt
    if text.endswith(("—", "–")) and not text.endswith((" —", " –")):
        return text + nxt  # a dash set closed breaks without a space
    return text + " " + nxt


def _with_drop_cap(letter: str, text: str, vocab: Counter) -> str:
    """'M' + 'ost of us' -> 'Most of us'; 'A' + 'mood is' -> 'A mood is' (a one-letter word)."""
    head = text.split(" ", 1)[0]
    word = re.sub(r"[^A-Za-z’']", "", head).lower()
    if letter.upper() in "AI" and vocab[word] > vocab[(letter + word).lower()]:
        return f"{letter} {text}"
    return letter + text


def _is_heading(
    ln: Line, prev: Line | None, nxt: Line | None, body: float, leading: float, centered: bool
) -> bool:
    """Larger type; or a short line set apart above and below that is bold, in capitals
    (small caps come out as capitals of two sizes), or centered."""
    if ln["size"] >= 1.15 * body:
        return True
    text = ln["text"]
    if len(text) > 90 or text[-1:] in ",;":
        return False
    before = prev is None or ln["top"] - prev["bottom"] > 0.9 * leading
    after = nxt is None or nxt["top"] - ln["bottom"] > 0.9 * leading
    letters = [c for c in text if c.isalpha()]
    capitals = len(letters) >= 2 and all(c.isupper() for c in letters)
    return before and after and (ln["bold"] or capitals or (centered and len(text.split()) <= 8))


def _record(
    kind: str, text: str, page: int, chapter: str | None, notes: list[str]
) -> dict[str, Any]:
    """One output record (heading, paragraph, footnote or contents entry) on one page."""
    return {
        "kind": kind,
        "text": text,
        "page_start": page,
        "page_end": page,
        "chapter": chapter,
        "notes": notes,
    }


def paragraphs(pages: list[dict], titles: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Paragraph records (kind, text, page span, chapter, note markers) in reading order.

    `pages` are `page_lines` results with the page height added as "height"; `titles`
    are strings running heads may repeat (the PDF's title and author metadata).
    """
    body, leading = _body_metrics(pages)
    known = {_key(t) for t in titles if t}
    known |= {_key(ln["text"]) for p in pages for ln in p["lines"] if ln["size"] >= 1.15 * body}
    known.discard("")
    furniture = _furniture(pages, body, leading, known)
    vocab: Counter = Counter()
    for p in pages:
        for ln in p["lines"]:
            for w in re.findall(r"[A-Za-z’']+(?:-[A-Za-z’']+)*", ln["text"]):
                vocab[w.lower()] += 1

    out: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    chapter: str | None = None
    prev_body: Line | None = None
    last_heading: Line | None = None

    notes: list[dict[str, Any]] = []  # footnotes waiting for the paragraph in progress

    def close() -> None:
        nonlocal current
        if current is not None and current["text"].strip():
            current["text"] = re.sub(r"\s+", " ", current["text"]).strip()
            out.append(current)
        current = None
        for note in notes:  # each note goes right after the paragraph that carries its marker
            at = next(
                (
                    i
                    for i in range(len(out) - 1, -1, -1)
                    if out[i]["kind"] == "paragraph" and set(note["notes"]) & set(out[i]["notes"])
                ),
                len(out) - 1,
            )
            while at + 1 < len(out) and out[at + 1]["kind"] == "footnote":
                at += 1
            out.insert(at + 1, note)
        notes.clear()

    for pi, p in enumerate(pages):
        # page_lines gives reading order (columns included)
        lines = [ln for li, ln in enumerate(p["lines"]) if (pi, li) not in furniture]
        body_lines = [ln for ln in lines if 0.9 * body <= ln["size"] < 1.15 * body]
        # text block edges per column (recto and verso pages have different margins)
        edges = {
            c: (
                min(ln["x0"] for ln in body_lines if ln["column"] == c),
                max(ln["x1"] for ln in body_lines if ln["column"] == c),
            )
            for c in {ln["column"] for ln in body_lines}
        }
        # footnotes sit below the body text of their column
        last_body_bottom = {
            c: max(ln["bottom"] for ln in body_lines if ln["column"] == c) for c in edges
        }
        for i, ln in enumerate(lines):
            prev = lines[i - 1] if i else None
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if ln.get("dropcap"):
                ln = ln | {"text": _with_drop_cap(ln["dropcap"], ln["text"], vocab)}
            if ln["size"] < 0.9 * body and ln["top"] > last_body_bottom.get(ln["column"], 0.0):
                # footnote area: a new note starts at a marker; notes never interrupt the
                # paragraph in progress (it may go on in the next column or on the next page)
                m = re.match(r"^([0-9]{1,3}|[*†‡§¶]{1,3})[.)]?\s+(.*)", ln["text"])
                if m or not notes:
                    notes.append(
                        _record(
                            "footnote",
                            m.group(2) if m else ln["text"],
                            p["page"],
                            chapter,
                            [m.group(1)] if m else [],
                        )
                    )
                else:
                    notes[-1]["text"] = _join(notes[-1]["text"], ln["text"], vocab)
                continue
            left, right = edges.get(ln["column"], (ln["x0"], ln["x1"]))
            centered = ln["x0"] - left > 2 * body and right - ln["x1"] > 2 * body
            if SCENE_BREAK.match(ln["text"]) and centered:
                close()  # "* * *" and the like: a break between paragraphs, not text
                prev_body = None
                continue
            if CONTENTS.search(ln["text"]):
                # one record per entry: not a heading (it names no chapter here), not prose
                close()
                text = re.sub(r"\s+", " ", ln["text"]).strip()
                out.append(_record("contents", text, p["page"], chapter, []))
                prev_body = last_heading = None
                continue
            if _is_heading(ln, prev, nxt, body, leading, centered):
                if (
                    current is not None
                    and current["kind"] == "heading"
                    and prev is last_heading
                    and ln["top"] - prev["bottom"] < 1.5 * leading
                ):
                    current["text"] += " " + ln["text"]
                else:
                    close()
                    current = _record("heading", ln["text"], p["page"], None, [])
                chapter = current["text"]
                current["chapter"] = chapter
                last_heading = ln
                prev_body = None
                continue
            last_heading = None
            same_block = (
                prev_body is not None
                and prev_body["page"] == ln["page"]
                and prev_body["column"] == ln["column"]
            )
            # first-line indents count against the line above (so block quotes, indented as a
            # whole, stay one paragraph), or against the text block at the top of a column
            indent = ln["x0"] - (prev_body["x0"] if same_block else left)
            starts = (
                current is None
                or current["kind"] != "paragraph"
                or 0.5 * body < indent < 8 * body
                or (same_block and ln["top"] - prev_body["bottom"] > 1.0 * leading)
                or (
                    prev_body is not None
                    and prev_body["short"]
                    and prev_body["text"][-1:] in '.!?:"”’'
                )
            )
            ln["short"] = right - ln["x1"] > 2 * body
            if starts:
                close()
                current = _record("paragraph", ln["text"], p["page"], chapter, list(ln["notes"]))
            else:
                current["text"] = _join(current["text"], ln["text"], vocab)
                current["page_end"] = p["page"]
                current["notes"] += ln["notes"]
            prev_body = ln
    close()
    return out


def extract_file(path: str) -> list[dict[str, Any]]:
    """One PDF's paragraphs in this process, without the stage's cache or report (tests, bench)."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        pages = []
        for i, page in enumerate(pdf.pages):
            result = page_lines(page, i + 1)
            result["height"] = float(page.height)
            pages.append(result)
        meta = pdf.metadata or {}
    return paragraphs(pages, (str(meta.get("Title", "")), str(meta.get("Author", ""))))
