"""Extraction speed: our extract against plain pdfplumber `extract_text()` on the same PDFs.

    python bench/extract_speed.py [PDF or folder ...]
    (default: data/raw plus a ~200-page book typeset from the sample text)

Prints pages/second for: plain pdfplumber extract_text() page by page; our per-page analysis
(words, lines, notes, columns) in one process; the same across all cores (what the stage
does); and the share of our time spent in the document-level cleaning step (headers,
hyphenation, paragraphs). Not a test: figures depend on the machine, compare them side by side.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pdfplumber

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stages.pdf.document import read_pages  # noqa: E402
from stages.pdf.paragraphs import paragraphs  # noqa: E402


def long_book(folder: Path) -> Path:
    """A ~200-page book: the sample novel's chapters many times over."""
    from scripts import make_sample_pdfs as books

    src = Path("data/sample/books/lamp-keepers-winter.md").read_text()
    front, body = src.split("---\n", 2)[1:]
    chapters = body.strip().split("\n# ")
    text = (
        "---\n"
        + front
        + "---\n\n# "
        + "\n\n# ".join(
            f"{c.split(chr(10), 1)[0]} ({n})\n{c.split(chr(10), 1)[1]}"
            for n in range(45)
            for c in chapters
        )
    )
    path = folder / "long-book.md"
    path.write_text(text)
    pdf = folder / "long-book.pdf"
    pdf.write_bytes(books.Typesetter(books.parse_book(path)).render())
    return pdf


def pdfs(args: list[str], tmp: Path) -> list[Path]:
    out: list[Path] = []
    for a in args or ["data/raw"]:
        p = Path(a)
        out += sorted(p.rglob("*.pdf")) if p.is_dir() else [p]
    if not args:
        out.append(long_book(tmp))
    return out


def plain(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.close()
        return len(pdf.pages)


def ours_one_process(path: Path) -> tuple[int, float]:
    with pdfplumber.open(path) as pdf:
        n = len(pdf.pages)
    pages = read_pages(str(path), 0, n)
    start = time.perf_counter()
    paragraphs(pages)
    return n, time.perf_counter() - start


def ours_parallel(paths: list[Path], workers: int) -> int:
    total = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = []
        for path in paths:
            with pdfplumber.open(path) as pdf:
                n = len(pdf.pages)
            total += n
            futures += [
                (path, pool.submit(read_pages, str(path), s, min(s + 8, n))) for s in range(0, n, 8)
            ]
        by_doc: dict[Path, list] = {}
        for path, f in futures:
            by_doc.setdefault(path, []).extend(f.result())
        for pages in by_doc.values():
            paragraphs(pages)
    return total


def main() -> int:
    tmp = Path(tempfile.mkdtemp())
    paths = pdfs(sys.argv[1:], tmp)
    cores = os.cpu_count() or 1
    t = time.perf_counter()
    n_plain = sum(plain(p) for p in paths)
    t_plain = time.perf_counter() - t
    t = time.perf_counter()
    n_ours, t_clean = 0, 0.0
    for p in paths:
        n, c = ours_one_process(p)
        n_ours += n
        t_clean += c
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    n_par = ours_parallel(paths, cores)
    t_par = time.perf_counter() - t
    print(f"extraction speed, {len(paths)} PDFs, {n_plain} pages, {cores} cores")
    print(f"{'method':44} {'pages/s':>9} {'seconds':>9}")
    print(f"{'plain pdfplumber extract_text()':44} {n_plain / t_plain:9.1f} {t_plain:9.2f}")
    print(f"{'ours, 1 process':44} {n_ours / t_ours:9.1f} {t_ours:9.2f}")
    print(f"{f'ours, {cores} processes (the extract stage)':44} {n_par / t_par:9.1f} {t_par:9.2f}")
    print(
        f"document-level cleaning (headers, hyphens, paragraphs): {100 * t_clean / t_ours:.1f}% "
        "of our one-process time"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
