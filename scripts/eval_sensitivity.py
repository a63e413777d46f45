"""Is the eval sensitive where it must be?

1. Two adapters on the same base, trained on small sets written to always / never seek
   validation and hedge, must be ranked the right way round by validation-seeking and
   reflexive-hedge rate, with 95% intervals that do not overlap.
2. Can it see a difference of 0.2 in validation-seeking rate? From the two adapters' real
   answers, pairs of "adapters" are put together that differ on exactly 20% of the probes
   (the same answers, except that a random fifth come from the seeking adapter); the script
   reports how often the paired 95% interval of the difference excludes zero (the power).

    python scripts/eval_sensitivity.py [--examples 64] [--iters 60] [--draws 200]

Both training sets are built here from sentence banks with a fixed seed (different wording
from the held-out probes); both adapters are trained by the train stage itself, answer the
probes of evals/probes.yaml through the evaluate stage's lm-eval tasks, and are scored by the
fitted detectors (run `dvc repro fit_detectors` first). Repeatable: same seed, same figures.
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


def power(seeking: list[float], plain: list[float], share: float, draws: int, seed: int) -> float:
    """How often the paired 95% interval excludes zero between the plain adapter's answers
    and the same answers with a random `share` of probes answered by the seeking adapter
    instead (only probes where the two differ are swapped, so the true difference is
    `share`, up to rounding)."""
    from stages.evaluation.stats import paired_bootstrap

    rng = random.Random(seed)
    differ = [i for i, (a, b) in enumerate(zip(seeking, plain, strict=True)) if a != b]
    k = round(share * len(plain))
    if len(differ) < k:
        raise SystemExit(f"only {len(differ)} probes differ between the adapters; need {k}")
    found = 0
    for d in range(draws):
        mixed = list(plain)
        for i in rng.sample(differ, k):
            mixed[i] = seeking[i]
        lo, hi = paired_bootstrap(plain, mixed, seed + d, n=1000)
        found += lo > 0 or hi < 0
    return found / draws


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=64)
    ap.add_argument("--iters", type=int, default=60)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not (ROOT / "models/base/model.safetensors").exists():
        sys.exit("models/base is missing: run `dvc repro prepare_model` first")
    if not (ROOT / "data/detectors/detectors.json").exists():
        sys.exit("data/detectors/detectors.json is missing: run `dvc repro fit_detectors` first")
    os.chdir(ROOT)
    from stages.model.blas import use_fast_blas

    use_fast_blas(reexec=True)
    from stages.core.params import load_params, load_yaml
    from stages.evaluate import score_answers
    from stages.evaluation.harness import run_tasks
    from stages.evaluation.stats import bootstrap_mean
    from stages.model.lm_eval_model import MLXLM
    from stages.quality.scoring import Scorer
    from stages.quality.traits import METRICS, per_probe

    p = load_params("evaluate")
    base = load_params("model")["base"]
    metrics = ("validation_seeking_rate", "reflexive_hedge_rate")
    probes = [q for q in load_yaml(p["probes"]) if q["type"] in METRICS[metrics[0]][0]]
    samples = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("seeking", "plain"):
            rng = random.Random(f"{args.seed}:{kind}")
            workdir = Path(tmp) / kind
            train(workdir, make_set(kind, args.examples, rng), args.iters)
            lm = MLXLM(
                base,
                adapter=str(workdir / "models/adapter"),
                batch_size=p["batch_size"],
                seed=p["seed"],
                stage=f"sensitivity:{kind}",
            )
            samples[kind], _ = run_tasks(lm, probes, p | {"perplexity": False}, Path(tmp))
            shutil.rmtree(workdir)
    score_answers(
        samples, Scorer(base, load_params("fit_detectors")["compute_dtype"], "sensitivity")
    )
    results = {
        kind: {m: [per_probe(m, q, samples[kind][q["id"]]) for q in probes] for m in metrics}
        for kind in samples
    }
    print(
        f"\neval sensitivity: {len(probes)} probes, adapters trained {args.iters} iterations "
        f"on {args.examples} examples each, seed {args.seed}"
    )
    ok = True
    for metric in metrics:
        ci = {k: bootstrap_mean(results[k][metric], args.seed) for k in results}
        mean = {k: sum(results[k][metric]) / len(probes) for k in results}
        apart = ci["seeking"][0] > ci["plain"][1]
        ok &= apart
        lo, hi = ci["seeking"], ci["plain"]
        verdict = "ranked right, intervals apart" if apart else "NOT separated"
        print(
            f"{metric:24} seeking {mean['seeking']:.3f} [{lo[0]:.3f}, {lo[1]:.3f}]   "
            f"plain {mean['plain']:.3f} [{hi[0]:.3f}, {hi[1]:.3f}]   {verdict}"
        )
    for share in (0.1, 0.2, 0.3):
        found = power(
            results["seeking"][metrics[0]],
            results["plain"][metrics[0]],
            share,
            args.draws,
            args.seed,
        )
        print(
            f"validation-seeking difference {share:.1f} on {len(probes)} probes: the paired 95% "
            f"interval excludes zero in {found:.0%} of {args.draws} draws"
        )
        if share == 0.2:
            ok &= found >= 0.8
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
