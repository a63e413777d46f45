"""The rows generate writes, built from finished jobs: examples, gold examples, quarantined
answers, failed jobs and the requests behind them (schemas/example.schema.json)."""

from __future__ import annotations

from typing import Any

from stages.core.ids import content_id
from stages.dataset.examples import example_record
from stages.generation.config import GenerationConfig
from stages.generation.jobs import Job
from stages.generation.prompts import whole_request


def teacher_example(job: Job, provider: str, model: str) -> dict[str, Any]:
    lineage = job.lineage(provider, model)
    notes = sorted(set(job.notes))
    return example_record(
        job.template, job.passage, job.turns, "teacher", lineage, job.usage(), notes
    )


def gold_examples(
    gold: list[dict], templates: dict, passages: list[dict], config: GenerationConfig
) -> tuple[list[dict[str, Any]], list[str]]:
    """Gold examples as dataset rows (author: human), and the paths of those whose passage
    is not curated. The prompt they answer is the template's whole-example prompt."""
    by_title = {p["title"].lower(): p for p in passages}
    rows, unmatched = [], []
    for g in gold:
        t = templates[g["template"]]
        p = by_title.get((g["passage"] or "").lower())
        if p is None:
            unmatched.append(g["path"])
            continue
        prompt_id = whole_request(config, t, p, 0, config.max_tokens).prompt_id
        lineage = {
            "mode": "human",
            "sample": 0,
            "prompt_id": prompt_id,
            "prompt_ids": [prompt_id],
            "request_keys": [],
            "teacher": {"provider": "human", "model": "gold"},
            "source": g["path"],
        }
        usage = {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
        rows.append(example_record(t, p, g["turns"], "human", lineage, usage, []))
    return rows, unmatched


def _job_row(job: Job) -> dict[str, Any]:
    return {
        "passage_id": job.passage["id"],
        "template": job.template["name"],
        "sample": job.sample,
        "reason": job.reason,
    }


def quarantined(job: Job, provider: str, model: str) -> dict[str, Any]:
    """An unusable answer, kept with its reason and the raw text."""
    key = {"job": [job.passage["id"], job.template["name"], job.sample], "raw": job.raw}
    return _job_row(job) | {
        "id": content_id("ex", key),
        "raw": job.raw,
        "lineage": job.lineage(provider, model),
    }


def failed(job: Job) -> dict[str, Any]:
    """A job the teacher could not answer (asked again on the next run)."""
    key = [job.passage["id"], job.template["name"], job.sample]
    return _job_row(job) | {"id": content_id("req", key)}


def requests(jobs: list[Job], provider: str, model: str) -> list[dict[str, Any]]:
    """Every answered request behind the jobs, once each."""
    rows = {}
    for job in jobs:
        for r, o in job.outcomes:
            if o.response.finish == "error":
                continue
            rows[o.key] = {
                "id": o.key,
                "prompt_id": r.prompt_id,
                "passage_id": job.passage["id"],
                "template": job.template["name"],
                "sample": job.sample,
                "provider": provider,
                "model": model,
                "finish": o.response.finish,
                "usage": o.response.usage,
                "cost_usd": o.response.cost_usd,
            }
    return list(rows.values())
