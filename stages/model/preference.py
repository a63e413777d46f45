"""Preference training (DPO, ORPO) on the review's pairs with mlx-lm-lora's losses. Used by the
train stage when `train.method` is dpo or orpo.

The losses, token scores and batch iterators are mlx-lm-lora's own (its trainer modules); the
loop around them is here, for two reasons: mlx-lm-lora's `train_dpo`/`train_orpo` start by
asking for the Metal working-set size (`mx.device_info()["max_recommended_working_set_size"]`),
which MLX on a Linux CPU does not report, so they stop with a KeyError there; and the loop must
be seeded and record the same loss curve as SFT (stages/model/training.py) so a rerun gives the
same adapter. Rows carry their conversation `history`, which mlx-lm-lora's own loader drops.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError, read_jsonl


class PairSet:
    """Tokenised pairs as mlx-lm-lora's batch iterators read them: chosen and rejected token
    ids and the length of the prompt they share (its tokens carry no loss)."""

    def __init__(self, rows: list[dict[str, Any]], tokenizer: Any, max_seq_length: int):
        self.items = []
        self.too_long = 0  # pairs whose prompt alone fills max_seq_length: counted, not trained
        for row in rows:
            context = [{"role": "system", "content": row["system"]}] if row.get("system") else []
            context += row.get("history", []) + [{"role": "user", "content": row["prompt"]}]
            prompt = tokenizer.apply_chat_template(context, add_generation_prompt=True)
            chosen, rejected = (
                tokenizer.apply_chat_template(context + [{"role": "assistant", "content": text}])
                for text in (row["chosen"], row["rejected"])
            )
            for side in (chosen, rejected):
                if side[: len(prompt)] != prompt:
                    raise DataError(
                        f"pair {row['id']}: the chat template does not render the prompt as a "
                        "prefix of the reply, so the reply's tokens cannot be told apart"
                    )
            if len(prompt) >= max_seq_length:
                self.too_long += 1  # nothing of either reply would be left to compare
                continue
            self.items.append(
                {
                    "chosen": chosen,
                    "rejected": rejected,
                    "chosen_prompt_length": len(prompt),
                    "rejected_prompt_length": len(prompt),
                    "preference_score": 1.0,
                }
            )

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]


def load_pairs(data: Path, tokenizer: Any, max_seq_length: int) -> dict[str, PairSet]:
    return {
        split: PairSet(read_jsonl(data / f"{split}.jsonl"), tokenizer, max_seq_length)
        for split in ("train", "valid")
    }


def preference_loss(method: str, model: Any, reference: Any, pp: dict[str, Any]) -> Any:
    """loss(chosen, rejected, chosen_mask, rejected_mask[, scores]) -> scalar: mlx-lm-lora's
    DPO loss against the frozen `reference`, or its ORPO loss (no reference)."""
    import mlx.core as mx
    from mlx_lm_lora.trainer.dpo_trainer import compute_score, dpo_loss, get_token_scores
    from mlx_lm_lora.trainer.orpo_trainer import orpo_loss_from_model

    def score(m: Any, tokens: Any, mask: Any) -> Any:
        return compute_score(get_token_scores(m, tokens, mask), mask, pp["loss_type"])

    def loss(*batch: Any) -> Any:
        if method == "orpo":
            return orpo_loss_from_model(model, *batch, beta=pp["beta"])[0]
        chosen, rejected, chosen_mask, rejected_mask = batch[:4]
        return dpo_loss(
            policy_chosen_score=score(model, chosen, chosen_mask),
            policy_rejected_score=score(model, rejected, rejected_mask),
            reference_chosen_score=mx.stop_gradient(score(reference, chosen, chosen_mask)),
            reference_rejected_score=mx.stop_gradient(score(reference, rejected, rejected_mask)),
            chosen_masks=chosen_mask,
            rejected_masks=rejected_mask,
            beta=pp["beta"],
            delta=50.0,  # dpop's penalty weight, mlx-lm-lora's default
            loss_type=pp["loss_type"],
        )[0]

    return loss


def train_preference(
    method: str,
    model: Any,
    reference: Any,
    pairs: dict[str, PairSet],
    p: dict[str, Any],
    log: Any,
) -> dict[str, Any]:
    """Train `model`'s trainable parameters on the pairs; `reference` (frozen) is DPO's
    reference policy. Returns the loss curve and figures for metrics/train.json."""
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim
    import numpy as np
    from mlx_lm_lora.trainer.dpo_trainer import iterate_dpo_batches
    from mlx_lm_lora.trainer.orpo_trainer import iterate_orpo_batches

    pp = p["preference"]
    if len(pairs["train"]) < pp["batch_size"]:
        raise DataError(
            f"train.method {method}: {len(pairs['train'])} preference pairs in the train split, "
            f"fewer than train.preference.batch_size ({pp['batch_size']}): review more examples "
            "(reject or edit teacher replies), or set train.method: sft"
        )
    iters = pp["iters"] or math.ceil(pp["epochs"] * len(pairs["train"]) / pp["batch_size"])

    loss = preference_loss(method, model, reference, pp)
    iterate = iterate_orpo_batches if method == "orpo" else iterate_dpo_batches

    def batches(split: str, train: bool) -> Any:
        size = pp["batch_size"] if train else 1
        for batch in iterate(pairs[split], size, p["max_seq_length"], train=train):
            yield batch if method == "orpo" else batch[:4]

    def valid_loss() -> float | None:
        if not len(pairs["valid"]):
            return None
        losses = [loss(*b).item() for b in batches("valid", False)]
        return math.fsum(losses) / len(losses)

    mx.random.seed(p["seed"])
    np.random.seed(p["seed"])  # mlx-lm-lora's batch order comes from numpy's generator
    optimizer = optim.AdamW(learning_rate=pp["learning_rate"], weight_decay=p["weight_decay"])
    step = nn.value_and_grad(model, loss)
    curve: list[tuple[int, float, float | None]] = []
    model.train()
    running: list[float] = []
    for it, batch in zip(range(1, iters + 1), batches("train", True), strict=False):
        value, grad = step(*batch)
        optimizer.update(model, grad)
        mx.eval(model.parameters(), optimizer.state, value)
        running.append(value.item())
        if it % p["eval_every"] == 0 or it == iters:
            model.eval()
            valid = valid_loss()
            model.train()
            curve.append((it, math.fsum(running) / len(running), valid))
            log(
                f"{method} iter {it}/{iters}: train loss {curve[-1][1]:.4f}, valid loss "
                + (f"{valid:.4f}" if valid is not None else "-")
            )
            running = []
    model.eval()
    return {
        "iterations": iters,
        "pairs": len(pairs["train"]),
        "pairs_too_long": {split: pairs[split].too_long for split in pairs},
        "curve": curve,
    }
