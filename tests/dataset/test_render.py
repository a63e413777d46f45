"""format: mlx-lm chat data split by passage, rendering options, exports; read by mlx-lm itself."""

from __future__ import annotations

import pytest

from stages.dataset.exports import alpaca, sharegpt
from stages.dataset.render import render_turns
from stages.dataset.splits import enforce_mix, split_groups

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
