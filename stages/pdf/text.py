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
REFLOWED = re.compile(r"\b([A-Za-z’']+)- ([a-z’']+)\b")  # "com- ing" in mid-line
# Prefixes that form real hyphenated compounds: kept when the document gives no evidence.
COMPOUND_PREFIXES = {"self", "half", "well", "ill", "all", "non", "quasi", "semi", "ex", "anti"}


def clean(text: str) -> str:
    """Ligatures expanded, NFC, soft hyphens and odd spaces normalized."""
    for lig, plain in LIGATURES.items():
        text = text.replace(lig, plain)
    text = text.replace("\u00a0", " ").replace("\u2009", " ").replace("\u200b", "")
    return unicodedata.normalize("NFC", text)


def vocabulary(texts: list[str]) -> Counter:
    """How often the document uses each word (lowercased, hyphenated compounds as one).
    The halves of a word broken in mid-line ("com- ing") are not words it uses."""
    vocab: Counter = Counter()
    for text in texts:
        for w in re.findall(r"[A-Za-z’']+(?:-[A-Za-z’']+)*", REFLOWED.sub(" ", text)):
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


SUSPENDED = {"and", "or", "nor", "to", "but"}  # "pre- and post-war" keeps its hyphen


def join_reflowed_hyphens(text: str, vocab: Counter) -> tuple[str, int]:
    """ "com- ing" -> "coming": a line-end hyphen that a reissue reflowed into mid-line, with
    the evidence the line-end joining uses (the words the book itself uses). Joined when the
    book uses the joined word, or when a half is not a word of its own; two words that the
    book hyphenates stay a compound ("self- aware" -> "self-aware"); a suspended hyphen
    ("pre- and post-war") stays as it is. Returns the text and how many were mended."""
    fixed = 0

    def repair(m: re.Match[str]) -> str:
        nonlocal fixed
        head, tail = m.group(1), m.group(2)
        h, t = head.lower(), tail.lower()
        if t in SUSPENDED:
            return m.group(0)
        fixed += 1
        if vocab[f"{h}-{t}"] > vocab[h + t]:
            return f"{head}-{tail}"
        if vocab[h + t] or not (vocab[h] and vocab[t]):
            return head + tail
        return f"{head}-{tail}"

    return REFLOWED.sub(repair, text), fixed
