"""Extraction quality on the typeset sample books and the harder test layouts.

    python bench/extract_quality.py

Typesets each source (data/sample/books/*.md, and variants with two columns, drop caps,
ligature fonts and small-caps heads), extracts it with our extract, and prints character
error rate, running-head/page-number leaks, broken hyphens and paragraph boundary F1
(definitions in stages/tools/quality.py).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts import make_sample_pdfs as books  # noqa: E402
from stages.pdf.document import extract_file  # noqa: E402
from stages.pdf.quality import extraction_quality  # noqa: E402

VARIANTS = {
    "two columns, small-caps heads": "columns: 2\nheads: smallcaps\n",
    "drop caps, Vera ligatures": "dropcap: true\nfont: vera\n",
}


def measure(src: Path, tmp: Path) -> dict:
    book = books.parse_book(src)
    pdf = tmp / f"{src.stem}.pdf"
    pdf.write_bytes(books.Typesetter(book).render())
    books.use_font("times")
    heads = [book.meta["title"], book.meta["author"]] + [t for t, _ in book.chapters]
    return extraction_quality(books.expected_paragraphs(src), extract_file(str(pdf)), heads)


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for src in sorted((ROOT / "data/sample/books").glob("*.md")):
            rows.append((src.stem, "as bundled", measure(src, t)))
            front, body = src.read_text().split("---\n", 2)[1:]
            for name, extra in VARIANTS.items():
                variant = t / f"{src.stem}-{len(rows)}.md"
                variant.write_text("---\n" + front + extra + "---\n" + body)
                rows.append((src.stem, name, measure(variant, t)))
    print(f"{'book':28} {'layout':30} {'CER':>8} {'leaks':>6} {'hyphens':>8} {'F1':>6}")
    for book, layout, q in rows:
        print(
            f"{book:28} {layout:30} {q['cer']:8.4%} {q['leaks']:6d} {q['broken_hyphens']:8d} "
            f"{q['boundary_f1']:6.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
