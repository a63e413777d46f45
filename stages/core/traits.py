"""Trait metrics on model answers to the probes (definitions in evals/README.md).

Each metric is computed per probe (one number), so base and adapter can be compared probe by
probe and a paired bootstrap gives a confidence interval for the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from stages.core import lexicon as lx

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


def paired_bootstrap(
    a: list[float], b: list[float], seed: int, n: int = 2000
) -> tuple[float, float]:
    """95% interval of mean(b) - mean(a) over probes resampled with replacement."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n, len(x)))
    diffs = (y[idx] - x[idx]).mean(axis=1)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return float(lo), float(hi)


def bootstrap_mean(a: list[float], seed: int, n: int = 2000) -> tuple[float, float]:
    x = np.asarray(a, dtype=float)
    if len(x) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n, len(x)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def summarize(
    probes: list[dict],
    samples: dict[str, dict[str, dict]],
    seed: int,
    metric_names: list[str] | None = None,
    value: Callable[[str, dict, dict], float | None] = per_probe,
) -> dict[str, Any]:
    """{model: {metric: mean}} plus paired deltas (adapter - base) with 95% intervals."""
    models = list(samples)
    out: dict[str, Any] = {m: {} for m in models}
    out["delta"] = {}
    for metric in metric_names or list(METRICS):
        pairs = []
        for probe in probes:
            vals = [value(metric, probe, samples[m][probe["id"]]) for m in models]
            if all(v is not None for v in vals):
                pairs.append(vals)
        for i, m in enumerate(models):
            vals = [p[i] for p in pairs]
            out[m][metric] = round(float(np.mean(vals)), 4) if vals else None
        if len(models) == 2 and pairs:
            lo, hi = paired_bootstrap([p[0] for p in pairs], [p[1] for p in pairs], seed)
            diff = float(np.mean([p[1] - p[0] for p in pairs]))
            out["delta"][metric] = {
                "value": round(diff, 4),
                "ci95_low": round(lo, 4),
                "ci95_high": round(hi, 4),
                "n": len(pairs),
                "better": (
                    "higher"
                    if METRICS[metric][1] > 0
                    else "lower"
                    if METRICS[metric][1] < 0
                    else "neutral"
                ),
            }
    return out
