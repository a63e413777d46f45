"""review_merge: decisions replay by example id; edits, orphans and conflicts are never silent."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from stages.core.jsonl import read_jsonl, write_jsonl
from tests.conftest import gold_rows, set_params, stage


def decide(*decisions: dict) -> None:
    Path("data/decisions.jsonl").write_text("".join(json.dumps(d) + "\n" for d in decisions))


def status() -> dict[str, str]:
    out = {}
    for name in ("accepted", "rejected", "pending"):
        for r in read_jsonl(f"data/reviewed/{name}.jsonl"):
            out[r["id"]] = name
    return out


def test_unreviewed_policy_and_flags(reviewed: list[dict]) -> None:
    stage("review_merge")
    assert set(status().values()) == {"pending"}  # nobody read them: none goes on by default
    bad = reviewed[-1]
    flagged = next(r for r in read_jsonl("data/reviewed/pending.jsonl") if r["id"] == bad["id"])
    assert "validation-seeking" in {f["check"] for f in flagged["flags"]}
    m = json.loads(Path("metrics/review_merge.json").read_text())
    assert m["examples_in"] == m["accepted"] + m["rejected"] + m["pending"] == len(reviewed)
    # the old policy, on request: unread examples without error flags go through
    set_params(review_merge__unreviewed="include_unflagged")
    stage("review_merge")
    assert status()[bad["id"]] == "pending" and "accepted" in status().values()


def test_gold_examples_count_as_reviewed_and_unreviewed_ones_are_not_trained(
    reviewed: list[dict],
) -> None:
    gold = gold_rows()
    write_jsonl("data/generated/examples.jsonl", gold + [reviewed[-1]])
    stage("review_merge")
    assert all(status()[g["id"]] == "accepted" for g in gold)
    accepted = read_jsonl("data/reviewed/accepted.jsonl")
    assert {a["review"]["decision"] for a in accepted} == {"gold"}
    stage("prepare_model")
    stage("negatives")
    stage("format")
    trained = {
        r["example_id"]
        for s in ("train", "valid", "test")
        for r in read_jsonl(f"data/formatted/{s}.jsonl")
    }
    assert reviewed[-1]["id"] not in trained and trained <= {g["id"] for g in gold}
    card = Path("data/formatted/README.md").read_text()
    assert "1 teacher example(s) are waiting for review" in card


def test_decisions_apply_edits_make_new_records_and_orphans_are_reported(
    reviewed: list[dict],
) -> None:
    a, b, bad = reviewed[0], reviewed[1], reviewed[-1]
    edited_turns = copy.deepcopy(bad["turns"])
    edited_turns[1]["content"] = (
        "I notice the question land somewhere under my ribs. I stay with it "
        "a moment before I answer, and the answer comes slowly, plainly."
    )
    decide(
        {
            "example_id": a["id"],
            "decision": "reject",
            "reviewer": "ana",
            "time": "2026-11-01T10:00:00Z",
            "note": "too close to the passage",
        },
        {
            "example_id": b["id"],
            "decision": "accept",
            "reviewer": "bo",
            "time": "2026-11-01T10:00:30Z",
        },
        {
            "example_id": bad["id"],
            "decision": "edit",
            "reviewer": "ana",
            "time": "2026-11-01T10:01:00Z",
            "turns": edited_turns,
        },
        {
            "example_id": "ex_00000000000000ff",
            "decision": "accept",
            "reviewer": "bo",
            "time": "2026-11-01T10:02:00Z",
        },
    )
    proc = stage("review_merge")
    st = status()
    assert st[a["id"]] == "rejected" and st[b["id"]] == "accepted" and st[bad["id"]] == "rejected"
    assert st[reviewed[2]["id"]] == "pending"  # no decision: not in the dataset
    edited = [
        r for r in read_jsonl("data/reviewed/accepted.jsonl") if r["lineage"].get("edited_from")
    ]
    assert len(edited) == 1 and edited[0]["lineage"]["edited_from"] == bad["id"]
    assert edited[0]["review"]["reviewer"] == "ana" and edited[0]["turns"] == edited_turns
    orphans = read_jsonl("data/reviewed/orphans.jsonl")
    assert [o["example_id"] for o in orphans] == ["ex_00000000000000ff"]
    assert "matches no example" in proc.stderr
    m = json.loads(Path("metrics/review_merge.json").read_text())
    assert m["orphaned_decisions"] == 1 and m["edits_added"] == 1
    # the flagged example was not accepted as it was (its edit replaced it): the check agreed
    assert m["check_agreement"]["validation-seeking"]["precision"] == 1.0


def test_bad_decision_files_name_the_line(reviewed: list[dict]) -> None:
    a = reviewed[0]
    good = {
        "example_id": a["id"],
        "decision": "accept",
        "reviewer": "ana",
        "time": "2026-11-01T10:00:00Z",
    }
    Path("data/decisions.jsonl").write_text(json.dumps(good) + "\n{not json\n")
    proc = stage("review_merge", check=False)
    assert proc.returncode == 1 and "decisions.jsonl:2: invalid JSON" in proc.stderr
    decide(good, good | {"decision": "reject"})
    proc = stage("review_merge", check=False)
    assert proc.returncode == 1 and "decisions.jsonl:2: a second, different decision" in proc.stderr
    decide(good | {"decision": "maybe"})
    proc = stage("review_merge", check=False)
    assert (
        proc.returncode == 1
        and "decisions.jsonl:1:" in proc.stderr
        and "Traceback" not in proc.stderr
    )
