"""curate: the person's passage selection, located in the extracted books, with lineage.

Reads  data/passages.md (or .yaml; params `curate.passages`), templates/,
       data/extracted/paragraphs.jsonl, data/extracted/documents.jsonl
Writes data/curated/passages.jsonl   one record per passage: id, tags, templates,
                                      the book's text of it, document, pages, chapter
       metrics/curate.json

Each passage is found in the book text even when the person's copy differs in quotes,
dashes, line breaks or a few characters; the match score and page span are reported.
A passage that cannot be found is an error naming it and the closest candidate.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from stages.core.ids import content_id
from stages.core.jsonl import DataError, read_jsonl, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.params import load_params
from stages.core.schemas import validate_rows
from stages.dataset.templates import load_templates, resolve_all
from stages.passages.locate import Locator, words_text
from stages.passages.parse import read_passages

STAGE = "curate"
OUT = Path("data/curated")


MATTER = ("front-matter", "back-matter")


def document_texts(paragraphs: list[dict[str, Any]], match_matter: bool) -> dict[str, str]:
    """Each document's clean text, rebuilt exactly as extract wrote it (offsets match);
    front and back matter (licenses, colophons) blanked out unless `match_matter`."""
    by_doc: dict[str, list[str]] = {}
    for p in sorted(paragraphs, key=lambda r: (r["doc_id"], r["index"])):
        text = p["text"]
        if p["kind"] in MATTER and not match_matter:
            text = " " * len(text)  # not the book: no passage is found there
        by_doc.setdefault(p["doc_id"], []).append(text)
    return {doc: "\n\n".join(texts) + "\n" for doc, texts in by_doc.items()}


def main() -> int:
    params = load_params(STAGE)
    source = Path(params["passages"])
    templates = load_templates(params["templates_dir"])
    paragraphs = read_jsonl("data/extracted/paragraphs.jsonl")
    docs = {d["id"]: d for d in read_jsonl("data/extracted/documents.jsonl")}
    locator = Locator(document_texts(paragraphs, params["match_matter"]))
    chosen = read_passages(source)
    say(STAGE, f"{len(chosen)} passages in {source}, {len(locator.texts)} documents to search")

    records, errors, warnings = [], [], []
    for p in chosen:
        where = f"{source}:{p['line']}: passage {p['title']!r}"
        try:
            names = sorted(
                set(resolve_all(p["templates"], templates)),
                key=lambda n: templates[n]["number"],
            )
        except DataError as exc:
            errors.append(f"{where}: {exc}")
            continue
        match = locator.locate(p["text"])
        if match is None or match.score < params["min_match_score"]:
            hint = (
                "nothing similar"
                if match is None
                else (
                    f"closest: {docs[match.source]['path']} (score {match.score:.2f}): "
                    f"{locator.texts[match.source][match.start : match.start + 80]!r}..."
                )
            )
            errors.append(
                f"{where}: not found in the extracted text ({hint}). Check that its "
                "book is in data/raw/ and the text was copied from it"
            )
            continue
        text = locator.texts[match.source][match.start : match.end].strip()
        n_words = len(text.split())
        if not params["min_words"] <= n_words <= params["max_words"]:
            errors.append(
                f"{where}: {n_words} words; templates expect "
                f"{params['min_words']}-{params['max_words']} (curate.min_words/max_words)"
            )
            continue
        spans = [
            q
            for q in paragraphs
            if q["doc_id"] == match.source
            and q["char_start"] < match.end
            and q["char_end"] > match.start
        ]
        tags = [t.strip() for t in re.split(r",|;", p["phenomenology"]) if t.strip()]
        records.append(
            {
                "id": content_id("psg", words_text(text)),
                "number": p["number"] if p["number"] is not None else len(records) + 1,
                "title": p["title"],
                "phenomenology": p["phenomenology"].strip(),
                "tags": tags,
                "templates": names,
                "text": text,
                "doc_id": match.source,
                "doc": docs[match.source]["path"],
                "page_start": min(q["page_start"] for q in spans),
                "page_end": max(q["page_end"] for q in spans),
                "chapter": spans[0]["chapter"],
                "paragraph_ids": [q["id"] for q in spans],
                "char_start": match.start,
                "char_end": match.end,
                "match_score": match.score,
                "source": f"{source.as_posix()}:{p['line']}",
            }
        )
        say(
            STAGE,
            f"passage {p['title']!r}: {docs[match.source]['path']} pp. "
            f"{records[-1]['page_start']}-{records[-1]['page_end']}, score {match.score:.3f}",
        )

    ids = Counter(r["id"] for r in records)
    for r in records:
        if ids[r["id"]] > 1:
            errors.append(
                f"{r['source']}: passage {r['title']!r} is the same text as another passage"
            )
    by_doc: dict[str, list[dict]] = {}
    for r in records:
        by_doc.setdefault(r["doc_id"], []).append(r)
    for group in by_doc.values():
        group.sort(key=lambda r: r["char_start"])
        for a, b in zip(group, group[1:], strict=False):
            if b["char_start"] < a["char_end"] and a["id"] != b["id"]:
                msg = (
                    f"{b['source']}: passage {b['title']!r} overlaps {a['title']!r} ({a['source']})"
                )
                (errors if params["overlap"] == "error" else warnings).append(msg)
    for w in warnings:
        say(STAGE, f"WARNING {w}")
    if errors:
        raise DataError("\n".join(errors))

    validate_rows("passage", records, str(OUT / "passages.jsonl"))
    write_jsonl(OUT / "passages.jsonl", records)
    per_template = Counter(n for r in records for n in r["templates"])
    per_doc = Counter(r["doc"] for r in records)
    write_json(
        "metrics/curate.json",
        {
            "passages": len(records),
            "per_template": dict(sorted(per_template.items())),
            "per_document": dict(sorted(per_doc.items())),
            "min_match_score": min((r["match_score"] for r in records), default=None),
            "warnings": len(warnings),
        },
    )
    say(STAGE, f"{len(records)} passages -> {OUT / 'passages.jsonl'}")
    return 0


if __name__ == "__main__":
    run_main(STAGE, main)
