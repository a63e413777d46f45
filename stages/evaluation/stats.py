"""Statistics that compare models probe by probe: bootstrap intervals and perplexity.

Every metric is computed per probe, so two models are compared on the same probes and a
paired bootstrap (probes resampled with replacement) gives a 95% interval of the difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from stages.quality.traits import METRICS, per_probe


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


def perplexity(rows: list[tuple[float, int]]) -> float:
    return math.exp(-sum(r[0] for r in rows) / max(1, sum(r[1] for r in rows)))


def perplexity_delta(base: list, adapter: list, seed: int) -> dict[str, Any]:
    """Word perplexity of each model and the difference, resampling test rows (paired)."""
    a, b = np.array(base, dtype=float), np.array(adapter, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(2000, len(a)))
    diffs = np.exp(-b[idx, 0].sum(1) / b[idx, 1].sum(1)) - np.exp(
        -a[idx, 0].sum(1) / a[idx, 1].sum(1)
    )
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return {
        "value": round(perplexity(adapter) - perplexity(base), 4),
        "ci95_low": round(float(lo), 4),
        "ci95_high": round(float(hi), 4),
        "n": len(a),
        "better": "lower",
    }


def delta(pairs: list[tuple[float, float]], seed: int, better: str) -> dict[str, Any]:
    """The mean difference (second - first) over paired values, with its 95% interval."""
    lo, hi = paired_bootstrap([a for a, _ in pairs], [b for _, b in pairs], seed)
    return {
        "value": round(float(np.mean([b - a for a, b in pairs])), 4),
        "ci95_low": round(lo, 4),
        "ci95_high": round(hi, 4),
        "n": len(pairs),
        "better": better,
    }


def direction(metric: str) -> str:
    sign = METRICS[metric][1]
    return "higher" if sign > 0 else "lower" if sign < 0 else "neutral"


def summarize(
    probes: list[dict],
    samples: dict[str, dict[str, dict]],
    seed: int,
    metric_names: list[str] | None = None,
    value: Callable[[str, dict, dict], float | None] = per_probe,
) -> dict[str, Any]:
    """{model: {metric: mean}} plus paired deltas (second model - first) with 95% intervals."""
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
            out["delta"][metric] = delta([(p[0], p[1]) for p in pairs], seed, direction(metric))
    return out


def merge_judge(summary: dict, judged: dict, probes: list[dict], seed: int) -> dict:
    """Judge scores as two more metrics, compared probe by probe like the others."""
    for metric in ("judge_authenticity", "judge_continuity"):
        pairs = [
            (judged["base"][q["id"]][metric], judged["adapter"][q["id"]][metric])
            for q in probes
            if metric in judged["base"].get(q["id"], {})
            and metric in judged["adapter"].get(q["id"], {})
        ]
        if not pairs:
            continue
        summary["base"][metric] = round(float(np.mean([a for a, _ in pairs])), 4)
        summary["adapter"][metric] = round(float(np.mean([b for _, b in pairs])), 4)
        summary["delta"][metric] = delta(pairs, seed, "higher")
    return summary
