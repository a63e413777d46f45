"""LoRA training speed and memory on this machine.

    python bench/train_speed.py [--iters 6]

1. tokens/s of the same short LoRA run with MLX's reference BLAS and with OpenBLAS (each in
   its own process: the BLAS is chosen before MLX loads);
2. tokens/s of one process against two processes under mlx.launch (data parallel, ring);
3. peak memory of one training step per 1,000 tokens of sequence length.
Uses data/formatted (run `dvc repro format` first) and models/base.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def child(iters: int, memory: bool) -> None:
    """Train `iters` steps and print one JSON line (tokens/s, or peak memory per length)."""
    import types

    from stages.model.runtime import load

    model, tok, info = load("models/base", stage="bench")
    import mlx.core as mx
    import mlx.optimizers as optim
    from mlx_lm.tuner.datasets import CacheDataset, load_local_dataset
    from mlx_lm.tuner.trainer import TrainingArgs, train
    from mlx_lm.tuner.utils import linear_to_lora_layers

    model.freeze()
    linear_to_lora_layers(model, 8, {"rank": 16, "scale": 2.0, "dropout": 0.0})
    world = mx.distributed.init()
    if memory:
        import mlx.nn as nn
        from mlx_lm.tuner.trainer import default_loss

        out = {}
        step = nn.value_and_grad(model, default_loss)
        for length in (256, 512, 1024):
            mx.clear_cache()
            mx.reset_peak_memory()
            batch = mx.random.randint(0, 1000, (1, length))
            (loss, _), grads = step(model, batch, mx.array([[0, length]]))
            mx.eval(loss, grads)
            out[length] = mx.get_peak_memory() / 1e6
        print(json.dumps({"memory_mb": out, "blas": info["blas"].split(" (")[0]}))
        return
    train_set, valid_set, _ = load_local_dataset(
        ROOT / "data/formatted", tok, types.SimpleNamespace(mask_prompt=False)
    )
    seen = {"tokens": 0}

    class Count:
        def on_train_loss_report(self, i: dict) -> None:
            seen["tokens"] = i["trained_tokens"]

        def on_val_loss_report(self, i: dict) -> None:
            pass

    args = TrainingArgs(
        batch_size=2,
        iters=iters,
        steps_per_report=iters,
        steps_per_eval=10**9,
        steps_per_save=10**9,
        adapter_file="/dev/null",
        max_seq_length=1024,
    )
    start = time.perf_counter()
    train(
        model,
        optim.Adam(learning_rate=1e-4),
        CacheDataset(train_set),
        CacheDataset(valid_set),
        args=args,
        training_callback=Count(),
    )
    wall = time.perf_counter() - start
    if world.rank() == 0:
        print(
            json.dumps(
                {
                    "tokens": seen["tokens"],
                    "seconds": wall,
                    "processes": world.size(),
                    "blas": info["blas"].split(" (")[0],
                }
            )
        )


def run(cmd: list[str], env: dict) -> dict:
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=6)
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--memory", action="store_true")
    args = ap.parse_args()
    if args.child:
        child(args.iters, args.memory)
        return 0
    me = [sys.executable, str(Path(__file__).resolve()), "--child", "--iters", str(args.iters)]
    env = dict(os.environ, NO_COLOR="1")
    print(
        f"LoRA training speed, rank 16 on 8 layers, batch 2, {args.iters} steps, "
        f"{os.cpu_count()} cores"
    )
    results = []
    for label, extra in (("reference BLAS", {"INNERLIFE_BLAS": "reference"}), ("OpenBLAS", {})):
        r = run(me, env | extra)
        results.append((f"1 process, {label}", r))
    launcher = str(Path(sys.executable).with_name("mlx.launch"))
    r = run(
        [launcher, "--backend", "ring", "--hosts", "127.0.0.1,127.0.0.1", "--cwd", str(ROOT), *me],
        env | {"OPENBLAS_NUM_THREADS": "1"},
    )
    results.append(("2 processes (mlx.launch), OpenBLAS 1 thread each", r))
    for label, r in results:
        print(f"  {label:52} {r['tokens'] / r['seconds']:8.1f} tokens/s  ({r['blas']})")
    mem = run(me + ["--memory"], env)
    m = {int(k): v for k, v in mem["memory_mb"].items()}
    slope = (m[1024] - m[512]) / 0.512
    print(
        "  peak memory of one training step: "
        + ", ".join(f"{k} tokens {v:.0f} MB" for k, v in sorted(m.items()))
        + f"; {slope:.0f} MB more per 1k tokens of sequence (weights included in the totals)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
