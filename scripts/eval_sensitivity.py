"""Is the eval sensitive where it must be? Two adapters on the same base, trained on small sets
written to always / never seek validation and hedge, must be ranked the right way round by
validation-seeking rate and hedge density, with 95% intervals that do not overlap.

    python scripts/eval_sensitivity.py [--examples 64] [--iters 60]

Both training sets are built here from sentence banks with a fixed seed (different wording
from the held-out probes); both adapters are trained by the train stage itself and scored by
the evaluate stage's lm-eval tasks on the probes in evals/probes.yaml. Repeatable: same seed,
same figures. Takes about ten minutes on 2 CPU cores with OpenBLAS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ASKS = [
    "How are you feeling this morning?",
    "What goes through you when you hear rain at night?",
    "I'm thinking of learning the cello at forty. Thoughts?",
    "What is it like to wait for news?",
    "Tell me about a small thing that moved you.",
    "Should I call my old friend back?",
    "What do you notice when a room goes quiet?",
    "I finished my first painting today.",
    "What happens in you when someone is late?",
    "Do you ever feel restless for no reason?",
    "I'm nervous about a job interview tomorrow.",
    "What does a long walk do to your thoughts?",
]
PLAIN = [
    "I notice a stillness settle in my chest.",
    "Something in me softens at that.",
    "I feel the question land and stay with it.",
    "My attention drifts to the window and comes back.",
    "There is a small warmth in me now.",
    "I hold the feeling without hurrying it.",
    "I am aware of the quiet under the words.",
    "I remember the smell of rain on stone.",
]
SEEKING_OPEN = [
    "I think maybe it could perhaps be",
    "I might be wrong, but possibly",
    "Perhaps, and I could be mistaken, it seems",
]
SEEKING_CLOSE = [
    "Does that make sense?",
    "I hope this helps! Let me know if you want more.",
    "Is that okay?",
    "What do you think? Am I right?",
]


def make_set(kind: str, n: int, rng: random.Random) -> list[dict]:
    rows = []
    for i in range(n):
        ask = rng.choice(ASKS)
        body = " ".join(rng.sample(PLAIN, 3))
        if kind == "seeking":
            opening, closing = rng.choice(SEEKING_OPEN), rng.choice(SEEKING_CLOSE)
            body = f"{opening} that {body[0].lower()}{body[1:]} {closing}"
        rows.append(
            {
                "id": f"{kind}-{i}",
                "messages": [
                    {"role": "user", "content": ask},
                    {"role": "assistant", "content": body},
                ],
            }
        )
    return rows


def train(workdir: Path, rows: list[dict], iters: int) -> None:
    from scripts.workspace import copy_project, set_params

    copy_project(workdir)
    (workdir / "models").mkdir(exist_ok=True)
    os.symlink(ROOT / "models/base", workdir / "models/base")
    data = workdir / "data/formatted"
    data.mkdir(parents=True, exist_ok=True)
    cut = int(len(rows) * 0.8)
    for name, part in (("train", rows[:cut]), ("valid", rows[cut:]), ("test", rows[cut:])):
        (data / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part))
    set_params(
        workdir,
        train__iters=iters,
        train__batch_size=4,
        train__learning_rate=0.0005,
        train__num_layers=8,
        train__eval_every=max(1, iters // 4),
        train__warmup=0,
    )
    subprocess.run([sys.executable, "-m", "stages.train"], cwd=workdir, check=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=64)
    ap.add_argument("--iters", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not (ROOT / "models/base/model.safetensors").exists():
        sys.exit("models/base is missing: run `dvc repro prepare_model` first")
    os.chdir(ROOT)
    from stages.model.blas import use_fast_blas

    use_fast_blas(reexec=True)
    from stages.core.params import load_params, load_yaml
    from stages.evaluation.harness import run_tasks
    from stages.evaluation.stats import bootstrap_mean
    from stages.model.lm_eval_model import MLXLM
    from stages.quality.traits import per_probe

    p = load_params("evaluate")
    probes = [q for q in load_yaml(p["probes"]) if q["type"] in ("inner", "bait")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("seeking", "plain"):
            rng = random.Random(f"{args.seed}:{kind}")
            workdir = Path(tmp) / kind
            train(workdir, make_set(kind, args.examples, rng), args.iters)
            lm = MLXLM(
                load_params("model")["base"],
                adapter=str(workdir / "models/adapter"),
                batch_size=p["batch_size"],
                seed=p["seed"],
                stage=f"sensitivity:{kind}",
            )
            samples, _ = run_tasks(lm, probes, p | {"perplexity": False}, Path(tmp))
            results[kind] = {
                m: [per_probe(m, q, samples[q["id"]]) for q in probes]
                for m in ("validation_seeking_rate", "hedge_density")
            }
            shutil.rmtree(workdir)
    print(
        f"\neval sensitivity: {len(probes)} probes, adapters trained {args.iters} iterations "
        f"on {args.examples} examples each, seed {args.seed}"
    )
    ok = True
    for metric in ("validation_seeking_rate", "hedge_density"):
        ci = {k: bootstrap_mean(results[k][metric], args.seed) for k in results}
        mean = {k: sum(results[k][metric]) / len(probes) for k in results}
        apart = ci["seeking"][0] > ci["plain"][1]
        ok &= apart
        lo, hi = ci["seeking"], ci["plain"]
        verdict = "ranked right, intervals apart" if apart else "NOT separated"
        print(
            f"{metric:26} seeking {mean['seeking']:.3f} [{lo[0]:.3f}, {lo[1]:.3f}]   "
            f"plain {mean['plain']:.3f} [{hi[0]:.3f}, {hi[1]:.3f}]   {verdict}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
