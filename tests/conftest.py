"""Shared fixtures: the repository root, a scratch copy of the project, the stand-in server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# what a copy of the project needs to run the pipeline (no outputs, no venv)
PROJECT_FILES = [
    "dvc.yaml",
    "params.yaml",
    "pyproject.toml",
    "stages",
    "schemas",
    "templates",
    "evals",
    "data/raw",
    "data/passages.md",
    "data/decisions.jsonl",
    "scripts",
    ".dvcignore",
    ".pre-commit-config.yaml",
]


def set_params(root: Path | str = ".", **changes: object) -> None:
    """Change a project's params.yaml: set_params(repo, teacher__provider="anthropic")."""
    path = Path(root) / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for dotted, value in changes.items():
        node = params
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[key]
        node[last] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def copy_project(dest: Path) -> Path:
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def run(
    cmd: list[str], cwd: Path, env: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{full_env.get('PATH', '')}"
    full_env["DVC_NO_ANALYTICS"] = "1"
    full_env.update(env or {})
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def init_repo(path: Path) -> Path:
    """A real git + DVC repository holding a copy of the project."""
    copy_project(path)
    run(["git", "init", "-q"], path)
    run(["git", "config", "user.email", "test@example.com"], path)
    run(["git", "config", "user.name", "test"], path)
    run([sys.executable, "-m", "dvc", "init", "-q"], path)
    run([sys.executable, "-m", "dvc", "config", "core.analytics", "false"], path)
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-qm", "init"], path)
    return path


def gold_rows(reviewed: bool = False) -> list[dict]:
    """The gold examples as generate writes them (in a project after extract and curate);
    `reviewed` adds the fields review_merge adds, as unreviewed examples let through."""
    from stages.core.jsonl import read_jsonl
    from stages.core.templates import load_gold, load_templates
    from stages.generate import gold_records

    templates = load_templates("templates")
    ctx = {
        "system": "s",
        "local_system": "s",
        "gold": {},
        "max_tokens": 10,
        "max_tokens_growth": 1,
        "repair": False,
        "min_turn_words": 0,
        "max_turn_tokens": 0,
    }
    rows, _ = gold_records(
        load_gold("templates/gold", templates),
        templates,
        read_jsonl("data/curated/passages.jsonl"),
        ctx,
    )
    if reviewed:
        for r in rows:
            r["flags"] = []
            r["review"] = {
                "status": "accepted",
                "decision": None,
                "reviewer": None,
                "note": None,
                "auto": True,
            }
    return rows


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the project (no git), with cwd set to it."""
    copy_project(tmp_path)
    old = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)


@pytest.fixture
def standin():
    from tests.anthropic_standin import StandIn

    with StandIn() as server:
        yield server
