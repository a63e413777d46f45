"""The dataset card (data/formatted/README.md), readable by people and by Hugging Face.

A YAML header names the configurations, so `datasets.load_dataset(folder, "sharegpt")`
(or "messages", "alpaca", "preference") loads the right files, with the license and tags;
the body shows rows per kind and split, the mix against its target (and which kinds are
short), what is still waiting for review, token lengths, lineage, every removal and the
preference pairs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import yaml

from stages.core.tables import markdown_table
from stages.dataset.exports import EXPORTS
from stages.dataset.splits import SPLITS

HF_SPLITS = {"train": "train", "valid": "validation", "test": "test"}


def header(license_id: str) -> str:
    """The Hugging Face dataset card metadata."""

    def files(folder: str) -> list[dict[str, str]]:
        return [{"split": HF_SPLITS[s], "path": f"{folder}{s}.jsonl"} for s in SPLITS]

    meta: dict[str, Any] = {
        "license": license_id,
        "language": ["en"],
        "pretty_name": "inner-life LoRA data",
        "tags": ["lora", "mlx", "chat", "inner-monologue", "synthetic", "dvc"],
        "task_categories": ["text-generation"],
        "configs": [{"config_name": "messages", "default": True, "data_files": files("")}]
        + [
            {"config_name": name, "data_files": files(f"{name}/")}
            for name in (*EXPORTS, "preference")
        ],
    }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"


def card(
    rows: dict[str, list[dict]],
    mix: dict[str, dict[str, Any]],
    removed: Counter,
    pending: int,
    dataset_id: str,
    p: dict,
    preference: tuple[dict[str, list[dict]], Counter, str] | None = None,
) -> str:
    table = pd.DataFrame(
        [{"split": s, "example_id": r["example_id"], **r["meta"]} for s in SPLITS for r in rows[s]]
    )
    lines = [
        header(p["license"]),
        "# Dataset card: inner-life LoRA data",
        "",
        f"Dataset id: `{dataset_id}` (sha256 of train/valid/test). Built by `dvc repro format`; "
        "every row keeps its example id and lineage under `meta`. Configurations: `messages` "
        "(mlx-lm chat rows, one per assistant turn), `sharegpt` (one conversation per example) "
        "and `alpaca` (one row per assistant turn); the visible thinking is in all three.",
        "",
        "## Rows",
        "",
    ]
    if table.empty:
        return "\n".join(lines + ["(no rows)", ""])
    counts = table.pivot_table(
        index="kind", columns="split", values="template", aggfunc="count", fill_value=0
    ).reindex(columns=list(SPLITS), fill_value=0)
    short = [k for k, m in mix.items() if m["short"]]
    mix_rows = [
        {
            "kind": k,
            "target": f"{m['target']:.2f}",
            "share kept": f"{m['share']:.2f}",
            "examples": m["available"],
            "kept": m["kept"],
            "left out": m["left_out"],
            "short": "yes" if m["short"] else "",
        }
        for k, m in mix.items()
    ]
    lines += [
        counts.to_markdown(),
        "",
        f"## Mix by kind (examples; `format.mix.enforce: {str(p['mix']['enforce']).lower()}`)",
        "",
        markdown_table(mix_rows),
        "",
        f"Short of the target: {', '.join(short) if short else 'none'}. "
        f"{pending} teacher example(s) are waiting for review and are not in this dataset "
        "(`python -m stages review`).",
        "",
        "## Token lengths (chat template applied)",
        "",
    ]
    edges = [0, 128, 256, 384, 512, 768, 1024, 2048, 4096, 10**9]
    lengths = pd.Series([r["meta"]["tokens"] for s in SPLITS for r in rows[s]], dtype="int64")
    hist = pd.cut(lengths, edges, right=False).value_counts(sort=False)
    bins = [
        {"tokens": f"{int(i.left)}-{'inf' if i.right >= 10**9 else int(i.right)}", "rows": n}
        for i, n in hist.items()
        if n
    ]
    lines.append(markdown_table(bins))
    authors = Counter(table.drop_duplicates("example_id")["author"])
    teachers = sorted({f"{t['provider']}:{t['model']}" for t in table["teacher"]})
    lines += [
        "",
        "## Lineage",
        "",
        f"- documents: {', '.join(f'`{d}`' for d in sorted(table['doc'].unique()))}",
        f"- passages: {table['passage_id'].nunique()}",
        f"- templates: {', '.join(sorted(table['template'].unique()))}",
        f"- examples by author: {', '.join(f'{k} {v}' for k, v in sorted(authors.items()))}",
        f"- teachers: {', '.join(teachers)}",
        "",
        "## Removed",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in sorted(removed.items()) if v] or ["- nothing"]
    if preference is not None:
        pairs, by_source, pairs_id = preference
        lines += [
            "",
            "## Preference pairs (`preference/`, for `train.method` dpo or orpo)",
            "",
            f"Pair set id: `{pairs_id}`. From review: {by_source['edit']} from edits (chosen: "
            f"the edit, rejected: the original), {by_source['rejected']} from rejected "
            "examples against a kept one from the same prompt, "
            f"{by_source['negative']} from the teacher's deliberate negatives (a kept reply "
            "rewritten in a style review turns down, `negatives.styles`). Rows by split: "
            + ", ".join(f"{s} {len(pairs[s])}" for s in SPLITS)
            + ". Each row names both examples under `meta`.",
        ]
    lines += [
        "",
        "## Rendering",
        "",
        f"thinking: `{p['thinking']}`, multi-turn: `{p['multiturn']}`, state: `{p['state']}`, "
        f"max_seq_length: {p['max_seq_length']} ({p['overflow']} longer rows)",
        "",
    ]
    return "\n".join(lines)
