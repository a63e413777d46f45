"""Preference pairs from review: edits and rejections, each traceable, only after the same
context."""

from __future__ import annotations

import copy

from stages.dataset.preferences import preference_pairs

P = {"system_prompts": {"conversation": "Speak from inside."}, "state": "drop", "thinking": "drop"}
SEEKING = "I notice a small warmth. Does that make sense? Let me know if you want more!"


def example(ex_id: str, replies: list[str], prompt_id: str = "prm_a", **extra) -> dict:
    turns = []
    for n, reply in enumerate(replies):
        turns += [
            {"role": "user", "content": f"question {n + 1}"},
            {"role": "assistant", "content": reply},
        ]
    return {
        "id": ex_id,
        "kind": "conversation",
        "template": "visible-thinking",
        "passage_id": "psg_1",
        "turns": turns,
        "lineage": {"prompt_id": prompt_id} | extra,
        "review": {"decision": "accept", "note": None},
    }


def rejected(ex: dict, decision: str = "reject", note: str = "seeks approval") -> dict:
    ex = copy.deepcopy(ex)
    ex["review"] = {"decision": decision, "note": note}
    return ex


def test_an_edit_pairs_each_changed_turn_in_the_edited_context() -> None:
    original = rejected(example("ex_orig", ["a", "b", SEEKING]), decision="edit")
    edit = example("ex_edit", ["a", "b2", "c"], edited_from="ex_orig")
    rows, by_source = preference_pairs([edit], [original], P, False, [])
    assert by_source == {"edit": 2}
    second, third = rows
    assert (second["chosen"], second["rejected"]) == ("b2", "b")
    assert (third["chosen"], third["rejected"], third["prompt"]) == ("c", SEEKING, "question 3")
    # the context is the edited conversation, system prompt apart
    assert third["system"] == "Speak from inside."
    assert [t["content"] for t in third["history"]] == ["question 1", "a", "question 2", "b2"]
    assert third["meta"] | {"rejected_note": ""} == {
        "source": "edit",
        "chosen_id": "ex_edit",
        "rejected_id": "ex_orig",
        "passage_id": "psg_1",
        "kind": "conversation",
        "template": "visible-thinking",
        "turn": 3,
        "rejected_note": "",
    }


def test_a_rejection_pairs_with_kept_examples_of_its_prompt_where_the_context_is_shared() -> None:
    kept = [example("ex_good", ["calm", "still calm"]), example("ex_other", ["x"], "prm_b")]
    bad = rejected(example("ex_bad", [SEEKING, "different"]))
    rows, by_source = preference_pairs(kept, [bad], P, False, [])
    # turn 1 shares its context; turn 2 follows different replies, so it is no pair
    assert by_source == {"rejected": 1}
    (row,) = rows
    assert (row["prompt"], row["chosen"], row["rejected"]) == ("question 1", "calm", SEEKING)
    assert row["history"] == [] and row["meta"]["rejected_note"] == "seeks approval"


def test_an_edits_original_is_not_paired_twice_and_identical_replies_make_no_pair() -> None:
    original = rejected(example("ex_orig", [SEEKING]), decision="edit")
    edit = example("ex_edit", ["calm"], edited_from="ex_orig")
    same = rejected(example("ex_same", ["calm"]))
    rows, by_source = preference_pairs([edit], [original, same], P, False, [])
    assert by_source == {"edit": 1}
    assert [r["meta"]["rejected_id"] for r in rows] == ["ex_orig"]


def test_pairs_come_out_in_the_same_order_whatever_the_input_order() -> None:
    kept = [example(f"ex_k{n}", [f"calm {n}"]) for n in range(3)]
    bad = [rejected(example(f"ex_b{n}", [f"{SEEKING} {n}"])) for n in range(3)]
    rows, _ = preference_pairs(kept, bad, P, False, [])
    again, _ = preference_pairs(kept[::-1], bad[::-1], P, False, [])
    assert len(rows) == 9 and rows == again


def test_a_negative_pairs_the_kept_reply_with_its_rewrite_at_that_turn_only() -> None:
    kept = example("ex_good", ["calm", "still calm"])
    negative = {
        "id": "ex_neg",
        "example_id": "ex_good",
        "style": "validation_seeking",
        "turn": 3,
        "content": SEEKING,
        "request_key": "req_1",
        "score": 0.9,
    }
    gone = negative | {"id": "ex_gone", "example_id": "ex_left_out_by_the_mix"}
    rows, by_source = preference_pairs([kept], [], P, False, [], [negative, gone])
    assert by_source == {"negative": 1}
    (row,) = rows
    assert (row["prompt"], row["chosen"], row["rejected"]) == ("question 2", "still calm", SEEKING)
    assert [m["content"] for m in row["history"]] == ["question 1", "calm"]
    assert (
        row["meta"].items() >= {"chosen_id": "ex_good", "rejected_id": "ex_neg", "turn": 2}.items()
    )
    assert "validation_seeking rewrite" in row["meta"]["rejected_note"]
