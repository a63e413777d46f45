"""extract: PDFs under data/raw/ -> clean paragraphs with ids, page spans and chapters.

Reads  data/raw/**/*.pdf, params `extract`
Writes data/extracted/documents.jsonl   one record per PDF (ok, or the error and a hint)
       data/extracted/paragraphs.jsonl  headings, paragraphs, footnotes, contents entries,
                                        front and back matter, in order, with their lines
       data/extracted/removed.jsonl     every line (or glyph span) left out, with the reason
       data/extracted/text/<doc>.txt    each book's clean text (paragraph offsets point here)
       data/extracted/report.md         what was extracted, what failed and how to fix it
       data/cache/extract/              per-PDF page analysis, so only changed PDFs are re-read
       metrics/extract.json

The reading itself is in stages/pdf/; pages are read in parallel across cores. A bad PDF
(encrypted, corrupt, empty, image-only) never stops the others: it is reported with a reason
and a hint, and with `extract.strict` the stage exits non-zero after writing all it could.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from stages.core.ids import content_id, sha256_bytes, sha256_file
from stages.core.jsonl import atomic_write_text, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.params import load_params
from stages.core.schemas import validate_rows
from stages.pdf.document import HINTS, PdfError, analyse, cache_name
from stages.pdf.paragraphs import account, read_book
from stages.pdf.report import report, warnings

STAGE = "extract"
OUT = Path("data/extracted")
CACHE = Path("data/cache/extract")


def document_records(path: Path, doc_id: str, analysed: dict[str, Any]) -> tuple:
    """(paragraph records with ids and offsets, the document's clean text, removed rows,
    the reading's counts): every line read is in one of the first or the third."""
    reading = read_book(analysed["pages"], tuple(analysed["titles"]))
    if problems := account(reading):  # a bug, never bad input: stop before writing
        raise AssertionError(f"{path}: lines not accounted for: {problems[:5]}")
    records, seen, offset, texts = [], Counter(), 0, []
    for index, p in enumerate(reading.records):
        seen[p["text"]] += 1
        pid = content_id("par", {"doc": doc_id, "text": p["text"], "n": seen[p["text"]]})
        records.append(
            {
                "id": pid,
                "doc_id": doc_id,
                "doc": path.as_posix(),
                "index": index,
                "kind": p["kind"],
                "chapter": p["chapter"],
                "page_start": p["page_start"],
                "page_end": p["page_end"],
                "char_start": offset,
                "char_end": offset + len(p["text"]),
                "notes": p["notes"],
                "lines": p["lines"],
                "text": p["text"],
            }
        )
        texts.append(p["text"])
        offset += len(p["text"]) + 2
    removed = [
        r | {"id": content_id("par", [doc_id, r]), "doc_id": doc_id, "doc": path.as_posix()}
        for r in reading.removed
    ]
    return records, "\n\n".join(texts) + "\n", removed, reading


def main() -> int:
    params = load_params(STAGE)
    root = Path(params["input_dir"])
    pdfs = sorted(p for p in root.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())
    inside = root.resolve()
    outside = [p for p in pdfs if not p.resolve().is_relative_to(inside)]
    for p in outside:  # a link that leads out of the input folder is not read
        say(STAGE, f"ERROR {p} points outside {root}/ (to {p.resolve()}): copy the file in instead")
    pdfs = [p for p in pdfs if p not in outside]
    if not pdfs:
        say(STAGE, f"no PDFs under {root}/: add some (see README, 'Add your own PDFs')")
        return 2
    workers = params["workers"] or os.cpu_count() or 1
    say(STAGE, f"{len(pdfs)} PDFs, {workers} worker processes")
    docs, paragraphs, removed, start = [], [], [], time.monotonic()
    text_dir = OUT / "text"
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for path in pdfs:
            sha = sha256_file(path)
            doc_id = f"doc_{sha[:16]}"
            doc = {"id": doc_id, "path": path.as_posix(), "sha256": sha}
            try:
                analysed = analyse(path, sha, pool, params["max_pages"], CACHE, STAGE)
                records, text, gone, reading = document_records(path, doc_id, analysed)
            except PdfError as err:
                say(STAGE, f"ERROR {path}: {err.code}: {err} -> {HINTS[err.code]}")
                doc |= {
                    "status": "error",
                    "pages": 0,
                    "paragraphs": 0,
                    "flags": [],
                    "titles": [],
                    "error": {"code": err.code, "detail": str(err), "hint": HINTS[err.code]},
                }
                docs.append(doc)
                continue
            flags = sorted({f"{f} (p. {p['page']})" for p in analysed["pages"] for f in p["flags"]})
            reasons = dict(sorted(Counter(r["reason"] for r in gone).items()))
            doc |= {
                "status": "ok",
                "pages": len(analysed["pages"]),
                "paragraphs": len(records),
                "titles": analysed["titles"],
                "flags": flags,
                "error": None,
                "text_sha256": sha256_bytes(text.encode()),
                "lines": reading.lines_per_page,
                "removed": reasons,
                "reflowed_hyphens": reading.reflowed_hyphens,
                "warnings": warnings(sum(reading.lines_per_page), reasons),
            }
            for w in doc["warnings"]:
                say(STAGE, f"WARNING {path}: {w}")
            docs.append(doc)
            paragraphs += records
            removed += gone
            atomic_write_text(text_dir / f"{doc_id}.txt", text)
    # drop texts of documents that are gone, and cached analyses of other PDFs or older code,
    # so these outputs depend only on the current inputs (a fresh clone rebuilds them exactly)
    keep = {f"{d['id']}.txt" for d in docs if d["status"] == "ok"}
    keep |= {cache_name(d["sha256"]) for d in docs if d["status"] == "ok"}
    for old in [*text_dir.glob("*.txt"), *CACHE.glob("*.json")]:
        if old.name not in keep:
            old.unlink()

    validate_rows("document", docs, str(OUT / "documents.jsonl"))
    validate_rows("paragraph", paragraphs, str(OUT / "paragraphs.jsonl"))
    validate_rows("removed", removed, str(OUT / "removed.jsonl"))
    write_jsonl(OUT / "documents.jsonl", docs, key=lambda d: d["path"])
    write_jsonl(OUT / "paragraphs.jsonl", paragraphs, key=lambda r: (r["doc"], r["index"]))
    write_jsonl(
        OUT / "removed.jsonl", removed, key=lambda r: (r["doc"], r["page"], r["line"], r["text"])
    )
    atomic_write_text(OUT / "report.md", report(docs))
    failed = Counter(d["error"]["code"] for d in docs if d["status"] == "error")
    if outside:
        failed["outside-input"] = len(outside)
    kinds = Counter(r["kind"] for r in paragraphs)
    write_json(
        "metrics/extract.json",
        {
            "documents": len(docs),
            "documents_ok": sum(1 for d in docs if d["status"] == "ok"),
            "documents_failed": dict(sorted(failed.items())),
            "pages": sum(d["pages"] for d in docs),
            "paragraphs": kinds["paragraph"],
            "headings": kinds["heading"],
            "footnotes": kinds["footnote"],
            "contents_entries": kinds["contents"],
            "front_matter": kinds["front-matter"],
            "back_matter": kinds["back-matter"],
            "flagged_pages": sum(len(d["flags"]) for d in docs),
            "lines": sum(sum(d["lines"]) for d in docs if d["status"] == "ok"),
            "removed": {d["path"]: d["removed"] for d in docs if d["status"] == "ok"},
            "reflowed_hyphens": sum(d.get("reflowed_hyphens", 0) for d in docs),
            "warnings": sum(len(d["warnings"]) for d in docs if d["status"] == "ok"),
        },
    )
    pages = sum(d["pages"] for d in docs)
    say(
        STAGE,
        f"{sum(1 for d in docs if d['status'] == 'ok')}/{len(docs)} PDFs, {pages} pages, "
        f"{len(paragraphs)} paragraphs in {time.monotonic() - start:.1f}s",
    )
    if failed:
        say(STAGE, f"{sum(failed.values())} PDF(s) failed: see {OUT / 'report.md'}")
        if params["strict"]:
            say(
                STAGE,
                "extract.strict is true: stopping here (set it to false to go on "
                "with the PDFs that worked)",
            )
            return 3
    return 0


if __name__ == "__main__":
    run_main(STAGE, main)
