"""generate with the Anthropic teacher, against the HTTP stand-in, as a real subprocess:
cache replay, edits, repair and quarantine, truncation, budget, SIGKILL, no leaked key."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stages.core.jsonl import read_jsonl
from stages.core.log import last_run
from tests.conftest import KEY, set_params, stage


def generate(check: bool = True) -> subprocess.CompletedProcess:
    proc = stage("generate", check=False)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def metrics() -> dict:
    return json.loads(Path("metrics/generate.json").read_text())


def telemetry() -> dict:
    """The last generate run's calls and cache hits, from the run log (not dataset metrics)."""
    return last_run("generate")


def test_whole_examples_cached_replay_and_edit_one_passage(claude) -> None:
    generate()
    m = metrics()
    assert m["jobs"] == 14 and telemetry()["calls"] == 14 and m["examples"] == 14
    assert m["jobs"] == m["examples"] + m["quarantined"] + m["failed"]
    assert m["cost_usd"] > 0
    examples = [e for e in read_jsonl("data/generated/examples.jsonl") if e["author"] == "teacher"]
    assert all(e["lineage"]["mode"] == "whole" and e["usage"]["cost_usd"] > 0 for e in examples)
    body = claude.requests[0]["body"]
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}  # prefix marked for caching
    schema = body["output_config"]["format"]  # structured outputs: no JSON hunting, no repairs
    assert schema["type"] == "json_schema" and "turns" in schema["schema"]["properties"]
    first = Path("data/generated/examples.jsonl").read_bytes()

    generate()  # nothing changed: no calls, same bytes
    assert len(claude.requests) == 14 and telemetry()["calls"] == 0
    assert Path("data/generated/examples.jsonl").read_bytes() == first

    # edit one passage's phenomenology: only its prompts are asked again
    rows = read_jsonl("data/curated/passages.jsonl")
    rows[0]["phenomenology"] += ", and a quiet relief"
    Path("data/curated/passages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    generate()
    assert telemetry()["calls"] == len(rows[0]["templates"])
    assert len(claude.requests) == 14 + len(rows[0]["templates"])


def test_repair_then_quarantine_with_reasons(claude) -> None:
    # round 1: job 1 not JSON, job 2 in the wrong schema, 12 valid;
    # round 2 (repair requests): job 1 fixed, job 2 wrong again -> quarantined
    claude.faults = ["not-json", "wrong-schema"] + ["ok"] * 12 + ["ok", "wrong-schema"]
    set_params(teacher__anthropic__concurrency=1)
    generate()
    m = metrics()
    assert m["quarantined"] == 1 and m["examples"] == 13
    assert m["jobs"] == m["examples"] + m["quarantined"] + m["failed"]
    q = read_jsonl("data/generated/quarantine.jsonl")[0]
    assert "turns" in q["reason"] and q["raw"]
    repair = [r for r in claude.requests if len(r["body"]["messages"]) == 3]
    assert (
        len(repair) == 2
        and "does not follow the output contract" in repair[0]["body"]["messages"][2]["content"]
    )


def test_truncated_answer_is_asked_again_with_more_room(claude) -> None:
    claude.faults = ["truncated"]
    set_params(teacher__anthropic__concurrency=1)
    generate()
    sizes = sorted({r["body"]["max_tokens"] for r in claude.requests})
    assert sizes == [1200, 2400] and metrics()["examples"] == 14


def test_failures_are_reported_and_retried_next_run(claude) -> None:
    claude.faults = ["500"] * 3  # one request: first try and both retries fail
    set_params(teacher__anthropic__concurrency=1)
    generate()
    assert metrics()["failed"] == 1 and len(read_jsonl("data/generated/failed.jsonl")) == 1
    generate()
    assert metrics()["failed"] == 0 and telemetry()["calls"] == 1


def estimate() -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "stages", "estimate"], capture_output=True, text=True, check=True
    )
    return proc.stdout


def test_budget_stops_cleanly_and_raising_it_pays_only_for_the_rest(claude) -> None:
    before = estimate()
    assert "cached: 0, to call: 14" in before and "not cached" in before  # a short prefix
    assert len(claude.counted) == 14 + 2 and not claude.requests  # counted by the API, no answer
    tokens = int(re.search(r"to call: (\d+) input tokens \(counted by anthropic\)", before)[1])
    assert tokens == sum(claude._count(c["body"]) for c in claude.counted[:14])
    set_params(teacher__budget__max_requests=5, teacher__anthropic__concurrency=1)
    proc = generate(check=False)
    assert proc.returncode == 4 and "STOPPED by the budget" in proc.stderr
    assert "max_requests=5" in proc.stderr and len(claude.requests) == 5
    usd = lambda text: float(re.search(r"standard \$([0-9.]+)", text).group(1))  # noqa: E731
    after = estimate()
    assert "cached: 5, to call: 9" in after and len(claude.requests) == 5  # no call made
    assert usd(after) == pytest.approx(usd(before) * 9 / 14, rel=0.2)  # only what is left
    set_params(teacher__budget__max_requests=100)
    generate()
    assert len(claude.requests) == 14 and telemetry()["cache_hits"] == 5


def test_a_refusal_is_quarantined_with_its_reason_never_read_as_an_answer(claude) -> None:
    claude.faults = ["refusal"]
    generate()
    m = metrics()
    quarantined = read_jsonl("data/generated/quarantine.jsonl")
    assert m["quarantined"] == 1 and m["examples"] == 13
    assert quarantined[0]["reason"].startswith("refused") and "can't help" in quarantined[0]["raw"]
    generate()
    assert len(claude.requests) == 14  # the refusal is an answer too: cached, not asked again


def test_sigkill_mid_run_loses_nothing_and_repeats_nothing(claude, tmp_path: Path) -> None:
    claude.latency = 0.25
    set_params(teacher__anthropic__concurrency=2)
    proc = subprocess.Popen([sys.executable, "-m", "stages.generate"], stderr=subprocess.PIPE)
    cache = Path("data/cache/teacher")
    deadline = time.time() + 60
    while len(list(cache.rglob("req_*.json"))) < 5 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def prompt(system: str, messages: list) -> str:
        return json.dumps([system, messages], sort_keys=True)

    entries = [json.loads(p.read_text())["request"] for p in cache.rglob("req_*.json")]
    answered = {prompt(e["system"], e["messages"]) for e in entries}
    assert 5 <= len(answered) < 14
    assert not list(cache.rglob("*.tmp"))  # no half-written entry
    before = len(claude.requests)
    claude.latency = 0.0
    generate()
    again = [
        prompt(r["body"]["system"][0]["text"], r["body"]["messages"])
        for r in claude.requests[before:]
    ]
    assert not answered & set(again)  # nothing already answered was sent again
    assert metrics()["examples"] == 14 and telemetry()["cache_hits"] == len(answered)
    # the same dataset as an uninterrupted run
    result = Path("data/generated/examples.jsonl").read_bytes()
    for p in cache.rglob("req_*.json"):
        p.unlink()
    generate()
    assert Path("data/generated/examples.jsonl").read_bytes() == result


def test_the_key_never_lands_in_files_or_logs(claude) -> None:
    proc = generate()
    assert KEY not in proc.stdout + proc.stderr
    for path in Path(".").rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert os.environ["ANTHROPIC_API_KEY"] == KEY


def test_template_change_orphans_only_its_decisions(claude, detectors) -> None:
    generate()
    examples = [e for e in read_jsonl("data/generated/examples.jsonl") if e["author"] == "teacher"]
    decisions = [
        {
            "example_id": e["id"],
            "decision": "accept",
            "reviewer": "ana",
            "time": "2026-11-01T10:00:00Z",
        }
        for e in examples
    ]
    Path("data/decisions.jsonl").write_text("".join(json.dumps(d) + "\n" for d in decisions))
    tpl = Path("templates/01-inner-monologue.yaml")
    tpl.write_text(tpl.read_text().replace("150-300 words", "140-280 words"))
    generate()
    stage("review_merge")
    changed = {e["id"] for e in examples if e["template"] == "inner-monologue"}
    orphans = {o["example_id"] for o in read_jsonl("data/reviewed/orphans.jsonl")}
    assert orphans == changed and changed
    accepted = {r["id"]: r for r in read_jsonl("data/reviewed/accepted.jsonl")}
    for e in examples:
        if e["id"] not in changed:
            assert accepted[e["id"]]["review"]["decision"] == "accept"  # still applied
