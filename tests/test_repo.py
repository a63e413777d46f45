"""The repository itself: style, valid inputs, reproducible sample PDFs, a consistent graph."""

from __future__ import annotations

import subprocess
import sys

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
