"""Views of an example's text that several checks and metrics share."""

from __future__ import annotations

import re
from typing import Any

from stages.quality import lexicon as lx


def assistant_text(example: dict[str, Any]) -> str:
    return "\n".join(t["content"] for t in example["turns"] if t["role"] == "assistant")


def content_words(text: str) -> set[str]:
    return {w for w in lx.words(text) if len(w) > 3 and w not in lx.STOPWORDS}


def ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    w = lx.words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def proper_names(text: str) -> set[str]:
    """Capitalized words that do not start a sentence: likely names of people and places."""
    names = set()
    for m in re.finditer(r"(?<![.!?…:\"“”]\s)(?<!^)\b([A-Z][a-z]{2,})\b", text):
        word = m.group(1)
        if word.lower() not in lx.STOPWORDS:
            names.add(word)
    return names


def longest_shared_run(text: str, source: str) -> int:
    """Length in words of the longest run of words `text` shares with `source`."""
    a, b = lx.words(text), lx.words(source)
    best, prev = 0, [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best
