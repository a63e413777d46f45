"""Finding a person's copy of a passage in extracted book text, despite small differences.

People paste passages with curly or straight quotes, other dashes, different line breaks,
leftover hyphens and a few changed characters. Both sides are normalized (keeping a map
back to the original offsets), exact matches are tried first, then word 4-gram anchors
vote for a start position and difflib scores the best windows.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

FOLD = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "–": "-",
        "—": "-",
        "―": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "…": "...",
        "\u00ad": "",
        "\u200b": "",
    }
)


def normalize(text: str) -> tuple[str, list[int]]:
    """Lowercased, folded, single-spaced text and, per output char, its offset in `text`."""
    out: list[str] = []
    index: list[int] = []
    space = True  # drop leading whitespace
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).translate(FOLD).lower()
        for c in folded:
            if c.isspace():
                if space:
                    continue
                c, space = " ", True
            else:
                space = False
            out.append(c)
            index.append(i)
    if out and out[-1] == " ":
        out.pop()
        index.pop()
    return "".join(out), index


def words_text(text: str) -> str:
    """Normalized text without punctuation, for ids and similarity of passages."""
    return " ".join(re.findall(r"[a-z0-9']+", normalize(text)[0]))


@dataclass
class Match:
    source: str  # which haystack
    start: int  # offsets in the original haystack text
    end: int
    score: float  # 1.0 exact (after normalization), else difflib similarity


class Locator:
    """Index of several texts (e.g. one per document) to locate passages in."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.norm: dict[str, tuple[str, list[int]]] = {k: normalize(v) for k, v in texts.items()}
        self.grams: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
        for key, (norm, _) in self.norm.items():
            for pos, gram in _grams(norm):
                self.grams[gram].append((key, pos))

    def locate(self, passage: str) -> Match | None:
        """The best match of `passage`, or None when nothing shares even one 4-gram."""
        p, _ = normalize(passage)
        if not p:
            return None
        for key, (norm, index) in self.norm.items():
            at = norm.find(p)
            if at >= 0:
                return Match(key, index[at], index[at + len(p) - 1] + 1, 1.0)
        votes: Counter = Counter()
        for offset, gram in _grams(p):
            hits = self.grams.get(gram, [])
            if len(hits) > 50:
                continue  # too common to say anything
            for key, pos in hits:
                votes[(key, (pos - offset) // 40)] += 1
        best: Match | None = None
        for (key, bucket), _ in votes.most_common(5):
            norm, index = self.norm[key]
            lo = max(0, bucket * 40 - 80)
            window = norm[lo : bucket * 40 + len(p) + 120]
            sm = difflib.SequenceMatcher(None, p, window, autojunk=False)
            blocks = [b for b in sm.get_matching_blocks() if b.size >= 3]
            if not blocks:
                continue
            s, e = blocks[0].b, blocks[-1].b + blocks[-1].size
            matched = sum(b.size for b in blocks)
            score = 2 * matched / (len(p) + (e - s))
            if best is None or score > best.score:
                best = Match(key, index[lo + s], index[lo + e - 1] + 1, round(score, 4))
        return best


def _grams(norm: str, n: int = 4):
    words = [(m.start(), m.group()) for m in re.finditer(r"[a-z0-9']+", norm)]
    for i in range(len(words) - n + 1):
        yield words[i][0], tuple(w for _, w in words[i : i + n])
