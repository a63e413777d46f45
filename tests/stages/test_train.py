"""train: mlx-lm reads our files as they are, data parallel over two local processes, fuse;
DPO and ORPO on the review's preference pairs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stages.core.jsonl import read_jsonl, write_jsonl
from stages.dataset.examples import example_id
from stages.model.blas import child_env
from tests.conftest import VALIDATION_SEEKING, copy_project, gold_rows, set_params, stage

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def formatted(tmp_path_factory) -> Path:
    """A project whose accepted examples are the gold ones, formatted for mlx-lm, and whose
    rejected ones are the gold ones with a first reply that seeks approval."""
    root = copy_project(tmp_path_factory.mktemp("train"))
    old = os.getcwd()
    os.chdir(root)
    for name in ("prepare_model", "extract", "curate"):
        stage(name)
    accepted = gold_rows(reviewed=True)
    rejected = json.loads(json.dumps(accepted))
    for r in rejected:
        r["turns"][1]["content"] = VALIDATION_SEEKING
        r["id"] = example_id(r["kind"], r["template"], r["turns"])
        r["review"] |= {"status": "rejected", "decision": "reject", "note": "seeks approval"}
    write_jsonl("data/reviewed/accepted.jsonl", accepted)
    write_jsonl("data/reviewed/rejected.jsonl", rejected)
    write_jsonl("data/reviewed/pending.jsonl", [])
    stage("negatives")
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
            "--max-seq-length",
            "256",
        ],
        cwd=formatted,
        env=os.environ | child_env(),  # mlx-lm on the same BLAS as our stages
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
        train__max_seq_length=256,  # the test is about the processes, not the rows
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
        train__iters=4,
        train__eval_every=2,
        train__num_layers=2,
        train__max_seq_length=256,
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


def margins(root: Path, adapter: Path) -> list[float]:
    """log p(chosen) - log p(rejected) of each train pair under base + `adapter`."""
    from stages.model.preference import load_pairs
    from stages.model.runtime import load, sequence_logprobs

    model, tokenizer, _ = load(str(root / "models/base"), str(adapter))
    pairs = load_pairs(root / "data/formatted/preference", tokenizer, 256)["train"]
    out = []
    for item in pairs.items:
        chosen, rejected = sequence_logprobs(model, [item["chosen"][:256], item["rejected"][:256]])
        start = item["chosen_prompt_length"] - 1  # logprobs[i] is token i + 1's
        out.append(sum(chosen[start:]) - sum(rejected[start:]))
    return out


def test_dpo_from_the_sft_adapter_learns_what_review_kept_and_reruns_identically(
    formatted: Path,
) -> None:
    pairs = read_jsonl(formatted / "data/formatted/preference/train.jsonl")
    assert pairs and {r["meta"]["source"] for r in pairs} == {"rejected"}
    assert all(r["rejected"].endswith(VALIDATION_SEEKING) for r in pairs)  # after any thinking
    set_params(
        formatted,
        train__iters=2,
        train__eval_every=2,
        train__num_layers=2,
        train__max_seq_length=256,  # short rows and pairs: the test is about the mechanics
        train__distributed={"hosts": [], "backend": "ring"},
        train__method="dpo",
        train__preference={
            "init": "sft",
            "beta": 0.1,
            "loss_type": "sigmoid",
            "learning_rate": 0.0005,
            "epochs": 1,
            "iters": 2,
            "batch_size": 2,
        },
    )
    adapter = formatted / "models/adapter"

    def train() -> dict[str, bytes]:
        proc = subprocess.run(
            [sys.executable, "-m", "stages.train"], cwd=formatted, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        files = {str(p.relative_to(adapter)): p.read_bytes() for p in adapter.rglob("*.*")}
        return files | {"curve": (formatted / "metrics/preference_curve.tsv").read_bytes()}

    first = train()
    assert {"sft/adapters.safetensors", "sft/adapter_config.json"} <= set(first)
    training = json.loads(first["training.json"])
    metrics = json.loads((formatted / "metrics/train.json").read_text())
    assert training["method"] == metrics["method"] == "dpo"
    assert training["preference_id"].startswith("dset_")
    assert metrics["preference_pairs"] == len(pairs) and metrics["preference_iterations"] == 2
    assert len(first["curve"].decode().splitlines()) == 1 + 1  # header, step 2
    # the pairs' margin grows: DPO moved the model toward the reply review kept
    before, after = margins(formatted, adapter / "sft"), margins(formatted, adapter)
    assert sum(after) / len(after) > sum(before) / len(before) + 1.0
    assert train() == first  # seeded: the same adapter, byte for byte


def test_orpo_straight_from_the_base_model_writes_an_adapter_mlx_lm_loads(
    formatted: Path,
) -> None:
    set_params(
        formatted,
        train__num_layers=2,
        train__distributed={"hosts": [], "backend": "ring"},
        train__max_seq_length=256,
        train__method="orpo",
        train__preference={
            "init": "base",
            "beta": 0.1,
            "loss_type": "sigmoid",
            "learning_rate": 0.0005,
            "epochs": 1,
            "iters": 2,
            "batch_size": 1,
        },
    )
    proc = subprocess.run(
        [sys.executable, "-m", "stages.train"], cwd=formatted, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    adapter = formatted / "models/adapter"
    assert not (adapter / "sft").exists()
    metrics = json.loads((formatted / "metrics/train.json").read_text())
    assert metrics["method"] == "orpo" and metrics["iterations"] == 0
    assert metrics["train_loss"] is None and metrics["preference_iterations"] == 2
    from mlx_lm import load

    model, _ = load(str(formatted / "models/base"), adapter_path=str(adapter))
    assert model is not None
