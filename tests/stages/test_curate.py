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
