"""Book PDFs from other people's tools (tests/fixtures/pdf/, made by
scripts/make_fixture_pdfs.py with LibreOffice, Chromium and a hand-made font without a
Unicode map): every line accounted for, nothing lost in silence."""

from __future__ import annotations

import pytest

from stages.pdf.document import page_count_and_titles, read_pages
from stages.pdf.paragraphs import account, read_book
from stages.pdf.quality import word_scores
from tests.conftest import ROOT

FIXTURES = ROOT / "tests/fixtures/pdf"
MATTER = ("front-matter", "back-matter")


def read(name: str):
    path = FIXTURES / f"{name}.pdf"
    n, titles = page_count_and_titles(path)
    reading = read_book(read_pages(str(path), 0, n), titles)
    book, _, matter = (FIXTURES / f"{name}.txt").read_text().partition("=== matter ===")
    return reading, book, matter


@pytest.mark.parametrize(
    "name",
    [
        "word-export",
        "calibre-like",
        "reflowed",
        "gutenberg",
        "standard-ebooks",
        "browser-print",
        "cid-offset",
    ],
)
def test_the_published_text_comes_back(name: str) -> None:
    reading, book, _ = read(name)
    assert account(reading) == []  # every line is in exactly one record or removed, with a reason
    text = [r for r in reading.records if r["kind"] not in MATTER]
    scores = word_scores(book, text)
    assert scores["recall"] >= 0.99 and scores["oov"] <= 0.005, scores
    assert scores["stray_numbers"] <= 20 and scores["cid"] == 0 and scores["reflow_left"] == 0


def test_the_last_line_of_a_page_is_never_taken_for_a_footer() -> None:
    """A manuscript's first pages have no page number and end where the others' numbers are;
    position and repetition used to take that last line for a running foot."""
    reading, book, _ = read("word-export")
    assert {r["reason"] for r in reading.removed} == {"page number"}
    assert all(r["text"].strip().isdigit() for r in reading.removed)
    calibre, _, _ = read("calibre-like")  # no page numbers, no running heads: nothing to remove
    assert calibre.removed == [] and account(calibre) == []


def test_unmapped_glyphs_are_decoded_or_kept_out_and_reported() -> None:
    decoded, book, _ = read("cid-offset")  # glyph id + 29 = the character
    assert not decoded.removed and word_scores(book, decoded.records)["recall"] == 1.0
    shuffled, book, _ = read("cid-shuffled")  # emphasis in a font with no readable order
    assert all("(cid:" not in r["text"] for r in shuffled.records)
    gone = [r for r in shuffled.removed if r["reason"] == "unmapped glyphs"]
    assert gone and all(r["text"].startswith("(cid:") for r in gone)
    assert sum(not r["whole_line"] for r in gone) > 0.9 * len(gone)  # spans, mostly
    assert account(shuffled) == []
    # what could be read is kept: the words in the mapped font
    assert word_scores(book, shuffled.records)["oov"] == 0.0


def test_reflowed_hyphens_are_joined_and_real_compounds_kept() -> None:
    reading, book, _ = read("reflowed")
    assert reading.reflowed_hyphens >= 60
    text = " ".join(r["text"] for r in reading.records)
    assert text.count("not-knowing") == 2 and text.count("half-remembered") == 2  # compounds


@pytest.mark.parametrize("name", ["gutenberg", "standard-ebooks"])
def test_licenses_and_colophons_are_kept_apart(name: str) -> None:
    reading, book, matter = read(name)
    kept_apart = " ".join(r["text"] for r in reading.records if r["kind"] in MATTER)
    book_text = " ".join(r["text"] for r in reading.records if r["kind"] not in MATTER)
    for para in [p for p in matter.strip().split("\n\n") if len(p.split()) > 3]:
        assert para in kept_apart, para
        assert para not in book_text
    assert word_scores(book, [{"text": book_text}])["recall"] == 1.0


def test_a_line_cannot_vanish_without_the_accounting_saying_so() -> None:
    reading, _, _ = read("word-export")
    assert account(reading) == []
    paragraph = next(r for r in reading.records if len(r["lines"]) > 2)
    dropped = paragraph["lines"].pop()  # a line that made it into no record
    assert account(reading) == [f"page {dropped[0]} line {dropped[1]}: placed 0 times"]
    paragraph["lines"] += [dropped, dropped]  # or into one twice
    assert account(reading) == [f"page {dropped[0]} line {dropped[1]}: placed 2 times"]
