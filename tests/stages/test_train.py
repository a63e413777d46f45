"""train: mlx-lm reads our files as they are, data parallel over two local processes, fuse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stages.core.jsonl import write_jsonl
from tests.conftest import copy_project, gold_rows, set_params, stage

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def formatted(tmp_path_factory) -> Path:
    """A project whose accepted examples are the gold ones, formatted for mlx-lm."""
    root = copy_project(tmp_path_factory.mktemp("train"))
    old = os.getcwd()
    os.chdir(root)
    for name in ("prepare_model", "extract", "curate"):
        stage(name)
    write_jsonl("data/reviewed/accepted.jsonl", gold_rows(reviewed=True))
    write_jsonl("data/reviewed/pending.jsonl", [])
    stage("format")
    os.chdir(old)
    return root


def test_mlx_lm_trains_on_the_formatted_files_directly(formatted: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlx_lm",
            "lora",
            "--model",
            "models/base",
            "--train",
            "--data",
            "data/formatted",
            "--iters",
            "1",
            "--batch-size",
            "1",
            "--num-layers",
            "2",
            "--adapter-path",
            str(tmp_path / "adapter"),
            "--val-batches",
            "1",
        ],
        cwd=formatted,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "adapter/adapters.safetensors").exists()


def test_data_parallel_over_two_local_processes_then_fuse(formatted: Path) -> None:
    set_params(
        formatted,
        train__iters=2,
        train__eval_every=1,
        train__num_layers=2,
        train__distributed={"hosts": ["127.0.0.1", "127.0.0.1"], "backend": "ring"},
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # two processes on two cores
    proc = subprocess.run(
        [sys.executable, "-m", "stages.train"],
        cwd=formatted,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((formatted / "metrics/train.json").read_text())
    assert metrics["processes"] == 2 and metrics["iterations"] == 2
    curve = (formatted / "metrics/train_curve.tsv").read_text().splitlines()
    assert curve[0] == "step\ttrain_loss\tvalid_loss" and len(curve) == 3
    training = json.loads((formatted / "models/adapter/training.json").read_text())
    assert training["dataset_id"] == metrics["dataset_id"]

    proc = subprocess.run(
        [sys.executable, "-m", "stages", "fuse", "--out", "models/fused"],
        cwd=formatted,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((formatted / "models/fused/training.json").read_text()) == training
    from mlx_lm import load

    model, tokenizer = load(str(formatted / "models/fused"))
    assert tokenizer.encode("hello")


def test_killed_training_keeps_the_last_adapter_and_a_rerun_is_identical(formatted: Path) -> None:
    set_params(
        formatted,
        train__iters=6,
        train__eval_every=3,
        train__num_layers=2,
        train__distributed={"hosts": [], "backend": "ring"},
    )
    adapter = formatted / "models/adapter"

    def train() -> dict[str, bytes]:
        proc = subprocess.run(
            [sys.executable, "-m", "stages.train"], cwd=formatted, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        files = {p.name: p.read_bytes() for p in sorted(adapter.iterdir())}
        return files | {"curve": (formatted / "metrics/train_curve.tsv").read_bytes()}

    clean = train()
    assert {"adapters.safetensors", "adapter_config.json", "training.json"} <= set(clean)
    proc = subprocess.Popen(
        [sys.executable, "-m", "stages.train"], cwd=formatted, stderr=subprocess.PIPE
    )
    partial = formatted / "models/adapter.partial/adapter_config.json"
    for _ in range(600):  # kill once mlx-lm has started writing the new adapter
        if partial.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    assert partial.exists(), "training finished before it could be killed"
    # the adapter from the last complete run is untouched by the killed one
    assert {p.name: p.read_bytes() for p in sorted(adapter.iterdir())} == {
        k: v for k, v in clean.items() if k != "curve"
    }
    assert train() == clean  # same data and params: byte-identical adapter and curve
    assert not (formatted / "models/adapter.partial").exists()
