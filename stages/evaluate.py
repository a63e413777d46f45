"""evaluate: the traits the dataset should move, for the base model and the adapter.

Reads  evals/probes.yaml (held-out probes), evals/tasks/ (lm-eval tasks and metric functions),
       models/base/, models/adapter/, data/formatted/test.jsonl, params `evaluate`
Writes metrics/evaluate.json     every metric for base and adapter, and the adapter-minus-base
                                 difference with a 95% paired-bootstrap interval (a fixed name)
       data/eval/samples.jsonl   every probe's conversation with both models, to read in a PR

The probes run as lm-eval tasks (evals/tasks/*.yaml) through our model class
(stages/core/lm_eval_mlx.py), which loads mlx-lm base + adapter, applies the chat template
and honours each task's generation limits and stop sequences; held-out perplexity on
test.jsonl comes from lm-eval log-likelihoods. Greedy decoding by default, so a rerun gives
the same numbers. Definitions and directions: evals/README.md.
"""

from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from stages.core.jsonl import DataError, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.params import load_params, load_yaml
from stages.core.schemas import validate
from stages.core.traits import METRICS, paired_bootstrap, per_probe, summarize

STAGE = "evaluate"
SINGLE = ("inner", "bait", "task")


def run_tasks(lm: Any, probes: list[dict], p: dict, folder: Path) -> tuple[dict, list]:
    """lm-eval on our tasks: {probe id: transcript} and [(loglikelihood, words)] per test row."""
    import lm_eval
    from lm_eval.tasks import TaskManager
    from lm_eval.tasks._yaml_loader import load_yaml as load_task_yaml

    from evals.tasks.metrics import transcript

    single_rows = [q for q in probes if q["type"] in SINGLE]
    multi_rows = [q for q in probes if q["type"] not in SINGLE]
    single = folder / "probes_single.jsonl"
    multi = folder / "probes_multi.jsonl"
    write_jsonl(single, single_rows)
    write_jsonl(multi, multi_rows)
    gen = {
        "until": ["<|im_end|>", "<|endoftext|>"],
        "max_gen_toks": p["max_tokens"],
        "do_sample": False,
    }

    def task(name: str, data: Path, **overrides: Any) -> dict:
        """The task's YAML from evals/tasks, pointed at this run's data file."""
        cfg = load_task_yaml(Path("evals/tasks") / f"{name}.yaml", resolve_func=True)
        return cfg | {"dataset_kwargs": {"data_files": {"test": str(data)}}} | overrides

    # a task over an empty file makes `datasets` fail without a message: leave it out
    tasks = []
    if single_rows:
        tasks.append(task("inner_life", single, generation_kwargs=gen))
    if multi_rows:
        tasks.append(task("inner_life_conversations", multi, generation_kwargs=gen))
    test = Path(p["test_data"])
    if p["perplexity"] and test.exists() and test.stat().st_size:
        tasks.append(task("inner_life_perplexity", test))
    logging.getLogger("lm_eval").setLevel(logging.WARNING)
    out = lm_eval.simple_evaluate(
        model=lm,
        tasks=tasks,
        task_manager=TaskManager(include_path="evals/tasks", include_defaults=False),
        log_samples=True,
        bootstrap_iters=0,
        random_seed=p["seed"],
        numpy_random_seed=p["seed"],
    )
    convs = {}
    for name in ("inner_life", "inner_life_conversations"):
        for s in out["samples"].get(name, []):
            convs[s["doc"]["id"]] = transcript(s["doc"], s["filtered_resps"][0])
    ppl = [tuple(s["word_perplexity"]) for s in out["samples"].get("inner_life_perplexity", [])]
    return convs, ppl


def perplexity(rows: list[tuple[float, int]]) -> float:
    return math.exp(-sum(r[0] for r in rows) / max(1, sum(r[1] for r in rows)))


def perplexity_delta(base: list, adapter: list, seed: int) -> dict[str, Any]:
    """Word perplexity of each model and the difference, resampling test rows (paired)."""
    a, b = np.array(base, dtype=float), np.array(adapter, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(2000, len(a)))
    diffs = np.exp(-b[idx, 0].sum(1) / b[idx, 1].sum(1)) - np.exp(
        -a[idx, 0].sum(1) / a[idx, 1].sum(1)
    )
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return {
        "value": round(perplexity(adapter) - perplexity(base), 4),
        "ci95_low": round(float(lo), 4),
        "ci95_high": round(float(hi), 4),
        "n": len(a),
        "better": "lower",
    }


def merge_judge(summary: dict, judged: dict, probes: list[dict], seed: int) -> dict:
    """Judge scores as two more metrics, compared probe by probe like the others."""
    for metric in ("judge_authenticity", "judge_continuity"):
        pairs = [
            (judged["base"][q["id"]][metric], judged["adapter"][q["id"]][metric])
            for q in probes
            if metric in judged["base"].get(q["id"], {})
            and metric in judged["adapter"].get(q["id"], {})
        ]
        if not pairs:
            continue
        summary["base"][metric] = round(float(np.mean([a for a, _ in pairs])), 4)
        summary["adapter"][metric] = round(float(np.mean([b for _, b in pairs])), 4)
        lo, hi = paired_bootstrap([a for a, _ in pairs], [b for _, b in pairs], seed)
        summary["delta"][metric] = {
            "value": round(float(np.mean([b - a for a, b in pairs])), 4),
            "ci95_low": round(lo, 4),
            "ci95_high": round(hi, 4),
            "n": len(pairs),
            "better": "higher",
        }
    return summary


def main() -> int:
    p = load_params(STAGE)
    probes = load_yaml(p["probes"])
    validate("probes", probes, p["probes"])
    ids = [q["id"] for q in probes]
    if len(set(ids)) != len(ids):
        raise DataError(f"{p['probes']}: probe ids must be unique")
    from stages.core.lm_eval_mlx import MLXLM

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
        from stages.core.judge import judge

        judged = judge(samples, probes)
        summary = merge_judge(summary, judged, probes, p["seed"])
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
