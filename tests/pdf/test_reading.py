"""extract: book-grade text from the typeset sample, and bad PDFs reported, never fatal to others."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts import make_sample_pdfs as books
from stages.pdf.document import extract_file
from stages.pdf.quality import extraction_quality
from stages.pdf.text import clean, join_lines
from tests.conftest import ROOT

HARD = {
    # two columns, running heads in capitals of two sizes, a footnote
    "columns": "---\ntitle: Two Columns\nauthor: A. Tester\nlayout: essays\ncolumns: 2\nheads: smallcaps\n---\n",
    # a drop cap, a TrueType font set with fi/fl ligatures, a block quote, a scene break
    "dropcap": "---\ntitle: Drop Caps\nauthor: B. Tester\nlayout: novel\ndropcap: true\nfont: vera\n---\n",
}

EXTRA = (
    "\n\n> I have learned to distrust the urge to settle the question quickly, the quiet "
    "insistence of a self-assured and well-meaning voice that finishes every sentence for me.\n\n"
    "After the quotation the ordinary voice resumes, a little embarrassed by its own "
    "self-awareness, and goes on with the afternoon as if nothing had been said.\n\n* * *\n\n"
    "Later, in a different room, the difficult feeling returned, fluent and unhurried, "
    "and I let it find its place among the furniture of the evening.\n"
)


@pytest.mark.parametrize(
    "book", sorted((ROOT / "data/sample/books").glob("*.md")), ids=lambda p: p.stem
)
def test_sample_books_extract_like_the_source(book: Path) -> None:
    truth = books.expected_paragraphs(book)
    paras = extract_file(ROOT / "data/raw" / f"{book.stem}.pdf")
    got = [p["text"] for p in paras]
    meta = books.parse_book(book)
    heads = [meta.meta["title"], meta.meta["author"]] + [t for t, _ in meta.chapters]
    q = extraction_quality(truth, paras, heads)
    assert q["cer"] < 0.01 and q["boundary_f1"] == 1.0, q
    assert q["leaks"] == 0 and q["broken_hyphens"] == 0, q
    title = books.parse_book(book).meta["title"]
    for p in paras:
        if p["kind"] == "paragraph":
            # no running head or page number inside running text
            assert title not in p["text"]
            assert not re.search(r"(^|\s)\d{1,3}(\s|$)", p["text"]), p["text"]
    # hyphenation: every word broken at a line end is joined; real compounds keep their hyphen
    words = set(re.findall(r"[A-Za-z’'-]+", " ".join(got)))
    expected = set(re.findall(r"[A-Za-z’'-]+", " ".join(truth)))
    assert words == expected, (words - expected, expected - words)
    assert [p["kind"] for p in paras].count("heading") >= len(books.parse_book(book).chapters)


def test_footnotes_kept_apart() -> None:
    paras = extract_file(ROOT / "data/raw/on-attending.pdf")
    notes = [p for p in paras if p["kind"] == "footnote"]
    assert len(notes) == 1 and notes[0]["notes"] == ["1"]
    assert notes[0]["text"].startswith("The observation is an old one.")
    marked = [p for p in paras if p["kind"] == "paragraph" and p["notes"] == ["1"]]
    assert len(marked) == 1 and marked[0]["text"].endswith("claims only to report.")


def test_joins_hyphenated_words_and_keeps_compounds() -> None:
    vocab = {"tenderness": 3, "self-awareness": 2}
    from collections import Counter

    v = Counter(vocab)
    assert join_lines("a curious tender-", "ness in me", v) == "a curious tenderness in me"
    assert join_lines("my self-", "awareness grew", v) == "my self-awareness grew"
    assert join_lines("a half-", "remembered tune", Counter()) == "a half-remembered tune"
    assert join_lines("the sensa-", "tion of", Counter()) == "the sensation of"
    assert join_lines("soft\u00ad", "ware", Counter()) == "software"
    assert clean("ﬁne ﬂoor") == "fine floor"


@pytest.mark.parametrize("name", sorted(HARD))
def test_hard_layouts(tmp_path: Path, name: str) -> None:
    body = (ROOT / "data/sample/books/on-attending.md").read_text().split("---\n", 2)[2]
    chapters = body.split("\n# ")
    chapters[1] = chapters[1].rstrip() + EXTRA  # the extra paragraphs end the first chapter
    src = tmp_path / f"{name}.md"
    src.write_text(HARD[name] + "\n# ".join(chapters))
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(books.Typesetter(books.parse_book(src)).render())
    books.use_font("times")
    paras = extract_file(str(pdf))
    book = books.parse_book(src)
    heads = [book.meta["title"], book.meta["author"]] + [t for t, _ in book.chapters]
    q = extraction_quality(books.expected_paragraphs(src), paras, heads)
    assert q["cer"] < 0.01 and q["boundary_f1"] == 1.0, q
    assert q["leaks"] == 0 and q["broken_hyphens"] == 0, q
    got = [p["text"] for p in paras]
    text = " ".join(got)
    assert "self-awareness" in text and "self-assured" in text and "well-meaning" in text
    assert "difficult" in text and "fluent" in text  # ligature glyphs come back as letters
    assert "* * *" not in text and "TWO COLUMNS" not in text.upper().replace("TWO COLUMNS'", "")


def test_contents_entries_are_kept_apart(tmp_path: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    pdf = tmp_path / "with contents.pdf"
    c = Canvas(str(pdf), invariant=1)
    c.setFont("Times-Roman", 11)
    c.drawString(72, 720, "CONTENTS")
    for n, (title, page) in enumerate([("Waking", "3"), ("The Lamp", "17"), ("Preface", "ix")]):
        c.drawString(72, 690 - 16 * n, f"{title} {'. ' * 30}{page}")
    c.showPage()
    c.setFont("Times-Roman", 11)
    lines = [
        "The first thing that came back was not my name but the sound of the sea,",
        "a long breath drawn in under the floorboards and let out again. I lay there",
        "and waited for the rest of me to arrive, piece by piece, without hurry.",
    ]
    for n, line in enumerate(lines):
        c.drawString(72 + (18 if n == 0 else 0), 720 - 14 * n, line)
    c.save()
    paras = extract_file(str(pdf))
    contents = [p["text"] for p in paras if p["kind"] == "contents"]
    assert len(contents) == 3 and contents[0].startswith("Waking .") and contents[2].endswith("ix")
    prose = [p for p in paras if p["kind"] == "paragraph"]
    assert len(prose) == 1 and prose[0]["text"].startswith("The first thing")
    assert prose[0]["chapter"] == "CONTENTS"  # an entry names no chapter of its own
