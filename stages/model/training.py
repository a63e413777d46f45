"""LoRA training with mlx-lm's own trainer: its arguments from params, the distributed
launcher, and the loss curve callback. Used by the train stage.

Goes through mlx-lm's `train_model`, so the adapter loads with `mlx_lm.load(...,
adapter_path=...)` and `mlx_lm.generate --adapter-path`.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

from stages.core.log import say


def mlx_args(
    p: dict[str, Any], base: str, n_train: int, data: Path, adapter_dir: Path
) -> types.SimpleNamespace:
    """mlx-lm's training arguments from the `train` params."""
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
            "model": base,
            "train": True,
            "data": str(data),
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
            "adapter_path": str(adapter_dir),
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


def start_lora(model: Any, args: types.SimpleNamespace, adapter_dir: Path) -> None:
    """LoRA (or DoRA) layers on `model` and mlx-lm's adapter_config.json, as mlx-lm's
    `train_model` sets them up, for training that does not go through it (preference training
    from the base model)."""
    import mlx.core as mx
    from mlx_lm.tuner.utils import linear_to_lora_layers
    from mlx_lm.utils import save_config

    if args.fine_tune_type == "full":
        raise ValueError("train.method dpo/orpo from the base model needs lora or dora")
    mx.random.seed(args.seed)
    model.freeze()
    linear_to_lora_layers(
        model, args.num_layers, args.lora_parameters, use_dora=args.fine_tune_type == "dora"
    )
    adapter_dir.mkdir(parents=True, exist_ok=True)
    save_config(vars(args), adapter_dir / "adapter_config.json")


def launch_distributed(dist: dict[str, Any], module: str, stage: str) -> int:
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
        module,
    ]
    say(
        stage,
        f"data parallel over {len(dist['hosts'])} processes ({dist['backend']}): {' '.join(cmd)}",
    )
    return subprocess.run(cmd, check=False).returncode


def loss_curve(model: Any, valid_set: Any, p: dict[str, Any], iters: int, world: Any, log: Any):
    """A callback that records the train loss at each report step and the valid loss beside
    it (so the two pair up in the curve), and logs both."""
    from mlx_lm.tuner.callbacks import TrainingCallback
    from mlx_lm.tuner.datasets import CacheDataset
    from mlx_lm.tuner.trainer import evaluate

    valid_cached = CacheDataset(valid_set)

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
                f"iter {it}/{iters}: train loss {info['train_loss']:.3f}, valid loss "
                f"{self.valid[it]:.3f}, {info['tokens_per_second']:.0f} tokens/s",
            )

        def tsv(self) -> str:
            steps = sorted(set(self.train) & set(self.valid))
            rows = ["step\ttrain_loss\tvalid_loss"] + [
                f"{s}\t{self.train[s]['train_loss']:.6f}\t{self.valid[s]:.6f}" for s in steps
            ]
            return "\n".join(rows) + "\n"

    return Curve()
