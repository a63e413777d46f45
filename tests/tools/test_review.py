"""The terminal reviewer: session logic, and a real terminal (tmux) with a kill mid-session."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stages.core.jsonl import read_jsonl
from stages.dataset.decisions import read_decisions
from stages.dataset.review_queue import Session, from_text, to_text
from stages.dataset.templates import load_templates
from tests.conftest import stage


def session(**kw) -> Session:
    rows = [
        r
        for n in ("accepted", "rejected", "pending")
        for r in read_jsonl(f"data/reviewed/{n}.jsonl")
    ]
    passages = {p["id"]: p for p in read_jsonl("data/curated/passages.jsonl")}
    return Session(
        rows, passages, load_templates("templates"), Path("data/decisions.jsonl"), "ana", **kw
    )


def test_editable_text_round_trips(reviewed) -> None:
    ex = next(e for e in reviewed if any("thinking" in t for t in e["turns"]))
    assert from_text(to_text(ex)) == ex["turns"]


def test_decisions_are_written_at_once_and_undo_restores(reviewed) -> None:
    stage("review_merge")
    s = session()
    first, second = s.queue[0]["id"], s.queue[1]["id"]
    s.decide("accept")
    assert read_decisions("data/decisions.jsonl")[first]["decision"] == "accept"
    s.decide("reject", note="explains instead of experiencing")
    d = read_decisions("data/decisions.jsonl")[second]
    assert d["note"] == "explains instead of experiencing" and d["reviewer"] == "ana"
    assert s.undo() == second and second not in read_decisions("data/decisions.jsonl")
    assert s.current["id"] == second
    lines = Path("data/decisions.jsonl").read_text().splitlines()
    ids = [json.loads(line)["example_id"] for line in lines]
    assert ids == sorted(ids)  # canonical: sorted by example id, one per line
    # a new session starts at the first example without a decision
    assert session().queue[0]["id"] == second


def test_filters(reviewed) -> None:
    stage("review_merge")
    flagged = session(flag="validation-seeking")
    assert len(flagged.queue) == 1 and flagged.queue[0]["id"] == reviewed[-1]["id"]
    assert {e["template"] for e in session(template="visible-thinking").queue} == {
        "visible-thinking"
    }
    assert all(
        e["passage_id"] == reviewed[0]["passage_id"]
        for e in session(passage=reviewed[0]["passage_id"]).queue
    )


def test_invalid_edit_is_refused(reviewed) -> None:
    stage("review_merge")
    s = session(template="visible-thinking")
    turns = json.loads(json.dumps(s.current["turns"]))
    del turns[1]["thinking"]
    assert "requires it" in s.validate_edit(turns)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_in_a_real_terminal_killed_mid_session_then_resumed(reviewed, tmp_path: Path) -> None:
    stage("review_merge")
    queue = [e["id"] for e in session().queue]
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i '/^#/!s/ the / THE /' \"$1\"\n")
    editor.chmod(0o755)
    name = f"review{os.getpid()}"
    env = f"EDITOR={editor} PATH={Path(sys.executable).parent}:$PATH"
    cmd = f"cd {os.getcwd()} && {env} {sys.executable} -m stages review --reviewer ana; sleep 30"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout

    def screen_shows(text: str, timeout: float = 20) -> str:
        end = time.time() + timeout
        while time.time() < end:
            shown = tmux("capture-pane", "-p", "-t", name)
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared:\n{shown}")

    tmux("new-session", "-d", "-s", name, "-x", "150", "-y", "60", cmd)
    try:
        screen_shows(f"example 1 of {len(queue)}")
        shown = screen_shows("PASSAGE:")
        assert "[a]ccept" in shown and "FLAGS:" in shown
        tmux("send-keys", "-t", name, "a")
        screen_shows(f"example 2 of {len(queue)}")
        tmux("send-keys", "-t", name, "r")
        screen_shows("reason for rejecting:")
        tmux("send-keys", "-t", name, "too generic", "Enter")
        screen_shows(f"example 3 of {len(queue)}")
        tmux("send-keys", "-t", name, "e")
        screen_shows(f"example 4 of {len(queue)}")
        # kill the reviewer mid-session, as a crash would
        pids = subprocess.run(
            ["pgrep", "-f", f"^{sys.executable} -m stages review"], capture_output=True, text=True
        ).stdout.split()
        assert pids
        for p in pids:
            os.kill(int(p), signal.SIGKILL)
        decisions = read_decisions("data/decisions.jsonl")
        assert [decisions[k]["decision"] for k in queue[:3]] == ["accept", "reject", "edit"]
        assert decisions[queue[1]]["note"] == "too generic"
        assert any(" THE " in t["content"] for t in decisions[queue[2]]["turns"])
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        # restart: it resumes at the next example without a decision
        tmux("new-session", "-d", "-s", name, "-x", "150", "-y", "60", cmd)
        shown = screen_shows(f"example 1 of {len(queue) - 3}")
        assert queue[3] in shown
        tmux("send-keys", "-t", name, "q")
        screen_shows("decision(s) this session")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    stage("review_merge")  # the edit becomes a new example that remembers where it came from
    edited = [
        r for r in read_jsonl("data/reviewed/accepted.jsonl") if r["lineage"].get("edited_from")
    ]
    assert [r["lineage"]["edited_from"] for r in edited] == [queue[2]]
