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
    return math.exp(-math.fsum(r[0] for r in rows) / max(1, sum(r[1] for r in rows)))


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


def compare_models(
    values: dict[str, dict[str, float]], seed: int, better: str
) -> tuple[dict[str, float | None], dict[str, dict[str, Any]]]:
    """`values` is {model: {probe id: value}}. Each model's mean, and each later model's
    paired difference from the first, over the probes every model has a value for."""
    models = list(values)
    first = models[0]
    common = [pid for pid in values[first] if all(pid in values[m] for m in models)]
    means = {
        m: round(float(np.mean([values[m][pid] for pid in common])), 4) if common else None
        for m in models
    }
    deltas = {
        m: delta([(values[first][pid], values[m][pid]) for pid in common], seed, better)
        for m in models[1:]
        if common
    }
    return means, deltas


def summarize(
    probes: list[dict],
    samples: dict[str, dict[str, dict]],
    seed: int,
    metric_names: list[str] | None = None,
    value: Callable[[str, dict, dict], float | None] = per_probe,
) -> dict[str, Any]:
    """{model: {metric: mean}} and {"delta": {model: {metric: paired difference from the
    first model, with its 95% interval}}} for every later model."""
    models = list(samples)
    out: dict[str, Any] = {m: {} for m in models}
    out["delta"] = {m: {} for m in models[1:]}
    for metric in metric_names or list(METRICS):
        values = {
            m: {
                q["id"]: v
                for q in probes
                if (v := value(metric, q, samples[m][q["id"]])) is not None
            }
            for m in models
        }
        means, deltas = compare_models(values, seed, direction(metric))
        for m in models:
            out[m][metric] = means[m]
        for m, d in deltas.items():
            out["delta"][m][metric] = d
    return out


def by_category(probes: list[dict], samples: dict[str, dict[str, dict]], seed: int) -> dict:
    """`summarize` within each probe category, keeping the metrics that apply there."""
    out = {}
    for category in sorted({q["category"] for q in probes}):
        subset = [q for q in probes if q["category"] == category]
        summary = summarize(subset, samples, seed)
        applies = [m for m in METRICS if any(summary[k].get(m) is not None for k in samples)]
        out[category] = {"probes": len(subset)} | {
            key: {m: v for m, v in block.items() if m in applies}
            for key, block in summary.items()
            if key != "delta"
        }
        out[category]["delta"] = {
            model: {m: d for m, d in block.items() if m in applies}
            for model, block in summary["delta"].items()
        }
    return out


def plot_rows(
    probes: list[dict], samples: dict[str, dict[str, dict]], seed: int
) -> list[dict[str, Any]]:
    """One row per model and metric: the mean over probes with its 95% bootstrap interval,
    for the DVC plot that compares models (and, with `dvc plots diff`, experiments)."""
    rows = []
    for metric in METRICS:
        for model, by_probe in samples.items():
            values = [
                v for q in probes if (v := per_probe(metric, q, by_probe[q["id"]])) is not None
            ]
            if not values:
                continue
            lo, hi = bootstrap_mean(values, seed)
            rows.append(
                {
                    "metric": metric,
                    "model": model,
                    "value": round(float(np.mean(values)), 4),
                    "ci95_low": round(lo, 4),
                    "ci95_high": round(hi, 4),
                    "n": len(values),
                    "better": direction(metric),
                }
            )
    return rows


def merge_judge(summary: dict, judged: dict, seed: int) -> dict:
    """Judge scores as two more metrics, compared probe by probe like the others."""
    for metric in ("judge_authenticity", "judge_continuity"):
        values = {
            m: {pid: s[metric] for pid, s in by_probe.items() if metric in s}
            for m, by_probe in judged.items()
        }
        means, deltas = compare_models(values, seed, "higher")
        if all(v is None for v in means.values()):
            continue
        for m, v in means.items():
            summary[m][metric] = v
        for m, d in deltas.items():
            summary["delta"][m][metric] = d
    return summary
