"""The dataset card (data/formatted/README.md): rows, mix, token lengths, lineage, removals."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from stages.dataset.splits import SPLITS


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
