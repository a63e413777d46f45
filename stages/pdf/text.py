"""Text of a book line by line: ligatures, glyphs, hyphens and drop caps.

Word-level repairs that need evidence from the whole document: a `vocab` of the words the
book itself uses decides whether a hyphen at a line end is a break ("tran- quil") or a real
compound ("self-awareness"), and whether a drop cap is a one-letter word ("A mood").
Used by stages/pdf/lines.py and stages/pdf/paragraphs.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
SOFT_HYPHEN = "\u00ad"
HYPHENS = "-\u2010\u2011"
CID = re.compile(r"\(cid:\d+\)")
# Prefixes that form real hyphenated compounds: kept when the document gives no evidence.
COMPOUND_PREFIXES = {"self", "half", "well", "ill", "all", "non", "quasi", "semi", "ex", "anti"}


def clean(text: str) -> str:
    """Ligatures expanded, NFC, soft hyphens and odd spaces normalized."""
    for lig, plain in LIGATURES.items():
        text = text.replace(lig, plain)
    text = text.replace("\u00a0", " ").replace("\u2009", " ").replace("\u200b", "")
    return unicodedata.normalize("NFC", text)


def vocabulary(texts: list[str]) -> Counter:
    """How often the document uses each word (lowercased, hyphenated compounds as one)."""
    vocab: Counter = Counter()
    for text in texts:
        for w in re.findall(r"[A-Za-z’']+(?:-[A-Za-z’']+)*", text):
            vocab[w.lower()] += 1
    return vocab


def joins_hyphen(left: str, right: str, vocab: Counter) -> bool:
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


def join_lines(text: str, nxt: str, vocab: Counter) -> str:
    if text.endswith(SOFT_HYPHEN):
        return text[:-1] + nxt
    if text[-1:] in HYPHENS and len(text) > 1 and text[-2].isalpha():
        return text[:-1] + nxt if joins_hyphen(text, nxt, vocab) else text + nxt
    if text.endswith(("—", "–")) and not text.endswith((" —", " –")):
        return text + nxt  # a dash set closed breaks without a space
    return text + " " + nxt


def with_drop_cap(letter: str, text: str, vocab: Counter) -> str:
    """'M' + 'ost of us' -> 'Most of us'; 'A' + 'mood is' -> 'A mood is' (a one-letter word)."""
    head = text.split(" ", 1)[0]
    word = re.sub(r"[^A-Za-z’']", "", head).lower()
    if letter.upper() in "AI" and vocab[word] > vocab[(letter + word).lower()]:
        return f"{letter} {text}"
    return letter + text
