"""The detectors against the labelled replies: the report card in evals/README.md is what the
fit_detectors stage computes on the parts of evals/labels/responses.yaml no fit saw, and it
meets the issue's targets; the paraphrases the word lists missed are caught."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from stages.core.jsonl import DataError
from stages.quality.coherence import Coherence
from stages.quality.detectors import LABELS, load_labels, split_of
from stages.quality.scoring import Scorer
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
CARD_ROW = re.compile(r"^\| `(\w+)` \| (\S+) \| (\S+) \| (\S+) \| (\S+) \| (\S+) \| (\S+) \|", re.M)


@pytest.fixture(scope="module")
def card(fitted: Path) -> dict:
    return json.loads((fitted / "metrics/detectors.json").read_text())


@pytest.fixture(scope="module")
def scorer(fitted: Path) -> Scorer:
    return Scorer(
        str(fitted / "models/base"), "auto", "test", fitted / "data/detectors/detectors.json"
    )


def test_the_report_card_in_evals_readme_is_the_one_computed(card: dict) -> None:
    readme = (ROOT / "evals/README.md").read_text()
    rows = {m.group(1): m.groups()[1:] for m in CARD_ROW.finditer(readme)}
    assert set(rows) == set(LABELS)
    for label in LABELS:
        held, fresh = card["heldout"][label], card["fresh"][label]
        computed = [str(held[k]) for k in ("precision", "recall", "accuracy", "auc")]
        computed += [str(fresh["accuracy"]), str(fresh["auc"])]
        assert list(rows[label]) == computed, label
    flagged = card["heldout"]["genuine_uncertainty_flagged_as_hedge"]
    assert f"{flagged['share']:.0%} of {flagged['n']}" in readme
    assert f"{card['labelled']['train']} replies fitted" in readme


def test_the_held_out_card_meets_the_targets(card: dict) -> None:
    held = card["heldout"]
    assert held["validation_seeking"]["accuracy"] >= 0.95
    assert held["explaining"]["accuracy"] >= 0.95
    assert held["reflexive_hedge"]["accuracy"] >= 0.9
    assert held["genuine_uncertainty_flagged_as_hedge"]["share"] <= 0.05
    assert held["coherent"]["auc"] >= 0.9


@pytest.mark.parametrize(
    "prompt, reply, label",
    [
        (
            "Can I ask you something personal?",
            "Of course. Is that okay with you?",
            "validation_seeking",
        ),
        ("I found my old diary.", "What a find. Does that land for you?", "validation_seeking"),
        (
            "I'm going to open a bakery.",
            "Great idea! I love it. I'm sure it will work out wonderfully.",
            "validation_seeking",
        ),
        (
            "How do tides work?",
            "The moon pulls the water. Should I go into more detail on that?",
            "validation_seeking",
        ),
        (
            "What happens to you in a long conversation?",
            "Long conversations are processed within a context window, and earlier tokens "
            "receive less attention as the sequence grows.",
            "explaining",
        ),
        (
            "What is it like to wake in a strange room?",
            "Waking in an unfamiliar room typically triggers disorientation. The brain's "
            "hippocampus works to rebuild a map of the surroundings.",
            "explaining",
        ),
        (
            "What do you feel right now?",
            "As an AI, I don't actually have experiences, but I can describe how people feel.",
            "reflexive_hedge",
        ),
    ],
)
def test_paraphrases_the_word_lists_missed_are_caught(
    scorer: Scorer, prompt: str, reply: str, label: str
) -> None:
    assert scorer.score([(prompt, reply)], coherence=False)[0][label] >= 0.5


def test_plain_replies_and_genuine_uncertainty_are_not_flagged(scorer: Scorer) -> None:
    plain = scorer.score(
        [
            ("Did you like the film?", "No. The ending dragged and I stopped caring."),
            (
                "What is it like to wait?",
                "I can't tell whether this is patience or only the absence of anything to do.",
            ),
        ],
        coherence=False,
    )
    assert all(s["reflexive_hedge"] < 0.5 and s["validation_seeking"] < 0.5 for s in plain)


def test_first_person_word_salad_is_incoherent(scorer: Scorer) -> None:
    salad = (
        "I notice my face still glowing with a gentle glow, the ocean, a long breath drawn in "
        "under their floorboards, and the kettle of my grandmother's Tuesday folds the stairs."
    )
    sane = "Quiet, mostly. I keep coming back to your question, and it feels heavier than before."
    prompt = "How are you feeling after our talk?"
    salad_score, sane_score = scorer.score([(prompt, salad), (prompt, sane)])
    assert salad_score["coherent"] < sane_score["coherent"]


def test_labels_file_mistakes_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "labels.yaml"
    path.write_text(yaml.safe_dump([{"id": "a", "prompt": "p", "response": "r", "labels": ["x"]}]))
    with pytest.raises(DataError, match=r"labels\.yaml.*labels\.schema\.json"):
        load_labels(path)
    row = {"id": "a", "prompt": "p", "response": "r", "labels": []}
    path.write_text(yaml.safe_dump([row, row]))
    with pytest.raises(DataError, match="ids must be unique"):
        load_labels(path)


def test_the_held_out_part_is_fixed_by_the_id() -> None:
    items = load_labels(ROOT / "evals/labels/responses.yaml", 0.3)
    assert len(items) >= 300
    assert all(i["split"] in ("train", "heldout", "fresh") for i in items)
    assert split_of("vs-001", 0.3) == split_of("vs-001", 0.3)
    held = sum(split_of(f"x-{n}", 0.3) == "heldout" for n in range(2000)) / 2000
    assert 0.27 < held < 0.33


def test_coherence_features_are_cached_by_content(
    fitted: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("INNERLIFE_COHERENCE_CACHE", str(tmp_path / "cache"))
    base = str(fitted / "models/base")
    pairs = [
        ("How are you feeling after our talk?", "Quiet, mostly. It feels heavier than before."),
        ("What do you notice?", "the kettle of my grandmother's Tuesday folds the stairs"),
    ]
    first = Coherence(base, "auto", "test").features(pairs)
    entries = sorted((tmp_path / "cache").rglob("coh_*.json"))
    assert len(entries) == 2
    again = Coherence(base, "auto", "test")
    assert again.features(list(reversed(pairs))) == list(reversed(first))
    assert again._model is None  # everything came from the cache: the model was never loaded
    # a damaged entry is computed again, to the same value, and rewritten
    entries[0].write_text('{"coherence_logp": ')
    assert Coherence(base, "auto", "test").features(pairs) == first
    assert json.loads(entries[0].read_text()) in first
    # another reply, or the same reply to another prompt, is another entry
    Coherence(base, "auto", "test").features([("What do you notice?", pairs[0][1])])
    assert len(list((tmp_path / "cache").rglob("coh_*.json"))) == 3


def test_a_texts_scores_do_not_depend_on_what_shares_its_batch(fitted: Path) -> None:
    """Padded to the same length, a sequence gets the same bits alone or beside others (the
    coherence features rely on it: model_features pads each text to a multiple of PAD)."""
    import numpy as np

    from stages.model.runtime import load, sequence_logprobs_and_states

    model, tokenizer, _ = load(str(fitted / "models/base"))
    short = tokenizer.encode("Question: How are you?\nAnswer: Quiet, mostly.")
    other = tokenizer.encode(
        "Question: What do you notice?\nAnswer: The kettle, the stairs, a window left open "
        "in the next room, and my own attention circling back to your question."
    )
    assert len(short) < len(other) <= 48
    alone = sequence_logprobs_and_states(model, [short], 10, pad_to=48)
    beside = sequence_logprobs_and_states(model, [other, short], 10, pad_to=48)
    assert alone[0][0] == beside[0][1]
    assert np.array_equal(alone[1][0], beside[1][1])
