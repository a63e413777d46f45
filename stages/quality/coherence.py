"""Coherence from the base model's own view of a reply: does it make sense, and does it
answer its prompt?

The base model reads each (prompt, reply) once: the reply (its first MAX_REPLY tokens) after
the prompt, as plain "Question: ... Answer:" text (no chat template: the template's default
system prompt would cost more tokens than the question itself). From that one forward pass:

- the reply's likelihood: word salad has stretches the model finds unlikely, and its
  likelihood swings from token to token. Mean likelihood alone says little (on the labelled
  replies degenerate repetition is *more* likely than good prose).
- the model's internal state: the output of the layer two thirds of the way up, averaged over
  the reply's tokens (`coherence_state_000`, ...; 576 numbers for the bundled model).
  Likelihoods do not see fluent "poetic" salad ("The ladder of my Thursday folds into the sea
  of small hands"): a small model finds each step likely. The state does: over it a
  regularised logistic regression separated coherent from incoherent labelled replies with
  held-out AUC 0.97, against 0.84 for the likelihoods and the reply's shape alone
  (evals/README.md).

How much more likely the reply is after its prompt than after a neutral one (the pointwise
mutual information) was a feature too; with the state it added nothing (held-out AUC 0.972
with it, 0.971 without) and cost a second forward pass, so it went. Together with the reply's
shape (repetition, overlap with the prompt, leaked prompt text; stages/quality/detectors.py)
these are the features of the coherence detector, used as a review check and as an
evaluation metric.

The features of a (prompt, reply) depend only on the model's weights, how it computes and
the text, so they are cached on disk by that content (`data/cache/coherence/`, untracked, or
the folder in $INNERLIFE_COHERENCE_CACHE): refitting the detectors, re-reviewing after a
decision or re-evaluating scores only replies the model has not read before.
"""

from __future__ import annotations

import os
from itertools import groupby
from pathlib import Path
from typing import Any

from stages.core.ids import content_id, sha256_file
from stages.core.jsonl import DataError, atomic_write_text, canonical_json, read_json
from stages.core.log import Progress, say

# tokens: the prompt's start says what was asked; 96 tokens of the reply take in most of a
# short reply, and word salad often starts fluent and drifts (32 tokens gave AUC 0.76 on the
# held-out labels, 96 with the window features below 0.85, before the state was read)
MAX_PROMPT, MAX_REPLY, BATCH, WINDOW = 24, 96, 32, 16
# every sequence is padded to a multiple of PAD tokens: scored alongside any others, a text
# is padded the same, so its rounded features are the same (padded only to the longest in
# its batch, 4 of 297,984 state numbers moved by 0.01 between two batchings)
PAD = 16
# the layer whose output is kept, as a share of the model's depth (the 20th of 30 layers
# separated the labelled replies better than the 10th or the last)
STATE_DEPTH = 2 / 3
STATE = "coherence_state_"  # the prefix of the state's features: coherence_state_000, ...
# part of every cache key: change it whenever the features change meaning
FEATURES = {
    "version": 3,
    "prompt": MAX_PROMPT,
    "reply": MAX_REPLY,
    "window": WINDOW,
    "state_depth": STATE_DEPTH,
}
CACHE = Path("data/cache/coherence")


class Coherence:
    """The coherence features of (prompt, reply) pairs: from the disk cache where the same
    weights, dtype and device read the same text before, else from the base model (loaded
    on first need)."""

    def __init__(self, base: str, compute_dtype: str, stage: str) -> None:
        self.base, self.compute_dtype, self.stage = base, compute_dtype, stage
        self.dir = Path(os.environ.get("INNERLIFE_COHERENCE_CACHE") or CACHE)
        self._model: tuple[Any, Any] | None = None
        self._fingerprint: dict[str, str] | None = None

    def fingerprint(self) -> dict[str, str] | None:
        """What the features depend on besides the text; None where the weights are not a
        local file (a hub id): then nothing is cached."""
        if self._fingerprint is None:
            weights = Path(self.base) / "model.safetensors"
            if not weights.exists():
                return None
            from stages.model.blas import use_fast_blas

            use_fast_blas()
            import mlx.core as mx

            self._fingerprint = {
                "weights": sha256_file(weights),
                "dtype": self.compute_dtype,
                "device": str(mx.default_device()),
            } | {k: str(v) for k, v in FEATURES.items()}
        return self._fingerprint

    def _path(self, fingerprint: dict[str, str], prompt: str, reply: str) -> Path:
        key = content_id("coh", fingerprint | {"prompt": prompt, "reply": reply})
        return self.dir / key[4:6] / f"{key}.json"

    def features(self, pairs: list[tuple[str, str]]) -> list[dict[str, float]]:
        fingerprint = self.fingerprint()
        paths = [self._path(fingerprint, p, r) if fingerprint else None for p, r in pairs]
        found: list[dict[str, float] | None] = [
            _read_entry(path) if path else None for path in paths
        ]
        missing = [n for n, f in enumerate(found) if f is None]
        if fingerprint is None:
            say(self.stage, f"{self.base} is not a local model folder: coherence is not cached")
        elif len(pairs):
            say(self.stage, f"coherence: {len(pairs) - len(missing)} of {len(pairs)} cached")
        if missing:
            if self._model is None:
                from stages.model.runtime import load

                model, tokenizer, _ = load(
                    self.base, compute_dtype=self.compute_dtype, stage=self.stage
                )
                self._model = (model, tokenizer)
            computed = model_features(*self._model, [pairs[n] for n in missing], self.stage)
            for n, feats in zip(missing, computed, strict=True):
                found[n] = feats
                if paths[n] is not None:
                    # not fsynced: an entry lost in a power cut is only computed again
                    atomic_write_text(paths[n], canonical_json(feats) + "\n", durable=False)
        return [f for f in found if f is not None]


NAMES = (
    "coherence_logp",
    "coherence_min_window",
    "coherence_late",
    "coherence_p10",
    "coherence_spread",
)


def _read_entry(path: Path) -> dict[str, float] | None:
    """A cache entry, or None where it is missing or damaged (then it is computed again and
    rewritten: the cache only saves time, it never decides a value)."""
    if not path.exists():
        return None
    try:
        entry = read_json(path)
    except DataError:
        return None
    if not isinstance(entry, dict) or not set(NAMES) < set(entry):
        return None
    if not all(k in NAMES or k.startswith(STATE) for k in entry):
        return None
    if not all(isinstance(v, int | float) for v in entry.values()):
        return None
    return entry


def state_names(extra: dict[str, float]) -> list[str]:
    """The names of the state's features in a reply's model features, in order."""
    return sorted(k for k in extra if k.startswith(STATE))


def model_features(
    model: Any, tokenizer: Any, pairs: list[tuple[str, str]], stage: str = "coherence"
) -> list[dict[str, float]]:
    """For each (prompt, reply), from the log-probabilities of the reply's tokens after its
    prompt: `coherence_logp` (their mean), `coherence_min_window` (the least likely stretch of
    WINDOW tokens), `coherence_late` (the mean over the reply's second half), `coherence_p10`
    (the 10th percentile) and `coherence_spread` (their standard deviation); and
    `coherence_state_*`, the output of the layer at STATE_DEPTH averaged over the reply's
    tokens. Scored in batches of similar length."""
    import numpy as np

    from stages.model.runtime import sequence_logprobs_and_states

    layer = max(0, round(STATE_DEPTH * len(model.layers)) - 1)

    def encode(prompt: str, reply: str) -> tuple[list[int], int]:
        question = tokenizer.encode(f"Question: {prompt}", add_special_tokens=False)
        context = question[:MAX_PROMPT] + tokenizer.encode("\nAnswer:", add_special_tokens=False)
        tokens = tokenizer.encode(" " + reply, add_special_tokens=False)[:MAX_REPLY] or [0]
        return context + tokens, len(tokens)

    jobs = [encode(p, r) for p, r in pairs]

    def padded(k: int) -> int:
        return -(-len(jobs[k][0]) // PAD) * PAD

    # batched by padded length, so a batch pads little, and every text is padded to the same
    # length in whatever company it is scored: its features do not depend on the batch
    order = sorted(range(len(jobs)), key=lambda k: (padded(k), k))
    groups = [list(g) for _, g in groupby(order, key=padded)]
    batches = [g[i : i + BATCH] for g in groups for i in range(0, len(g), BATCH)]
    progress = Progress(stage, len(jobs), "coherence scores")
    out: list[dict[str, float]] = [{} for _ in jobs]
    for batch in batches:
        logprobs, states = sequence_logprobs_and_states(
            model, [jobs[k][0] for k in batch], layer, padded(batch[0])
        )
        for k, lps, state in zip(batch, logprobs, states, strict=True):
            n = jobs[k][1]
            out[k] = features(np.array(lps[-n:]), state[-n:].mean(axis=0))
        progress.step(len(batch))
    return out


def features(logprobs: Any, state: Any) -> dict[str, float]:
    """One reply's features from its tokens' log-probabilities and its mean state, rounded:
    another BLAS sums in another order, and the fitted weights and review flags must not move
    with the last bits (a state's numbers spread by about 2 across replies: two places are
    plenty)."""
    import numpy as np

    a = logprobs
    windows = [a[i : i + WINDOW].mean() for i in range(0, max(1, len(a) - WINDOW + 1), 8)]
    likelihoods = {
        "coherence_logp": a.mean(),
        "coherence_min_window": min(windows),
        "coherence_late": a[len(a) // 2 :].mean(),
        "coherence_p10": np.percentile(a, 10),
        "coherence_spread": a.std(),
    }
    return {k: round(float(v), 3) for k, v in likelihoods.items()} | {
        f"{STATE}{d:03d}": round(float(v), 2) for d, v in enumerate(state)
    }
