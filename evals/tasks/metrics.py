"""Metric functions for the inner-life lm-eval tasks: thin wrappers over stages.quality.traits,
so lm-eval's own aggregates and metrics/evaluate.json use the same definitions."""

from __future__ import annotations

import json
from typing import Any

from stages.model.lm_eval_model import CONVERSATION, MESSAGES
from stages.quality.traits import METRICS, per_probe


def conversation_prompt(doc: dict[str, Any]) -> str:
    return CONVERSATION + json.dumps(doc["turns"])


def messages_prompt(doc: dict[str, Any]) -> str:
    return MESSAGES + json.dumps(doc["messages"])


def transcript(doc: dict[str, Any], response: str) -> dict[str, Any]:
    """The conversation a response stands for (multi-turn responses are JSON transcripts)."""
    if response.startswith("[") and len(doc["turns"]) > 1:
        return {"turns": json.loads(response)}
    return {
        "turns": [
            {"role": "user", "content": doc["turns"][0]},
            {"role": "assistant", "content": response},
        ]
    }


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    sample = transcript(doc, results[0])
    out = {}
    for metric in METRICS:
        value = per_probe(metric, doc, sample)
        if value is not None:
            out[metric] = value
    return out


def perplexity_results(doc: dict[str, Any], results: list[float]) -> dict[str, Any]:
    words = sum(len(m["content"].split()) for m in doc["messages"])
    return {"word_perplexity": (results[0], words)}
