"""Step 2 of reading a book: its lines, all pages at once -> headings, paragraphs, footnotes.

Body size and leading are measured over the whole book; glyphs without a Unicode map are
decoded or kept out (stages/pdf/glyphs.py); running heads, running feet and page numbers
are set aside (stages/pdf/furniture.py); headings, footnotes, contents entries and body
paragraphs are told apart by size, weight and layout; paragraphs are rebuilt across line,
column and page breaks, with words hyphenated at line ends (or reflowed into mid-line) joined
and real compounds kept (stages/pdf/text.py); licenses and colophons become front-matter and
back-matter (stages/pdf/matter.py).

Every line pdfplumber reads ends up in exactly one place: a record (its `lines` name the
page and line index of each line it holds) or `removed` with the reason. `account` checks
that. Used by the extract stage through stages/pdf/document.py.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from stages.pdf import glyphs
from stages.pdf.furniture import furniture, letters_key
from stages.pdf.lines import Line
from stages.pdf.matter import mark_matter
from stages.pdf.text import join_lines, join_reflowed_hyphens, vocabulary, with_drop_cap

SCENE_BREAK = re.compile(r"^[\s*•·⁂~#§◆◇✦-]{1,20}$")
# a table-of-contents entry: leader dots before a page number ("Waking . . . . . 12", "xiv")
CONTENTS = re.compile(r"(?:\.\s*){4,}(?:\d{1,4}|[ivxlc]{1,7})\s*$", re.IGNORECASE)
FOOTNOTE = re.compile(r"^([0-9]{1,3}|[*†‡§¶]{1,3})[.)]?\s+(.*)")


def body_metrics(pages: list[dict]) -> tuple[float, float]:
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
    kind: str, text: str, ln: Line, chapter: str | None, notes: list[str]
) -> dict[str, Any]:
    """One output record (heading, paragraph, footnote or contents entry) from its first line."""
    return {
        "kind": kind,
        "text": text,
        "page_start": ln["page"],
        "page_end": ln["page"],
        "chapter": chapter,
        "notes": notes,
        "lines": [ln["ref"]],
    }


@dataclass
class Reading:
    """A book read: its records in order, what was left out and why, and counts."""

    records: list[dict[str, Any]]
    removed: list[dict[str, Any]]  # page, line, text, reason; whole_line false for a span
    lines_per_page: list[int]
    reflowed_hyphens: int


class _Book:
    """The records in reading order, and what is in progress while lines arrive."""

    def __init__(self, body: float, leading: float, vocab: Counter) -> None:
        self.body, self.leading, self.vocab = body, leading, vocab
        self.out: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.notes: list[dict[str, Any]] = []  # footnotes waiting for the paragraph in progress
        self.chapter: str | None = None
        self.prev_body: Line | None = None  # the last line of running text
        self.last_heading: Line | None = None
        self.removed: list[dict[str, Any]] = []
        self.reflowed = 0

    def remove(self, ln: Line, reason: str, text: str | None = None) -> None:
        """A line left out of the text (or, with `text`, a span of it), with the reason."""
        page, index = ln["ref"]
        row = {"page": page, "line": index, "text": ln["text"] if text is None else text}
        self.removed.append(row | {"reason": reason, "whole_line": text is None})

    def close(self) -> None:
        """Finish the record in progress; each waiting note goes right after the paragraph
        that carries its marker."""
        out, cur = self.out, self.current
        if cur is not None:
            cur["text"] = re.sub(r"\s+", " ", cur["text"]).strip()
            if cur["kind"] == "paragraph":
                cur["text"], n = join_reflowed_hyphens(cur["text"], self.vocab)
                self.reflowed += n
            out.append(cur)
        self.current = None
        for note in self.notes:
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
        self.notes.clear()

    def footnote(self, ln: Line) -> None:
        """A line of the footnote area: a new note starts at a marker. Notes never interrupt
        the paragraph in progress (it may go on in the next column or on the next page)."""
        m = FOOTNOTE.match(ln["text"])
        if m or not self.notes:
            text, marks = (m.group(2), [m.group(1)]) if m else (ln["text"], [])
            self.notes.append(_record("footnote", text, ln, self.chapter, marks))
        else:
            self.notes[-1]["text"] = join_lines(self.notes[-1]["text"], ln["text"], self.vocab)
            self.notes[-1]["lines"].append(ln["ref"])

    def scene_break(self, ln: Line) -> None:
        """'* * *' and the like: a break between paragraphs, not text."""
        self.close()
        self.remove(ln, "scene break")
        self.prev_body = None

    def contents(self, ln: Line) -> None:
        """One record per entry: not a heading (it names no chapter here), not prose."""
        self.close()
        text = re.sub(r"\s+", " ", ln["text"]).strip()
        self.out.append(_record("contents", text, ln, self.chapter, []))
        self.prev_body = self.last_heading = None

    def heading(self, ln: Line, prev: Line | None) -> None:
        """A heading line; a heading set on two lines stays one heading."""
        cur = self.current
        if (
            cur is not None
            and cur["kind"] == "heading"
            and prev is self.last_heading
            and ln["top"] - prev["bottom"] < 1.5 * self.leading
        ):
            cur["text"] += " " + ln["text"]
            cur["lines"].append(ln["ref"])
        else:
            self.close()
            self.current = cur = _record("heading", ln["text"], ln, None, [])
        self.chapter = cur["chapter"] = cur["text"]
        self.last_heading = ln
        self.prev_body = None

    def running_text(self, ln: Line, left: float, right: float) -> None:
        """A line of body text: it starts a paragraph or goes on with the one in progress."""
        body, prev_body, cur = self.body, self.prev_body, self.current
        self.last_heading = None
        same_block = (
            prev_body is not None
            and prev_body["page"] == ln["page"]
            and prev_body["column"] == ln["column"]
        )
        # first-line indents count against the line above (so block quotes, indented as a
        # whole, stay one paragraph), or against the text block at the top of a column
        indent = ln["x0"] - (prev_body["x0"] if same_block else left)
        starts = (
            cur is None
            or cur["kind"] != "paragraph"
            or 0.5 * body < indent < 8 * body
            or (same_block and ln["top"] - prev_body["bottom"] > 1.0 * self.leading)
            or (
                prev_body is not None and prev_body["short"] and prev_body["text"][-1:] in '.!?:"”’'
            )
        )
        ln["short"] = right - ln["x1"] > 2 * body
        if starts:
            self.close()
            self.current = _record("paragraph", ln["text"], ln, self.chapter, list(ln["notes"]))
        else:
            cur["text"] = join_lines(cur["text"], ln["text"], self.vocab)
            cur["page_end"] = ln["page"]
            cur["notes"] += ln["notes"]
            cur["lines"].append(ln["ref"])
        self.prev_body = ln


def _columns(lines: list[Line], body: float) -> tuple[dict, dict]:
    """Per column of a page: the text block's edges (recto and verso pages have different
    margins), and the bottom of its body text (footnotes sit below it)."""
    body_lines = [ln for ln in lines if 0.9 * body <= ln["size"] < 1.15 * body]
    edges = {
        c: (
            min(ln["x0"] for ln in body_lines if ln["column"] == c),
            max(ln["x1"] for ln in body_lines if ln["column"] == c),
        )
        for c in {ln["column"] for ln in body_lines}
    }
    last_body_bottom = {
        c: max(ln["bottom"] for ln in body_lines if ln["column"] == c) for c in edges
    }
    return edges, last_body_bottom


def read_book(pages: list[dict], titles: tuple[str, ...] = ()) -> Reading:
    """The records (kind, text, page span, chapter, note markers, lines) in reading order,
    and every line or span left out, with its reason.

    `pages` are `page_lines` results with the page height added as "height"; `titles`
    are strings running heads may repeat (the PDF's title and author metadata).
    """
    body, leading = body_metrics(pages)
    book = _Book(body, leading, Counter())
    # every line keeps where it was read; glyphs without a Unicode map are decoded (or
    # taken out) first, so that running heads set in such a font are recognised too
    decoded = glyphs.offsets(pages)
    readable = []
    for p in pages:
        kept = []
        for li, ln in enumerate(p["lines"]):
            ln = ln | {"ref": [p["page"], li]}
            text, unreadable = glyphs.repair(ln, decoded)
            if unreadable and not text:
                book.remove(ln, "unmapped glyphs")
                continue
            for span in unreadable:
                book.remove(ln, "unmapped glyphs", span)
            kept.append(ln | {"text": text})
        readable.append(p | {"lines": kept})
    book.vocab = vocabulary([ln["text"] for p in readable for ln in p["lines"]])
    known = {letters_key(t) for t in titles if t}
    known |= {
        letters_key(ln["text"]) for p in readable for ln in p["lines"] if ln["size"] >= 1.15 * body
    }
    known.discard("")
    found = furniture(readable, body, leading, known)
    for p in readable:
        # page_lines gives reading order (columns included)
        lines = []
        for ln in p["lines"]:
            if (reason := found.get(tuple(ln["ref"]))) is not None:
                book.remove(ln, reason)
            else:
                lines.append(ln)
        edges, last_body_bottom = _columns(lines, body)
        for i, ln in enumerate(lines):
            prev = lines[i - 1] if i else None
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if ln.get("dropcap"):
                ln = ln | {"text": with_drop_cap(ln["dropcap"], ln["text"], book.vocab)}
            if ln["size"] < 0.9 * body and ln["top"] > last_body_bottom.get(ln["column"], 0.0):
                book.footnote(ln)
                continue
            left, right = edges.get(ln["column"], (ln["x0"], ln["x1"]))
            centered = ln["x0"] - left > 2 * body and right - ln["x1"] > 2 * body
            if SCENE_BREAK.match(ln["text"]) and centered:
                book.scene_break(ln)
            elif CONTENTS.search(ln["text"]):
                book.contents(ln)
            elif _is_heading(ln, prev, nxt, body, leading, centered):
                book.heading(ln, prev)
            else:
                book.running_text(ln, left, right)
    book.close()
    mark_matter(book.out)
    lines_per_page = [len(p["lines"]) for p in pages]
    return Reading(book.out, book.removed, lines_per_page, book.reflowed)


def paragraphs(pages: list[dict], titles: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Only the records of `read_book` (tests and benchmarks)."""
    return read_book(pages, titles).records


def account(reading: Reading) -> list[str]:
    """Problems with the contract that every line read is in exactly one place."""
    placed: Counter = Counter()
    for r in reading.records:
        placed.update(tuple(ref) for ref in r["lines"])
    placed.update((d["page"], d["line"]) for d in reading.removed if d["whole_line"])
    problems = []
    for index, n in enumerate(reading.lines_per_page):
        page = index + 1
        for line in range(n):
            if placed[(page, line)] != 1:
                problems.append(f"page {page} line {line}: placed {placed[(page, line)]} times")
    expected = {(i + 1, li) for i, n in enumerate(reading.lines_per_page) for li in range(n)}
    problems += [
        f"page {p} line {li}: not a line that was read" for p, li in placed.keys() - expected
    ]
    return problems
