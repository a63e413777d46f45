"""check: counts reconcile at every stage boundary (in = kept + rejected + quarantined), and
every line extraction read is in exactly one paragraph record or in removed.jsonl.

    python -m stages check

Reads the outputs and metrics of a finished `dvc repro` and asserts, stage by stage, that
nothing went missing between what came in and what went out. Exit status 1 names every
mismatch. CI runs it after the pipeline test's `dvc repro`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from stages.core.jsonl import read_jsonl
from stages.core.params import load_params
from stages.passages.parse import read_passages
from stages.pdf.paragraphs import Reading, account


def metrics(name: str) -> dict[str, Any]:
    return json.loads(Path(f"metrics/{name}.json").read_text())


def lines(path: str) -> int:
    return len(read_jsonl(path))


def check(params: dict[str, Any]) -> list[str]:
    problems: list[str] = []

    def expect(what: str, left: int, right: int) -> None:
        if left != right:
            problems.append(f"{what}: {left} != {right}")

    ex = metrics("extract")
    docs = read_jsonl("data/extracted/documents.jsonl")
    expect(
        "extract: documents = ok + failed",
        ex["documents"],
        ex["documents_ok"]
        + sum(v for k, v in ex["documents_failed"].items() if k != "outside-input"),
    )
    expect("extract: documents.jsonl rows", len(docs), ex["documents"])
    paragraphs = read_jsonl("data/extracted/paragraphs.jsonl")
    removed = read_jsonl("data/extracted/removed.jsonl")
    expect(
        "extract: paragraphs.jsonl rows = sum over documents",
        len(paragraphs),
        sum(d["paragraphs"] for d in docs),
    )
    for d in docs:  # every line read is in one paragraph record or in removed.jsonl
        if d["status"] != "ok":
            continue
        reading = Reading(
            [r for r in paragraphs if r["doc_id"] == d["id"]],
            [r for r in removed if r["doc_id"] == d["id"]],
            d["lines"],
            0,
        )
        problems += [f"extract: {d['path']}: {p}" for p in account(reading)[:20]]

    picked = read_passages(params["curate"]["passages"])
    expect(
        "curate: passages in the passages file = curated passages",
        len(picked),
        lines("data/curated/passages.jsonl"),
    )

    g = metrics("generate")
    expect(
        "generate: jobs = examples + quarantined + failed",
        g["jobs"],
        g["examples"] + g["quarantined"] + g["failed"],
    )
    expect(
        "generate: quarantine.jsonl rows",
        lines("data/generated/quarantine.jsonl"),
        g["quarantined"],
    )
    expect("generate: failed.jsonl rows", lines("data/generated/failed.jsonl"), g["failed"])
    expect(
        "generate: examples.jsonl rows = unique examples + gold",
        lines("data/generated/examples.jsonl"),
        g["examples_unique"] + g["gold_examples"],
    )

    r = metrics("review_merge")
    expect(
        "review_merge: examples in + edits = accepted + rejected + pending",
        r["examples_in"] + r["edits_added"],
        r["accepted"] + r["rejected"] + r["pending"],
    )
    expect(
        "review_merge: examples in = examples.jsonl rows",
        r["examples_in"],
        lines("data/generated/examples.jsonl"),
    )
    for name in ("accepted", "rejected", "pending"):
        expect(f"review_merge: {name}.jsonl rows", lines(f"data/reviewed/{name}.jsonl"), r[name])
    expect(
        "review_merge: orphans.jsonl rows",
        lines("data/reviewed/orphans.jsonl"),
        r["orphaned_decisions"],
    )

    f = metrics("format")
    expect("format: examples in = accepted", f["examples_in"], r["accepted"])
    expect(
        "format: examples in = kept + removed",
        f["examples_in"],
        f["examples_kept"] + sum(v for k, v in f["removed"].items() if "truncated" not in k),
    )
    for split, n in f["rows"].items():
        expect(f"format: {split}.jsonl rows", lines(f"data/formatted/{split}.jsonl"), n)

    if Path("metrics/train.json").exists():
        t = metrics("train")
        if t["dataset_id"] != f["dataset_id"]:
            problems.append(
                f"train: adapter trained on {t['dataset_id']}, formatted data is "
                f"{f['dataset_id']} (run dvc repro)"
            )
    if Path("metrics/evaluate.json").exists():
        e = metrics("evaluate")
        expect(
            "evaluate: samples = probes x 2 models",
            lines("data/eval/samples.jsonl"),
            2 * e["probes"],
        )
    return problems


def main() -> int:
    problems = check(load_params())
    for line in problems:
        print(f"MISMATCH {line}", file=sys.stderr)
    print("counts reconcile at every stage" if not problems else f"{len(problems)} mismatch(es)")
    return 1 if problems else 0
