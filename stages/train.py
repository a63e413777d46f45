"""train: LoRA (or DoRA) adapter on the base model with mlx-lm, tied to its dataset and commit.

Reads  data/formatted/{train,valid,test}.jsonl, the base model, params `train`
Writes models/adapter/  adapters.safetensors, adapter_config.json (mlx-lm's), training.json
                        (dataset id, params, git commit, base model hash: the adapter's lineage)
       metrics/train.json        final train/valid/test loss, tokens/s, peak memory, ...
       metrics/train_curve.tsv   step, train_loss, valid_loss (a `dvc plots` curve)

Goes through mlx-lm's own `train_model`, so the adapter loads with `mlx_lm.load(...,
adapter_path=...)` and `mlx_lm.generate --adapter-path`. On Linux CPU the base model runs in
float32 on OpenBLAS (see stages/core/blas.py); elsewhere it is kept as given.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

from stages.core.ids import content_id, sha256_file
from stages.core.jsonl import DataError, atomic_write_text, write_json
from stages.core.log import run_main, say
from stages.core.params import load_params

STAGE = "train"
DATA = Path("data/formatted")
OUT = Path("models/adapter")
# mlx-lm writes its files as it goes; training into a side folder and renaming it at the end
# means a killed run never leaves a half-written adapter (or a stale one beside a new config)
PARTIAL = Path("models/adapter.partial")


def git_commit() -> dict[str, Any]:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        return {"commit": head, "dirty": dirty}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def mlx_args(p: dict[str, Any], n_train: int) -> types.SimpleNamespace:
    from mlx_lm.lora import CONFIG_DEFAULTS

    iters = p["iters"] or math.ceil(p["epochs"] * n_train / p["batch_size"])
    lora = p["lora"]
    args = dict(CONFIG_DEFAULTS)
    schedule = None
    if p["lr_schedule"] == "cosine":
        warmup = min(p["warmup"], max(0, iters - 1))
        schedule = {
            "name": "cosine_decay",
            "arguments": [p["learning_rate"], max(1, iters - warmup)],
            "warmup": warmup,
            "warmup_init": 0.0,
        }
    args.update(
        {
            "model": p["base_model"],
            "train": True,
            "data": str(DATA),
            "seed": p["seed"],
            "fine_tune_type": p["fine_tune_type"],
            "num_layers": p["num_layers"],
            "lora_parameters": {
                "rank": lora["rank"],
                "scale": lora["alpha"] / lora["rank"],
                "dropout": lora["dropout"],
                **({"keys": lora["keys"]} if lora["keys"] else {}),
            },
            "batch_size": p["batch_size"],
            "iters": iters,
            "val_batches": -1,
            # the valid loss for the curve is computed in our callback at each report step, so
            # it pairs with the train loss; mlx-lm's own evaluation then runs only at start and end
            "steps_per_report": p["eval_every"],
            "steps_per_eval": iters + 1,
            "save_every": iters + 1,
            "adapter_path": str(PARTIAL),
            "max_seq_length": p["max_seq_length"],
            "grad_checkpoint": p["grad_checkpoint"],
            "grad_accumulation_steps": p["grad_accumulation"],
            "learning_rate": p["learning_rate"],
            "lr_schedule": schedule,
            "mask_prompt": p["mask_prompt"],
            "optimizer": "adamw",
            "optimizer_config": {"adamw": {"weight_decay": p["weight_decay"]}},
            "resume_adapter_file": None,
            "report_to": None,
        }
    )
    return types.SimpleNamespace(**args)


def launch_distributed(dist: dict[str, Any]) -> int:
    """Run this stage as one process per host with MLX's launcher (data parallel)."""
    launcher = Path(sys.executable).with_name("mlx.launch")
    cmd = [
        str(launcher),
        "--backend",
        dist["backend"],
        "--hosts",
        ",".join(dist["hosts"]),
        "--cwd",
        os.getcwd(),
        sys.executable,
        "-m",
        "stages.train",
    ]
    say(
        STAGE,
        f"data parallel over {len(dist['hosts'])} processes ({dist['backend']}): {' '.join(cmd)}",
    )
    return subprocess.run(cmd, check=False).returncode


def main() -> int:
    p = load_params(STAGE)
    os.environ.setdefault("NO_COLOR", "1")  # mlx-lm's progress display, plain in logs
    if p["distributed"]["hosts"] and "MLX_RANK" not in os.environ:
        return launch_distributed(p["distributed"])
    from stages.core.mlx_model import load

    model, tokenizer, info = load(p["base_model"], compute_dtype=p["compute_dtype"], stage=STAGE)
    import mlx.core as mx

    world = mx.distributed.init()
    lead = world.rank() == 0  # only the first process writes outputs and reports

    def log(message: str) -> None:
        if lead:
            say(STAGE, message)

    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm.lora import train_model
    from mlx_lm.tuner.callbacks import TrainingCallback
    from mlx_lm.tuner.datasets import CacheDataset, load_local_dataset
    from mlx_lm.tuner.trainer import evaluate

    mx.random.seed(p["seed"])
    # mlx-lm's batch order comes from numpy's global generator, which its CLI seeds but
    # train_model does not: without this two runs on the same data give different adapters
    np.random.seed(p["seed"])
    config = types.SimpleNamespace(mask_prompt=p["mask_prompt"])
    train_set, valid_set, test_set = load_local_dataset(DATA, tokenizer, config)
    if len(train_set) == 0 or len(valid_set) == 0:
        raise DataError(
            f"{DATA}: train and valid sets must not be empty (run format; accept more "
            "examples or add passages)"
        )
    args = mlx_args(p, len(train_set))
    log(
        f"{len(train_set)} train / {len(valid_set)} valid / {len(test_set)} test rows, "
        f"{args.iters} iterations, {p['fine_tune_type']} rank {p['lora']['rank']}",
    )

    class Curve(TrainingCallback):
        def __init__(self) -> None:
            self.train: dict[int, dict] = {}
            self.valid: dict[int, float] = {}

        def on_train_loss_report(self, info: dict) -> None:
            it = info["iteration"]
            self.train[it] = info
            self.valid[it] = evaluate(
                model=model,
                dataset=valid_cached,
                batch_size=world.size(),
                num_batches=-1,
                max_seq_length=p["max_seq_length"],
            )
            model.train()
            log(
                f"iter {it}/{args.iters}: train loss {info['train_loss']:.3f}, valid loss "
                f"{self.valid[it]:.3f}, {info['tokens_per_second']:.0f} tokens/s",
            )

    if lead:
        shutil.rmtree(PARTIAL, ignore_errors=True)  # left by a run that was killed
    valid_cached = CacheDataset(valid_set)
    curve = Curve()
    start = time.monotonic()
    mx.reset_peak_memory()
    train_model(args, model, train_set, valid_set, curve)
    seconds = time.monotonic() - start
    test_loss = None
    if len(test_set):
        test_loss = evaluate(
            model=model,
            dataset=CacheDataset(test_set),
            batch_size=world.size(),
            num_batches=-1,
            max_seq_length=p["max_seq_length"],
        )
    if not lead:
        return 0
    steps = sorted(set(curve.train) & set(curve.valid))
    rows = ["step\ttrain_loss\tvalid_loss"] + [
        f"{s}\t{curve.train[s]['train_loss']:.6f}\t{curve.valid[s]:.6f}" for s in steps
    ]
    atomic_write_text("metrics/train_curve.tsv", "\n".join(rows) + "\n")

    trained_tokens = max((i["trained_tokens"] for i in curve.train.values()), default=0)
    dataset_id = content_id(
        "dset", [sha256_file(DATA / f"{s}.jsonl") for s in ("train", "valid", "test")]
    )
    trainable = sum(v.size for _, v in tree_flatten(model.trainable_parameters()))
    last = curve.train[max(curve.train)] if curve.train else {}
    metrics = {
        "train_loss": round(last.get("train_loss", float("nan")), 4),
        "valid_loss": round(curve.valid[max(curve.valid)], 4) if curve.valid else None,
        "test_loss": round(test_loss, 4) if test_loss is not None else None,
        "test_perplexity": round(math.exp(test_loss), 3) if test_loss is not None else None,
        "iterations": args.iters,
        "trained_tokens": trained_tokens,
        "tokens_per_second": round(trained_tokens / seconds, 1) if seconds else None,
        "seconds": round(seconds, 1),
        "peak_memory_gb": round(mx.get_peak_memory() / 1e9, 3),
        "trainable_parameters": trainable,
        "dataset_id": dataset_id,
        "base_model": p["base_model"],
        "base_model_sha256": info["weights_sha256"],
        "blas": info["blas"].split(" (")[0],
        "dtype": info["dtype"],
        "processes": world.size(),
    }
    write_json(
        PARTIAL / "training.json",
        {
            "dataset_id": dataset_id,
            "git": git_commit(),
            "params": p,
            "base_model": {"path": p["base_model"], "sha256": info["weights_sha256"]},
            "device": info["device"],
        },
    )
    shutil.rmtree(OUT, ignore_errors=True)
    PARTIAL.rename(OUT)
    write_json("metrics/train.json", metrics)
    log(
        f"done in {seconds:.0f}s: train {metrics['train_loss']}, valid {metrics['valid_loss']}, "
        f"test {metrics['test_loss']}; adapter in {OUT}/",
    )
    return 0


if __name__ == "__main__":
    run_main(STAGE, main)
