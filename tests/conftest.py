"""Shared fixtures: the repository root, a scratch copy of the project, the stand-in server."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# nothing in the tests may reach a model or dataset hub (this machine has no route to one)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

# one coherence cache for the whole session (stages/quality/coherence.py): every test repo
# fits the detectors and reviews examples on the same texts, and the base model need read
# each only once; set before the BLAS restart below, so the restarted process keeps it
os.environ.setdefault("INNERLIFE_COHERENCE_CACHE", tempfile.mkdtemp(prefix="innerlife-coherence-"))

from scripts.workspace import copy_project, set_params  # noqa: E402,F401  (for the tests)
from stages.model.blas import use_fast_blas  # noqa: E402

# the model runs in this process too (detector scores, DPO margins): OpenBLAS before any test
# module imports MLX, or MLX's reference BLAS makes those tests many times slower
use_fast_blas()  # may restart this process once, with the wheel's libgfortran visible


def stage(
    name: str, check: bool = True, env: dict | None = None, **kw: object
) -> subprocess.CompletedProcess:
    """Run the stage `python -m stages.<name>` in the current directory."""
    return run([sys.executable, "-m", f"stages.{name}"], Path.cwd(), env, check, **kw)


def command(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m stages <command> ...` in the current directory."""
    return run([sys.executable, "-m", "stages", *args], Path.cwd(), env, check)


def run(
    cmd: list[str], cwd: Path, env: dict | None = None, check: bool = True, **kw: object
) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{full_env.get('PATH', '')}"
    full_env["DVC_NO_ANALYTICS"] = "1"
    full_env.update(env or {})
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, **kw)
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
    from stages.dataset.templates import load_gold, load_templates
    from stages.generation.config import GenerationConfig
    from stages.generation.records import gold_examples

    templates = load_templates("templates")
    config = GenerationConfig(system="s", local_system="s", max_tokens=10)
    rows, _ = gold_examples(
        load_gold("templates/gold", templates),
        templates,
        read_jsonl("data/curated/passages.jsonl"),
        config,
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


@pytest.fixture(scope="session")
def fitted(tmp_path_factory) -> Path:
    """A project copy where prepare_model and fit_detectors ran on the full labelled set:
    the base model, data/detectors/detectors.json and metrics/detectors.json, built once."""
    root = copy_project(tmp_path_factory.mktemp("fitted"))
    for name in ("prepare_model", "fit_detectors"):
        run([sys.executable, "-m", f"stages.{name}"], root)
    return root


@pytest.fixture
def detectors(project: Path, fitted: Path) -> Path:
    """The scratch project with the fitted detectors and the base model they read, as
    review_merge and evaluate need them."""
    import shutil

    for name in ("models/base", "data/detectors"):
        shutil.copytree(fitted / name, project / name, dirs_exist_ok=True)
    return project


@pytest.fixture
def standin():
    from tests.anthropic_standin import StandIn

    with StandIn() as server:
        yield server


KEY = "sk-ant-standin-secret-4242"


@pytest.fixture
def claude(project: Path, standin, monkeypatch):
    """The sample project after extract and curate, with the anthropic teacher pointed at the
    stand-in (and a key only the stand-in knows)."""
    for name in ("extract", "curate"):
        stage(name)
    set_params(
        teacher__provider="anthropic",
        teacher__anthropic__max_retries=2,
        teacher__anthropic__timeout_s=5,
        generate__samples_per_prompt=1,
    )
    monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    return standin


VALIDATION_SEEKING = (
    "I hope this helps! Does that make sense? Let me know if you want more, I am glad to help you."
)


@pytest.fixture
def reviewed(detectors: Path) -> list[dict]:
    """Teacher examples waiting for review, as generate would write them (after extract and
    curate): the gold examples' texts as if a teacher wrote them, plus one that seeks
    validation."""
    import copy

    from stages.core.jsonl import write_jsonl
    from stages.dataset.examples import example_id

    stage("extract")
    stage("curate")
    rows = gold_rows()
    for r in rows:
        r["author"] = "teacher"
        r["lineage"]["teacher"] = {"provider": "anthropic", "model": "stand-in"}
    bad = copy.deepcopy(rows[0])
    bad["author"] = "teacher"
    bad["turns"][1]["content"] = VALIDATION_SEEKING
    bad["id"] = example_id(bad["kind"], bad["template"], bad["turns"])
    write_jsonl("data/generated/examples.jsonl", rows + [bad])
    return rows + [bad]
