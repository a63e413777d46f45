"""format: mlx-lm chat data split by passage, rendering options, exports; read by mlx-lm itself."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from stages.core.jsonl import read_jsonl, write_jsonl
from stages.format import alpaca, enforce_mix, render_turns, sharegpt, split_groups
from tests.conftest import gold_rows

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


def test_split_is_by_passage_deterministic_and_covers_all_splits() -> None:
    groups = [f"psg_{i:016x}" for i in range(10)]
    ratios = {"train": 0.7, "valid": 0.15, "test": 0.15}
    a = split_groups(groups, ratios, 0)
    assert a == split_groups(list(reversed(groups)), ratios, 0)
    assert set(a.values()) == {"train", "valid", "test"}
    assert a != split_groups(groups, ratios, 1)
    with pytest.raises(Exception, match="needs at least 3"):
        split_groups(groups[:2], ratios, 0)


def test_thinking_rendering_and_untrusted_tags() -> None:
    msgs = render_turns(EX, P, native_reasoning=False)
    assert msgs[1]["content"] == "<thinking>\nI notice a small  lift.\n</thinking>\n\nHello."
    assert "</thinking>" not in msgs[0]["content"]  # a field cannot close the tag
    assert render_turns(EX, P | {"thinking": "drop"}, False)[1]["content"] == "Hello."
    with pytest.raises(Exception, match="no reasoning field"):
        render_turns(EX, P | {"thinking": "reasoning"}, native_reasoning=False)
    assert render_turns(EX, P | {"thinking": "reasoning"}, True)[1]["reasoning_content"]
    inline = render_turns(EX, P | {"state": "inline", "thinking": "drop"}, False)[1]["content"]
    assert inline == "[state: certainty: 0.8, emotion: calm]\nHello."


def test_exports() -> None:
    row = {
        "id": "ex_1",
        "messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
            {"role": "assistant", "content": "d"},
        ],
    }
    assert alpaca(row) == {
        "id": "ex_1",
        "instruction": "c",
        "input": "",
        "output": "d",
        "system": "",
        "history": [["a", "b"]],
    }
    assert [t["from"] for t in sharegpt(row)["conversations"]] == ["human", "gpt", "human", "gpt"]


def test_mix_is_enforced_by_deterministic_down_sampling() -> None:
    exs = [{"id": f"ex_{k}{i}", "kind": k} for k in ("monologue", "meta") for i in range(10)]
    kept = enforce_mix(exs, {"monologue": 0.8, "meta": 0.2}, 0)
    kinds = [e["kind"] for e in kept]
    assert kinds.count("monologue") == 10 and kinds.count("meta") == 2
    assert kept == enforce_mix(list(reversed(exs)), {"monologue": 0.8, "meta": 0.2}, 0)


def test_stage_output_loads_in_mlx_lm(project: Path) -> None:
    """Rows keep id/meta keys; mlx-lm's own loader reads the files and tokenizes every row."""
    for stage in ("prepare_model", "extract", "curate"):
        subprocess.run([sys.executable, "-m", f"stages.{stage}"], check=True, capture_output=True)
    rows = gold_rows(reviewed=True)
    write_jsonl("data/reviewed/accepted.jsonl", rows)
    proc = subprocess.run([sys.executable, "-m", "stages.format"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    splits = {s: read_jsonl(f"data/formatted/{s}.jsonl") for s in ("train", "valid", "test")}
    passages = {s: {r["meta"]["passage_id"] for r in rows} for s, rows in splits.items()}
    assert not (
        passages["train"] & passages["valid"]
        or passages["train"] & passages["test"]
        or passages["valid"] & passages["test"]
    )
    assert sum(len(v) for v in splits.values()) == len(rows)
    assert all(
        r["example_id"].startswith("ex_") and r["meta"]["doc"] for v in splits.values() for r in v
    )
    card = Path("data/formatted/README.md").read_text()
    assert "Dataset id: `dset_" in card and "## Mix by kind" in card
    metrics = json.loads(Path("metrics/format.json").read_text())
    assert metrics["rows"] == {s: len(v) for s, v in splits.items()}

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
