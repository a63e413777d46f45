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
dropped or truncated as params say, and every removal is counted.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from stages.core.checks import near_duplicates
from stages.core.ids import content_id, sha256_file
from stages.core.jsonl import DataError, atomic_write_text, read_jsonl, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.mlx_model import neutralize, special_tokens
from stages.core.params import load_params

STAGE = "format"
OUT = Path("data/formatted")
SPLITS = ("train", "valid", "test")
TAG = re.compile(r"</?\s*thinking\s*>", re.IGNORECASE)


def rank(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def split_groups(groups: list[str], ratios: dict[str, float], seed: int) -> dict[str, str]:
    """group -> split; valid and test get at least one group each when there are 3 or more."""
    if len(groups) < 3:
        raise DataError(
            f"only {len(groups)} passage(s) with accepted examples: a split by passage "
            "needs at least 3 (add passages to data/passages.md or accept more examples)"
        )
    order = sorted(groups, key=lambda g: rank(seed, g))
    n = len(order)
    n_valid = max(1, round(n * ratios["valid"]))
    n_test = max(1, round(n * ratios["test"]))
    if n_valid + n_test >= n:
        n_valid, n_test = 1, 1
    out = {g: "valid" for g in order[:n_valid]}
    out |= {g: "test" for g in order[n_valid : n_valid + n_test]}
    out |= {g: "train" for g in order[n_valid + n_test :]}
    return out


def render_turns(
    ex: dict[str, Any], p: dict[str, Any], native_reasoning: bool, specials: list[str] = ()
) -> list[dict]:
    messages = []
    system = (p["system_prompts"] or {}).get(ex["kind"])
    if system:
        messages.append({"role": "system", "content": system})
    for t in ex["turns"]:
        # a field can never open or close the <thinking> tags, nor turn into a special token
        content = neutralize(TAG.sub("", t["content"]).strip(), specials)
        msg: dict[str, Any] = {"role": t["role"], "content": content}
        if t.get("state") and p["state"] == "inline":
            state = ", ".join(f"{k}: {v}" for k, v in sorted(t["state"].items()))
            msg["content"] = f"[state: {state}]\n{content}"
        thinking = neutralize(TAG.sub("", t.get("thinking", "")).strip(), specials)
        if thinking and p["thinking"] == "inline":
            msg["content"] = f"<thinking>\n{thinking}\n</thinking>\n\n{msg['content']}"
        elif thinking and p["thinking"] == "reasoning":
            if not native_reasoning:
                raise DataError(
                    "format.thinking is 'reasoning' but the base model's chat template "
                    "has no reasoning field; use 'inline' or 'drop'"
                )
            msg["reasoning_content"] = thinking
        messages.append(msg)
    return messages


def rows_for(
    ex: dict[str, Any], p: dict[str, Any], native_reasoning: bool, specials: list[str]
) -> list[dict[str, Any]]:
    messages = render_turns(ex, p, native_reasoning, specials)
    meta = {
        "kind": ex["kind"],
        "template": ex["template"],
        "template_version": ex["template_version"],
        "author": ex["author"],
        "passage_id": ex["passage_id"],
        "doc_id": ex["doc_id"],
        "doc": ex["doc"],
        "pages": [ex["page_start"], ex["page_end"]],
        "prompt_id": ex["lineage"]["prompt_id"],
        "request_keys": ex["lineage"]["request_keys"],
        "teacher": ex["lineage"]["teacher"],
        "review": ex["review"]["decision"] or ("auto" if ex["review"]["auto"] else None),
    }
    if p["state"] == "metadata":
        meta["states"] = [t.get("state") for t in ex["turns"] if t["role"] == "assistant"]
    if p["multiturn"] == "expand":
        ends = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
        return [
            {
                "id": f"{ex['id']}#{n + 1}",
                "example_id": ex["id"],
                "messages": messages[: e + 1],
                "meta": meta | {"turn": n + 1},
            }
            for n, e in enumerate(ends)
        ]
    return [{"id": ex["id"], "example_id": ex["id"], "messages": messages, "meta": meta}]


def enforce_mix(examples: list[dict], target: dict[str, float], seed: int) -> list[dict]:
    """Largest subset matching the target shares, keeping examples by a seeded hash order."""
    by_kind: dict[str, list[dict]] = {}
    for e in sorted(examples, key=lambda e: rank(seed, e["id"])):
        by_kind.setdefault(e["kind"], []).append(e)
    shares = {k: v for k, v in target.items() if v > 0}
    total = min(len(by_kind.get(k, [])) / s for k, s in shares.items())
    keep = []
    for k, s in shares.items():
        keep += by_kind.get(k, [])[: int(total * s + 1e-9)]
    return keep


def card(
    rows: dict[str, list[dict]],
    lengths: list[int],
    mix: dict,
    removed: Counter,
    dataset_id: str,
    p: dict,
) -> str:
    table = pd.DataFrame([{"split": s, **r["meta"]} for s in SPLITS for r in rows[s]])
    lines = [
        "# Dataset card: inner-life LoRA data",
        "",
        f"Dataset id: `{dataset_id}` (sha256 of train/valid/test). Built by `dvc repro format`; "
        "every row keeps its example id and lineage under `meta`.",
        "",
        "## Rows",
        "",
    ]
    if table.empty:
        return "\n".join(lines + ["(no rows)", ""])
    counts = table.pivot_table(
        index="kind", columns="split", values="template", aggfunc="count", fill_value=0
    ).reindex(columns=list(SPLITS), fill_value=0)
    lines += [
        counts.to_markdown(),
        "",
        "## Mix by kind (train+valid+test examples)",
        "",
        "| kind | target | actual |",
        "|---|---|---|",
    ]
    for kind in sorted(set(mix["target"]) | set(mix["actual"])):
        lines.append(
            f"| {kind} | {mix['target'].get(kind, 0):.2f} | {mix['actual'].get(kind, 0):.2f} |"
        )
    lines += ["", "## Token lengths (chat template applied)", "", "| tokens | rows |", "|---|---|"]
    edges = [0, 128, 256, 384, 512, 768, 1024, 2048, 4096, 10**9]
    hist = pd.cut(pd.Series(lengths, dtype="int64"), edges, right=False).value_counts(sort=False)
    for interval, n in hist.items():
        if n:
            hi = "inf" if interval.right >= 10**9 else int(interval.right)
            lines.append(f"| {int(interval.left)}-{hi} | {n} |")
    lineage = {
        "documents": sorted(table["doc"].unique()),
        "passages": table["passage_id"].nunique(),
        "templates": sorted(table["template"].unique()),
        "authors": dict(Counter(table["author"])),
        "teachers": sorted({f"{t['provider']}:{t['model']}" for t in table["teacher"]}),
    }
    lines += [
        "",
        "## Lineage",
        "",
        f"- documents: {', '.join(f'`{d}`' for d in lineage['documents'])}",
        f"- passages: {lineage['passages']}",
        f"- templates: {', '.join(lineage['templates'])}",
        f"- authors: {', '.join(f'{k} {v}' for k, v in sorted(lineage['authors'].items()))}",
        f"- teachers: {', '.join(lineage['teachers'])}",
        "",
        "## Removed",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in sorted(removed.items())] or ["- nothing"]
    lines += [
        "",
        "## Rendering",
        "",
        f"thinking: `{p['thinking']}`, multi-turn: `{p['multiturn']}`, state: `{p['state']}`, "
        f"max_seq_length: {p['max_seq_length']} ({p['overflow']} longer rows)",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    p = load_params(STAGE)
    accepted = read_jsonl("data/reviewed/accepted.jsonl")
    from mlx_lm.tokenizer_utils import load as load_tokenizer  # after params: slow import

    tokenizer = load_tokenizer(Path(p["tokenizer"]))
    native_reasoning = "reasoning_content" in (tokenizer.chat_template or "")
    specials = special_tokens(tokenizer)
    say(STAGE, f"{len(accepted)} accepted examples")

    removed: Counter = Counter()
    seen_messages: dict[str, str] = {}
    unique = []
    for ex in sorted(accepted, key=lambda e: (e["author"] != "human", e["id"])):
        key = content_id("ex", [t["content"] for t in ex["turns"]])
        if key in seen_messages:
            removed["exact duplicate"] += 1
            continue
        seen_messages[key] = ex["id"]
        unique.append(ex)
    dups = near_duplicates(unique, p["near_duplicate_jaccard"])
    unique = [e for e in unique if e["id"] not in dups]
    removed["near duplicate"] += len(dups)

    target = p["mix"]["target"]
    if p["mix"]["enforce"]:
        kept = enforce_mix(unique, target, p["seed"])
        removed["mix down-sampling"] += len(unique) - len(kept)
        unique = kept

    groups = split_groups(sorted({e["passage_id"] for e in unique}), p["splits"], p["seed"])
    rows: dict[str, list[dict]] = {s: [] for s in SPLITS}
    lengths = []
    for ex in unique:
        for row in rows_for(ex, p, native_reasoning, specials):
            n_tokens = len(tokenizer.apply_chat_template(row["messages"]))
            if n_tokens > p["max_seq_length"]:
                if p["overflow"] == "drop":
                    removed["over max_seq_length (dropped)"] += 1
                    continue
                row = truncate(row, tokenizer, p["max_seq_length"])
                removed["over max_seq_length (truncated, kept)"] += 1
                n_tokens = len(tokenizer.apply_chat_template(row["messages"]))
            row["meta"]["tokens"] = n_tokens
            lengths.append(n_tokens)
            rows[groups[ex["passage_id"]]].append(row)

    for split in SPLITS:
        write_jsonl(OUT / f"{split}.jsonl", rows[split])
        write_jsonl(OUT / "alpaca" / f"{split}.jsonl", [alpaca(r) for r in rows[split]])
        write_jsonl(OUT / "sharegpt" / f"{split}.jsonl", [sharegpt(r) for r in rows[split]])
    kinds = Counter(e["kind"] for e in unique)
    mix = {
        "target": target,
        "actual": {k: round(v / max(1, len(unique)), 3) for k, v in sorted(kinds.items())},
    }
    dataset_id = content_id("dset", [sha256_file(OUT / f"{s}.jsonl") for s in SPLITS])
    atomic_write_text(OUT / "README.md", card(rows, lengths, mix, removed, dataset_id, p))
    write_json(
        "metrics/format.json",
        {
            "dataset_id": dataset_id,
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
        f"{len(rows['valid'])}, test {len(rows['test'])}; dataset {dataset_id}",
    )
    return 0


def truncate(row: dict, tokenizer: Any, limit: int) -> dict:
    """Cut the last message word by word until the row fits (recorded in meta)."""
    words = row["messages"][-1]["content"].split(" ")
    while len(words) > 1 and len(tokenizer.apply_chat_template(row["messages"])) > limit:
        words = words[: max(1, int(len(words) * 0.9))]
        row["messages"][-1]["content"] = " ".join(words)
    row["meta"]["truncated"] = True
    return row


def alpaca(row: dict) -> dict:
    msgs = [m for m in row["messages"] if m["role"] != "system"]
    system = next((m["content"] for m in row["messages"] if m["role"] == "system"), "")
    pairs = [(msgs[i]["content"], msgs[i + 1]["content"]) for i in range(0, len(msgs) - 1, 2)]
    return {
        "id": row["id"],
        "instruction": pairs[-1][0],
        "input": "",
        "output": pairs[-1][1],
        "system": system,
        "history": [list(p) for p in pairs[:-1]],
    }


def sharegpt(row: dict) -> dict:
    names = {"system": "system", "user": "human", "assistant": "gpt"}
    return {
        "id": row["id"],
        "conversations": [
            {"from": names[m["role"]], "value": m["content"]} for m in row["messages"]
        ],
    }


if __name__ == "__main__":
    run_main(STAGE, main)
