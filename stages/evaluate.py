"""evaluate: the traits the dataset should move, for each model of `evaluate.models`.

Reads  evals/probes.yaml (held-out probes), evals/tasks/ (lm-eval tasks and metric functions),
       the models (by default model.base, and model.base with models/adapter),
       data/detectors/detectors.json and the base model (the detectors that score answers),
       data/formatted/test.jsonl, params `evaluate`, `model`, `fit_detectors.compute_dtype`;
       with `evaluate.judge`: evals/labels/responses.yaml and metrics/detectors.json
Writes metrics/evaluate.json      every metric for every model, and each model's difference
                                  from the first with a 95% paired-bootstrap interval
       data/eval/categories.json  the same within each probe category
       data/eval/traits.json      each model's mean of each metric with its 95% interval
                                  (the `traits` plot)
       data/eval/samples.jsonl    every probe's conversation with every model, with each
                                  answer's detector scores, to read in a PR
       data/cache/judge/          the judge's response cache (with `evaluate.judge`)

The probes run as lm-eval tasks (evals/tasks/*.yaml, run by stages/evaluation/harness.py)
through our model class (stages/model/lm_eval_model.py), which loads mlx-lm base + adapter,
applies the chat template and honours each task's generation limits and stop sequences;
held-out perplexity on test.jsonl comes from lm-eval log-likelihoods. Greedy decoding by
default, so a rerun gives the same numbers. Definitions and directions: evals/README.md.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError, read_json, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.params import load_params, load_yaml
from stages.core.schemas import validate
from stages.evaluation.harness import run_tasks
from stages.evaluation.stats import (
    by_category,
    merge_judge,
    perplexity,
    perplexity_delta,
    plot_rows,
    summarize,
)
from stages.model.blas import use_fast_blas
from stages.quality.detectors import load_labels
from stages.quality.judge import judge, judge_labels, prune_cache
from stages.quality.scoring import Scorer, exchanges
from stages.quality.traits import METRICS, per_probe
from stages.teacher.client import resolved_params

STAGE = "evaluate"


def answer_probes(
    entry: dict[str, Any], base: str, probes: list[dict], p: dict[str, Any]
) -> tuple[dict, list]:
    """One model of `evaluate.models`: its transcripts and its test rows' log-likelihoods."""
    from stages.model.lm_eval_model import MLXLM

    path, adapter = entry.get("path") or base, entry.get("adapter")
    if adapter and not Path(adapter, "adapters.safetensors").exists():
        raise DataError(f"{adapter}/adapters.safetensors not found: run the train stage first")
    lm = MLXLM(
        path,
        adapter=adapter,
        compute_dtype=p["compute_dtype"],
        system_prompt=p["system_prompt"],
        temperature=p["temperature"],
        top_p=p["top_p"],
        repetition_penalty=p["repetition_penalty"],
        batch_size=p["batch_size"],
        seed=p["seed"],
        stage=f"{STAGE}:{entry['name']}",
    )
    with tempfile.TemporaryDirectory() as tmp:
        return run_tasks(lm, probes, p, Path(tmp))


def score_answers(samples: dict[str, dict[str, dict]], scorer: Scorer) -> None:
    """Add each answer's detector scores to its transcript (`scores`), in one batch."""
    keys = [(model, pid) for model, by_probe in samples.items() for pid in by_probe]
    pairs = {k: exchanges(samples[k[0]][k[1]]["turns"]) for k in keys}
    flat = scorer.score([p for k in keys for p in pairs[k]])
    start = 0
    for k in keys:
        samples[k[0]][k[1]]["scores"] = flat[start : start + len(pairs[k])]
        start += len(pairs[k])


def judge_agreement(teacher_params: dict[str, Any], used: set[str]) -> dict[str, Any]:
    """The judge's labels on the labelled replies no detector was fitted on, scored like the
    detectors', next to the detectors' own figures (metrics/detectors.json)."""
    from stages.quality.detectors import LABELS, report

    fit = load_params("fit_detectors")
    items = [i for i in load_labels(Path(fit["labels"]), fit["held_out"]) if i["split"] != "train"]
    given = judge_labels(items, teacher_params, used)
    card = read_json("metrics/detectors.json")
    return {
        label: {
            "judge": report(
                [label in i["labels"] for i in items],
                [float(label in given[i["id"]]) for i in items],
            ),
            "detectors": {
                split: card[split][label] for split in ("heldout", "fresh") if split in card
            },
        }
        for label in LABELS
    }


def main() -> int:
    everything = load_params()
    p, base = everything[STAGE], everything["model"]["base"]
    probes = load_yaml(p["probes"])
    validate("probes", probes, p["probes"])
    ids = [q["id"] for q in probes]
    if len(set(ids)) != len(ids):
        raise DataError(f"{p['probes']}: probe ids must be unique")
    names = [m["name"] for m in p["models"]]
    if len(set(names)) != len(names):
        raise DataError("params.yaml: evaluate.models names must be unique")

    samples: dict[str, dict[str, dict]] = {}
    ppl: dict[str, list] = {}
    for entry in p["models"]:
        name = entry["name"]
        samples[name], ppl[name] = answer_probes(entry, base, probes, p)
        say(STAGE, f"{name}: {len(samples[name])} probes answered, {len(ppl[name])} test rows")

    score_answers(samples, Scorer(base, everything["fit_detectors"]["compute_dtype"], STAGE))
    summary = summarize(probes, samples, p["seed"])
    judged, used = None, set()
    if p["judge"]:
        teacher = resolved_params(everything)
        judged = judge(samples, probes, teacher, used)
        summary = merge_judge(summary, judged, p["seed"])
        summary["judge_agreement"] = judge_agreement(teacher, used)
    prune_cache(used)  # with the judge off, the cache holds nothing
    if all(ppl.values()):
        first = names[0]
        for name in names:
            summary[name]["test_word_perplexity"] = round(perplexity(ppl[name]), 4)
            if name != first:
                summary["delta"][name]["test_word_perplexity"] = perplexity_delta(
                    ppl[first], ppl[name], p["seed"]
                )
    rows = []
    for q in probes:
        for name in names:
            s = samples[name][q["id"]]
            rows.append(
                {
                    "id": f"{q['id']}:{name}",
                    "probe": q["id"],
                    "category": q["category"],
                    "type": q["type"],
                    "model": name,
                    "turns": s["turns"],
                    "scores": s["scores"],
                    "metrics": {m: v for m in METRICS if (v := per_probe(m, q, s)) is not None}
                    | ((judged or {}).get(name, {}).get(q["id"], {})),
                }
            )
    write_jsonl("data/eval/samples.jsonl", rows)
    write_json("data/eval/categories.json", by_category(probes, samples, p["seed"]))
    write_json("data/eval/traits.json", plot_rows(probes, samples, p["seed"]))
    write_json("metrics/evaluate.json", summary | {"probes": len(probes), "models": names})
    for name, metrics in summary["delta"].items():
        for metric, d in metrics.items():
            say(
                STAGE,
                f"{metric}: {names[0]} {summary[names[0]][metric]} -> {name} "
                f"{summary[name][metric]} (delta {d['value']:+.4f}, 95% CI "
                f"[{d['ci95_low']:+.4f}, {d['ci95_high']:+.4f}], {d['better']} is better)",
            )
    return 0


if __name__ == "__main__":
    use_fast_blas()  # its one restart (Linux CPU) comes before the first log line, not midway
    run_main(STAGE, main)
