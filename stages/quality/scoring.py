"""Detector scores for replies: what the review checks and the trait metrics read.

Reads data/detectors/detectors.json (written by the fit_detectors stage) and the base model
(for the coherence detector's features). `Scorer.score` turns (prompt, reply) pairs into the
probability of each label (stages/quality/detectors.py, LABELS); review_merge scores every
assistant turn of every example, evaluate every answer to every probe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError
from stages.quality.coherence import Coherence
from stages.quality.detectors import Detectors

DETECTORS = Path("data/detectors/detectors.json")


class Scorer:
    """The fitted detectors, and the coherence features (cached; the base model is loaded
    only for replies it has not read before)."""

    def __init__(self, base: str, compute_dtype: str, stage: str, path: Path = DETECTORS):
        if not Path(path).exists():
            raise DataError(f"{path} not found: run `dvc repro fit_detectors` first")
        self.detectors = Detectors.load(path)
        self.coherence = Coherence(base, compute_dtype, stage)

    def score(self, pairs: list[tuple[str, str]], coherence: bool = True) -> list[dict[str, float]]:
        """{label: probability} for each (prompt, reply), rounded to 3 places (flags and
        metrics must not move with a BLAS's last bits); `coherent` only with `coherence`."""
        extras: list[dict[str, float] | None] = [None] * len(pairs)
        if coherence and pairs:
            extras = list(self.coherence.features(pairs))
        return [
            {k: round(v, 3) for k, v in self.detectors.scores(p, r, e).items()}
            for (p, r), e in zip(pairs, extras, strict=True)
        ]


def exchanges(turns: list[dict[str, Any]], field: str = "content") -> list[tuple[str, str]]:
    """(the user message before it, the assistant turn's `field`) for each assistant turn."""
    pairs, asked = [], ""
    for t in turns:
        if t["role"] == "user":
            asked = t["content"]
        else:
            pairs.append((asked, t.get(field, "")))
    return pairs
