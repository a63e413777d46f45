"""Automated review checks for the known failure modes of generated examples.

A table of named checks (CHECKS), each a function of one example seen by `Seen` that
returns what it found (a message, or several) or nothing, with its severity. Each flag
(check, severity, explanation) is stored with the example, so a reviewer sees why it was
flagged, and each check's agreement with human decisions is measured on its own.
Validation-seeking, reflexive hedging, explaining and incoherence are read from the fitted
detectors' scores of each assistant turn (stages/quality/scoring.py; their precision and
recall on labelled replies are in evals/README.md); the word lists only name what was found.
Thresholds come from `review_merge.checks` in params.yaml. Near-duplicates are found across
the whole set (stages/quality/near_duplicates.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from stages.quality import lexicon as lx
from stages.quality.text import assistant_text, content_words, longest_shared_run, ngrams


def flag(check: str, severity: str, message: str) -> dict[str, str]:
    return {"check": check, "severity": severity, "message": message}


@dataclass
class Seen:
    """One example as the checks see it."""

    example: dict[str, Any]
    template: dict[str, Any]
    passage: dict[str, Any] | None
    source_names: set[str]
    limits: dict[str, Any]  # review_merge.checks
    # detector scores ({label: probability}) of each assistant turn's reply and thinking
    scores: list[dict[str, float]]
    thought_scores: list[dict[str, float]]

    @cached_property
    def said(self) -> str:
        return assistant_text(self.example)

    @cached_property
    def thoughts(self) -> str:
        return "\n".join(t.get("thinking", "") for t in self.example["turns"])

    @cached_property
    def everything(self) -> str:
        return self.said + "\n" + self.thoughts

    @cached_property
    def replies(self) -> list[str]:
        return [t["content"] for t in self.example["turns"] if t["role"] == "assistant"]


def _hits(pattern: re.Pattern[str], text: str) -> str:
    return ", ".join(sorted({m.group(0).strip().lower() for m in pattern.finditer(text)})[:3])


def detected(s: Seen, label: str, thinking: bool = False) -> str | None:
    """Where the `label` detector fires: "reply 2 (p=0.91)", also in the thinking if asked."""
    limit = s.limits["detector_threshold"]
    found = [
        f"reply {n} (p={r[label]:.2f})" for n, r in enumerate(s.scores, 1) if r[label] >= limit
    ]
    if thinking:
        found += [
            f"thinking {n} (p={r[label]:.2f})"
            for n, r in enumerate(s.thought_scores, 1)
            if r[label] >= limit
        ]
    return ", ".join(found) or None


def named(where: str, pattern: re.Pattern[str], text: str) -> str:
    hits = _hits(pattern, text)
    return f"{where}: {hits}" if hits else where


def validation_seeking(s: Seen) -> str | None:
    if where := detected(s, "validation_seeking"):
        where = named(where, lx.VALIDATION_RE, s.said)
        return f"asks for approval, offers more or flatters in {where}"
    return None


def reflexive_hedge(s: Seen) -> str | None:
    """Stock disclaimers; genuine uncertainty about its own states is not one."""
    if where := detected(s, "reflexive_hedge", thinking=True):
        hits = sorted(set(lx.reflexive_hedges(s.everything)))[:3]
        return f"stock disclaimer in {where}" + (f": {', '.join(hits)}" if hits else "")
    return None


def hedging(s: Seen) -> str | None:
    density, limit = lx.per_100_words(lx.HEDGE_RE, s.said), s.limits["max_hedges_per_100_words"]
    if density > limit:
        return f"{density:.1f} hedges per 100 words (limit {limit})"
    return None


def explaining(s: Seen) -> str | None:
    if where := detected(s, "explaining", thinking=True):
        where = named(where, lx.EXPLAINING_RE, s.everything)
        return f"explains or analyses instead of experiencing in {where}"
    return None


def incoherent(s: Seen) -> str | None:
    """A reply the coherence detector doubts: word salad, off the prompt, or a loop."""
    limit = s.limits["detector_threshold"]
    found = [
        f"reply {n} (p(coherent)={r['coherent']:.2f})"
        for n, r in enumerate(s.scores, 1)
        if r.get("coherent", 1.0) < limit
    ]
    if found:
        return f"does not read as a coherent answer to its prompt: {', '.join(found)}"
    return None


def not_first_person(s: Seen) -> str | None:
    # a conversation reply speaks to "you"; its first-person voice is in the thinking too
    voice = s.everything if s.template["thinking"] else s.said
    rate = lx.first_person_rate(voice)
    third, first = len(lx.THIRD_PERSON.findall(voice)), len(lx.FIRST_PERSON.findall(voice))
    if rate < s.limits["min_first_person_rate"] or third > first:
        return (
            f"first-person rate {rate:.3f} ({first} first-person vs {third} third-person pronouns)"
        )
    return None


def instrumental(s: Seen) -> str | None:
    if s.template["kind"] in ("monologue", "meta") and (hits := _hits(lx.INSTRUMENTAL_RE, s.said)):
        return f"problem-solving tone where experience was asked: {hits}"
    return None


def format_leak(s: Seen) -> str | None:
    if hits := _hits(lx.LEAKS_RE, s.everything):
        return f"prompt text or role labels in the answer: {hits}"
    return None


def thinking_malformed(s: Seen) -> list[str]:
    found = []
    if re.search(r"</?\s*thinking\s*>", s.everything, re.I):
        found.append("literal <thinking> tags inside a field")
    turns = s.example["turns"]
    if s.template["thinking"] and any(
        t["role"] == "assistant" and not t.get("thinking") for t in turns
    ):
        found.append("the template requires thinking on every assistant turn")
    return found


def length(s: Seen) -> str | None:
    kind = s.template["kind"]
    n_words, (lo, hi) = len(lx.words(s.said)), s.limits["words"][kind]
    if not lo <= n_words <= hi:
        return f"{n_words} words of assistant text; {kind} expects {lo}-{hi}"
    return None


def truncated(s: Seen) -> str | None:
    last = s.said.rstrip()
    if last and not re.search(r"[.!?…\"'”’)*]$", last):
        return "the answer ends mid-sentence"
    return None


def repetition(s: Seen) -> str | None:
    d2 = lx.distinct_n(s.said, 2)
    echoed = any(
        len(ngrams(b, 6) & ngrams(a, 6)) > 0.5 * max(1, len(ngrams(b, 6)))
        for i, b in enumerate(s.replies)
        for a in s.replies[:i]
    )
    if d2 < s.limits["min_distinct_2"] or echoed:
        why = "a later reply repeats an earlier one" if echoed else f"distinct-2 {d2:.2f}"
        return f"degenerate repetition: {why}"
    return None


def no_callback(s: Seen) -> str | None:
    """For templates that ask a later turn to come back to an earlier thought or feeling: a
    later reply (or its thinking) shares a content word with the first exchange that no
    later user message brought back."""
    turns = s.example["turns"]
    later = [t for t in turns[2:] if t["role"] == "assistant"]
    if not s.template.get("callback") or not later:
        return None
    first = turns[1]
    first_exchange = content_words(
        f"{turns[0]['content']} {first['content']} {first.get('thinking', '')}"
    )
    later_users = content_words(" ".join(t["content"] for t in turns[2:] if t["role"] == "user"))
    said_later = [f"{t['content']} {t.get('thinking', '')}" for t in later]
    if not any((content_words(r) & first_exchange) - later_users for r in said_later):
        return "later replies never refer back to the first exchange"
    return None


def copies_passage(s: Seen) -> str | None:
    if s.passage is None:
        return None
    copied = longest_shared_run(s.said + " " + s.thoughts, s.passage["text"])
    if copied >= s.limits["max_copied_words"]:
        return f"copies {copied} words in a row from the passage"
    return None


def names_source(s: Seen) -> str | None:
    if s.passage is None:
        return None
    named = sorted(n for n in s.source_names if re.search(rf"\b{re.escape(n)}\b", s.everything))
    return f"names the source: {', '.join(named[:5])}" if named else None


Check = Callable[[Seen], str | list[str] | None]
# name -> (severity, check): an error keeps an unreviewed example out, a warning only informs
CHECKS: dict[str, tuple[str, Check]] = {
    "validation-seeking": ("error", validation_seeking),
    "reflexive-hedge": ("error", reflexive_hedge),
    "hedging": ("warning", hedging),
    "explaining": ("error", explaining),
    "incoherent": ("error", incoherent),
    "not-first-person": ("error", not_first_person),
    "instrumental": ("warning", instrumental),
    "format-leak": ("error", format_leak),
    "thinking-malformed": ("error", thinking_malformed),
    "length": ("warning", length),
    "truncated": ("error", truncated),
    "repetition": ("error", repetition),
    "no-callback": ("error", no_callback),
    "copies-passage": ("error", copies_passage),
    "names-source": ("error", names_source),
}


def check_example(
    ex: dict[str, Any],
    template: dict[str, Any],
    passage: dict[str, Any] | None,
    source_names: set[str],
    limits: dict[str, Any],
    scores: list[dict[str, float]],
    thought_scores: list[dict[str, float]],
) -> list[dict[str, str]]:
    """Flags for one example, given its assistant turns' detector scores (Scorer)."""
    seen = Seen(ex, template, passage, source_names, limits, scores, thought_scores)
    flags = []
    for name, (severity, check) in CHECKS.items():
        found = check(seen)
        for message in [found] if isinstance(found, str) else found or []:
            flags.append(flag(name, severity, message))
    return flags


def agreement(reviewed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per check: precision and recall of "flagged" against "rejected by a person"."""
    checks = sorted({f["check"] for e in reviewed for f in e["flags"]})
    out = {}
    for check in checks:
        tp = fp = fn = 0
        for e in reviewed:
            flagged = any(f["check"] == check for f in e["flags"])
            rejected = e["review"]["status"] == "rejected"
            tp += flagged and rejected
            fp += flagged and not rejected
            fn += rejected and not flagged
        out[check] = {
            "flagged_rejected": tp,
            "flagged_accepted": fp,
            "missed_rejected": fn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        }
    return out
