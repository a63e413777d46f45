"""review_merge: decisions replay by example id; edits, orphans and conflicts are never silent."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from stages.core.jsonl import read_jsonl
from tests.conftest import stage


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
    bad = reviewed[-1]
    assert status()[bad["id"]] == "pending"  # error flags keep it out without a review
    flagged = next(r for r in read_jsonl("data/reviewed/pending.jsonl") if r["id"] == bad["id"])
    assert "validation-seeking" in {f["check"] for f in flagged["flags"]}
    m = json.loads(Path("metrics/review_merge.json").read_text())
    assert m["examples_in"] == m["accepted"] + m["rejected"] + m["pending"] == len(reviewed)


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
