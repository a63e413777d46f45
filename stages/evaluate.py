"""evaluate: the traits the dataset should move, for the base model and the adapter.

Reads  evals/probes.yaml, models/base/, models/adapter/, params `evaluate`
Writes metrics/evaluate.json     every metric for base and adapter, and the difference with a
                                 95% paired-bootstrap interval (a fixed name for dvc metrics)
       data/eval/samples.jsonl   every probe's conversation with both models, to read in a PR

Answers are greedy (temperature 0) by default, so a rerun gives the same numbers. Multi-turn
probes are answered turn by turn with the model's own earlier answers in the history.
Metric definitions and directions: evals/README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.params import load_params, load_yaml
from stages.core.schemas import validate
from stages.core.traits import METRICS, per_probe, summarize

STAGE = "evaluate"


def answer_all(
    model: Any, tokenizer: Any, probes: list[dict], p: dict, label: str
) -> dict[str, dict]:
    """Conversations for every probe, advancing all probes one user turn per round (batched)."""
    from stages.core.mlx_model import chat_tokens, generate_batch, seed_for

    convs: dict[str, list[dict]] = {pr["id"]: [] for pr in probes}
    system = [{"role": "system", "content": p["system_prompt"]}] if p["system_prompt"] else []
    for turn in range(max(len(pr["turns"]) for pr in probes)):
        live = [pr for pr in probes if turn < len(pr["turns"])]
        for pr in live:
            convs[pr["id"]].append({"role": "user", "content": pr["turns"][turn]})
        prompts = [chat_tokens(tokenizer, system + convs[pr["id"]]) for pr in live]
        gens = generate_batch(
            model,
            tokenizer,
            prompts,
            [p["max_tokens"]] * len(live),
            [seed_for(p["seed"], pr["id"], turn) for pr in live],
            temperature=p["temperature"],
            top_p=p["top_p"],
            repetition_penalty=p["repetition_penalty"],
            batch_size=p["batch_size"],
            stage=f"{STAGE}:{label}",
        )
        for pr, g in zip(live, gens, strict=True):
            convs[pr["id"]].append({"role": "assistant", "content": g.text.strip()})
    return {pid: {"turns": turns} for pid, turns in convs.items()}


def main() -> int:
    p = load_params(STAGE)
    probes = load_yaml(p["probes"])
    validate("probes", probes, p["probes"])
    ids = [pr["id"] for pr in probes]
    if len(set(ids)) != len(ids):
        raise DataError(f"{p['probes']}: probe ids must be unique")
    from stages.core.mlx_model import load

    samples: dict[str, dict[str, dict]] = {}
    for label, adapter in (("base", None), ("adapter", p["adapter"])):
        if adapter and not Path(adapter, "adapters.safetensors").exists():
            raise DataError(f"{adapter}/adapters.safetensors not found: run the train stage first")
        model, tokenizer, _ = load(
            p["base_model"], adapter=adapter, compute_dtype=p["compute_dtype"], stage=STAGE
        )
        samples[label] = answer_all(model, tokenizer, probes, p, label)
        del model

    summary = summarize(probes, samples, p["seed"])
    rows = []
    for pr in probes:
        for label in samples:
            s = samples[label][pr["id"]]
            rows.append(
                {
                    "id": f"{pr['id']}:{label}",
                    "probe": pr["id"],
                    "type": pr["type"],
                    "model": label,
                    "turns": s["turns"],
                    "metrics": {m: v for m in METRICS if (v := per_probe(m, pr, s)) is not None},
                }
            )
    write_jsonl("data/eval/samples.jsonl", rows)
    write_json("metrics/evaluate.json", summary | {"probes": len(probes)})
    for metric, d in summary["delta"].items():
        say(
            STAGE,
            f"{metric}: base {summary['base'][metric]} -> adapter {summary['adapter'][metric]} "
            f"(delta {d['value']:+.4f}, 95% CI [{d['ci95_low']:+.4f}, {d['ci95_high']:+.4f}], "
            f"{d['better']} is better)",
        )
    return 0


if __name__ == "__main__":
    run_main(STAGE, main)
