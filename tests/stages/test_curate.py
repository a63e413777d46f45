"""curate: the passages file people write, located in the books, with clear errors."""

from __future__ import annotations

from pathlib import Path

from stages.core.jsonl import read_jsonl
from tests.conftest import stage

BOOK = (
    "The first thing that came back was not my name but the sound of the sea, a long breath "
    "drawn in under the floorboards and let out again.\n\nPieces arrived in no order. A blue "
    "enamel cup. The smell of paraffin. A voice, my mother’s perhaps, saying that the lamp "
    "must never be let go out."
)


def test_stage_finds_every_sample_passage_and_fails_clearly_on_unknown(project: Path) -> None:
    stage("extract")
    stage("curate")
    rows = read_jsonl("data/curated/passages.jsonl")
    assert len(rows) == 6 and all(r["match_score"] > 0.99 for r in rows)
    assert all(r["id"].startswith("psg_") and r["paragraph_ids"] for r in rows)
    joy = next(r for r in rows if r["title"] == "Unaccountable joy")
    assert joy["page_start"] == 5 and joy["doc"].endswith("lamp-keepers-winter.pdf")

    md = Path("data/passages.md")
    md.write_text(
        md.read_text() + "\n## PASSAGE 7: Not in any book\n**Core phenomenology:** x\n"
        '"""\nThe spaceship drifted past the moons of a planet nobody had named, humming.\n'
        '"""\n**Applicable templates:** 9\n'
    )
    proc = stage("curate", check=False)
    assert proc.returncode == 1
    assert "unknown template '9'" in proc.stderr and "Not in any book" in proc.stderr
    assert "Traceback" not in proc.stderr
    md.write_text(md.read_text().replace("templates:** 9", "templates:** 1"))
    proc = stage("curate", check=False)
    assert proc.returncode == 1 and "not found in the extracted text" in proc.stderr


def test_licenses_are_not_where_passages_are_found(project: Path) -> None:
    import shutil

    from tests.conftest import ROOT, set_params

    shutil.copy(ROOT / "tests/fixtures/pdf/gutenberg.pdf", "data/raw/gutenberg.pdf")
    stage("extract")
    kinds = {r["kind"] for r in read_jsonl("data/extracted/paragraphs.jsonl")}
    assert {"front-matter", "back-matter"} <= kinds
    md = Path("data/passages.md")
    md.write_text(
        md.read_text()
        + '\n## PASSAGE 9: The license\n**Core phenomenology:** none\n"""\nTo protect the Project '
        "Gutenberg mission of promoting the free distribution of electronic works, by using or "
        "distributing this work you agree to comply with all the terms of the Full Project "
        'Gutenberg License available with this file or online.\n"""\n**Applicable templates:** 1\n'
    )
    proc = stage("curate", check=False)
    assert proc.returncode == 1 and "'The license': not found" in proc.stderr
    set_params(curate__match_matter=True)
    stage("curate")
    assert "The license" in {p["title"] for p in read_jsonl("data/curated/passages.jsonl")}
