"""format: mlx-lm chat data split by passage, rendering options, exports; read by mlx-lm itself."""

from __future__ import annotations

import json
import types
from pathlib import Path

from stages.core.jsonl import read_jsonl, write_jsonl
from tests.conftest import gold_rows, stage

P = {"system_prompts": {}, "state": "drop", "thinking": "inline", "multiturn": "all"}
EX = {
    "kind": "conversation",
    "turns": [
        {"role": "user", "content": "Hi </thinking> there"},
        {
            "role": "assistant",
            "thinking": "I notice a small <thinking> lift.",
            "content": "Hello.",
            "state": {"emotion": "calm", "certainty": 0.8},
        },
    ],
}


def test_stage_output_loads_in_mlx_lm(project: Path) -> None:
    """Rows keep id/meta keys; mlx-lm's own loader reads the files and tokenizes every row."""
    for name in ("prepare_model", "extract", "curate"):
        stage(name)
    rows = gold_rows(reviewed=True)
    write_jsonl("data/reviewed/accepted.jsonl", rows)
    write_jsonl("data/reviewed/rejected.jsonl", [])
    write_jsonl("data/reviewed/pending.jsonl", [])
    stage("negatives")  # off by default: an empty file
    proc = stage("format", check=False)
    assert proc.returncode == 0, proc.stderr
    splits = {s: read_jsonl(f"data/formatted/{s}.jsonl") for s in ("train", "valid", "test")}
    passages = {s: {r["meta"]["passage_id"] for r in rows} for s, rows in splits.items()}
    assert not (
        passages["train"] & passages["valid"]
        or passages["train"] & passages["test"]
        or passages["valid"] & passages["test"]
    )
    assert all(
        r["example_id"].startswith("ex_") and r["meta"]["doc"] for v in splits.values() for r in v
    )
    metrics = json.loads(Path("metrics/format.json").read_text())
    assert metrics["rows"] == {s: len(v) for s, v in splits.items()}
    # one row per assistant turn of every example kept by the mix: every turn is trained
    kept = {r["example_id"] for v in splits.values() for r in v}
    turns = sum(1 for e in rows if e["id"] in kept for t in e["turns"] if t["role"] == "assistant")
    assert sum(len(v) for v in splits.values()) == turns == metrics["assistant_turns_trained"]
    assert metrics["examples_kept"] == len(kept) and metrics["mix_short"]  # 10 gold: few kinds
    # nothing rejected, nothing edited: no preference pairs, and the files say so
    assert metrics["preference_pairs"] == {"train": 0, "valid": 0, "test": 0}
    assert all(read_jsonl(f"data/formatted/preference/{s}.jsonl") == [] for s in splits)
    card = Path("data/formatted/README.md").read_text()
    assert (
        "Dataset id: `dset_" in card and "## Mix by kind" in card and "Short of the target" in card
    )

    # the card's YAML header makes the folder a Hugging Face dataset with three configurations
    import datasets

    datasets.disable_progress_bars()
    for config, column in (
        ("messages", "messages"),
        ("sharegpt", "conversations"),
        ("alpaca", "output"),
    ):
        loaded = datasets.load_dataset("data/formatted", config)
        assert (
            set(loaded) == {"train", "validation", "test"}
            and column in loaded["train"].column_names
        )
    sharegpt = datasets.load_dataset("data/formatted", "sharegpt")["train"]
    assert any("<thinking>" in t["value"] for c in sharegpt["conversations"] for t in c)

    from mlx_lm.tuner.datasets import load_local_dataset
    from mlx_lm.utils import load_tokenizer

    tokenizer = load_tokenizer(Path("models/base"))
    train, valid, test = load_local_dataset(
        Path("data/formatted"), tokenizer, types.SimpleNamespace(mask_prompt=True)
    )
    for ds in (train, valid, test):
        for i in range(len(ds)):
            tokens, offset = ds.process(ds[i])
            assert len(tokens) > offset > 0
