"""Typeset the bundled sample books (data/sample/books/*.md) into PDFs under data/raw/.

The PDFs look like pages of real books so that extraction is tested on what people
actually feed it: justified lines with words hyphenated at line ends (and real compounds
such as "self-awareness" broken at their own hyphen), running headers that alternate
between book and chapter title, page numbers in different places, chapter openings on
new pages, italics, a title page, and a footnote at the foot of its page.

Source format: a `---` front matter block (title, author, layout, optional subtitle),
`# ` chapter headings, blank-line separated paragraphs, `*italic*` spans, footnote
markers `[n]` and footnote paragraphs starting with `[n] `, `> ` block quotes and `* * *`
scene breaks. Optional front matter for harder layouts (used by the tests): `columns: 2`,
`dropcap: true`, `font: vera` (a TrueType font set with fi/fl ligature glyphs),
`heads: smallcaps` (running heads in capitals of two sizes).

Output is byte-reproducible (ReportLab's invariant mode). Run:
    python scripts/make_sample_pdfs.py            # all books
    python scripts/make_sample_pdfs.py --check    # fail if a committed PDF is stale
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyphen
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

ROOT = Path(__file__).resolve().parents[1]
BOOKS = ROOT / "data" / "sample" / "books"
OUT = ROOT / "data" / "raw"

PAGE_W, PAGE_H = 396.0, 612.0  # 5.5 x 8.5 in, a common trade paperback trim
INNER, OUTER, TOP, BOTTOM = 58.0, 46.0, 64.0, 62.0
BODY_SIZE, LEADING, INDENT = 11.0, 14.2, 14.0
NOTE_SIZE, NOTE_LEADING = 8.5, 10.6
FONTS = {False: "Times-Roman", True: "Times-Italic"}
LIGATURES = False
HYPHENATOR = pyphen.Pyphen(lang="en_US")
GUTTER = 18.0


def added(values: Iterable[float]) -> float:
    """Left-to-right float addition. Not sum(): since Python 3.12 sum() compensates rounding,
    which moves word positions in the last printed digit, and the PDFs must be the same bytes
    on every Python."""
    total = 0.0
    for v in values:
        total += v
    return total


def use_font(name: str) -> None:
    """Switch the body font: Times (PDF base font) or Vera (TrueType, set with ligatures)."""
    global LIGATURES
    if name == "vera":
        import reportlab
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        fonts = Path(reportlab.__file__).parent / "fonts"
        pdfmetrics.registerFont(TTFont("Vera", str(fonts / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont("VeraIt", str(fonts / "VeraIt.ttf")))
        FONTS.update({False: "Vera", True: "VeraIt"})
        LIGATURES = True
    else:
        FONTS.update({False: "Times-Roman", True: "Times-Italic"})
        LIGATURES = False


def shown(text: str) -> str:
    """The glyphs set for `text`: fi and fl become ligatures in fonts that have them."""
    if LIGATURES:
        text = text.replace("fi", "\ufb01").replace("fl", "\ufb02")  # the two Vera has
    return text


@dataclass
class Word:
    text: str
    italic: bool = False
    note: str | None = None  # footnote number attached after this word


@dataclass
class Line:
    words: list[Word]
    last: bool  # last line of its paragraph: set ragged, not justified
    indent: float = 0.0  # from the left edge of the column
    measure: float = 0.0  # width this line is justified to


@dataclass
class Book:
    slug: str
    meta: dict[str, str]
    chapters: list[tuple[str, list[str]]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


def parse_book(path: Path) -> Book:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = dict(line.split(": ", 1) for line in front.strip().splitlines())
    book = Book(path.stem, meta)
    for block in re.split(r"\n\s*\n", body.strip()):
        block = " ".join(block.split())
        if block.startswith("# "):
            book.chapters.append((block[2:], []))
        elif m := re.match(r"\[(\d+)\] (.*)", block):
            book.notes[m.group(1)] = m.group(2)
        else:
            book.chapters[-1][1].append(block)
    return book


def words_of(paragraph: str) -> list[Word]:
    words: list[Word] = []
    italic = False
    for raw in paragraph.split(" "):
        note = None
        if m := re.search(r"\[(\d+)\]$", raw):
            note, raw = m.group(1), raw[: m.start()]
        starts, ends = raw.startswith("*"), raw.rstrip(".,;:!?’”").endswith("*")
        italic = italic or starts
        words.append(Word(raw.replace("*", ""), italic, note))
        if ends:
            italic = False
    return words


def width(word: Word, size: float = BODY_SIZE) -> float:
    w = stringWidth(shown(word.text), FONTS[word.italic], size)
    if word.note:
        w += stringWidth(word.note, "Times-Roman", size * 0.6)
    return w


def split_word(word: Word, room: float, size: float) -> tuple[Word, Word] | None:
    """Break `word` so its head (with a hyphen) fits in `room`; prefer the longest head.

    A compound breaks only at its own hyphen, which stays on the first line; plain
    words break at dictionary hyphenation points and get an added hyphen.
    """
    text = word.text
    if "-" in text.strip("-"):
        cuts = [
            (i + 1, text[: i + 1]) for i, c in enumerate(text) if c == "-" and 0 < i < len(text) - 1
        ]
    else:
        core = re.match(r"^([“‘(]*)([A-Za-z’']+)(.*)$", text)
        if not core or len(core.group(2)) < 6:
            return None
        lead = len(core.group(1))
        cuts = [
            (lead + p, text[: lead + p] + "-")
            for p in HYPHENATOR.positions(core.group(2))
            if p >= 3 and len(core.group(2)) - p >= 3
        ]
    for cut, head_text in reversed(cuts):
        head = Word(head_text, word.italic)
        if width(head, size) <= room:
            return head, Word(text[cut:], word.italic, word.note)
    return None


def break_lines(
    words: list[Word],
    measure: float,
    indent: float,
    size: float,
    hang: tuple[float, int] = (0.0, 0),
    offset: float = 0.0,
) -> list[Line]:
    """Greedy justified line breaking with hyphenation (good enough for a sample).

    `indent` is the first line's; `hang` indents the first n lines (beside a drop cap);
    `offset` indents every line on both sides (a block quote).
    """
    space = stringWidth(" ", "Times-Roman", size)
    lines: list[Line] = []
    current: list[Word] = []

    def left(i: int) -> float:
        return offset + (indent if i == 0 else 0.0) + (hang[0] if i < hang[1] else 0.0)

    def close(last: bool) -> None:
        i = len(lines)
        lines.append(Line(current, last, left(i), measure - offset - left(i)))

    used = 0.0
    measure_i = measure - offset - left(0)
    queue = list(words)
    while queue:
        word = queue.pop(0)
        need = width(word, size) + (space if current else 0)
        # justified spaces may shrink to 80% of their natural width, as in real books
        shrink = 0.2 * space * len(current)
        if used + need <= measure_i + shrink:
            current.append(word)
            used += need
            continue
        room = measure_i + shrink - used - (space if current else 0)
        parts = split_word(word, room, size)
        if parts:
            current.append(parts[0])
            queue.insert(0, parts[1])
        else:
            queue.insert(0, word)
        close(last=False)
        current, used = [], 0.0
        measure_i = measure - offset - left(len(lines))
    close(last=True)
    return lines


class Typesetter:
    def __init__(self, book: Book) -> None:
        self.book = book
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=(PAGE_W, PAGE_H), invariant=1)
        self.canvas.setTitle(book.meta["title"])
        self.canvas.setAuthor(book.meta["author"])
        self.page = 0
        self.layout = book.meta.get("layout", "novel")
        self.columns = int(book.meta.get("columns", 1))
        self.column = 0
        use_font(book.meta.get("font", "times"))

    # -- page furniture ---------------------------------------------------------------
    def page_left(self) -> float:
        return INNER if self.page % 2 == 1 else OUTER

    def text_width(self) -> float:
        return PAGE_W - INNER - OUTER

    def left_margin(self) -> float:
        return self.page_left() + self.column * (self.measure() + GUTTER)

    def measure(self) -> float:
        return (self.text_width() - GUTTER * (self.columns - 1)) / self.columns

    def new_page(self, chapter: str, opening: bool) -> None:
        if self.page:
            self.canvas.showPage()
        self.page += 1
        self.column = 0
        c, left, right = self.canvas, self.left_margin(), self.page_left() + self.text_width()
        folio = str(self.page)
        head = self.book.meta["title"] if self.page % 2 == 0 else chapter
        if self.book.meta.get("heads") == "smallcaps":
            # capitals of two sizes, as small caps come out of many typeset books
            if not opening:
                x = (left + right) / 2 - 60
                for word in head.upper().split():
                    c.setFont("Times-Roman", 9)
                    c.drawString(x, PAGE_H - 40, word[0])
                    x += stringWidth(word[0], "Times-Roman", 9)
                    c.setFont("Times-Roman", 7)
                    c.drawString(x, PAGE_H - 40, word[1:])
                    x += stringWidth(word[1:] + " ", "Times-Roman", 7) + 2
            c.setFont("Times-Roman", 9.5)
            c.drawCentredString((left + right) / 2, 36, folio)
        elif self.layout == "novel":
            if not opening:
                c.setFont("Times-Italic", 9)
                c.drawCentredString((left + right) / 2, PAGE_H - 40, head)
            c.setFont("Times-Roman", 9.5)
            c.drawCentredString((left + right) / 2, 36, folio)
        elif self.layout == "journal":
            if not opening:
                c.setFont("Times-Roman", 9)
                if self.page % 2 == 0:
                    c.drawString(left, PAGE_H - 40, folio)
                    c.drawCentredString((left + right) / 2, PAGE_H - 40, head.upper())
                else:
                    c.drawCentredString((left + right) / 2, PAGE_H - 40, head.upper())
                    c.drawRightString(right, PAGE_H - 40, folio)
            else:
                c.setFont("Times-Roman", 9)
                c.drawCentredString((left + right) / 2, 36, folio)
        else:  # essays: small-caps style header with the folio at the outer edge
            if not opening:
                c.setFont("Times-Roman", 8)
                label = " ".join(head.upper())  # letterspaced capitals, as many books set them
                if self.page % 2 == 0:
                    c.drawString(left, PAGE_H - 40, folio + "      " + label)
                else:
                    c.drawRightString(right, PAGE_H - 40, label + "      " + folio)
                c.setLineWidth(0.4)
                c.line(left, PAGE_H - 45, right, PAGE_H - 45)
            else:
                c.setFont("Times-Roman", 9)
                c.drawCentredString((left + right) / 2, 36, folio)

    def title_page(self) -> None:
        self.page += 1
        c, mid = self.canvas, PAGE_W / 2
        c.setFont("Times-Bold", 20)
        c.drawCentredString(mid, PAGE_H * 0.62, self.book.meta["title"])
        if sub := self.book.meta.get("subtitle"):
            c.setFont("Times-Italic", 13)
            c.drawCentredString(mid, PAGE_H * 0.62 - 26, sub)
        c.setFont("Times-Roman", 13)
        c.drawCentredString(mid, PAGE_H * 0.45, self.book.meta["author"])

    # -- body -------------------------------------------------------------------------
    def draw_line(self, line: Line, y: float, size: float) -> list[str]:
        c = self.canvas
        x = self.left_margin() + line.indent
        natural = added(width(w, size) for w in line.words)
        gaps = len(line.words) - 1
        space = stringWidth(" ", "Times-Roman", size)
        if not line.last and gaps:
            space = (line.measure - natural) / gaps
        notes = []
        for w in line.words:
            c.setFont(FONTS[w.italic], size)
            c.drawString(x, y, shown(w.text))
            x += stringWidth(shown(w.text), FONTS[w.italic], size)
            if w.note:
                c.setFont("Times-Roman", size * 0.6)
                c.drawString(x, y + size * 0.38, w.note)
                x += stringWidth(w.note, "Times-Roman", size * 0.6)
                notes.append(w.note)
            x += space
        return notes

    def draw_notes(self, notes: list[str]) -> None:
        c, left = self.canvas, self.left_margin()
        blocks = [
            break_lines(
                [Word(f"{n}.")] + words_of(self.book.notes[n]), self.measure(), 0, NOTE_SIZE
            )
            for n in notes
        ]
        height = sum(len(b) for b in blocks) * NOTE_LEADING
        y = BOTTOM - 6 + height
        c.setLineWidth(0.4)
        c.line(left, y + 8, left + 60, y + 8)
        for block in blocks:
            for line in block:
                self.draw_line(line, y, NOTE_SIZE)
                y -= NOTE_LEADING

    def chapter(self, title: str, paragraphs: list[str]) -> None:
        self.new_page(title, opening=True)
        self.canvas.setFont("Times-Bold", 15)
        self.canvas.drawCentredString(self.page_left() + self.text_width() / 2, PAGE_H - 150, title)
        y = top = PAGE_H - 195
        pending_notes: list[str] = []
        for i, paragraph in enumerate(paragraphs):
            if paragraph == "* * *":  # a scene break, centred in the column
                y -= LEADING / 2
                self.canvas.setFont(FONTS[False], BODY_SIZE)
                self.canvas.drawCentredString(self.left_margin() + self.measure() / 2, y, "* * *")
                y -= LEADING * 1.5
                continue
            quote = paragraph.startswith("> ")
            words = words_of(paragraph[2:] if quote else paragraph)
            hang = (0.0, 0)
            if i == 0 and self.book.meta.get("dropcap") and not quote:
                hang = self.drop_cap(words, y)
            indent = 0.0 if i == 0 or quote or paragraphs[i - 1] == "* * *" else INDENT
            lines = break_lines(
                words, self.measure(), indent, BODY_SIZE, hang, offset=24.0 if quote else 0.0
            )
            if quote:
                y -= LEADING / 2
            for line in lines:
                note_room = added(
                    (
                        len(break_lines(words_of(self.book.notes[n]), self.measure(), 0, NOTE_SIZE))
                        + 1
                    )
                    * NOTE_LEADING
                    for n in pending_notes + [w.note for w in line.words if w.note]
                )
                if y < BOTTOM + 12 + note_room:
                    if pending_notes:
                        self.draw_notes(pending_notes)
                        pending_notes = []
                    if self.column + 1 < self.columns:
                        self.column += 1
                    else:
                        self.new_page(title, opening=False)
                        top = PAGE_H - TOP - 12
                    y = top
                pending_notes += self.draw_line(line, y, BODY_SIZE)
                y -= LEADING
            if quote:
                y -= LEADING / 2
        if pending_notes:
            self.draw_notes(pending_notes)

    def drop_cap(self, words: list[Word], y: float) -> tuple[float, int]:
        """Set the first letter three lines tall; the first three lines run beside it."""
        first = words[0]
        letter, words[0] = first.text[0], Word(first.text[1:], first.italic, first.note)
        size = LEADING * 2 + BODY_SIZE * 0.75
        self.canvas.setFont(FONTS[False], size)
        self.canvas.drawString(self.left_margin(), y - 2 * LEADING, letter)
        return stringWidth(letter, FONTS[False], size) + 3.0, 3

    def render(self) -> bytes:
        if self.layout == "novel":
            self.title_page()
            self.canvas.showPage()
            self.page += 1  # blank verso after the title page, as in print
        for title, paragraphs in self.book.chapters:
            # chapters open on a new page; a novel's open on a recto (odd page)
            if self.layout == "novel" and self.page % 2 == 1:
                self.canvas.showPage()
                self.page += 1
            self.chapter(title, paragraphs)
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def expected_paragraphs(path: Path) -> list[str]:
    """What extraction should recover: title page, headings, paragraphs, footnotes, no markup."""
    book = parse_book(path)
    out = [book.meta["title"]] if book.meta.get("layout", "novel") == "novel" else []
    if out:
        out.append(book.meta["author"])
    for title, paragraphs in book.chapters:
        out.append(title)
        for p in paragraphs:
            if p == "* * *":
                continue
            out.append(re.sub(r"\[\d+\]", "", p.removeprefix("> ")).replace("*", ""))
            # footnotes follow the paragraph that carries their marker
            out += [book.notes[n] for n in re.findall(r"\[(\d+)\]", p)]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed PDF differs")
    args = parser.parse_args()
    stale = []
    for src in sorted(BOOKS.glob("*.md")):
        pdf = Typesetter(parse_book(src)).render()
        target = OUT / f"{src.stem}.pdf"
        if args.check:
            if not target.exists() or target.read_bytes() != pdf:
                stale.append(str(target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pdf)
        print(f"wrote {target.relative_to(ROOT)} ({len(pdf)} bytes)")
    if stale:
        print("stale sample PDFs (run python scripts/make_sample_pdfs.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
