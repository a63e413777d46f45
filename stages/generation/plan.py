"""A generation run's plan: the templates, gold examples, passages and jobs its params imply.

Shared by the generate stage and the estimate command, so the estimate prices exactly the
requests generate would send.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stages.core.jsonl import read_jsonl
from stages.dataset.templates import load_gold, load_templates
from stages.generation.config import GenerationConfig
from stages.generation.jobs import Job, build_jobs
from stages.teacher.types import Provider

PASSAGES = Path("data/curated/passages.jsonl")


@dataclass
class Plan:
    jobs: list[Job]
    templates: dict[str, dict[str, Any]]
    gold: list[dict[str, Any]]
    passages: list[dict[str, Any]]
    config: GenerationConfig


def load_plan(params: dict[str, Any], provider: Provider) -> Plan:
    """From the `generate` params and the teacher's provider."""
    templates = load_templates(params["templates_dir"])
    gold = load_gold(Path(params["templates_dir"]) / "gold", templates)
    passages = read_jsonl(PASSAGES)
    config = GenerationConfig.from_params(params, gold, structured=provider.structured)
    jobs = build_jobs(
        params["mode"], provider.name, params["samples_per_prompt"], passages, templates, config
    )
    return Plan(jobs, templates, gold, passages, config)
