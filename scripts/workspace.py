"""A scratch copy of the project and params edits in it: for tests, benchmarks and scripts
that run the pipeline somewhere other than the clone they came from."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

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
