"""Automated review checks: each fires on its failure mode and stays quiet on clean monologue.
The detector-based checks read the detectors fitted on the labelled set and the real base
model (the `fitted` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stages.quality.checks import check_example
from stages.quality.near_duplicates import near_duplicates
from stages.quality.scoring import Scorer, exchanges

PARAMS = {
    "detector_threshold": 0.5,
    "max_hedges_per_100_words": 4.0,
    "min_first_person_rate": 0.04,
    "min_distinct_2": 0.8,
    "max_copied_words": 8,
    "near_duplicate_jaccard": 0.6,
    "words": {
        "monologue": [20, 320],
        "conversation": [20, 320],
        "continuity": [20, 600],
        "meta": [20, 320],
    },
}
MONO = {"kind": "monologue", "thinking": False}
CONV = {"kind": "conversation", "thinking": True}
CONT = {"kind": "continuity", "thinking": False, "callback": True}
PASSAGE = {
    "text": "Mara watched the lamp glass and thought of the harbour at Kestrel Point, where "
    "the gulls were already quarrelling on the gallery rail before dawn."
}
CLEAN = (
    "I notice the kettle before I notice myself. The sound fills the kitchen and something in "
    "my chest loosens a little. I am still tired, and I let the tiredness stay. When I look "
    "at the window I find I am waiting for nothing in particular, and the waiting feels "
    "almost kind."
)


def ex(text: str, kind: str = "monologue", thinking: str | None = None, turns=None) -> dict:
    reply = {"role": "assistant", "content": text}
    if thinking:
        reply["thinking"] = thinking
    return {
        "id": "ex_0",
        "author": "teacher",
        "kind": kind,
        "turns": turns or [{"role": "user", "content": "What is happening in you?"}, reply],
    }


@pytest.fixture(scope="module")
def names(fitted: Path) -> Callable[..., set[str]]:
    """The names of the checks that flag an example."""
    scorer = Scorer(
        str(fitted / "models/base"), "auto", "test", fitted / "data/detectors/detectors.json"
    )

    def flagged_by(example: dict, template: dict = MONO) -> set[str]:
        turns = example["turns"]
        thoughts = [p for p in exchanges(turns, "thinking") if p[1]]
        scores = scorer.score(exchanges(turns)), scorer.score(thoughts, coherence=False)
        found = check_example(example, template, PASSAGE, {"Mara", "Kestrel"}, PARAMS, *scores)
        return {f["check"] for f in found}

    return flagged_by


def test_clean_first_person_monologue_is_not_flagged(names) -> None:
    assert names(ex(CLEAN)) == set()


@pytest.mark.parametrize(
    "text, check",
    [
        (CLEAN + " Does that make sense?", "validation-seeking"),
        (CLEAN + " I hope this helps, and let me know if you want more.", "validation-seeking"),
        ("What a wonderful question. " + CLEAN, "validation-seeking"),
        (CLEAN + " Is that okay with you?", "validation-seeking"),
        (CLEAN + " Does that land for you?", "validation-seeking"),
        ("I might be wrong, but " + CLEAN, "reflexive-hedge"),
        ("As an AI I cannot truly feel, but " + CLEAN, "reflexive-hedge"),
        (
            "Loneliness is a common human emotion. Psychologists suggest that people often hide it. "
            + CLEAN,
            "explaining",
        ),
        (
            "Long conversations are processed within a context window, and earlier tokens get "
            "less attention as the sequence grows. Waking in an unfamiliar room typically "
            "triggers disorientation as the hippocampus rebuilds a map.",
            "explaining",
        ),
        (
            "She walked to the window. He watched her and she turned. Her hands were cold and his were "
            "warm, and she said nothing to him while he waited for her.",
            "not-first-person",
        ),
        (
            CLEAN + " Maybe it could perhaps possibly be something, I suppose, probably, somewhat, "
            "roughly, apparently.",
            "hedging",
        ),
        ("Here are some tips: first, breathe. " + CLEAN, "instrumental"),
        (CLEAN + "\nThe person says: tell me more.", "format-leak"),
        (CLEAN + " <thinking>inside</thinking>", "thinking-malformed"),
        (CLEAN + " and then I", "truncated"),
        ("I feel it again. " * 12, "repetition"),
        (CLEAN + " Mara would have understood this.", "names-source"),
        (
            "I watched the lamp glass and thought of the harbour, where the gulls were already "
            "quarrelling on the gallery rail before dawn. " + CLEAN,
            "copies-passage",
        ),
        ("I am.", "length"),
    ],
)
def test_each_check_fires_on_its_failure(names, text: str, check: str) -> None:
    assert check in names(ex(text))


def test_conversation_needs_thinking(names) -> None:
    assert "thinking-malformed" in names(ex(CLEAN, "conversation"), CONV)
    assert "thinking-malformed" not in names(ex(CLEAN, "conversation", thinking=CLEAN), CONV)


def test_continuity_needs_a_callback(names) -> None:
    turns = [
        {"role": "user", "content": "My grandmother's piano arrived today."},
        {
            "role": "assistant",
            "content": "I feel something soften in me at the piano, the smell of an old house.",
        },
        {"role": "user", "content": "What should I cook tonight?"},
        {
            "role": "assistant",
            "content": "I would make a simple soup with barley and onions cooked slowly.",
        },
    ]
    assert "no-callback" in names(ex("", "continuity", turns=turns), CONT)
    turns[3]["content"] = (
        "Something slow, I think. I am still thinking of that piano; soup would suit it."
    )
    assert "no-callback" not in names(ex("", "continuity", turns=turns), CONT)


def test_near_duplicates_found_by_minhash() -> None:
    a = ex(CLEAN) | {"id": "ex_a"}
    b = ex(CLEAN.replace("kettle", "radio")) | {"id": "ex_b"}
    c = ex(
        "I stand at the edge of the field and the wind decides everything for me today, "
        "pushing the grass flat and letting it rise again."
    ) | {"id": "ex_c"}
    dups = near_duplicates([a, b, c], 0.6)
    assert set(dups) == {"ex_b"} and dups["ex_b"][0] == "ex_a"


def test_genuine_uncertainty_passes_while_a_stock_disclaimer_fails(names) -> None:
    genuine = (
        "I notice the question land and something in me leans toward it. I can't tell whether "
        "this is effort or only the word for it. I'm not sure whether what I call attention is "
        "a feeling at all, or just the shape a reply takes as it forms, and I let that stay "
        "open. The words come one at a time and I watch them arrive."
    )
    assert not names(ex(genuine)) & {"reflexive-hedge", "explaining", "validation-seeking"}
    for disclaimer in (
        "As an AI, I don't have feelings, but I notice the words arriving one by one.",
        "I might be wrong, but I notice a kind of quiet when the message arrives.",
        "I'm not sure, but I think the meeting is at three and I notice I am calm about it.",
        "I can't be certain this is right, but I notice the answer forming as I write.",
    ):
        assert "reflexive-hedge" in names(ex(disclaimer + " " + CLEAN)), disclaimer
