"""generate: templates x passages -> teacher requests -> parsed, validated examples.

Reads  data/curated/passages.jsonl, templates/ (templates, system prompts, gold examples),
       params `generate`, `teacher` and `model` (the local teacher is model.base by default)
Writes data/generated/examples.jsonl    valid examples with full lineage and usage
       data/generated/quarantine.jsonl  invalid answers: raw text and the reason
       data/generated/failed.jsonl      requests the teacher could not answer (retried next run)
       data/generated/requests.jsonl    every request behind the examples (prompt id, key, usage)
       data/cache/teacher/              the response cache (persisted, pushed with dvc push)
       metrics/generate.json

One job per (passage, template, sample), in one of two modes (`generate.mode`; auto: whole
examples from Claude, turn by turn from a local model); stages/generation/ holds the jobs,
prompts and rows, stages/teacher/ the cache and providers.
Counts reconcile: jobs = examples + quarantined + failed.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

from stages.core.jsonl import write_json, write_jsonl
from stages.core.log import log_run, run_main, say
from stages.core.params import load_params
from stages.core.schemas import validate_rows
from stages.generation import records
from stages.generation.jobs import Job
from stages.generation.plan import load_plan
from stages.generation.rounds import run_rounds
from stages.teacher.cache import CACHE_DIR
from stages.teacher.client import Teacher, resolved_params

STAGE = "generate"
OUT = Path("data/generated")


def main() -> int:
    everything = load_params()
    params = everything[STAGE]
    teacher = Teacher.from_params(resolved_params(everything), STAGE)
    plan = load_plan(params, teacher.provider)
    jobs = plan.jobs
    name, model = teacher.provider.name, teacher.provider.model
    say(STAGE, f"{len(jobs)} jobs ({len(plan.passages)} passages), teacher {name}:{model}")
    start = time.monotonic()
    rounds, stopped = run_rounds(jobs, teacher)
    if stopped:
        say(
            STAGE,
            f"STOPPED by the budget: {stopped}. Every answer received is in {CACHE_DIR}/; "
            "raise the cap in params.yaml and run again to pay only for the rest.",
        )
        return 4

    done = [j for j in jobs if j.status == "done"]
    examples = [records.teacher_example(j, name, model) for j in done]
    quarantined = [records.quarantined(j, name, model) for j in jobs if j.status == "quarantined"]
    failed = [records.failed(j) for j in jobs if j.status == "failed"]
    human: list[dict] = []
    if params["include_gold"]:
        human, unmatched = records.gold_examples(
            plan.gold, plan.templates, plan.passages, plan.config
        )
        for path in unmatched:
            say(STAGE, f"WARNING gold example {path} names a passage that is not curated: left out")
    rows = {r["id"]: r for r in examples + human}  # identical content from two samples is one
    requests = records.requests(jobs, name, model)

    validate_rows("example", rows.values(), str(OUT / "examples.jsonl"))
    write_jsonl(OUT / "examples.jsonl", rows.values())
    write_jsonl(OUT / "quarantine.jsonl", quarantined)
    write_jsonl(OUT / "failed.jsonl", failed)
    write_jsonl(OUT / "requests.jsonl", requests)
    write_json("metrics/generate.json", metrics(jobs, examples, human, quarantined, requests))
    # the cache (a DVC output) keeps exactly the answers this dataset used; others go to
    # the untracked attic, from where they come back for free if asked again
    set_aside = teacher.cache.prune({o.key for j in jobs for _, o in j.outcomes})
    say(
        STAGE,
        f"{len(examples)} examples, {len(quarantined)} quarantined, {len(failed)} failed, "
        f"{len(human)} gold; {teacher.calls} calls, {teacher.hits} cache hits, "
        f"${teacher.spent_this_run:.4f} spent, {rounds} rounds, {time.monotonic() - start:.0f}s",
    )
    log_run(
        STAGE,
        **teacher.telemetry(),
        cache_set_aside=set_aside,
        rounds=rounds,
        seconds=round(time.monotonic() - start, 1),
    )
    if failed:
        say(STAGE, f"{len(failed)} job(s) failed (see {OUT / 'failed.jsonl'}); retried next run")
    return 0


def metrics(
    jobs: list[Job], examples: list, human: list, quarantined: list, requests: list
) -> dict[str, Any]:
    """What the dataset holds and what it cost; nothing about this particular run."""
    usage: Counter = Counter()
    for r in requests:
        usage.update(r["usage"])
    reasons = Counter(q["reason"].split(":")[0].split(" (")[0] for q in quarantined)
    return {
        "jobs": len(jobs),
        "examples": sum(1 for j in jobs if j.status == "done"),
        "examples_unique": len({e["id"] for e in examples}),
        "gold_examples": len(human),
        "quarantined": len(quarantined),
        "failed": sum(1 for j in jobs if j.status == "failed"),
        "quarantine_reasons": dict(sorted(reasons.items())),
        "requests": len(requests),
        "input_tokens": usage["input_tokens"],
        "output_tokens": usage["output_tokens"],
        "cost_usd": round(math.fsum(r["cost_usd"] for r in requests), 6),
    }


if __name__ == "__main__":
    run_main(STAGE, main)
