"""The repository itself: style, valid inputs, reproducible sample PDFs, a consistent graph."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT


def test_ruff_clean() -> None:
    for cmd in (["check"], ["format", "--check"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ruff", *cmd, "."], cwd=ROOT, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_git_tracked_inputs_are_valid() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "stages", "validate"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_sample_pdfs_are_rebuilt_byte_for_byte() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/make_sample_pdfs.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout


def test_every_stage_names_its_module_and_own_params() -> None:
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for name, stage in dvc["stages"].items():
        assert stage["cmd"] == f"python -m stages.{name}"
        assert f"stages/{name}.py" in stage["deps"]
        assert name in stage["params"] and name in params


def test_dvc_exp_set_param_changes_only_its_own_line(tmp_path) -> None:
    from dvc.utils.serialize import modify_yaml  # what `dvc exp run -S` writes params with

    copy = tmp_path / "params.yaml"
    copy.write_text((ROOT / "params.yaml").read_text())
    with modify_yaml(copy) as params:
        params["train"]["lora"]["rank"] = 4
    before = (ROOT / "params.yaml").read_text().splitlines()
    after = copy.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("    rank: 16", "    rank: 4")]


def import_closure(module: str) -> set[Path]:
    """Every file of this project that `module` imports, directly or through others, at
    module level or inside functions (lazy imports count: they run when the stage runs)."""
    files: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = ROOT / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = ROOT / name.replace(".", "/") / "__init__.py"
        if not path.exists() or path in files:
            continue
        files.add(path)
        parts = name.split(".")
        for i in range(1, len(parts)):  # importing a.b.c runs a/__init__ and a/b/__init__
            todo.append(".".join(parts[:i]))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                todo.append(node.module)
                todo += [f"{node.module}.{a.name}" for a in node.names]  # submodules
    return {f for f in files if f.is_relative_to(ROOT)}


def test_every_stage_depends_on_every_project_module_it_imports() -> None:
    """Changing shared code must rebuild what uses it: dvc.yaml's deps cover the closure."""
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    missing = {}
    for name, stage in dvc["stages"].items():
        deps = [ROOT / d for d in stage["deps"]]
        closure = import_closure(f"stages.{name}")
        assert ROOT / f"stages/{name}.py" in closure
        uncovered = sorted(
            str(f.relative_to(ROOT)) for f in closure if not any(f.is_relative_to(d) for d in deps)
        )
        if uncovered:
            missing[name] = uncovered
    assert not missing, f"dvc.yaml deps miss modules the stages import: {missing}"


def test_the_closure_finds_lazy_imports() -> None:
    closure = import_closure("stages.train")
    assert ROOT / "stages/model/runtime.py" in closure  # imported inside main()
    assert ROOT / "stages/core/ids.py" in closure  # through stages.dataset.splits


def test_the_innerlife_command_is_python_m_stages() -> None:
    """The console script that `pip install` / `uv sync` makes for the project works."""
    script = Path(sys.executable).with_name("innerlife")
    assert script.exists(), "the project is not installed in this environment (bootstrap.py)"
    proc = subprocess.run([str(script), "--help"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and "validate" in proc.stdout and "estimate" in proc.stdout
    proc = subprocess.run([str(script), "validate"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and "inputs valid" in proc.stdout, proc.stderr
