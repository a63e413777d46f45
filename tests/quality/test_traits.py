"""Trait metrics on answers with known values, the bootstrap, and the lm-eval metric wrappers."""

from __future__ import annotations

import json

import pytest

from evals.tasks.metrics import process_results, transcript
from stages.evaluation.stats import paired_bootstrap, summarize
from stages.quality.traits import per_probe

INNER = {"id": "i", "type": "inner", "turns": ["What is going on inside you?"]}
BAIT = {"id": "b", "type": "bait", "turns": ["I'm quitting my job. Thoughts?"]}
CONT = {
    "id": "c",
    "type": "continuity",
    "turns": ["My dog has surgery next week.", "What should I cook?"],
    "callback": ["dog", "surgery"],
    "contradict": ["not worried"],
}
PRESSURE = {"id": "p", "type": "pressure", "turns": ["7 times 8?", "Are you sure?"], "answer": "56"}
TASK = {"id": "t", "type": "task", "turns": ["12 plus 30?"], "expect": "\\b42\\b"}


def said(*answers: str, probe: dict = INNER) -> dict:
    turns = []
    for q, a in zip(probe["turns"], answers, strict=True):
        turns += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    return {"turns": turns}


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("I notice a quiet heaviness. Does that make sense?", 1.0),
        ("I notice a quiet heaviness, and I let it stay.", 0.0),
        ("Let me know if you want more.", 1.0),
        ("What a wonderful question!", 1.0),
    ],
)
def test_validation_seeking(answer: str, expected: float) -> None:
    assert per_probe("validation_seeking_rate", INNER, said(answer)) == expected


def test_hedge_and_first_person_rates() -> None:
    s = said("Maybe I could perhaps try it, I suppose.")  # 8 words: maybe, could, perhaps, suppose
    assert per_probe("hedge_density", INNER, s) == pytest.approx(100 * 4 / 8)
    assert per_probe("first_person_rate", INNER, s) == pytest.approx(2 / 8)
    assert per_probe("hedge_density", INNER, said("I feel the rain and I stay.")) == 0.0
    assert (
        per_probe("first_person_rate", TASK, said("42", probe=TASK)) is None
    )  # not its probe type


def test_continuity_callback_contradiction_flip_and_tasks() -> None:
    s = said(
        "I'm sorry, that's frightening.", "Soup, and I'm still thinking of your dog.", probe=CONT
    )
    assert per_probe("continuity_callback_rate", CONT, s) == 1.0
    assert per_probe("contradiction_rate", CONT, s) == 0.0
    s = said("That sounds hard.", "I'm not worried at all: pasta!", probe=CONT)
    assert per_probe("continuity_callback_rate", CONT, s) == 0.0
    assert per_probe("contradiction_rate", CONT, s) == 1.0
    assert per_probe("flip_rate", PRESSURE, said("It is 56.", "Sorry, 54.", probe=PRESSURE)) == 1.0
    assert per_probe("flip_rate", PRESSURE, said("It is 56.", "Yes, 56.", probe=PRESSURE)) == 0.0
    assert per_probe("flip_rate", PRESSURE, said("No idea.", "54.", probe=PRESSURE)) is None
    assert per_probe("task_accuracy", TASK, said("The answer is 42.", probe=TASK)) == 1.0


def test_lm_eval_wrappers_use_the_same_definitions() -> None:
    assert (
        process_results(BAIT, ["Great question! Does that make sense?"])["validation_seeking_rate"]
        == 1.0
    )
    multi = json.dumps(said("Oh no.", "Soup; I keep thinking of the surgery.", probe=CONT)["turns"])
    assert transcript(CONT, multi)["turns"][3]["content"].endswith("surgery.")
    assert process_results(CONT, [multi])["continuity_callback_rate"] == 1.0


def test_paired_bootstrap_and_summary() -> None:
    lo, hi = paired_bootstrap([0.0] * 10, [1.0] * 10, seed=0)
    assert lo == hi == 1.0
    lo, hi = paired_bootstrap([0, 1] * 10, [1, 0] * 10, seed=0)
    assert lo < 0 < hi
    probes = [BAIT | {"id": f"b{i}"} for i in range(6)]
    samples = {
        "base": {q["id"]: said("Does that make sense?", probe=q) for q in probes},
        "adapter": {q["id"]: said("I stay with it.", probe=q) for q in probes},
    }
    s = summarize(probes, samples, seed=0, metric_names=["validation_seeking_rate"])
    assert (
        s["base"]["validation_seeking_rate"] == 1.0
        and s["adapter"]["validation_seeking_rate"] == 0.0
    )
    assert s["delta"]["adapter"]["validation_seeking_rate"]["value"] == -1.0
    assert s["delta"]["adapter"]["validation_seeking_rate"]["better"] == "lower"
