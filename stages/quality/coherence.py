"""Coherence from the base model's own probabilities: does a reply make sense, and does it
answer its prompt?

For each (prompt, reply) the base model scores the reply (its first MAX_REPLY tokens) twice:
after the prompt and after a neutral one (plain "Question: ... Answer:" text, no chat
template: the template's default system prompt would cost more tokens than the question
itself). A reply that answers its prompt is more likely after that prompt than after a neutral
one (the pointwise mutual information); word salad has stretches the model finds unlikely
whatever came before, and its likelihood swings from token to token. Mean likelihood alone
says little (on the labelled replies degenerate repetition is *more* likely than good
prose). Together with the reply's shape (repetition, leaked prompt text;
stages/quality/detectors.py) these are the features of the coherence detector, used as a
review check and as an evaluation metric.
"""

from __future__ import annotations

from typing import Any

from stages.core.log import Progress

NEUTRAL = "Say something."
# tokens: the prompt's start says what was asked; 96 tokens of the reply take in most of a
# short reply, and word salad often starts fluent and drifts (32 tokens gave AUC 0.76 on the
# held-out labels, 96 with the window features below 0.85)
MAX_PROMPT, MAX_REPLY, BATCH, WINDOW = 24, 96, 32, 16


def model_features(
    model: Any, tokenizer: Any, pairs: list[tuple[str, str]], stage: str = "coherence"
) -> list[dict[str, float]]:
    """For each (prompt, reply), from the log-probabilities of the reply's tokens after its
    prompt (and after a neutral one): `coherence_logp` (their mean), `coherence_pmi` (how much
    more likely the reply is after its prompt), `coherence_min_window` (the least likely
    stretch of WINDOW tokens), `coherence_late` (the mean over the reply's second half),
    `coherence_p10` (the 10th percentile) and `coherence_spread` (their standard deviation).
    Scored in batches of similar length."""
    import numpy as np

    from stages.model.runtime import sequence_logprobs

    def encode(prompt: str, reply: str) -> tuple[list[int], int]:
        question = tokenizer.encode(f"Question: {prompt}", add_special_tokens=False)
        context = question[:MAX_PROMPT] + tokenizer.encode("\nAnswer:", add_special_tokens=False)
        tokens = tokenizer.encode(" " + reply, add_special_tokens=False)[:MAX_REPLY] or [0]
        return context + tokens, len(tokens)

    jobs = [encode(p, r) for p, r in pairs] + [encode(NEUTRAL, r) for _, r in pairs]
    # by length, so a batch pads little; the order of the results does not depend on it
    order = sorted(range(len(jobs)), key=lambda k: (len(jobs[k][0]), k))
    progress = Progress(stage, len(jobs), "coherence scores")
    scored: list[Any] = [None] * len(jobs)
    for start in range(0, len(order), BATCH):
        batch = order[start : start + BATCH]
        logprobs = sequence_logprobs(model, [jobs[k][0] for k in batch])
        for k, lps in zip(batch, logprobs, strict=True):
            scored[k] = np.array(lps[-jobs[k][1] :])
        progress.step(len(batch))
    half = len(pairs)

    def features(a: Any, neutral: Any) -> dict[str, float]:
        windows = [a[i : i + WINDOW].mean() for i in range(0, max(1, len(a) - WINDOW + 1), 8)]
        return {
            "coherence_logp": a.mean(),
            "coherence_pmi": a.mean() - neutral.mean(),
            "coherence_min_window": min(windows),
            "coherence_late": a[len(a) // 2 :].mean(),
            "coherence_p10": np.percentile(a, 10),
            "coherence_spread": a.std(),
        }

    # rounded: another BLAS sums in another order, and the fitted weights and review flags
    # must not move with the last bits
    return [
        {k: round(float(v), 3) for k, v in features(scored[i], scored[half + i]).items()}
        for i in range(half)
    ]
