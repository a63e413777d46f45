"""Dataset pull requests: the diff report lists exactly what changed, works from the DVC
remote alone, and the pre-commit hooks reject a malformed decisions file, offline, from a
shell that has no Python of ours on PATH."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from stages.core.jsonl import read_jsonl
from tests.conftest import init_repo, run, set_params

DVC = [sys.executable, "-m", "dvc"]


@pytest.fixture
def unbuilt(tmp_path: Path) -> Path:
    """A git+DVC repo of the project with nothing built: all the hooks need."""
    r = init_repo(tmp_path / "repo")
    (r / ".venv").symlink_to(Path(sys.executable).parents[1])  # the clone's own environment
    return r


@pytest.fixture
def repo(unbuilt: Path, tmp_path: Path, standin) -> tuple[Path, dict]:
    """The project built to `format` with the stand-in teacher, pushed to a local remote."""
    r = unbuilt
    run(DVC + ["remote", "add", "-d", "local", str(tmp_path / "storage")], r)
    set_params(r, teacher__provider="anthropic", generate__samples_per_prompt=1)
    env = {"ANTHROPIC_BASE_URL": standin.url, "ANTHROPIC_API_KEY": "sk-test"}
    run(DVC + ["repro", "format"], r, env=env)
    run(["git", "add", "-A"], r)
    run(["git", "commit", "-qm", "dataset v1"], r)
    run(DVC + ["push"], r)
    return r, env


def diff(r: Path, *args: str) -> dict:
    return json.loads(run([sys.executable, "-m", "stages", "diff", *args, "--json"], r).stdout)


def test_diff_lists_exactly_the_changes_and_their_effects(repo) -> None:
    r, env = repo
    before = {e["id"]: e for e in read_jsonl(r / "data/generated/examples.jsonl")}
    passages = {p["title"]: p for p in read_jsonl(r / "data/curated/passages.jsonl")}
    # one passage, one template, one review decision
    md = r / "data/passages.md"
    md.write_text(md.read_text().replace("calm not-knowing", "calm not-knowing, a slow return"))
    tpl = r / "templates/04-meta-awareness.yaml"
    tpl.write_text(tpl.read_text().replace("100-200 words", "90-180 words"))
    decided = sorted(before)[0]
    (r / "data/decisions.jsonl").write_text(
        json.dumps(
            {
                "example_id": decided,
                "decision": "reject",
                "reviewer": "ana",
                "time": "2026-11-01T10:00:00Z",
                "note": "too close to the passage",
            }
        )
        + "\n"
    )
    run(DVC + ["repro", "format"], r, env=env)
    run(["git", "add", "-A"], r)
    run(["git", "commit", "-qm", "dataset v2"], r)
    run(DVC + ["push"], r)

    d = diff(r, "HEAD~1", "HEAD")
    assert d["passages"] == {"added": [], "removed": [], "changed": ["Waking without a name"]}
    assert d["templates"] == {
        "added": [],
        "removed": [],
        "changed": ["templates/04-meta-awareness.yaml"],
    }
    assert d["decisions"]["added"] == [decided] and not d["decisions"]["changed"]
    # downstream: exactly the examples of that passage and that template were regenerated
    affected = {
        i
        for i, e in before.items()
        if e["author"] == "teacher"
        and (
            e["passage_id"] == passages["Waking without a name"]["id"]
            or e["template"] == "meta-awareness"
        )
    }
    assert {old for old, _ in d["examples"]["changed"]} == affected
    assert not d["examples"]["added"] and not d["examples"]["removed"]
    assert d["counts"]["rejected"] == [0, 1]
    md_report = run([sys.executable, "-m", "stages", "diff", "HEAD~1", "HEAD"], r).stdout
    assert "<details><summary>changed" in md_report and "#page=" in md_report
    assert "too close to the passage" in md_report

    # the same report with the data only in the remote
    shutil.rmtree(r / ".dvc/cache")
    for out in ("data/generated", "data/reviewed", "data/curated", "data/formatted"):
        shutil.rmtree(r / out)
    assert diff(r, "HEAD~1", "HEAD") == d
    run([sys.executable, "-m", "stages", "report", "HEAD~1", "HEAD", "--out", "pr.md"], r)
    assert (r / "pr.md").read_text() == md_report


def test_pre_commit_hooks_run_offline_and_reject_a_bad_decisions_file(unbuilt: Path) -> None:
    r = unbuilt
    (r / "data/decisions.jsonl").write_text(
        '{"example_id": "ex_0000000000000000", "decision": "accept",\n'
    )
    run(["git", "add", "data/decisions.jsonl"], r)
    proc = run(
        [sys.executable, "-m", "pre_commit", "run", "canonical-inputs", "--all-files"],
        r,
        check=False,
    )
    assert proc.returncode == 1
    assert "decisions.jsonl:1: invalid JSON" in proc.stdout + proc.stderr
    # a canonical, valid file passes; an unsorted one is rewritten canonically
    rows = [
        {
            "example_id": f"ex_{i:016x}",
            "decision": "accept",
            "reviewer": "a",
            "time": "2026-11-01T10:00:00Z",
        }
        for i in (2, 1)
    ]
    (r / "data/decisions.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rows))
    run(["git", "add", "data/decisions.jsonl"], r)
    proc = run(
        [sys.executable, "-m", "pre_commit", "run", "canonical-inputs", "--all-files"],
        r,
        check=False,
    )
    assert proc.returncode == 1 and "files were modified by this hook" in proc.stdout
    lines = (r / "data/decisions.jsonl").read_text().splitlines()
    assert [json.loads(x)["example_id"] for x in lines] == [
        "ex_0000000000000001",
        "ex_0000000000000002",
    ]
    proc = run(
        [sys.executable, "-m", "pre_commit", "run", "canonical-inputs", "--all-files"],
        r,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout


def test_hooks_find_the_project_environment_without_it_on_path(unbuilt: Path) -> None:
    """A commit from a shell (or GUI client) whose PATH has no venv and no Python of ours."""
    r = unbuilt
    run([sys.executable, "-m", "pre_commit", "install"], r)
    bare = {"PATH": "/usr/bin:/bin", "VIRTUAL_ENV": "", "PYTHONPATH": ""}
    (r / "data/decisions.jsonl").write_text('{"example_id": "ex_0000000000000000",\n')
    run(["git", "add", "data/decisions.jsonl"], r)
    proc = run(["git", "commit", "-qm", "a broken decisions file"], r, env=bare, check=False)
    assert proc.returncode != 0 and "decisions.jsonl:1: invalid JSON" in proc.stdout + proc.stderr
    run(["git", "checkout", "HEAD", "--", "data/decisions.jsonl"], r)
    (r / "notes.py").write_text("x = 1\n")
    run(["git", "add", "notes.py"], r)
    # (train and evaluate are not built in this repository: dvc-status would rightly refuse)
    proc = run(
        ["git", "commit", "-qm", "a clean change"],
        r,
        env=bare | {"SKIP": "dvc-status"},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
