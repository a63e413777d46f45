"""Our lm-eval tasks (evals/tasks/) on one model: the probes' transcripts and the test rows'
log-likelihoods. Used by the evaluate stage, bench/eval_speed.py and the sensitivity script."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from stages.core.jsonl import write_jsonl


def run_tasks(lm: Any, probes: list[dict], p: dict, folder: Path) -> tuple[dict, list]:
    """lm-eval on our tasks: {probe id: transcript} and [(loglikelihood, words)] per test row."""
    import lm_eval
    from lm_eval.tasks import TaskManager
    from lm_eval.tasks._yaml_loader import load_yaml as load_task_yaml

    from evals.tasks.metrics import transcript

    single_rows = [q for q in probes if len(q["turns"]) == 1]
    multi_rows = [q for q in probes if len(q["turns"]) > 1]
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
