"""The shared core: canonical JSONL, content ids, schemas, params."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from stages.core.ids import content_id, file_id
from stages.core.jsonl import DataError, read_jsonl, sweep_partial, write_jsonl
from stages.core.params import load_params, load_yaml
from stages.core.schemas import validate


def test_jsonl_is_canonical(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    decomposed = unicodedata.normalize("NFD", "café")
    rows = [{"id": "b", "z": 1, "a": decomposed}, {"id": "a", "text": "line\r\nbreak"}]
    write_jsonl(path, rows)
    data = path.read_bytes()
    assert b"\r\n" not in data.replace(b"\\r\\n", b"")
    lines = data.decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b"]  # stable order by id
    assert lines[1] == '{"a":"café","id":"b","z":1}'  # sorted keys, compact, NFC
    assert unicodedata.is_normalized("NFC", lines[1])
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left behind
    write_jsonl(path, list(reversed(rows)))
    assert path.read_bytes() == data  # input order does not matter


def test_jsonl_bad_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a"}\n{"id": \n')
    with pytest.raises(DataError, match=r"bad\.jsonl:2: invalid JSON"):
        read_jsonl(path)


def test_content_ids(tmp_path: Path) -> None:
    a = content_id("psg", {"text": "x", "n": 1})
    assert a.startswith("psg_") and len(a) == 4 + 16
    assert a == content_id("psg", {"n": 1, "text": "x"})  # key order does not matter
    assert a != content_id("psg", {"text": "y", "n": 1})
    assert content_id("ex", "é") == content_id("ex", unicodedata.normalize("NFD", "é"))
    f = tmp_path / "f.pdf"
    f.write_bytes(b"%PDF")
    assert file_id("doc", f) == content_id("doc", b"%PDF")
    with pytest.raises(ValueError, match="unknown id prefix"):
        content_id("nope", "x")


def test_schema_error_names_source() -> None:
    with pytest.raises(DataError, match=r"x\.jsonl:3: .*decision.*decision"):
        validate(
            "decision",
            {
                "example_id": "ex_0000000000000000",
                "decision": "maybe",
                "reviewer": "a",
                "time": "2026-01-01T00:00:00Z",
            },
            "x.jsonl:3",
        )


def test_params_malformed_yaml_names_line(tmp_path: Path) -> None:
    bad = tmp_path / "params.yaml"
    bad.write_text("extract:\n  workers: [1, 2\n  strict: true\n")
    with pytest.raises(DataError, match=r"params\.yaml:\d+:\d+: invalid YAML"):
        load_yaml(bad)


def test_params_wrong_type_names_key(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    text = (
        (ROOT / "params.yaml")
        .read_text()
        .replace("samples_per_prompt: 2", "samples_per_prompt: two")
    )
    path = tmp_path / "params.yaml"
    path.write_text(text)
    with pytest.raises(
        DataError, match=r"generate/samples_per_prompt: 'two' is not of type 'integer'"
    ):
        load_params("generate", path)
    assert load_params("extract", ROOT / "params.yaml")["input_dir"] == "data/raw"


def test_a_killed_writers_temporary_file_is_swept_and_a_live_ones_is_not(tmp_path: Path) -> None:
    import os
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    left = tmp_path / "cache/ab" / f".req_ab.json.{dead.pid}.x1y2z3.tmp"
    live = tmp_path / "cache/ab" / f".req_cd.json.{os.getpid()}.q9w8e7.tmp"
    left.parent.mkdir(parents=True)
    left.write_text("{partial")
    live.write_text("{being written")
    (tmp_path / "cache/ab/notes.tmp").write_text("not an atomic write's")
    write_jsonl(tmp_path / "cache/out.jsonl", [{"id": "a"}])  # leaves nothing behind itself
    assert sweep_partial(tmp_path) == 1
    assert not left.exists() and live.exists() and (tmp_path / "cache/ab/notes.tmp").exists()
