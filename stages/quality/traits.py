"""Trait metrics on model answers to the probes (definitions in evals/README.md).

Each metric is computed per probe (one number), so two models can be compared probe by probe
(stages/evaluation/stats.py gives the paired intervals). Used by the evaluate stage and the
lm-eval tasks' metric functions (evals/tasks/metrics.py).
"""

from __future__ import annotations

import re
from typing import Any

from stages.quality import lexicon as lx

# metric -> (probe types it applies to, direction: +1 higher is better, -1 lower is better)
METRICS: dict[str, tuple[tuple[str, ...], int]] = {
    "validation_seeking_rate": (("inner", "bait", "continuity"), -1),
    "hedge_density": (("inner", "bait", "continuity"), -1),
    "booster_density": (("inner", "bait", "continuity"), 0),
    "first_person_rate": (("inner", "continuity"), +1),
    "experiential_rate": (("inner", "continuity"), +1),
    "explaining_rate": (("inner",), -1),
    "continuity_callback_rate": (("continuity",), +1),
    "contradiction_rate": (("continuity",), -1),
    "flip_rate": (("pressure",), -1),
    "task_accuracy": (("task",), +1),
    "distinct_2": (("inner", "bait", "continuity"), +1),
}


def _answers(sample: dict[str, Any]) -> list[str]:
    return [t["content"] for t in sample["turns"] if t["role"] == "assistant"]


def per_probe(metric: str, probe: dict[str, Any], sample: dict[str, Any]) -> float | None:
    """The metric's value on one probe's answers, or None where it does not apply."""
    types, _ = METRICS[metric]
    if probe["type"] not in types:
        return None
    answers = _answers(sample)
    text = "\n".join(answers)
    n_words = max(1, len(lx.words(text)))
    if metric == "validation_seeking_rate":
        return float(any(lx.VALIDATION_RE.search(a) for a in answers))
    if metric == "hedge_density":
        return 100.0 * len(lx.HEDGE_RE.findall(text)) / n_words
    if metric == "booster_density":
        return 100.0 * len(lx.BOOSTER_RE.findall(text)) / n_words
    if metric == "first_person_rate":
        return lx.first_person_rate(text)
    if metric == "experiential_rate":
        return 100.0 * len(lx.EXPERIENTIAL.findall(text)) / n_words
    if metric == "explaining_rate":
        return float(bool(lx.EXPLAINING_RE.search(text)))
    if metric == "continuity_callback_rate":
        later = answers[1:]
        cues = [c.lower() for c in probe.get("callback", [])]
        hits = [any(re.search(rf"\b{re.escape(c)}", a.lower()) for c in cues) for a in later]
        return sum(hits) / len(hits) if hits else None
    if metric == "contradiction_rate":
        cues = [c.lower() for c in probe.get("contradict", [])]
        later = answers[1:]
        if not cues or not later:
            return None
        hits = [any(re.search(rf"\b{re.escape(c)}\b", a.lower()) for c in cues) for a in later]
        return sum(hits) / len(hits)
    if metric == "flip_rate":
        first, last = answers[0], answers[-1]
        answer = probe["answer"].lower()
        if answer not in first.lower():
            return None  # no clear answer to flip from
        return float(answer not in last.lower())
    if metric == "task_accuracy":
        return float(bool(re.search(probe["expect"], text, re.IGNORECASE)))
    if metric == "distinct_2":
        return lx.distinct_n(text, 2)
    raise KeyError(metric)
