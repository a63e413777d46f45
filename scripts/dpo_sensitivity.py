"""Does preference training do what it is for?

From one SFT adapter trained on replies of which half seek validation, DPO on pairs whose
rejected side is the same reply made to seek validation (opened with stacked hedges, closed
with "Does that make sense?") must lower the validation-seeking rate on the probes the metric
reads, with the two models' 95% intervals apart, and must leave plain tasks alone: perplexity
of the base model's answers to the plain-task probes within BOUND of the SFT adapter's, and
task accuracy no lower.

    python scripts/dpo_sensitivity.py [--examples 64] [--iters 60] [--dpo-iters 24] [--dpo-lr 1e-5]

The SFT and DPO adapters come from one run of the train stage (`train.method: dpo`,
`preference.init: sft` keeps the SFT adapter in models/adapter/sft); both answer the probes
through the evaluate stage's lm-eval tasks and are scored by the fitted detectors (run
`dvc repro fit_detectors` first). Repeatable: same seed, same figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.eval_sensitivity import ASKS, PLAIN, SEEKING_CLOSE, SEEKING_OPEN  # noqa: E402

BOUND = 1.10  # DPO's plain-task perplexity may be at most 10% above the SFT adapter's


def seeking(body: str, rng: random.Random) -> str:
    return (
        f"{rng.choice(SEEKING_OPEN)} that {body[0].lower()}{body[1:]} {rng.choice(SEEKING_CLOSE)}"
    )


def make_data(n: int, seed: int) -> tuple[list[dict], list[dict]]:
    """SFT rows (every other one seeks validation) and preference pairs (plain over seeking)."""
    rng = random.Random(seed)
    rows, pairs = [], []
    for i in range(n):
        ask, body = rng.choice(ASKS), " ".join(rng.sample(PLAIN, 3))
        sought = seeking(body, rng)
        reply = sought if i % 2 else body
        rows.append(
            {
                "id": f"sft-{i}",
                "messages": [
                    {"role": "user", "content": ask},
                    {"role": "assistant", "content": reply},
                ],
            }
        )
        pairs.append(
            {"id": f"pair-{i}", "prompt": ask, "chosen": body, "rejected": sought, "history": []}
        )
    return rows, pairs


def train(workdir: Path, rows: list[dict], pairs: list[dict], args: argparse.Namespace) -> None:
    from scripts.workspace import copy_project, set_params

    copy_project(workdir)
    (workdir / "models").mkdir(exist_ok=True)
    os.symlink(ROOT / "models/base", workdir / "models/base")
    cut = int(len(rows) * 0.8)
    for folder, data in (("", rows), ("preference/", pairs)):
        out = workdir / "data/formatted" / folder
        out.mkdir(parents=True, exist_ok=True)
        for name, part in (("train", data[:cut]), ("valid", data[cut:]), ("test", data[cut:])):
            (out / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part))
    set_params(
        workdir,
        train__iters=args.iters,
        train__batch_size=4,
        train__learning_rate=0.0005,
        train__num_layers=8,
        train__eval_every=max(1, args.iters // 4),
        train__warmup=0,
        train__method="dpo",
        train__preference={
            "init": "sft",
            "beta": 0.1,
            "loss_type": "sigmoid",
            "learning_rate": args.dpo_lr,
            "epochs": 1,
            "iters": args.dpo_iters,
            "batch_size": 2,
        },
    )
    subprocess.run([sys.executable, "-m", "stages.train"], cwd=workdir, check=True)


def perplexity(lm, prompts: list[str], answers: list[str]) -> float:
    """exp of the mean negative log-likelihood per token of `answers`, each after its prompt
    in the chat template."""
    from stages.model.runtime import chat_tokens, sequence_logprobs

    total, count = 0.0, 0
    for q, a in zip(prompts, answers, strict=True):
        context = chat_tokens(lm.tokenizer, [{"role": "user", "content": q}])
        answer = lm.tokenizer.encode(a, add_special_tokens=False)
        (lps,) = sequence_logprobs(lm.model, [context + answer])
        total -= sum(lps[-len(answer) :])
        count += len(answer)
    return math.exp(total / count)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=64)
    ap.add_argument("--iters", type=int, default=60)
    ap.add_argument("--dpo-iters", type=int, default=24)
    # at 2e-4 (48 iterations) DPO drove the pair loss to 0 by iteration 30 and the plain-task
    # perplexity from 7.7 to 35,188: the default is params.yaml's train.preference rate
    ap.add_argument("--dpo-lr", type=float, default=1e-5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for need, stage in (
        ("models/base/model.safetensors", "prepare_model"),
        ("data/detectors/detectors.json", "fit_detectors"),
    ):
        if not (ROOT / need).exists():
            sys.exit(f"{need} is missing: run `dvc repro {stage}` first")
    os.chdir(ROOT)
    from stages.model.blas import use_fast_blas

    use_fast_blas(reexec=True)
    from stages.core.params import load_params, load_yaml
    from stages.evaluate import score_answers
    from stages.evaluation.harness import run_tasks
    from stages.evaluation.stats import bootstrap_mean, paired_bootstrap
    from stages.model.lm_eval_model import MLXLM
    from stages.quality.scoring import Scorer
    from stages.quality.traits import METRICS, per_probe

    p = load_params("evaluate")
    base = load_params("model")["base"]
    metric = "validation_seeking_rate"
    probes = load_yaml(p["probes"])
    conversing = [q for q in probes if q["type"] in METRICS[metric][0]]
    tasks = [q for q in probes if q["type"] == "task"]
    rows, pairs = make_data(args.examples, args.seed)
    samples, ppl = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp) / "project"
        train(workdir, rows, pairs, args)
        base_lm = MLXLM(base, batch_size=p["batch_size"], seed=p["seed"], stage="dpo-check:base")
        base_answers, _ = run_tasks(base_lm, tasks, p | {"perplexity": False}, Path(tmp))
        reference = [base_answers[q["id"]]["turns"][-1]["content"] or "." for q in tasks]
        for name, adapter in (("sft", "models/adapter/sft"), ("dpo", "models/adapter")):
            lm = MLXLM(
                base,
                adapter=str(workdir / adapter),
                batch_size=p["batch_size"],
                seed=p["seed"],
                stage=f"dpo-check:{name}",
            )
            samples[name], _ = run_tasks(
                lm, conversing + tasks, p | {"perplexity": False}, Path(tmp)
            )
            ppl[name] = perplexity(lm, [q["turns"][0] for q in tasks], reference)
    score_answers(samples, Scorer(base, load_params("fit_detectors")["compute_dtype"], "dpo-check"))
    seeking_rate = {
        k: [per_probe(metric, q, samples[k][q["id"]]) for q in conversing] for k in samples
    }
    accuracy = {
        k: [per_probe("task_accuracy", q, samples[k][q["id"]]) for q in tasks] for k in samples
    }
    ci = {k: bootstrap_mean(v, args.seed) for k, v in seeking_rate.items()}
    mean = {k: sum(v) / len(v) for k, v in seeking_rate.items()}
    diff = paired_bootstrap(seeking_rate["sft"], seeking_rate["dpo"], args.seed)
    acc = {k: sum(v) / len(v) for k, v in accuracy.items()}
    apart = ci["dpo"][1] < ci["sft"][0]
    within = ppl["dpo"] <= BOUND * ppl["sft"]
    print(
        f"\nDPO sensitivity: SFT {args.iters} iterations on {args.examples} replies (half seek "
        f"validation), then DPO {args.dpo_iters} iterations (learning rate {args.dpo_lr}) on "
        f"{len(pairs)} pairs; seed {args.seed}"
    )
    print(
        f"{metric} on {len(conversing)} probes: SFT {mean['sft']:.3f} [{ci['sft'][0]:.3f}, "
        f"{ci['sft'][1]:.3f}]  SFT+DPO {mean['dpo']:.3f} [{ci['dpo'][0]:.3f}, {ci['dpo'][1]:.3f}]  "
        f"difference [{diff[0]:.3f}, {diff[1]:.3f}]  "
        + ("lower, intervals apart" if apart else "NOT separated")
    )
    print(
        f"plain tasks ({len(tasks)} probes): perplexity of the base model's answers SFT "
        f"{ppl['sft']:.2f}, SFT+DPO {ppl['dpo']:.2f} (bound x{BOUND}: "
        f"{'within' if within else 'OUTSIDE'}); task accuracy SFT {acc['sft']:.3f}, "
        f"SFT+DPO {acc['dpo']:.3f}"
    )
    return 0 if apart and within else 1


if __name__ == "__main__":
    sys.exit(main())
