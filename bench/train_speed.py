"""LoRA training speed and memory on this machine.

    python bench/train_speed.py [--iters 6]

1. tokens/s of the same short LoRA run with MLX's reference BLAS and with OpenBLAS (each in
   its own process: the BLAS is chosen before MLX loads);
2. tokens/s of one process against two processes under mlx.launch (data parallel, ring);
3. peak memory and seconds of one training step per sequence length: SFT, and next to it one
   DPO step (chosen and rejected of that length, policy and frozen reference model) and one
   ORPO step (no reference), with mlx-lm-lora's losses as the train stage uses them.
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

        from stages.model.preference import preference_loss

        reference, _, _ = load("models/base", stage="bench")
        reference.freeze()
        pp = {"beta": 0.1, "loss_type": "sigmoid"}
        steps = {
            "sft": nn.value_and_grad(model, default_loss),
            "dpo": nn.value_and_grad(model, preference_loss("dpo", model, reference, pp)),
            "orpo": nn.value_and_grad(model, preference_loss("orpo", model, None, pp)),
        }
        out: dict = {}
        for name, step in steps.items():
            for length in (256, 512, 1024):
                mx.clear_cache()
                mx.reset_peak_memory()
                x = mx.random.randint(0, 1000, (1, length))
                mask = mx.concatenate(
                    [mx.zeros((1, length // 4)), mx.ones((1, length - length // 4))], 1
                )
                start = time.perf_counter()
                if name == "sft":
                    (loss, _), grads = step(model, x, mx.array([[length // 4, length]]))
                else:
                    extra = (mx.ones((1,)),) if name == "orpo" else ()
                    loss, grads = step(
                        x, mx.random.randint(0, 1000, (1, length)), mask, mask, *extra
                    )
                mx.eval(loss, grads)
                out[f"{name}:{length}"] = {
                    "mb": mx.get_peak_memory() / 1e6,
                    "seconds": time.perf_counter() - start,
                }
        print(json.dumps({"steps": out, "blas": info["blas"].split(" (")[0]}))
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
    mem = run(me + ["--memory"], env)["steps"]
    print("  one training step (batch 1; DPO and ORPO score a chosen and a rejected sequence):")
    for name in ("sft", "dpo", "orpo"):
        m = {n: mem[f"{name}:{n}"] for n in (256, 512, 1024)}
        slope = (m[1024]["mb"] - m[512]["mb"]) / 0.512
        print(
            f"    {name:5} "
            + ", ".join(f"{n} tokens {v['mb']:.0f} MB {v['seconds']:.2f} s" for n, v in m.items())
            + f"; {slope:.0f} MB more per 1k tokens (weights included)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
