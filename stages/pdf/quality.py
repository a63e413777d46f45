"""Extraction quality against a known source text (used by the tests and bench/).

- cer: character error rate, edit operations from difflib over the joined text divided by
  its length (difflib's opcodes give an upper bound on the Levenshtein distance)
- leaks: paragraphs of running text that contain a running head (title, author, chapter
  title as set in the heads) or a bare page number
- broken_hyphens: words that differ from a source word only by a hyphen (a hyphenated line
  break left in, or a real compound's hyphen dropped)
- boundary_f1: paragraph boundaries, each paragraph named by its first six words
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import Any

WORD = re.compile(r"[A-Za-z’']+(?:-[A-Za-z’']+)*")


def extraction_quality(truth: list[str], got: list[dict[str, Any]], heads: list[str]) -> dict:
    text = [p["text"] for p in got]
    t, g = "\n".join(truth), "\n".join(text)
    ops = difflib.SequenceMatcher(None, t, g, autojunk=False).get_opcodes()
    edits = sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal")
    truth_words = set(WORD.findall(t))
    unhyphenated = {w.replace("-", ""): w for w in truth_words}
    broken = [
        w for w in WORD.findall(g) if w not in truth_words and w.replace("-", "") in unhyphenated
    ]
    leaks = 0
    for p in got:
        if p["kind"] != "paragraph":
            continue
        in_source = any(p["text"] in s for s in truth)
        if not in_source and (
            any(h in p["text"] for h in heads) or re.search(r"(^|\s)\d{1,4}(\s|$)", p["text"])
        ):
            leaks += 1

    def starts(ps: list[str]) -> set[str]:
        return {" ".join(p.split()[:6]) for p in ps}

    ts, gs = starts(truth), starts(text)
    precision = len(ts & gs) / len(gs) if gs else 0.0
    recall = len(ts & gs) / len(ts) if ts else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "cer": round(edits / max(1, len(t)), 5),
        "leaks": leaks,
        "broken_hyphens": len(broken),
        "boundary_f1": round(f1, 4),
        "paragraphs": len(truth),
        "characters": len(t),
    }


TOKEN = re.compile(r"[A-Za-z’']+|\d+")


def word_scores(expected: str, got: list[dict[str, Any]]) -> dict[str, Any]:
    """Word-level figures of an extraction against the published text (kind-agnostic):

    - recall: share of the published words (as a multiset) found in the extracted text
    - oov: share of extracted words that the published text never uses (glued words,
      broken glyphs, leaked furniture)
    - stray_numbers: numbers in the text that the published text does not have there
    - cid: "(cid:" left in any record
    - reflow_left: "xxx- yyy" in the extracted text that the published text does not have
    """
    truth = Counter(w.lower() for w in TOKEN.findall(expected))
    text = "\n".join(r["text"] for r in got)
    found = Counter(w.lower() for w in TOKEN.findall(text))
    recall = sum((truth & found).values()) / max(1, sum(truth.values()))
    oov = sum(n for w, n in found.items() if w not in truth) / max(1, sum(found.values()))
    numbers = sum(max(0, n - truth[w]) for w, n in found.items() if w.isdigit())
    reflow = len(re.findall(r"[A-Za-z]- [a-z]", text)) - len(
        re.findall(r"[A-Za-z]- [a-z]", expected)
    )
    return {
        "recall": round(recall, 4),
        "oov": round(oov, 4),
        "stray_numbers": numbers,
        "cid": text.count("(cid:"),
        "reflow_left": max(0, reflow),
    }
