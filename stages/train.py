"""train: LoRA (or DoRA) adapter on the base model with mlx-lm, tied to its dataset; then,
with `train.method` dpo or orpo, preference training on the review's pairs.

Reads  data/formatted/{train,valid,test}.jsonl, data/formatted/preference/ (dpo, orpo), the
       base model, params `train` and `model`
Writes models/adapter/  adapters.safetensors, adapter_config.json (mlx-lm's), training.json
                        (dataset id, method, pair set id, params, base model hash: the
                        adapter's lineage; the git commit that holds dvc.lock ties both to the
                        code); with dpo/orpo from SFT also sft/, the SFT adapter it started from
       metrics/train.json        final train/valid/test loss, iterations, tokens trained, ...
       metrics/train_curve.tsv   step, train_loss, valid_loss (a `dvc plots` curve)
       metrics/preference_curve.tsv  the same for DPO/ORPO (header only with sft)

Seeded and deterministic: the same data and params give the same adapter. Run telemetry
(seconds, tokens/s, peak memory, BLAS) goes to the run log (logs/runs.jsonl), not to the
metrics. On Linux CPU the base model runs in float32 on OpenBLAS (stages/model/blas.py);
elsewhere it is kept as given. The trainer's arguments: stages/model/training.py; preference
training: stages/model/preference.py.
"""

from __future__ import annotations

import math
import os
import shutil
import time
import types
from pathlib import Path

from stages.core.jsonl import DataError, atomic_write_text, write_json
from stages.core.log import log_run, run_main, say
from stages.core.params import load_params
from stages.dataset.splits import dataset_id
from stages.model.blas import use_fast_blas
from stages.model.training import launch_distributed, loss_curve, mlx_args, start_lora

STAGE = "train"
DATA = Path("data/formatted")
OUT = Path("models/adapter")
# mlx-lm writes its files as it goes; training into a side folder and renaming it at the end
# means a killed run never leaves a half-written adapter (or a stale one beside a new config)
PARTIAL = Path("models/adapter.partial")


def main() -> int:
    p, base = load_params(STAGE), load_params("model")["base"]
    os.environ.setdefault("NO_COLOR", "1")  # mlx-lm's progress display, plain in logs
    if p["distributed"]["hosts"] and "MLX_RANK" not in os.environ:
        return launch_distributed(p["distributed"], "stages.train", STAGE)
    from stages.model.runtime import load

    model, tokenizer, info = load(base, compute_dtype=p["compute_dtype"], stage=STAGE)
    import mlx.core as mx
    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm.lora import train_model
    from mlx_lm.tuner.datasets import CacheDataset, load_local_dataset
    from mlx_lm.tuner.trainer import evaluate

    world = mx.distributed.init()
    lead = world.rank() == 0  # only the first process writes outputs and reports

    def log(message: str) -> None:
        if lead:
            say(STAGE, message)

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
    args = mlx_args(p, base, len(train_set), DATA, PARTIAL)
    log(
        f"{len(train_set)} train / {len(valid_set)} valid / {len(test_set)} test rows, "
        f"{args.iters} iterations, {p['fine_tune_type']} rank {p['lora']['rank']}",
    )
    if lead:
        shutil.rmtree(PARTIAL, ignore_errors=True)  # left by a run that was killed
    method = p["method"]
    sft = method == "sft" or p["preference"]["init"] == "sft"
    curve = loss_curve(model, valid_set, p, args.iters, world, log)
    start = time.monotonic()
    mx.reset_peak_memory()
    if sft:
        train_model(args, model, train_set, valid_set, curve)
    else:
        start_lora(model, args, PARTIAL)  # preference training straight from the base model
    preferred: dict = {}
    if method != "sft":
        if world.size() > 1:
            raise DataError(f"train.method {method} runs in one process: empty distributed.hosts")
        from stages.model.preference import load_pairs, train_preference

        reference_adapter = None
        if sft:  # keep the SFT adapter: DPO's reference, and a model evaluate can compare
            (PARTIAL / "sft").mkdir()
            for name in ("adapters.safetensors", "adapter_config.json"):
                shutil.copy2(PARTIAL / name, PARTIAL / "sft" / name)
            reference_adapter = str(PARTIAL / "sft")
        reference = None
        if method == "dpo":
            reference, _, _ = load(base, reference_adapter, p["compute_dtype"], STAGE)
            reference.freeze()
        pairs = load_pairs(DATA / "preference", tokenizer, p["max_seq_length"])
        preferred = train_preference(method, model, reference, pairs, p, log)
        for split, n in preferred["pairs_too_long"].items():
            if n:
                say(
                    STAGE,
                    f"WARNING {n} {split} pair(s) left out: their prompt alone fills "
                    f"train.max_seq_length ({p['max_seq_length']}); raise it to train them",
                )
        mx.save_safetensors(
            str(PARTIAL / "adapters.safetensors"), dict(tree_flatten(model.trainable_parameters()))
        )
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
    atomic_write_text("metrics/train_curve.tsv", curve.tsv())
    atomic_write_text(
        "metrics/preference_curve.tsv",
        "step\ttrain_loss\tvalid_loss\n"
        + "".join(
            f"{it}\t{tr:.6f}\t{'' if va is None else f'{va:.6f}'}\n"
            for it, tr, va in preferred.get("curve", [])
        ),
    )
    pairs_id = dataset_id(DATA / "preference") if method != "sft" else None
    trained_tokens = max((i["trained_tokens"] for i in curve.train.values()), default=0)
    dset = dataset_id(DATA)
    last = curve.train[max(curve.train)] if curve.train else {}
    metrics = {
        "train_loss": round(last["train_loss"], 4) if last else None,
        "valid_loss": round(curve.valid[max(curve.valid)], 4) if curve.valid else None,
        "test_loss": round(test_loss, 4) if test_loss is not None else None,
        "test_perplexity": round(math.exp(test_loss), 3) if test_loss is not None else None,
        "iterations": args.iters if sft else 0,
        "trained_tokens": trained_tokens,
        "method": method,
        "preference_pairs": preferred.get("pairs"),
        "preference_pairs_too_long": preferred.get("pairs_too_long"),
        "preference_iterations": preferred.get("iterations"),
        "preference_train_loss": round(preferred["curve"][-1][1], 4) if preferred else None,
        "preference_valid_loss": (
            round(preferred["curve"][-1][2], 4)
            if preferred and preferred["curve"][-1][2] is not None
            else None
        ),
        "trainable_parameters": sum(v.size for _, v in tree_flatten(model.trainable_parameters())),
        "dataset_id": dset,
        "base_model": base,
        "base_model_sha256": info["weights_sha256"],
        "dtype": info["dtype"],
        "processes": world.size(),
    }
    write_json(
        PARTIAL / "training.json",
        {
            "dataset_id": dset,
            "method": method,
            "preference_id": pairs_id,
            "params": p,
            "base_model": {"path": base, "sha256": info["weights_sha256"]},
            "dtype": info["dtype"],
        },
    )
    shutil.rmtree(OUT, ignore_errors=True)
    PARTIAL.rename(OUT)
    write_json("metrics/train.json", metrics)
    log_run(
        STAGE,
        seconds=round(seconds, 1),
        tokens_per_second=round(trained_tokens / seconds, 1) if seconds else None,
        peak_memory_gb=round(mx.get_peak_memory() / 1e9, 3),
        blas=info["blas"],
        device=info["device"],
        dataset_id=dset,
    )
    log(
        f"done in {seconds:.0f}s: train {metrics['train_loss']}, valid {metrics['valid_loss']}, "
        f"test {metrics['test_loss']}; adapter in {OUT}/",
    )
    return 0


if __name__ == "__main__":
    use_fast_blas()  # its one restart (Linux CPU) comes before the first log line, not midway
    run_main(STAGE, main)
