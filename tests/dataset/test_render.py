"""format: mlx-lm chat data split by passage, rendering options, exports; read by mlx-lm itself."""

from __future__ import annotations

import pytest

from stages.dataset.exports import alpaca, sharegpt
from stages.dataset.render import export_messages, render_turns, rows_for
from stages.dataset.splits import mix, split_groups
from tests.conftest import stage

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


def test_exports_keep_the_thinking_and_every_turn() -> None:
    messages = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "<thinking>\nhm\n</thinking>\n\nb"},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "d"},
    ]
    assert alpaca("ex_1", messages) == [
        {
            "id": "ex_1#1",
            "instruction": "a",
            "input": "",
            "output": "<thinking>\nhm\n</thinking>\n\nb",
            "system": "",
            "history": [],
        },
        {
            "id": "ex_1#2",
            "instruction": "c",
            "input": "",
            "output": "d",
            "system": "",
            "history": [["a", "<thinking>\nhm\n</thinking>\n\nb"]],
        },
    ]
    (conversation,) = sharegpt("ex_1", messages)
    assert [t["from"] for t in conversation["conversations"]] == ["human", "gpt", "human", "gpt"]
    assert "hm" in conversation["conversations"][1]["value"]
    # thinking is exported inline even when the training rows carry it as reasoning_content
    rendered = export_messages(EX, P | {"thinking": "reasoning"}, [])
    assert "<thinking>" in rendered[1]["content"]


def test_the_enforced_mix_is_within_two_points_of_the_target() -> None:
    target = {"monologue": 0.35, "conversation": 0.35, "continuity": 0.2, "meta": 0.1}
    sizes = {"monologue": 90, "conversation": 60, "continuity": 70, "meta": 80}
    exs = [{"id": f"ex_{k}{i:03d}", "kind": k} for k, n in sizes.items() for i in range(n)]
    kept, report = mix(exs, target, 0, enforce=True)
    n = len(kept)
    for kind, share in target.items():
        assert abs(sum(e["kind"] == kind for e in kept) / n - share) <= 0.02, kind
    assert report["conversation"]["short"] and not report["meta"]["short"]
    assert report["meta"]["left_out"] == 80 - report["meta"]["kept"] > 0
    assert kept == mix(list(reversed(exs)), target, 0, enforce=True)[0]  # deterministic
    # a kind with no examples at all is short; the others keep the target's proportions
    kept, report = mix([e for e in exs if e["kind"] != "meta"], target, 0, enforce=True)
    assert report["meta"]["short"] and report["meta"]["available"] == 0 and kept
    # not enforced: everything is kept, and the report still says what is short
    kept, report = mix(exs, target, 0, enforce=False)
    assert len(kept) == len(exs) and report["meta"]["share"] > 0.2


def test_every_assistant_turn_carries_loss_and_no_user_turn_does(project) -> None:
    """mlx-lm's own chat dataset decides the loss mask: count the tokens it trains, by role."""
    from mlx_lm.tuner.datasets import ChatDataset

    from stages.model.runtime import load_tokenizer, special_tokens

    stage("prepare_model")
    tokenizer = load_tokenizer("models/base")
    user = ["How was the walk?", "And the rain?", "What will you cook?"]
    said = ["I kept noticing the cold.", "It softened the cold a little.", "Soup, for the cold."]
    turns = [
        t
        for u, a in zip(user, said, strict=True)
        for t in ({"role": "user", "content": u}, {"role": "assistant", "content": a})
    ]
    ex = {
        "id": "ex_x",
        "kind": "continuity",
        "template": "t",
        "template_version": 1,
        "author": "human",
        "passage_id": "psg_x",
        "doc_id": "doc_x",
        "doc": "d",
        "page_start": 1,
        "page_end": 1,
        "turns": turns,
        "lineage": {"prompt_id": None, "request_keys": [], "teacher": {}},
        "review": {"decision": "gold"},
    }

    def trained(multiturn: str) -> dict[str, int]:
        rows = rows_for(ex, P | {"multiturn": multiturn}, False, special_tokens(tokenizer))
        data = ChatDataset([r for r in rows], tokenizer, mask_prompt=True)
        counts = {"assistant": 0, "user": 0, "untrained assistant turns": len(said)}
        for row in rows:
            tokens, offset = data.process(row)
            text = tokenizer.decode(tokens[offset:])
            for a in said:
                if a in text:
                    counts["assistant"] += len(tokenizer.encode(a, add_special_tokens=False))
                    counts["untrained assistant turns"] -= 1
            counts["user"] += sum(
                len(tokenizer.encode(u, add_special_tokens=False)) for u in user if u in text
            )
        return counts

    every = trained("expand")
    assert every["untrained assistant turns"] == 0 and every["user"] == 0
    assert every["assistant"] == sum(
        len(tokenizer.encode(a, add_special_tokens=False)) for a in said
    )
    last_only = trained("all")  # what mlx-lm's mask does with whole conversations
    assert last_only["untrained assistant turns"] == 2 and last_only["user"] == 0
