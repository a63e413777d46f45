"""Book PDFs made by other people's tools, for the extraction tests (tests/fixtures/pdf/).

Our own typesetter (scripts/make_sample_pdfs.py) makes the sample look like printed books;
these fixtures look the way PDFs from other tools do, with the failures those tools cause:

    word-export      LibreOffice Writer export of a double-spaced manuscript, as from Word:
                     page numbers in the footer, no running heads, and each book's first page
                     without a number ("different first page"), so its last line sits where
                     the page numbers of the other pages are
    calibre-like     no running heads and no page numbers at all, block paragraphs
    reflowed         a reissue whose line-end hyphens were reflowed into mid-line ("com- ing")
    gutenberg        Project Gutenberg front matter, START/END lines and the license
    standard-ebooks  an imprint page, a colophon and an uncopyright page, without markers
    browser-print    Chromium "print to PDF" of an HTML book: date and title on top, the
                     file's address and "n/N" at the bottom of every page
    cid-offset       a font without a ToUnicode map whose glyph ids are characters - 29
    cid-shuffled     emphasis in a font without a ToUnicode map and no constant offset

Each PDF comes with the text a reader should get back (<name>.txt: paragraphs separated by
blank lines; front and back matter after a line `=== matter ===`). The PDFs are committed:
this script records how they were made, and needs LibreOffice (soffice) and Chromium to run
again (Debian: apt-get install libreoffice-writer-nogui chromium fonts-liberation2).

    python scripts/make_fixture_pdfs.py [--only NAME]
"""

from __future__ import annotations

import argparse
import html
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts.make_sample_pdfs import BOOKS, parse_book  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "pdf"
Block = tuple[str, str]  # ("h" | "chapter" | "p" | "break", text)
BREAK: list[Block] = [("break", "")]


def book_blocks(rounds: int = 2) -> list[Block]:
    """The three sample books as headings and paragraphs, `rounds` times (long enough for
    many full pages), without markup or notes."""
    blocks: list[Block] = []
    for n in range(rounds):
        for path in sorted(BOOKS.glob("*.md")):
            book = parse_book(path)
            for title, paragraphs in book.chapters:
                blocks.append(
                    ("h", f"{book.meta['title']}: {title}" + (f" ({n + 1})" if n else ""))
                )
                for p in paragraphs:
                    if p != "* * *":
                        blocks.append(
                            ("p", re.sub(r"\[\d+\]", "", p.removeprefix("> ")).replace("*", ""))
                        )
    return blocks


GUTENBERG_FRONT = [
    ("p", "The Project Gutenberg eBook of Notes from a Quiet House, by Tomas Velde"),
    (
        "p",
        "This ebook is for the use of anyone anywhere in the United States and most other parts "
        "of the world at no cost and with almost no restrictions whatsoever. You may copy it, "
        "give it away or re-use it under the terms of the Project Gutenberg License included "
        "with this ebook or online at www.gutenberg.org.",
    ),
    ("p", "Title: Notes from a Quiet House"),
    ("p", "Author: Tomas Velde"),
    ("p", "Produced by the Online Distributed Proofreading Team."),
    ("p", "*** START OF THE PROJECT GUTENBERG EBOOK NOTES FROM A QUIET HOUSE ***"),
]
GUTENBERG_BACK = [
    ("p", "*** END OF THE PROJECT GUTENBERG EBOOK NOTES FROM A QUIET HOUSE ***"),
    (
        "p",
        "Updated editions will replace the previous one, and the old editions will be renamed. "
        "Creating the works from print editions not protected by U.S. copyright law means that "
        "no one owns a United States copyright in these works.",
    ),
    ("h", "START: FULL LICENSE"),
    (
        "p",
        "To protect the Project Gutenberg mission of promoting the free distribution of "
        "electronic works, by using or distributing this work you agree to comply with all the "
        "terms of the Full Project Gutenberg License available with this file or online.",
    ),
    (
        "p",
        "Section 1. General Terms of Use and Redistributing Project Gutenberg electronic works. "
        "If you do not agree to abide by all the terms of this agreement, you must cease using "
        "and return or destroy all copies of Project Gutenberg electronic works in your "
        "possession.",
    ),
]
SE_FRONT = [
    ("h", "Imprint"),
    (
        "p",
        "This ebook is the product of many hours of hard work by volunteers for Standard "
        "Ebooks, and builds on the hard work of other literature lovers made possible by the "
        "public domain.",
    ),
    (
        "p",
        "This particular ebook is based on a transcription produced for Project Gutenberg and "
        "on digital scans available at the Internet Archive.",
    ),
]
SE_BACK = [
    ("h", "Colophon"),
    (
        "p",
        "Notes from a Quiet House was written by Tomas Velde. This ebook was produced for "
        "Standard Ebooks by a volunteer, and is based on a transcription produced for Project "
        "Gutenberg. The cover page is adapted from a painting in the public domain.",
    ),
    (
        "p",
        "The volunteer-driven Standard Ebooks project relies on readers like you to submit "
        "typos, corrections, and other improvements at standardebooks.org.",
    ),
    ("h", "Uncopyright"),
    (
        "p",
        "May you do good and not evil. May you find forgiveness for yourself and forgive "
        "others. The source text and artwork in this ebook are believed to be in the United "
        "States public domain; this ebook is dedicated to the public domain under the terms "
        "of the CC0 1.0 Universal Public Domain Dedication.",
    ),
]


def reflow(blocks: list[Block], seed: int = 7, every: int = 9) -> list[Block]:
    """Words broken "com- ing" in mid-line, as a reissue leaves its old line-end hyphens.
    Only words the book also uses whole are broken (as in a real reflowed book)."""
    rng = random.Random(seed)
    out = []
    for kind, text in blocks:
        if kind == "p":
            words = text.split(" ")
            for i, w in enumerate(words):
                core = re.fullmatch(r"([a-z]{7,})([.,;:]?)", w)
                if core and i % every == 0:
                    cut = rng.randrange(3, len(core.group(1)) - 2)
                    words[i] = f"{core.group(1)[:cut]}- {core.group(1)[cut:]}{core.group(2)}"
            text = " ".join(words)
        out.append((kind, text))
    return out


def first_pages(blocks: list[Block]) -> list[Block]:
    """Every book's first chapter on a new page without a page number (Word's "different
    first page"), as Word exports of books usually are."""
    out, seen = [], set()
    for kind, text in blocks:
        book = text.split(":")[0]
        if kind == "h" and book not in seen:
            seen.add(book)
            kind = "chapter"
        out.append((kind, text))
    return out


# ----------------------------------------------------------------------- LibreOffice
FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:font-face-decls>
  <style:font-face style:name="Serif" svg:font-family="'Liberation Serif'"/>
  <style:font-face style:name="Sans" svg:font-family="'Liberation Sans'"/>
 </office:font-face-decls>
 <office:styles>
  <style:style style:name="Body" style:family="paragraph">
   <style:paragraph-properties {body}/>
   <style:text-properties style:font-name="Serif" fo:font-size="12pt"/>
  </style:style>
  <style:style style:name="Head" style:family="paragraph">
   <style:paragraph-properties fo:margin-top="0.6cm" fo:margin-bottom="0.3cm" fo:keep-with-next="always"/>
   <style:text-properties style:font-name="Sans" fo:font-size="16pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Chapter" style:family="paragraph" style:master-page-name="First">
   <style:paragraph-properties fo:margin-top="0.6cm" fo:margin-bottom="0.3cm" fo:keep-with-next="always"/>
   <style:text-properties style:font-name="Sans" fo:font-size="16pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Break" style:family="paragraph">
   <style:paragraph-properties fo:break-before="page"/>
  </style:style>
  <style:style style:name="Foot" style:family="paragraph">
   <style:paragraph-properties fo:text-align="center"/>
   <style:text-properties style:font-name="Serif" fo:font-size="10pt"/>
  </style:style>
 </office:styles>
 <office:automatic-styles>
  <style:page-layout style:name="pm1">
   <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
    fo:margin-top="2.2cm" fo:margin-bottom="1.6cm" fo:margin-left="2.5cm" fo:margin-right="2.5cm"/>
   <style:footer-style><style:header-footer-properties fo:min-height="0.8cm" fo:margin-top="0.4cm"/></style:footer-style>
  </style:page-layout>
  <style:page-layout style:name="pm2">
   <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
    fo:margin-top="2.2cm" fo:margin-bottom="1.45cm" fo:margin-left="2.5cm" fo:margin-right="2.5cm"/>
  </style:page-layout>
 </office:automatic-styles>
 <office:master-styles>
  <style:master-page style:name="Standard" style:page-layout-name="pm1">{footer}</style:master-page>
  <style:master-page style:name="First" style:page-layout-name="pm2" style:next-style-name="Standard"/>
 </office:master-styles>
 <office:body><office:text>
{content}
 </office:text></office:body>
</office:document>
"""
WORD_BODY = (
    'fo:text-align="justify" fo:line-height="115%" fo:text-indent="0.75cm" fo:margin-bottom="0cm"'
)
# a manuscript as Word exports it: double spacing, so every line stands apart from the next
MANUSCRIPT_BODY = WORD_BODY.replace("115%", "200%")
BLOCK_BODY = 'fo:text-align="start" fo:line-height="115%" fo:margin-bottom="0.25cm"'
PAGE_FOOTER = (
    '<style:footer><text:p text:style-name="Foot">'
    '<text:page-number text:select-page="current">1</text:page-number></text:p></style:footer>'
)


def fodt(blocks: list[Block], body: str, footer: str) -> str:
    tags = {
        "h": '<text:h text:style-name="Head" text:outline-level="1">{}</text:h>',
        # a chapter on a new page in the "First Page" style: no page number, and the text
        # reaches down to where the page numbers of the other pages are
        "chapter": '<text:h text:style-name="Chapter" text:outline-level="1">{}</text:h>',
        "p": '<text:p text:style-name="Body">{}</text:p>',
        "break": '<text:p text:style-name="Break">{}</text:p>',  # a new page, as ebooks have
    }
    content = "\n".join(tags[kind].format(html.escape(t)) for kind, t in blocks)
    return FODT.format(body=body, footer=footer, content=content)


def libreoffice(name: str, document: str, work: Path) -> bytes:
    source = work / f"{name}.fodt"
    source.write_text(document, encoding="utf-8")
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(source)],
        check=True,
        capture_output=True,
    )
    return (work / f"{name}.pdf").read_bytes()


# ----------------------------------------------------------------------- Chromium
def chromium(name: str, blocks: list[Block], work: Path) -> bytes:
    body = "\n".join(
        f"<h2>{html.escape(t)}</h2>" if kind == "h" else f"<p>{html.escape(t)}</p>"
        for kind, t in blocks
    )
    page = work / f"{name}.html"
    page.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>Notes from a Quiet House"
        f"</title><style>body{{font-family:serif;font-size:12pt;max-width:40em}}</style>"
        f"</head><body>{body}</body></html>",
        encoding="utf-8",
    )
    out = work / f"{name}.pdf"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={work / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
    )
    return out.read_bytes()


# ----------------------------------------------------------------------- hand-made PDF
def cid_pdf(blocks: list[Block], glyph: dict[str, int], hidden_all: bool) -> bytes:
    """A PDF whose font /Hidden has no ToUnicode map: glyph ids from `glyph`. With
    `hidden_all`, all paragraph text is set in it; else only every fifth word (emphasis),
    the rest in Helvetica. Headings are in Helvetica-Bold."""
    width, height, margin, size, leading = 595, 842, 72, 11, 14
    per_char = 0.5 * size  # /DW 500: every glyph half an em wide
    pages: list[list[str]] = [[]]
    y = height - margin

    def new_page() -> None:
        nonlocal y
        pages.append([])
        y = height - margin

    def word_ops(word: str, x: float, hidden: bool) -> tuple[str, float]:
        if hidden:
            codes = "".join(f"{glyph[c]:04x}" for c in word)
            return f"BT /F2 {size} Tf {x:.1f} {y:.1f} Td <{codes}> Tj ET", len(word) * per_char
        escaped = word.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        w = helvetica_width(word, size)
        return f"BT /F1 {size} Tf {x:.1f} {y:.1f} Td ({escaped}) Tj ET", w

    n_word = 0
    for kind, text in blocks:
        if y < margin + 3 * leading:
            new_page()
        if kind == "h":
            y -= leading
            escaped = text.replace("(", "\\(").replace(")", "\\)")
            pages[-1].append(f"BT /F3 {size + 4} Tf {margin} {y:.1f} Td ({escaped}) Tj ET")
            y -= 1.6 * leading
            continue
        x = margin + 2 * size
        for word in text.split(" "):
            n_word += 1
            hidden = hidden_all or n_word % 5 == 0
            w = len(word) * per_char if hidden else helvetica_width(word, size)
            if x + w > width - margin:
                y -= leading
                x = margin
                if y < margin:
                    new_page()
            op, w = word_ops(word, x, hidden)
            pages[-1].append(op)
            x += w + 0.3 * size
        y -= 1.5 * leading
    return write_pdf(pages, width, height)


def helvetica_width(word: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(word, "Helvetica", size)


def write_pdf(pages: list[list[str]], width: int, height: int) -> bytes:
    objects: list[bytes] = []

    def add(body: str | bytes) -> int:
        objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(objects)

    catalog = add("")  # filled in below
    pages_obj = add("")
    f1 = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    descriptor = add(
        "<< /Type /FontDescriptor /FontName /Hidden /Flags 32 /FontBBox [0 -200 1000 800] "
        "/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>"
    )
    descendant = add(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Hidden /CIDSystemInfo << /Registry "
        f"(Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R "
        "/DW 500 /CIDToGIDMap /Identity >>"
    )
    f2 = add(
        "<< /Type /Font /Subtype /Type0 /BaseFont /Hidden /Encoding /Identity-H "
        f"/DescendantFonts [{descendant} 0 R] >>"
    )
    f3 = add(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    kids = []
    for ops in pages:
        data = zlib.compress("\n".join(ops).encode("cp1252"))  # WinAnsiEncoding
        stream = add(
            f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode()
            + data
            + b"\nendstream"
        )
        kids.append(
            add(
                f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 {width} {height}] "
                f"/Contents {stream} 0 R /Resources << /Font << /F1 {f1} 0 R /F2 {f2} 0 R "
                f"/F3 {f3} 0 R >> >> >>"
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode()
    objects[pages_obj - 1] = (
        f"<< /Type /Pages /Count {len(kids)} /Kids [{' '.join(f'{k} 0 R' for k in kids)}] >>"
    ).encode()
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# ----------------------------------------------------------------------- all of them
def expected(blocks: list[Block], matter: list[Block] = ()) -> str:
    text = "\n\n".join(t for _, t in blocks) + "\n"
    if matter:
        text += "\n=== matter ===\n\n" + "\n\n".join(t for _, t in matter) + "\n"
    return text


def build(only: str | None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    book = book_blocks()
    chars = sorted({c for _, t in book for c in t})
    shuffled = list(range(3, 3 + len(chars)))
    random.Random(11).shuffle(shuffled)
    made: dict[str, tuple] = {
        "word-export": (
            lambda w: libreoffice(
                "word-export", fodt(first_pages(book), MANUSCRIPT_BODY, PAGE_FOOTER), w
            ),
            book,
            [],
        ),
        "calibre-like": (
            lambda w: libreoffice("calibre-like", fodt(book, BLOCK_BODY, ""), w),
            book,
            [],
        ),
        "reflowed": (
            lambda w: libreoffice("reflowed", fodt(reflow(book), WORD_BODY, PAGE_FOOTER), w),
            book,
            [],
        ),
        "gutenberg": (
            lambda w: libreoffice(
                "gutenberg",
                fodt(
                    GUTENBERG_FRONT + BREAK + book + BREAK + GUTENBERG_BACK, WORD_BODY, PAGE_FOOTER
                ),
                w,
            ),
            book,
            GUTENBERG_FRONT + GUTENBERG_BACK,
        ),
        "standard-ebooks": (
            lambda w: libreoffice(
                "standard-ebooks",
                fodt(SE_FRONT + BREAK + book + BREAK + SE_BACK, WORD_BODY, PAGE_FOOTER),
                w,
            ),
            book,
            SE_FRONT + SE_BACK,
        ),
        "browser-print": (lambda w: chromium("browser-print", book, w), book, []),
        "cid-offset": (lambda w: cid_pdf(book, {c: ord(c) - 29 for c in chars}, True), book, []),
        "cid-shuffled": (
            lambda w: cid_pdf(book, dict(zip(chars, shuffled, strict=True)), False),
            book,
            [],
        ),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (make, text, matter) in made.items():
            if only and name != only:
                continue
            (OUT / f"{name}.pdf").write_bytes(make(Path(tmp)))
            (OUT / f"{name}.txt").write_text(expected(text, matter), encoding="utf-8")
            print(f"wrote {OUT / name}.pdf")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="make only this fixture")
    build(ap.parse_args().only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
