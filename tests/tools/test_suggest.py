"""suggest: paragraphs ranked by inner experience, as passages.md entries; the teacher's rating."""

from __future__ import annotations

from pathlib import Path

from stages.core.params import load_params
from stages.passages.parse import read_passages
from tests.conftest import command, stage


def test_suggest_ranks_inner_experience_and_writes_pasteable_entries(project: Path) -> None:
    from stages.passages.rank import score

    inner = (
        "I noticed the fear before I could name it, a heaviness behind the eyes. Perhaps it "
        "was grief, perhaps only tiredness; I watched my mind circle it and could not tell."
    )
    outward = (
        '"Pass the salt," he said. "The train leaves at nine," she answered, and they '
        "counted the suitcases by the door while the taxi waited outside."
    )
    assert score(inner)[0] > 3 * score(outward)[0]
    assert any("noticed" in r for r in score(inner)[1])  # reasons name the cues found

    for name in ("extract", "curate"):
        stage(name)
    proc = command("suggest", "--top", "10", "--out", "suggestions.md")
    assert "hand-picked passages ranked in the top 20: 6 of 6" in proc.stderr
    entries = read_passages(Path("suggestions.md"))  # the format people paste into passages.md
    assert len(entries) == 10 and all(e["templates"] and e["phenomenology"] for e in entries)


def test_suggest_rating_reorders_by_the_teacher_and_is_cached(claude) -> None:
    from stages.passages.rank import rate_with_teacher

    def candidate(pid: str, text: str, score: float) -> dict:
        return {"paragraph": {"id": pid, "text": text}, "score": score, "reasons": []}

    claude.answer = lambda prompt: (
        "9 - she watches her own dread." if "My dread." in prompt else "2 - a plain description."
    )
    top = [candidate("par_a", "The hall had six doors.", 5.0), candidate("par_b", "My dread.", 4.0)]
    rate_with_teacher(top, load_params("teacher"))
    assert [c["paragraph"]["id"] for c in top] == ["par_b", "par_a"]  # 4*1.4 > 5*0.7
    assert top[0]["teacher_score"] == 9 and top[0]["score"] == 5.6
    assert top[0]["reasons"] == ["teacher: 9 - she watches her own dread."]
    rate_with_teacher([candidate("par_b", "My dread.", 4.0)], load_params("teacher"))
    assert len(claude.requests) == 2  # the second rating came from the cache
