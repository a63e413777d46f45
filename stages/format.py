"""format: accepted examples -> mlx-lm chat data (train/valid/test), exports and a dataset card.

Reads  data/reviewed/accepted.jsonl, data/reviewed/rejected.jsonl and
       data/negatives/negatives.jsonl (preference pairs), the base model's tokenizer (token
       lengths), params `format` and `model`
Writes data/formatted/{train,valid,test}.jsonl       mlx-lm `messages` rows (+ id and meta keys,
                                                     which mlx-lm's loader ignores)
       data/formatted/alpaca/{train,valid,test}.jsonl and sharegpt/... for other trainers
       data/formatted/preference/{train,valid,test}.jsonl  prompt/chosen/rejected pairs from
                                                     review (stages/dataset/preferences.py),
                                                     for train.method dpo or orpo
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
from stages.dataset.preferences import SOURCES, preference_pairs
from stages.dataset.render import export_messages, rows_for
from stages.dataset.splits import SPLITS, dataset_id, mix, split_groups
from stages.model.runtime import load_tokenizer, special_tokens
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
    pending = sum(1 for e in read_jsonl("data/reviewed/pending.jsonl") if e["author"] != "human")
    tokenizer = load_tokenizer(load_params("model")["base"])
    native_reasoning = "reasoning_content" in (tokenizer.chat_template or "")
    specials = special_tokens(tokenizer)
    say(STAGE, f"{len(accepted)} accepted examples ({pending} still waiting for review)")

    removed: Counter = Counter()
    unique = unique_examples(accepted, p["near_duplicate_jaccard"], removed)
    before_mix = unique
    unique, by_kind = mix(unique, p["mix"]["target"], p["seed"], p["mix"]["enforce"])
    removed["mix down-sampling"] += sum(m["left_out"] for m in by_kind.values())

    groups = split_groups(sorted({e["passage_id"] for e in unique}), p["splits"], p["seed"])
    rows: dict[str, list[dict]] = {s: [] for s in SPLITS}
    exports: dict[str, dict[str, list[dict]]] = {n: {s: [] for s in SPLITS} for n in EXPORTS}
    for ex in unique:
        split = groups[ex["passage_id"]]
        for row in rows_for(ex, p, native_reasoning, specials):
            if (row := fit(row, tokenizer, p, removed)) is not None:
                rows[split].append(row)
        for name, export in EXPORTS.items():
            exports[name][split] += export(ex["id"], export_messages(ex, p, specials))

    reviewed = read_jsonl("data/reviewed/rejected.jsonl")
    negatives = read_jsonl("data/negatives/negatives.jsonl")
    pairs, by_source = preference_pairs(unique, reviewed, p, native_reasoning, specials, negatives)
    # pairs whose chosen side the mix left out are not trained either: counted, not hidden
    unmixed, _ = preference_pairs(before_mix, reviewed, p, native_reasoning, specials, negatives)
    preference = {s: [r for r in pairs if groups[r["meta"]["passage_id"]] == s] for s in SPLITS}

    for split in SPLITS:
        write_jsonl(OUT / f"{split}.jsonl", rows[split])
        for name in EXPORTS:
            write_jsonl(OUT / name / f"{split}.jsonl", exports[name][split])
        write_jsonl(OUT / "preference" / f"{split}.jsonl", preference[split])
    dset = dataset_id(OUT)
    pairs_id = dataset_id(OUT / "preference")
    atomic_write_text(
        OUT / "README.md",
        card(rows, by_kind, removed, pending, dset, p, (preference, by_source, pairs_id)),
    )
    lengths = [r["meta"]["tokens"] for s in SPLITS for r in rows[s]]
    write_json(
        "metrics/format.json",
        {
            "dataset_id": dset,
            "examples_in": len(accepted),
            "examples_kept": len(unique),
            "pending_review": pending,
            "removed": dict(sorted((k, v) for k, v in removed.items() if v)),
            "rows": {s: len(rows[s]) for s in SPLITS},
            "passages": {s: len({r["meta"]["passage_id"] for r in rows[s]}) for s in SPLITS},
            "mix": {k: m["share"] for k, m in by_kind.items()},
            "mix_target": p["mix"]["target"],
            "mix_short": sorted(k for k, m in by_kind.items() if m["short"]),
            # each row trains its last assistant message (mlx-lm's mask_prompt)
            "assistant_turns": sum(
                1 for e in unique for t in e["turns"] if t["role"] == "assistant"
            ),
            "assistant_turns_trained": sum(len(rows[s]) for s in SPLITS),
            "preference_pairs": {s: len(preference[s]) for s in SPLITS},
            "preference_sources": {k: by_source[k] for k in SOURCES},
            "preference_left_out_by_mix": len(unmixed) - len(pairs),
            "preference_id": pairs_id,
            "tokens_mean": round(sum(lengths) / len(lengths), 1) if lengths else 0,
            "tokens_max": max(lengths, default=0),
        },
    )
    say(
        STAGE,
        f"{len(unique)} examples -> rows train {len(rows['train'])}, valid "
        f"{len(rows['valid'])}, test {len(rows['test'])}; dataset {dset}; "
        f"{len(pairs)} preference pairs ({', '.join(f'{k} {by_source[k]}' for k in SOURCES)})",
    )
    return 0


if __name__ == "__main__":
    run_main(STAGE, main)
