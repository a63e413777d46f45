"""evaluate: the traits the dataset should move, for the base model and the adapter.

Reads  evals/probes.yaml (held-out probes), evals/tasks/ (lm-eval tasks and metric functions),
       models/base/, models/adapter/, data/formatted/test.jsonl, params `evaluate`
Writes metrics/evaluate.json     every metric for base and adapter, and the adapter-minus-base
                                 difference with a 95% paired-bootstrap interval (a fixed name)
       data/eval/samples.jsonl   every probe's conversation with both models, to read in a PR
       data/cache/judge/         the judge's response cache (with `evaluate.judge`)

The probes run as lm-eval tasks (evals/tasks/*.yaml, run by stages/evaluation/harness.py)
through our model class (stages/model/lm_eval_model.py), which loads mlx-lm base + adapter,
applies the chat template and honours each task's generation limits and stop sequences;
held-out perplexity on test.jsonl comes from lm-eval log-likelihoods. Greedy decoding by
default, so a rerun gives the same numbers. Definitions and directions: evals/README.md.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from stages.core.jsonl import DataError, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.params import load_params, load_yaml
from stages.core.schemas import validate
from stages.evaluation.harness import run_tasks
from stages.evaluation.stats import merge_judge, perplexity, perplexity_delta, summarize
from stages.quality.judge import clear_cache, judge
from stages.quality.traits import METRICS, per_probe

STAGE = "evaluate"


def main() -> int:
    p = load_params(STAGE)
    probes = load_yaml(p["probes"])
    validate("probes", probes, p["probes"])
    ids = [q["id"] for q in probes]
    if len(set(ids)) != len(ids):
        raise DataError(f"{p['probes']}: probe ids must be unique")
    from stages.model.lm_eval_model import MLXLM

    samples: dict[str, dict[str, dict]] = {}
    ppl: dict[str, list] = {}
    for label, adapter in (("base", None), ("adapter", p["adapter"])):
        if adapter and not Path(adapter, "adapters.safetensors").exists():
            raise DataError(f"{adapter}/adapters.safetensors not found: run the train stage first")
        lm = MLXLM(
            p["base_model"],
            adapter=adapter,
            compute_dtype=p["compute_dtype"],
            system_prompt=p["system_prompt"],
            temperature=p["temperature"],
            top_p=p["top_p"],
            repetition_penalty=p["repetition_penalty"],
            batch_size=p["batch_size"],
            seed=p["seed"],
            stage=f"{STAGE}:{label}",
        )
        with tempfile.TemporaryDirectory() as tmp:
            samples[label], ppl[label] = run_tasks(lm, probes, p, Path(tmp))
        del lm
        say(
            STAGE,
            f"{label}: {len(samples[label])} probes answered, {len(ppl[label])} test rows scored",
        )

    summary = summarize(probes, samples, p["seed"])
    judged = None
    if p["judge"]:
        judged = judge(samples, probes, load_params("teacher"))
        summary = merge_judge(summary, judged, probes, p["seed"])
    else:
        clear_cache()
    if ppl["base"] and ppl["adapter"]:
        summary["base"]["test_word_perplexity"] = round(perplexity(ppl["base"]), 4)
        summary["adapter"]["test_word_perplexity"] = round(perplexity(ppl["adapter"]), 4)
        summary["delta"]["test_word_perplexity"] = perplexity_delta(
            ppl["base"], ppl["adapter"], p["seed"]
        )
    rows = []
    for q in probes:
        for label in samples:
            s = samples[label][q["id"]]
            rows.append(
                {
                    "id": f"{q['id']}:{label}",
                    "probe": q["id"],
                    "type": q["type"],
                    "model": label,
                    "turns": s["turns"],
                    "metrics": {m: v for m in METRICS if (v := per_probe(m, q, s)) is not None}
                    | ((judged or {}).get(label, {}).get(q["id"], {})),
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
