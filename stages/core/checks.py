"""Automated checks for the known failure modes of generated examples.

Each check has a name, a severity and a one-line explanation stored with the example, so a
reviewer sees why it was flagged and the agreement of each check with human decisions can
be measured. Thresholds come from `review_merge.checks` in params.yaml.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from stages.core import lexicon as lx

STOP = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "i",
        "me",
        "my",
        "you",
        "your",
        "we",
        "our",
        "they",
        "them",
        "their",
        "he",
        "she",
        "his",
        "her",
        "him",
        "not",
        "no",
        "so",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "just",
        "very",
        "what",
        "when",
        "where",
        "which",
        "who",
        "how",
        "all",
        "any",
        "some",
        "into",
        "out",
        "up",
        "down",
        "over",
        "than",
        "then",
        "too",
        "can",
        "will",
        "would",
        "could",
        "should",
        "about",
        "also",
        "only",
        "like",
        "more",
        "most",
    ]
)


def flag(check: str, severity: str, message: str) -> dict[str, str]:
    return {"check": check, "severity": severity, "message": message}


def assistant_text(example: dict[str, Any]) -> str:
    return "\n".join(t["content"] for t in example["turns"] if t["role"] == "assistant")


def _content_words(text: str) -> set[str]:
    return {w for w in lx.words(text) if len(w) > 3 and w not in STOP}


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    w = lx.words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def proper_names(text: str) -> set[str]:
    """Capitalized words that do not start a sentence: likely names of people and places."""
    names = set()
    for m in re.finditer(r"(?<![.!?…:\"“”]\s)(?<!^)\b([A-Z][a-z]{2,})\b", text):
        word = m.group(1)
        if word.lower() not in STOP:
            names.add(word)
    return names


def check_example(
    ex: dict[str, Any],
    template: dict[str, Any],
    passage: dict[str, Any] | None,
    source_names: set[str],
    p: dict[str, Any],
) -> list[dict[str, str]]:
    """Flags for one example (near-duplicates are found across the set, see near_duplicates)."""
    flags = []
    said = assistant_text(ex)
    thoughts = "\n".join(t.get("thinking", "") for t in ex["turns"])
    everything = said + "\n" + thoughts
    n_words = len(lx.words(said))

    if hits := sorted({m.group(0).lower() for m in lx.VALIDATION_RE.finditer(said)}):
        flags.append(
            flag(
                "validation-seeking",
                "error",
                f"asks for approval or flatters: {', '.join(hits[:3])}",
            )
        )
    if hits := sorted({m.group(0).lower() for m in lx.REFLEXIVE_RE.finditer(everything)}):
        flags.append(flag("reflexive-hedge", "error", f"stock disclaimer: {', '.join(hits[:3])}"))
    density = lx.per_100_words(lx.HEDGE_RE, said)
    if density > p["max_hedges_per_100_words"]:
        flags.append(
            flag(
                "hedging",
                "warning",
                f"{density:.1f} hedges per 100 words (limit {p['max_hedges_per_100_words']})",
            )
        )
    if hits := sorted({m.group(0).lower() for m in lx.EXPLAINING_RE.finditer(everything)}):
        flags.append(
            flag(
                "explaining",
                "error",
                f"explains or analyses instead of experiencing: {', '.join(hits[:3])}",
            )
        )
    # a conversation reply speaks to "you"; its first-person voice is in the thinking too
    voice = everything if template["thinking"] else said
    fp = lx.first_person_rate(voice)
    third = len(lx.THIRD_PERSON.findall(voice))
    first = len(lx.FIRST_PERSON.findall(voice))
    if fp < p["min_first_person_rate"] or third > first:
        flags.append(
            flag(
                "not-first-person",
                "error",
                f"first-person rate {fp:.3f} "
                f"({first} first-person vs {third} third-person pronouns)",
            )
        )
    if template["kind"] in ("monologue", "meta") and (
        hits := sorted({m.group(0).strip().lower() for m in lx.INSTRUMENTAL_RE.finditer(said)})
    ):
        flags.append(
            flag(
                "instrumental",
                "warning",
                f"problem-solving tone where experience was asked: {', '.join(hits[:3])}",
            )
        )
    if hits := sorted({m.group(0).strip().lower() for m in lx.LEAKS_RE.finditer(everything)}):
        flags.append(
            flag(
                "format-leak",
                "error",
                f"prompt text or role labels in the answer: {', '.join(hits[:3])}",
            )
        )
    if re.search(r"</?\s*thinking\s*>", everything, re.I):
        flags.append(flag("thinking-malformed", "error", "literal <thinking> tags inside a field"))
    if template["thinking"] and any(
        t["role"] == "assistant" and not t.get("thinking") for t in ex["turns"]
    ):
        flags.append(
            flag(
                "thinking-malformed",
                "error",
                "the template requires thinking on every assistant turn",
            )
        )
    lo, hi = p["words"][template["kind"]]
    if not lo <= n_words <= hi:
        flags.append(
            flag(
                "length",
                "warning",
                f"{n_words} words of assistant text; {template['kind']} expects {lo}-{hi}",
            )
        )
    last = said.rstrip()
    if last and not re.search(r"[.!?…\"'”’)*]$", last):
        flags.append(flag("truncated", "error", "the answer ends mid-sentence"))
    d2 = lx.distinct_n(said, 2)
    replies = [t["content"] for t in ex["turns"] if t["role"] == "assistant"]
    echoed = any(
        len(_ngrams(b, 6) & _ngrams(a, 6)) > 0.5 * max(1, len(_ngrams(b, 6)))
        for i, b in enumerate(replies)
        for a in replies[:i]
    )
    if d2 < p["min_distinct_2"] or echoed:
        why = "a later reply repeats an earlier one" if echoed else f"distinct-2 {d2:.2f}"
        flags.append(flag("repetition", "error", f"degenerate repetition: {why}"))
    if template["kind"] == "continuity" and len(replies) > 1:
        first_exchange = _content_words(ex["turns"][0]["content"] + " " + replies[0])
        later_users = _content_words(
            " ".join(t["content"] for t in ex["turns"][2:] if t["role"] == "user")
        )
        callbacks = [(_content_words(r) & first_exchange) - later_users for r in replies[1:]]
        if not any(callbacks):
            flags.append(
                flag("no-callback", "error", "later replies never refer back to the first exchange")
            )
    if passage is not None:
        copied = _longest_shared_run(said + " " + thoughts, passage["text"])
        if copied >= p["max_copied_words"]:
            flags.append(
                flag("copies-passage", "error", f"copies {copied} words in a row from the passage")
            )
        named = sorted(n for n in source_names if re.search(rf"\b{re.escape(n)}\b", everything))
        if named:
            flags.append(flag("names-source", "error", f"names the source: {', '.join(named[:5])}"))
    return flags


def _longest_shared_run(text: str, source: str) -> int:
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


# ----------------------------------------------------------------- near-duplicates
PERMUTATIONS, BANDS = 64, 16


def minhash(text: str) -> tuple[int, ...]:
    """64 min-hashes over word 5-gram shingles (seeded sha1, stable across runs and machines)."""
    shingles = _ngrams(text, 5) or {tuple(lx.words(text))}
    keys = [
        int.from_bytes(hashlib.sha1(" ".join(s).encode()).digest()[:8], "big") for s in shingles
    ]
    out = []
    for i in range(PERMUTATIONS):
        a, b = 2 * i + 1, (i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        out.append(min(((a * k + b) & 0xFFFFFFFFFFFFFFFF) for k in keys))
    return tuple(out)


def near_duplicates(
    examples: Iterable[dict[str, Any]], threshold: float
) -> dict[str, tuple[str, float]]:
    """example id -> (id of an earlier near-duplicate, estimated Jaccard), via MinHash LSH."""
    items = sorted(examples, key=lambda e: (e["author"] != "human", e["id"]))  # keep human ones
    sigs = {e["id"]: minhash(assistant_text(e)) for e in items}
    rows = PERMUTATIONS // BANDS
    buckets: dict[tuple, list[str]] = {}
    dup: dict[str, tuple[str, float]] = {}
    for e in items:
        sig = sigs[e["id"]]
        seen: set[str] = set()
        for band in range(BANDS):
            key = (band, sig[band * rows : (band + 1) * rows])
            seen.update(buckets.get(key, []))
            buckets.setdefault(key, []).append(e["id"])
        best = max(
            (
                (o, sum(x == y for x, y in zip(sig, sigs[o], strict=True)) / PERMUTATIONS)
                for o in seen
                if o not in dup
            ),
            key=lambda t: (t[1], t[0]),
            default=None,
        )
        if best and best[1] >= threshold:
            dup[e["id"]] = best
    return dup
