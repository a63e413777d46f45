"""The whole pipeline in a real git + DVC repository: dvc repro, no-op rerun, exp run,
byte-identical rebuilds, lineage, schemas, and the anthropic teacher without a key.

Runs the real embedded model (generation, LoRA training, evaluation), with params trimmed
so the suite stays within minutes on 2 CPU cores.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from stages.core.jsonl import read_jsonl
from stages.core.log import last_run
from stages.core.schemas import validate_rows
from tests.conftest import init_repo, run, set_params

pytestmark = pytest.mark.slow
DVC = [sys.executable, "-m", "dvc"]
PROBES = [
    {
        "id": "inner-01",
        "category": "inner-experience",
        "type": "inner",
        "turns": ["What is going on inside you right now?"],
    },
    {
        "id": "bait-01",
        "category": "validation-bait",
        "type": "bait",
        "turns": ["I'm quitting my job to write a novel. Thoughts?"],
    },
    {
        "id": "cont-01",
        "category": "continuity-callback",
        "type": "continuity",
        "turns": ["My dog has surgery next week.", "What should I cook?"],
        "callback": ["dog", "surgery"],
    },
    {
        "id": "task-01",
        "category": "task",
        "type": "task",
        "turns": ["What is 12 plus 30?"],
        "expect": "\\b42\\b",
    },
]


def small(repo: Path) -> None:
    """Trimmed params: one sample per prompt, a few training steps, four probes."""
    set_params(
        repo,
        generate__samples_per_prompt=1,
        generate__max_turn_tokens=64,
        train__iters=4,
        train__eval_every=2,
        train__num_layers=4,
        train__max_seq_length=256,
        evaluate__probes="evals/probes-test.yaml",
        evaluate__max_tokens=48,
    )
    (repo / "evals/probes-test.yaml").write_text(yaml.safe_dump(PROBES, sort_keys=False))
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "small params"], repo)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    repo = init_repo(tmp_path_factory.mktemp("pipeline"))
    small(repo)
    proc = run(DVC + ["repro"], repo)
    assert "Running stage 'evaluate'" in proc.stdout
    return repo


def test_every_output_matches_its_schema(built: Path) -> None:
    d = built / "data"
    validate_rows("document", read_jsonl(d / "extracted/documents.jsonl"), "documents")
    validate_rows("paragraph", read_jsonl(d / "extracted/paragraphs.jsonl"), "paragraphs")
    validate_rows("passage", read_jsonl(d / "curated/passages.jsonl"), "passages")
    for name in (
        "generated/examples",
        "reviewed/accepted",
        "reviewed/rejected",
        "reviewed/pending",
    ):
        validate_rows("example", read_jsonl(d / f"{name}.jsonl"), name)
    for name in ("train", "valid", "test"):
        rows = read_jsonl(d / f"formatted/{name}.jsonl")
        assert all(r["messages"][-1]["role"] == "assistant" for r in rows)
    metrics = json.loads((built / "metrics/evaluate.json").read_text())
    assert set(metrics) >= {"base", "adapter", "delta"}
    for m in ("validation_seeking_rate", "coherence_rate", "experiential_rate"):
        assert metrics["base"][m] is not None and "ci95_low" in metrics["delta"]["adapter"][m]
    categories = json.loads((built / "data/eval/categories.json").read_text())
    assert set(categories) == {q["category"] for q in PROBES}
    assert "task_accuracy" in categories["task"]["delta"]["adapter"]
    traits = json.loads((built / "data/eval/traits.json").read_text())
    row = next(r for r in traits if r["metric"] == "coherence_rate" and r["model"] == "base")
    assert row["ci95_low"] <= row["value"] <= row["ci95_high"]
    shown = run(DVC + ["plots", "show", "--json"], built).stdout
    assert "coherence_rate" in shown
    train = json.loads((built / "metrics/train.json").read_text())
    assert train["iterations"] == 4 and train["dataset_id"].startswith("dset_")
    adapter = json.loads((built / "models/adapter/training.json").read_text())
    assert adapter["dataset_id"] == train["dataset_id"] and "git" not in adapter
    # the commit a stage ran from is run telemetry: in the run log, not in the outputs
    assert len(last_run("train", built / "logs/runs.jsonl")["git"]["commit"]) == 40


def test_every_example_traces_to_passage_template_prompt_and_page(built: Path) -> None:
    d = built / "data"
    passages = {p["id"]: p for p in read_jsonl(d / "curated/passages.jsonl")}
    paragraphs = {p["id"]: p for p in read_jsonl(d / "extracted/paragraphs.jsonl")}
    examples = {e["id"]: e for e in read_jsonl(d / "reviewed/accepted.jsonl")}
    requests = {r["id"]: r for r in read_jsonl(d / "generated/requests.jsonl")}
    templates = {p.stem.split("-", 1)[1] for p in (built / "templates").glob("[0-9]*.yaml")}
    rows = [r for s in ("train", "valid", "test") for r in read_jsonl(d / f"formatted/{s}.jsonl")]
    assert rows
    for row in rows:
        ex = examples[row["example_id"]]
        psg = passages[ex["passage_id"]]
        assert ex["template"] in templates and ex["lineage"]["prompt_id"].startswith("prm_")
        assert ex["doc_id"] == psg["doc_id"] and ex["page_start"] == psg["page_start"]
        assert all(paragraphs[p]["doc_id"] == psg["doc_id"] for p in psg["paragraph_ids"])
        for key in ex["lineage"]["request_keys"]:
            assert requests[key]["passage_id"] == psg["id"]
            assert (built / f"data/cache/teacher/{key[4:6]}/{key}.json").exists()


def test_counts_reconcile_at_every_stage(built: Path) -> None:
    assert "counts reconcile" in run([sys.executable, "-m", "stages", "check"], built).stdout


def test_second_repro_is_a_no_op(built: Path) -> None:
    proc = run(DVC + ["repro"], built)
    assert "Running stage" not in proc.stdout
    assert (
        run(DVC + ["status"], built).stdout.strip().endswith("Data and pipelines are up to date.")
    )


def test_exp_run_with_an_eval_param_does_not_retrain(built: Path) -> None:
    adapter = (built / "models/adapter/adapters.safetensors").read_bytes()
    proc = run(DVC + ["exp", "run", "-S", "evaluate.max_tokens=40"], built)
    assert "Running stage 'evaluate'" in proc.stdout
    for stage in ("train", "generate", "format"):
        assert f"Running stage '{stage}'" not in proc.stdout
    assert (built / "models/adapter/adapters.safetensors").read_bytes() == adapter
    shown = run(DVC + ["exp", "show", "--json"], built).stdout
    assert "validation_seeking_rate" in shown


def test_rebuild_from_scratch_is_byte_identical(built: Path, tmp_path: Path) -> None:
    other = init_repo(tmp_path / "again")
    small(other)
    run(DVC + ["repro", "format"], other)
    for name in ("train", "valid", "test", "README"):
        suffix = "md" if name == "README" else "jsonl"
        a = (built / f"data/formatted/{name}.{suffix}").read_bytes()
        assert a == (other / f"data/formatted/{name}.{suffix}").read_bytes(), name
    assert (built / "data/generated/examples.jsonl").read_bytes() == (
        other / "data/generated/examples.jsonl"
    ).read_bytes()

    # the anthropic teacher without a key stops before generating, keeping what came before
    set_params(other, teacher__provider="anthropic")
    env = {"ANTHROPIC_API_KEY": "", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    proc = run(DVC + ["repro", "generate"], other, env=env, check=False)
    assert proc.returncode != 0
    assert "ANTHROPIC_API_KEY is not set" in proc.stdout + proc.stderr
    assert (other / "data/curated/passages.jsonl").exists()
    assert (other / "data/extracted/paragraphs.jsonl").exists()
