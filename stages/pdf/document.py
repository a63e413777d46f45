"""One PDF file -> its pages' lines, with bad files turned into errors people can act on.

`analyse` reads a PDF's pages in worker processes (stages/pdf/lines.py per page) and keeps
the result in a cache keyed by the PDF's hash and this package's code, so only changed PDFs
(or changed code) are read again. A file that cannot be read raises `PdfError` with a code
from HINTS (encrypted, corrupt, empty, image-only, too-large). Used by the extract stage;
`extract_file` reads one PDF in-process for tests and benchmarks.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pdfplumber

from stages.core.jsonl import read_json, write_json
from stages.core.log import Progress
from stages.pdf.lines import page_lines
from stages.pdf.paragraphs import paragraphs

PAGES_PER_TASK = 8

HINTS = {
    "encrypted": "the PDF is password-protected: save an unprotected copy "
    "(e.g. `qpdf --decrypt in.pdf out.pdf`) and add that instead",
    "corrupt": "the file is damaged or not a PDF: download or export it again",
    "empty": "the PDF has no pages or no content: check that it is the right file",
    "image-only": "no text layer (scanned pages): run OCR first, e.g. `ocrmypdf in.pdf out.pdf`",
    "too-large": "raise extract.max_pages in params.yaml, or split the PDF",
}


class PdfError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def classify(exc: Exception) -> PdfError:
    """Map pdfminer/pdfplumber exceptions to our error codes."""
    if isinstance(exc, PdfError):
        return exc
    # pdfplumber wraps pdfminer's exceptions: look at the one inside
    while exc.args and isinstance(exc.args[0], Exception):
        exc = exc.args[0]
    name = type(exc).__name__
    text = f"{name}: {exc}".strip()
    if "Password" in name or "Encryption" in name or "encrypt" in str(exc).lower():
        return PdfError("encrypted", text)
    return PdfError("corrupt", text)


def read_pages(path: str, start: int, end: int) -> list[dict[str, Any]]:
    """Analyse pages [start, end) of one PDF (runs in a worker process)."""
    out = []
    with pdfplumber.open(path) as pdf:
        for index in range(start, end):
            page = pdf.pages[index]
            result = page_lines(page, index + 1)
            result["height"] = float(page.height)
            result["has_images"] = bool(page.images)
            out.append(result)
            page.close()  # drop pdfplumber's per-page caches: flat memory on long books
    return out


def page_count_and_titles(path: Path) -> tuple[int, tuple[str, ...]]:
    if path.stat().st_size == 0:
        raise PdfError("empty", "the file is 0 bytes")
    try:
        with pdfplumber.open(path) as pdf:
            meta = pdf.metadata or {}
            titles = tuple(str(meta.get(k, "")) for k in ("Title", "Author") if meta.get(k))
            return len(pdf.pages), titles
    except Exception as exc:  # pdfminer raises many unrelated types for broken files
        raise classify(exc) from None


def code_version() -> str:
    """A hash of this package's code: cached page analyses are only reused with the same code."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def cache_name(sha: str) -> str:
    """The cache file of a PDF with this sha256, for the current code."""
    return f"{sha[:32]}-{code_version()}.json"


def analyse(
    path: Path, sha: str, pool: Executor, max_pages: int, cache: Path, stage: str = "extract"
) -> dict[str, Any]:
    """Per-page lines of one PDF, from the cache when the PDF and the code are unchanged."""
    cached = cache / cache_name(sha)
    if cached.exists():
        return read_json(cached)
    n_pages, titles = page_count_and_titles(path)
    if n_pages == 0:
        raise PdfError("empty", "the PDF has 0 pages")
    if n_pages > max_pages:
        raise PdfError("too-large", f"{n_pages} pages, more than extract.max_pages={max_pages}")
    tasks = [
        pool.submit(read_pages, str(path), s, min(s + PAGES_PER_TASK, n_pages))
        for s in range(0, n_pages, PAGES_PER_TASK)
    ]
    pages: list[dict[str, Any]] = []
    progress = Progress(stage, n_pages, f"{path.name} pages")
    for task in tasks:
        try:
            chunk = task.result()
        except Exception as exc:
            raise classify(exc) from None
        pages += chunk
        progress.step(len(chunk))
    if not any(p["lines"] for p in pages):
        if any(p["has_images"] for p in pages):
            raise PdfError("image-only", f"{n_pages} pages with images and no text")
        raise PdfError("empty", f"{n_pages} pages without any text")
    result = {"pages": pages, "titles": list(titles)}
    write_json(cached, result)
    return result


def extract_file(path: str) -> list[dict[str, Any]]:
    """One PDF's paragraphs in this process, without the stage's cache or report (tests, bench)."""
    n_pages, titles = page_count_and_titles(Path(path))
    return paragraphs(read_pages(path, 0, n_pages), titles)
