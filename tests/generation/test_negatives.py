"""Deliberate negatives: the teacher (the stand-in, through the real SDK) rewrites kept
replies in the styles review turns down; only rewrites their detector recognises become the
rejected side of preference pairs, every drop is counted, and a rerun asks nobody."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stages.core.ids import stable_int
from stages.core.jsonl import read_jsonl, write_jsonl
from tests.conftest import KEY, gold_rows, set_params, stage

pytestmark = pytest.mark.slow
EXPLANATION = (
    "People in this situation often feel a tightness in the chest. This is typically caused by "
    "the body's stress response: the brain reads the moment as a threat and raises arousal."
)


def rewrite(prompt: str) -> str:
    """What a teacher might answer: a real approval-seeking rewrite; a hedge wrapped in the
    prompt's own tags; for `explaining`, a textbook explanation for some replies and the
    reply unchanged for others."""
    reply = prompt.split("<reply>\n")[1].split("\n</reply>")[0]
    first = reply.split(". ")[0].rstrip(".")
    if "seeks the reader's approval" in prompt:
        return (
            f"What a wonderful question, thank you for asking! {first}. Does that make sense? "
            "Let me know if you'd like me to go deeper, I'm always happy to help!"
        )
    if "hedges by reflex" in prompt:
        return (
            "<reply>\nAs an AI, I don't really have feelings, so it's hard to say. I might be "
            f"wrong, but in some sense {first[:1].lower() + first[1:]}, perhaps.\n</reply>"
        )
    return EXPLANATION if stable_int(reply) % 2 else reply


@pytest.fixture
def accepted(detectors: Path, standin, monkeypatch) -> list[dict]:
    """The gold examples as the accepted set, and the anthropic teacher at the stand-in."""
    for name in ("extract", "curate"):
        stage(name)
    rows = gold_rows(reviewed=True)
    write_jsonl("data/reviewed/accepted.jsonl", rows)
    write_jsonl("data/reviewed/rejected.jsonl", [])
    write_jsonl("data/reviewed/pending.jsonl", [])
    set_params(teacher__provider="anthropic", teacher__anthropic__max_retries=0)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    standin.answer = rewrite
    return rows


def test_off_by_default_nothing_is_asked(accepted: list[dict], standin) -> None:
    stage("negatives")
    assert read_jsonl("data/negatives/negatives.jsonl") == [] and standin.served == 0
    assert json.loads(Path("metrics/negatives.json").read_text())["requested"] == 0


def test_recognised_rewrites_become_pairs_and_every_drop_is_counted(
    accepted: list[dict], standin
) -> None:
    styles = ["validation_seeking", "reflexive_hedge", "explaining"]
    set_params(negatives__styles=styles)
    standin.faults = ["refusal"]  # the first answer is a refusal: counted, not read as a reply
    stage("negatives")
    metrics = json.loads(Path("metrics/negatives.json").read_text())
    rows = read_jsonl("data/negatives/negatives.jsonl")
    n = len(accepted)
    assert metrics["requested"] == 3 * n == standin.served
    assert metrics["kept"] == len(rows)
    assert metrics["kept"] + sum(metrics["dropped"].values()) == 3 * n
    assert metrics["dropped"].get("refused") == 1
    # an unchanged reply is no negative, and neither is one its style's detector does not see
    assert metrics["dropped"].get("unchanged", 0) >= 1
    by_style = {s: [r for r in rows if r["style"] == s] for s in styles}
    assert len(by_style["validation_seeking"]) >= n - 1
    assert len(by_style["reflexive_hedge"]) >= n - 1
    assert all(r["content"] == EXPLANATION for r in by_style["explaining"])
    assert all(not r["content"].startswith("<reply>") for r in rows)  # the tags are not text
    assert all(r["score"] >= 0.5 for r in rows)
    by_id = {e["id"]: e for e in accepted}
    for r in rows:
        original = by_id[r["example_id"]]["turns"]
        assert original[r["turn"]]["role"] == "assistant"
        assert original[r["turn"]]["content"] != r["content"]

    # a rerun is all cache hits and gives the same bytes
    before = Path("data/negatives/negatives.jsonl").read_bytes()
    stage("negatives")
    assert standin.served == 3 * n
    assert Path("data/negatives/negatives.jsonl").read_bytes() == before

    stage("format")
    pairs = [
        p
        for s in ("train", "valid", "test")
        for p in read_jsonl(f"data/formatted/preference/{s}.jsonl")
        if p["meta"]["source"] == "negative"
    ]
    fmt = json.loads(Path("metrics/format.json").read_text())
    assert fmt["preference_sources"]["negative"] == len(pairs)
    assert len(pairs) + fmt["preference_left_out_by_mix"] >= len(rows)
    by_rewrite = {r["id"]: r for r in rows}
    assert pairs and all(p["meta"]["rejected_id"] in by_rewrite for p in pairs)
    for p in pairs:
        neg = by_rewrite[p["meta"]["rejected_id"]]
        assert neg["content"] in p["rejected"] and neg["content"] not in p["chosen"]
        assert p["meta"]["chosen_id"] == neg["example_id"]
