"""format: accepted examples -> mlx-lm chat data (train/valid/test), exports and a dataset card.

Reads  data/reviewed/accepted.jsonl, models/base/ (tokenizer, for token lengths), params `format`
Writes data/formatted/{train,valid,test}.jsonl       mlx-lm `messages` rows (+ id and meta keys,
                                                     which mlx-lm's loader ignores)
       data/formatted/alpaca/{train,valid,test}.jsonl and sharegpt/... for other trainers
       data/formatted/README.md                      dataset card
       metrics/format.json

Splits are by passage (no passage in two splits), chosen by a seeded hash so they are stable.
Exact and near-duplicates are removed, the mix by kind is reported against the target (and
enforced by deterministic down-sampling when asked), rows longer than max_seq_length tokens are
dropped or truncated as params say, and every removal is counted. The pieces are in
stages/dataset/ (render, splits, exports, card).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from stages.core.ids import content_id
from stages.core.jsonl import atomic_write_text, read_jsonl, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.params import load_params
from stages.dataset.card import card
from stages.dataset.exports import EXPORTS
from stages.dataset.render import rows_for
from stages.dataset.splits import SPLITS, dataset_id, enforce_mix, split_groups
from stages.model.runtime import special_tokens
from stages.quality.near_duplicates import near_duplicates

STAGE = "format"
OUT = Path("data/formatted")


def unique_examples(
    accepted: list[dict[str, Any]], jaccard: float, removed: Counter
) -> list[dict[str, Any]]:
    """Without exact duplicates (same turns) and near-duplicates; human examples win."""
    seen: set[str] = set()
    unique = []
    for ex in sorted(accepted, key=lambda e: (e["author"] != "human", e["id"])):
        key = content_id("ex", [t["content"] for t in ex["turns"]])
        if key in seen:
            removed["exact duplicate"] += 1
            continue
        seen.add(key)
        unique.append(ex)
    dups = near_duplicates(unique, jaccard)
    removed["near duplicate"] += len(dups)
    return [e for e in unique if e["id"] not in dups]


def fit(row: dict, tokenizer: Any, p: dict[str, Any], removed: Counter) -> dict | None:
    """The row within max_seq_length tokens (dropped, or truncated, as params say)."""
    n_tokens = len(tokenizer.apply_chat_template(row["messages"]))
    if n_tokens > p["max_seq_length"]:
        if p["overflow"] == "drop":
            removed["over max_seq_length (dropped)"] += 1
            return None
        row = truncate(row, tokenizer, p["max_seq_length"])
        removed["over max_seq_length (truncated, kept)"] += 1
        n_tokens = len(tokenizer.apply_chat_template(row["messages"]))
    row["meta"]["tokens"] = n_tokens
    return row


def truncate(row: dict, tokenizer: Any, limit: int) -> dict:
    """Cut the last message word by word until the row fits (recorded in meta)."""
    words = row["messages"][-1]["content"].split(" ")
    while len(words) > 1 and len(tokenizer.apply_chat_template(row["messages"])) > limit:
        words = words[: max(1, int(len(words) * 0.9))]
        row["messages"][-1]["content"] = " ".join(words)
    row["meta"]["truncated"] = True
    return row


def main() -> int:
    p = load_params(STAGE)
    accepted = read_jsonl("data/reviewed/accepted.jsonl")
    from mlx_lm.tokenizer_utils import load as load_tokenizer  # after params: slow import

    tokenizer = load_tokenizer(Path(p["tokenizer"]))
    native_reasoning = "reasoning_content" in (tokenizer.chat_template or "")
    specials = special_tokens(tokenizer)
    say(STAGE, f"{len(accepted)} accepted examples")

    removed: Counter = Counter()
    unique = unique_examples(accepted, p["near_duplicate_jaccard"], removed)
    target = p["mix"]["target"]
    if p["mix"]["enforce"]:
        kept = enforce_mix(unique, target, p["seed"])
        removed["mix down-sampling"] += len(unique) - len(kept)
        unique = kept

    groups = split_groups(sorted({e["passage_id"] for e in unique}), p["splits"], p["seed"])
    rows: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for ex in unique:
        for row in rows_for(ex, p, native_reasoning, specials):
            if (row := fit(row, tokenizer, p, removed)) is not None:
                rows[groups[ex["passage_id"]]].append(row)
    lengths = [r["meta"]["tokens"] for s in SPLITS for r in rows[s]]

    for split in SPLITS:
        write_jsonl(OUT / f"{split}.jsonl", rows[split])
        for name, export in EXPORTS.items():
            write_jsonl(OUT / name / f"{split}.jsonl", [export(r) for r in rows[split]])
    kinds = Counter(e["kind"] for e in unique)
    mix = {
        "target": target,
        "actual": {k: round(v / max(1, len(unique)), 3) for k, v in sorted(kinds.items())},
    }
    dset = dataset_id(OUT)
    atomic_write_text(OUT / "README.md", card(rows, lengths, mix, removed, dset, p))
    write_json(
        "metrics/format.json",
        {
            "dataset_id": dset,
            "examples_in": len(accepted),
            "examples_kept": len(unique),
            "removed": dict(sorted(removed.items())),
            "rows": {s: len(rows[s]) for s in SPLITS},
            "passages": {s: len({r["meta"]["passage_id"] for r in rows[s]}) for s in SPLITS},
            "mix_actual": mix["actual"],
            "mix_target": target,
            "tokens_mean": round(sum(lengths) / len(lengths), 1) if lengths else 0,
            "tokens_max": max(lengths, default=0),
        },
    )
    say(
        STAGE,
        f"{len(unique)} examples -> rows train {len(rows['train'])}, valid "
        f"{len(rows['valid'])}, test {len(rows['test'])}; dataset {dset}",
    )
    return 0


if __name__ == "__main__":
    run_main(STAGE, main)
