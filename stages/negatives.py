"""negatives: deliberate negatives from the teacher, the rejected side of preference pairs.

Reads  data/reviewed/accepted.jsonl, templates/negatives.yaml (the styles' instructions),
       data/detectors/detectors.json (a rewrite must read as its style), params `negatives`,
       `teacher` and `model`
Writes data/negatives/negatives.jsonl  one row per kept rewrite: the example and turn it
                                       rewrites, the style, the text, the request key and
                                       the style detector's score
       data/cache/negatives/           the teacher's answers (persisted, like generate's)
       metrics/negatives.json          requests, kept, and dropped by reason

For each accepted example and each style in `negatives.styles`, the teacher rewrites one
reply in that style (stages/generation/negatives.py); format pairs the approved reply
(chosen) with the rewrite (rejected). Off by default: with no styles nothing is asked and the
file is empty.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from stages.core.jsonl import read_jsonl, write_json, write_jsonl
from stages.core.log import log_run, run_main, say
from stages.core.params import load_params
from stages.generation import negatives as neg
from stages.quality.scoring import Scorer
from stages.teacher.client import BudgetExceeded, Teacher, resolved_params

STAGE = "negatives"
OUT = Path("data/negatives/negatives.jsonl")
CACHE = Path("data/cache/negatives")


def main() -> int:
    everything = load_params()
    params = everything[STAGE]
    styles = params["styles"]
    accepted = read_jsonl("data/reviewed/accepted.jsonl")
    CACHE.mkdir(parents=True, exist_ok=True)  # a DVC output, even while nothing is asked
    if not styles:
        write_jsonl(OUT, [])
        write_json(f"metrics/{STAGE}.json", neg.summary(0, Counter()))
        say(STAGE, "negatives.styles is empty: no deliberate negatives (off by default)")
        return 0
    spec = neg.load_styles(neg.STYLE_FILE, styles)
    jobs = neg.jobs(accepted, styles, spec, params["max_tokens"])
    teacher = Teacher.from_params(resolved_params(everything), STAGE, CACHE)
    name = f"{teacher.provider.name}:{teacher.provider.model}"
    say(STAGE, f"{len(jobs)} rewrites ({len(accepted)} examples x {styles}), teacher {name}")
    start = time.monotonic()
    try:
        answers = teacher.ask([j.request for j in jobs], "rewrites")
    except BudgetExceeded as exc:
        say(
            STAGE,
            f"STOPPED by the budget: {exc}. Every answer received is in {CACHE}/; raise the "
            "cap in params.yaml and run again to pay only for the rest.",
        )
        return 4
    reasons: Counter = Counter()
    candidates = []
    for job in jobs:
        outcome = answers.get(job.request)
        text, why = neg.outcome_of(job, outcome)
        if text is None:
            reasons[why] += 1
        else:
            assert outcome is not None
            candidates.append((job, text, outcome.key))
    # the style's detector must recognise the rewrite, or it teaches nothing about that style
    scorer = Scorer(
        everything["model"]["base"], everything["fit_detectors"]["compute_dtype"], STAGE
    )
    scores = scorer.score(
        [(j.example["turns"][j.turn - 1]["content"], text) for j, text, _ in candidates],
        coherence=False,
    )
    rows = []
    for (job, text, key), score in zip(candidates, scores, strict=True):
        if score[job.style] < neg.RECOGNISED:
            reasons[f"not recognised as {job.style}"] += 1
            continue
        reasons["kept"] += 1
        rows.append(neg.negative_row(job, text, key, score[job.style]))
    write_jsonl(OUT, rows)
    write_json(f"metrics/{STAGE}.json", neg.summary(len(jobs), reasons))
    set_aside = teacher.cache.prune({answers[j.request].key for j in jobs if j.request in answers})
    say(
        STAGE,
        f"{len(rows)} of {len(jobs)} rewrites kept; dropped: "
        + (", ".join(f"{k} {v}" for k, v in sorted(reasons.items()) if k != "kept") or "none"),
    )
    log_run(
        STAGE,
        **teacher.telemetry(),
        cache_set_aside=set_aside,
        seconds=round(time.monotonic() - start, 1),
    )
    return 0


if __name__ == "__main__":
    run_main(STAGE, main)
