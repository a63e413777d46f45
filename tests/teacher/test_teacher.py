"""The teacher interface against a real HTTP stand-in for the Anthropic API, through the SDK."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stages.core.jsonl import DataError, write_json
from stages.core.params import load_params
from stages.teacher.anthropic import AnthropicProvider
from stages.teacher.cache import ResponseCache
from stages.teacher.client import Budget, BudgetExceeded, Teacher
from stages.teacher.types import Request
from tests.conftest import ROOT

PARAMS = load_params("teacher", ROOT / "params.yaml")["anthropic"] | {
    "concurrency": 4,
    "max_retries": 4,
    "timeout_s": 2,
    "poll_s": 0.01,
}
KEY = "sk-ant-test-key-0123456789"


@pytest.fixture
def api(standin, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    return standin


def teacher(tmp_path: Path, batch: bool = False, **budget) -> Teacher:
    provider = AnthropicProvider(
        PARAMS | {"batch": batch, "batch_dir": str(tmp_path / "cache/batches")}
    )
    b = Budget(budget.get("max_usd"), budget.get("max_requests"))
    cache = ResponseCache(tmp_path / "cache", tmp_path / "attic")
    return Teacher(provider, cache, b, provider.worst_case_usd)


def reqs(n: int) -> list[Request]:
    return [Request("system", (("user", f"prompt {i} - 2-2 messages"),), 200) for i in range(n)]


def test_cache_makes_a_rerun_free_and_keys_are_distinct_per_sample(api, tmp_path: Path) -> None:
    t = teacher(tmp_path)
    first = t.ask(
        reqs(3) + [Request("system", (("user", "prompt 0 - 2-2 messages"),), 200, sample=1)]
    )
    assert t.calls == 4 and len({o.key for o in first.values()}) == 4
    again = teacher(tmp_path)
    second = again.ask(reqs(3))
    assert again.calls == 0 and again.hits == 3
    assert all(second[r].response.text == first[r].response.text for r in reqs(3))
    assert len(api.requests) == 4
    # usage and cost come from the response and the price table
    o = first[reqs(1)[0]]
    assert o.response.usage["output_tokens"] > 0 and o.response.cost_usd > 0


def test_prune_keeps_what_was_used_and_set_aside_answers_come_back_free(
    api, tmp_path: Path
) -> None:
    t = teacher(tmp_path)
    first = t.ask(reqs(3))
    used = {first[r].key for r in reqs(2)}
    assert t.cache.prune(used) == 1  # the third answer is no longer part of the dataset
    assert {p.stem for p in t.cache.entries()} == used
    assert len(list((tmp_path / "attic").rglob("req_*.json"))) == 1
    again = teacher(tmp_path)
    again.ask(reqs(3))
    assert again.calls == 0 and again.hits == 3 and len(api.requests) == 3  # from the attic
    assert len(again.cache.entries()) == 3 and not list((tmp_path / "attic").rglob("req_*"))


def test_retries_429_529_500_then_succeeds(api, tmp_path: Path) -> None:
    api.faults = ["429", "529", "500"]
    out = teacher(tmp_path).ask(reqs(1))
    assert next(iter(out.values())).response.finish == "stop"
    assert len(api.requests) == 4


def test_failures_are_reported_not_cached(api, tmp_path: Path) -> None:
    api.faults = ["500"] * 5  # the first call and its 4 retries
    t = teacher(tmp_path)
    out = t.ask(reqs(1))
    resp = next(iter(out.values())).response
    assert resp.finish == "error" and "InternalServerError" in resp.error
    assert t.failures == 1 and not list((tmp_path / "cache").rglob("*.json"))
    out = teacher(tmp_path).ask(reqs(1))  # next run asks again and succeeds
    assert next(iter(out.values())).response.finish == "stop"


def test_malformed_and_empty_bodies_are_failures_with_reasons(api, tmp_path: Path) -> None:
    api.faults = ["malformed"] * 6 + ["empty"] * 6
    out = teacher(tmp_path).ask(reqs(2))
    assert all(o.response.finish == "error" and o.response.error for o in out.values())


def test_missing_key_is_a_clear_error(standin, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(DataError, match="ANTHROPIC_API_KEY is not set"):
        teacher(tmp_path).ask(reqs(1))
    assert standin.requests == []


def test_corrupt_cache_entry_is_never_used(api, tmp_path: Path) -> None:
    t = teacher(tmp_path)
    t.ask(reqs(1))
    entry = next((tmp_path / "cache").rglob("*.json"))
    data = json.loads(entry.read_text())
    data["text"] = "tampered"
    entry.write_text(json.dumps(data))
    again = teacher(tmp_path)
    out = again.ask(reqs(1))
    assert next(iter(out.values())).response.text != "tampered"
    assert again.calls == 1 and again.cache.corrupt == [data["key"]]
    assert list((tmp_path / "cache").rglob("*.corrupt"))


def test_budget_stops_before_the_cap_and_keeps_what_was_paid(api, tmp_path: Path) -> None:
    with pytest.raises(BudgetExceeded, match="max_requests=2"):
        teacher(tmp_path, max_requests=2).ask(reqs(5))
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 2
    t = teacher(tmp_path, max_requests=5)  # raise the cap: only the rest is paid for
    t.ask(reqs(5))
    assert t.calls == 3 and t.hits == 2


def test_offline_mode_fails_on_a_miss(api, tmp_path: Path) -> None:
    t = teacher(tmp_path)
    t.offline = True
    with pytest.raises(DataError, match="teacher.offline is true"):
        t.ask(reqs(1))


def test_key_is_sent_only_as_a_header_and_never_stored(api, tmp_path: Path) -> None:
    teacher(tmp_path).ask(reqs(2))
    # the SDK authenticates with a header (x-api-key or a bearer token), nowhere else
    assert all(
        KEY in (h.get("x-api-key", ""), h.get("authorization", "").removeprefix("Bearer "))
        for h in api.headers
    )
    assert all(KEY not in json.dumps(r["body"]) for r in api.requests)
    for f in (tmp_path / "cache").rglob("*"):
        if f.is_file():
            assert KEY not in f.read_text()
    assert KEY not in os.environ.get("ANTHROPIC_BASE_URL", "")


def test_batch_mode_costs_half_and_resumes_instead_of_resubmitting(api, tmp_path: Path) -> None:
    t = teacher(tmp_path, batch=True)
    out = t.ask(reqs(3))
    assert len(api.batches) == 1 and t.calls == 3
    standard = teacher(tmp_path / "std").ask(reqs(3))
    for r in reqs(3):
        assert out[r].response.cost_usd == pytest.approx(standard[r].response.cost_usd / 2)
    assert not list((tmp_path / "cache/batches").glob("*.json"))  # state removed once collected

    # an interrupted run: the batch was submitted and its id written, the results never fetched
    provider = AnthropicProvider(PARAMS | {"batch": True, "batch_dir": str(tmp_path / "b2")})
    more = [Request("system", (("user", f"later {i} - 2-2 messages"),), 200) for i in range(2)]
    keys = {r.key(provider.name, provider.model, provider.sampling()): r for r in more}
    batch = provider.client().messages.batches.create(
        requests=[{"custom_id": k, "params": provider._params(r)} for k, r in keys.items()]
    )
    write_json(tmp_path / "b2" / f"{batch.id}.json", {"id": batch.id, "keys": sorted(keys)})
    resumed = Teacher(provider, ResponseCache(tmp_path / "cache2"), Budget(None, None))
    answers = resumed.ask(more)
    assert len(api.batches) == 2  # the earlier batch was polled, not submitted again
    assert all(a.response.finish == "stop" for a in answers.values())


def test_batches_are_all_submitted_then_polled_together_with_a_one_hour_prefix_cache(
    api, tmp_path: Path
) -> None:
    api.latency, api.batch_polls = 0.001, 3  # each batch ends at its third look
    provider = AnthropicProvider(
        PARAMS | {"batch": True, "batch_size": 2, "batch_dir": str(tmp_path / "batches")}
    )
    t = Teacher(provider, ResponseCache(tmp_path / "cache"), Budget(None, None))
    answers = t.ask(reqs(5))
    assert len(api.batches) == 3 and all(a.response.finish == "stop" for a in answers.values())
    paths = [r["path"] for r in api.requests]
    creates = [i for i, p in enumerate(paths) if p == "/v1/messages/batches"]
    first_poll = min(i for i, p in enumerate(paths) if p.startswith("/v1/messages/batches/"))
    assert creates == [0, 1, 2] and first_poll == 3  # every chunk before any poll
    system = api.requests[0]["body"]["requests"][0]["params"]["system"]
    assert system[0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_batch_submitted_by_a_run_killed_before_noting_its_id_is_found_not_paid_twice(
    api, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    state = tmp_path / "cache/batches"
    provider = AnthropicProvider(PARAMS | {"batch": True, "batch_dir": str(state)})
    more = [Request("system", (("user", f"killed {i} - 2-2 messages"),), 200) for i in range(3)]
    keys = {r.key(provider.name, provider.model, provider.sampling()): r for r in more}
    # what the killed run left: its intent, and a batch the API accepted
    after = datetime.now(UTC).isoformat(timespec="seconds")
    write_json(
        state / f"pending-{min(keys)}.json", {"id": None, "keys": sorted(keys), "after": after}
    )
    provider.client().messages.batches.create(
        requests=[{"custom_id": k, "params": provider._params(r)} for k, r in keys.items()]
    )
    t = Teacher(provider, ResponseCache(tmp_path / "cache"), Budget(None, None))
    answers = t.ask(more)
    assert len(api.batches) == 1  # found and collected, not submitted again
    assert all(a.response.finish == "stop" for a in answers.values()) and t.calls == 3
    assert not list(state.glob("*.json"))

    # an intent whose batch never reached the API: the requests are submitted as usual
    others = [Request("system", (("user", f"never sent {i} - 2-2"),), 200) for i in range(2)]
    okeys = sorted(o.key(provider.name, provider.model, provider.sampling()) for o in others)
    write_json(state / f"pending-{okeys[0]}.json", {"id": None, "keys": okeys, "after": after})
    t = Teacher(provider, ResponseCache(tmp_path / "cache"), Budget(None, None))
    assert all(a.response.finish == "stop" for a in t.ask(others).values())
    assert len(api.batches) == 2 and t.calls == 2
