"""curate: the passages file people write, located in the books, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from stages.core.jsonl import DataError
from stages.passages.locate import Locator
from stages.passages.parse import read_passages
from tests.conftest import ROOT

BOOK = (
    "The first thing that came back was not my name but the sound of the sea, a long breath "
    "drawn in under the floorboards and let out again.\n\nPieces arrived in no order. A blue "
    "enamel cup. The smell of paraffin. A voice, my mother’s perhaps, saying that the lamp "
    "must never be let go out."
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "passages.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_parses_the_format_people_write(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# My picks\n\nsome notes\n\n## PASSAGE 1: Waking\n"
        '**Core phenomenology:** fragmented emergence, lost memory\n"""\nThe first thing\n'
        'that came back\n"""\n**Applicable templates:** 1, 2, 4, 5\n\n'
        "## Passage 2 - Pieces\nCore phenomenology: memory in fragments\n"
        '"""Pieces arrived in no order."""\nApplicable templates: monologue and meta-awareness\n',
    )
    got = read_passages(path)
    assert [p["title"] for p in got] == ["Waking", "Pieces"]
    assert got[0]["text"] == "The first thing\nthat came back"
    assert got[0]["templates"] == "1, 2, 4, 5"
    assert got[1]["phenomenology"] == "memory in fragments" and got[1]["number"] == 2


def test_reads_the_variants_people_type(tmp_path: Path) -> None:
    from stages.dataset.templates import load_templates, resolve_all

    path = tmp_path / "passages.md"
    path.write_bytes(
        "\ufeff### Passage 1\r\n"  # a byte-order mark, CRLF, level 3, no title
        "- **Core phenomenology: waking in pieces**\r\n"  # a list item, bold over the line
        "> The first thing\r\n>\r\n> that came back\r\n\r\n"  # a block quote
        "- Templates: 1-3\r\n\r\n"
        "## PASSAGE 2: Pieces\r\nPhenomenology: fragments\r\n"
        '"""Pieces arrived."""\r\n**Applicable templates:** all\r\n'.encode()
    )
    got = read_passages(path)
    assert [p["title"] for p in got] == ["Passage 1", "Pieces"]
    assert got[0]["phenomenology"] == "waking in pieces"
    assert got[0]["text"] == "The first thing\n\nthat came back"
    templates = load_templates(ROOT / "templates")
    assert resolve_all(got[0]["templates"], templates) == [
        "inner-monologue",
        "visible-thinking",
        "emotional-continuity",
    ]
    assert len(resolve_all(got[1]["templates"], templates)) == len(templates)
    for ref in ("#2", "T2", "template 2", "2 (visible thinking)", "2. Visible thinking"):
        assert resolve_all(ref, templates) == ["visible-thinking"], ref
    with pytest.raises(DataError, match="unknown template '9'"):
        resolve_all("1, 9", templates)


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '## PASSAGE 1: A\n**Applicable templates:** 1\n"""\nx\n"""\n',
            r":1: passage 'A' has no '\*\*Core phenomenology",
        ),
        (
            '## PASSAGE 1: A\n**Core phenomenology:** x\n"""\nx\n"""\n',
            r":1: passage 'A' has no '\*\*Applicable templates",
        ),
        (
            '## PASSAGE 1: A\n**Core phenomenology:** x\n"""\ntext never closed\n**Applicable templates:** 1\n',
            r":3: the quote opened here",
        ),
        (
            '## PASSAGE 1: A\n**Core phenomenology:** x\n"""\nx\n"""\n**Applicable templates:** 1\n'
            '## PASSAGE 2: a\n**Core phenomenology:** x\n"""\ny\n"""\n**Applicable templates:** 1\n',
            r":7: duplicate title 'a' \(also at line 1\)",
        ),
    ],
)
def test_problems_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_passages(write(tmp_path, text))


def test_locates_a_copy_with_other_quotes_dashes_and_line_breaks() -> None:
    loc = Locator({"doc_a": BOOK, "doc_b": "Something else entirely, about the weather today."})
    typed = (
        "Pieces arrived in no order.  A blue\nenamel cup. The smell of paraffin. A voice, "
        "my mother's perhaps, saying that the lamp must never be let go out."
    )
    m = loc.locate(typed)
    assert m is not None and m.source == "doc_a" and m.score == 1.0
    assert BOOK[m.start : m.end].startswith("Pieces arrived") and BOOK[m.start : m.end].endswith(
        "go out."
    )
    # a few characters differ (a typo, a dropped word): still found, with a score below 1
    m = loc.locate(
        "Pieces arived in no order. A blue enamel cup. The smell of parafin. A voice, "
        "my mother's perhaps, saying the lamp must never be let go out."
    )
    assert m is not None and 0.9 < m.score < 1.0 and BOOK[m.start : m.end].startswith("Pieces")
