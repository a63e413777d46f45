"""Reading the person's passage selection: `passages.md` as people already write it, or YAML.

    ## PASSAGE 1: A title
    **Core phenomenology:** fragmented emergence, lost memory
    \"\"\"
    the passage text, copied from the book
    \"\"\"
    **Applicable templates:** 1, 2, 4, 5

Also read as people type it: "Passage n" under any heading level, fields without bold or as
list items, the text as a "> " block quote, a byte-order mark, any line endings. Templates
are named by number, name, title or kind, "1-3" or "all" (stages/dataset/templates.py).

Every problem is reported with the file and line, all at once, so one edit fixes them all.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError
from stages.core.params import load_yaml

# a passage starts at a heading of any level that begins "Passage <n>", or at any level-2 heading
HEADING = re.compile(
    r"^(?:#{1,6}\s*passage\s*(\d+)\s*[:.\-–—]?\s*|##\s+)(.*?)\s*#*\s*$", re.IGNORECASE
)
# "**Core phenomenology:** x", "Core phenomenology: x", "- **Templates: 1, 2**", ...
FIELD = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\s*([A-Za-z ]+?)\s*:\s*(?:\*\*|__)?\s*(.*?)\s*(?:\*\*|__)?\s*$"
)
BLOCKQUOTE = re.compile(r"^\s*>\s?(.*)$")
QUOTES = ('"""', "'''", "```", "“““", "”””")
FIELDS = {
    "core phenomenology": "phenomenology",
    "phenomenology": "phenomenology",
    "applicable templates": "templates",
    "templates": "templates",
    "tags": "tags",
}


def parse_markdown(path: Path) -> list[dict[str, Any]]:
    # utf-8-sig: editors on Windows start files with a byte-order mark
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    passages: list[dict[str, Any]] = []
    errors: list[str] = []
    current: dict[str, Any] | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        if m := HEADING.match(line):
            number = int(m.group(1)) if m.group(1) else None
            current = {
                "number": number,
                "title": m.group(2).strip() or (f"Passage {number}" if number else ""),
                "line": lineno,
                "text": None,
                "phenomenology": None,
                "templates": None,
            }
            passages.append(current)
            i += 1
            continue
        stripped = line.strip()
        opener = next((q for q in QUOTES if stripped.startswith(q)), None)
        if opener and current is not None:
            body, rest, j, closed = [], stripped[len(opener) :], i, False
            while True:
                closer = next((q for q in QUOTES if rest.rstrip().endswith(q)), None)
                if closer and (j > i or len(rest.strip()) >= len(closer)):
                    body.append(rest.rstrip()[: -len(closer)])
                    closed = True
                    break
                body.append(rest)
                j += 1
                if j >= len(lines) or HEADING.match(lines[j]):
                    break
                rest = lines[j]
            if not closed:
                errors.append(
                    f"{path}:{lineno}: the quote opened here ({opener}) is never closed; "
                    f"add a line with {opener} after the passage text"
                )
                i = j
                continue
            if current["text"] is not None:
                errors.append(
                    f"{path}:{lineno}: passage {current['title']!r} has a second quoted text"
                )
            current["text"] = "\n".join(body).strip()
            current["text_line"] = lineno
            i = j + 1
            continue
        if (m := FIELD.match(line)) and current is not None and m.group(1).lower() in FIELDS:
            current[FIELDS[m.group(1).lower()]] = m.group(2)
        elif BLOCKQUOTE.match(line) and current is not None and current["text"] is None:
            # the passage as a Markdown block quote ("> ..." lines) instead of triple quotes
            body, j = [], i
            while j < len(lines) and (quoted := BLOCKQUOTE.match(lines[j])):
                body.append(quoted.group(1))
                j += 1
            current["text"] = "\n".join(body).strip()
            current["text_line"] = lineno
            i = j
            continue
        i += 1
    for p in passages:
        where = f"{path}:{p['line']}"
        if not p["title"]:
            errors.append(
                f"{where}: the passage heading has no title (write '## PASSAGE n: Title')"
            )
        if not p["text"]:
            errors.append(
                f'{where}: passage {p["title"]!r} has no text between triple quotes (""")'
            )
        if not p["phenomenology"]:
            errors.append(
                f"{where}: passage {p['title']!r} has no '**Core phenomenology:** ...' line"
            )
        if not p["templates"]:
            errors.append(
                f"{where}: passage {p['title']!r} has no '**Applicable templates:** 1, 2' line"
            )
    if errors:
        raise DataError("\n".join(errors))
    return passages


def parse_yaml(path: Path) -> list[dict[str, Any]]:
    data = load_yaml(path)
    items = data.get("passages") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise DataError(f"{path}: expected a list of passages (or a 'passages:' list)")
    out, errors = [], []
    for n, item in enumerate(items, start=1):
        where = f"{path}: passage {n}"
        if not isinstance(item, dict):
            errors.append(f"{where}: expected a mapping with title, phenomenology, text, templates")
            continue
        templates = item.get("templates")
        if isinstance(templates, list):
            templates = ", ".join(str(t) for t in templates)
        rec = {
            "number": item.get("number", n),
            "title": str(item.get("title") or "").strip(),
            "line": n,
            "text": str(item.get("text") or "").strip(),
            "phenomenology": item.get("phenomenology"),
            "templates": templates,
        }
        if isinstance(rec["phenomenology"], list):
            rec["phenomenology"] = ", ".join(rec["phenomenology"])
        for key in ("title", "text", "phenomenology", "templates"):
            if not rec[key]:
                errors.append(f"{where}: missing {key!r}")
        out.append(rec)
    if errors:
        raise DataError("\n".join(errors))
    return out


def read_passages(path: str | Path) -> list[dict[str, Any]]:
    """Passages with title, number, phenomenology, text, template refs and source line."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; write your passage selection there (see README)")
    passages = parse_yaml(path) if path.suffix in (".yaml", ".yml") else parse_markdown(path)
    if not passages:
        raise DataError(f"{path}: no passages found (each starts with '## PASSAGE n: Title')")
    seen: dict[str, int] = {}
    errors = []
    for p in passages:
        key = p["title"].lower()
        if key in seen:
            errors.append(
                f"{path}:{p['line']}: duplicate title {p['title']!r} (also at line {seen[key]})"
            )
        seen[key] = p["line"]
    if errors:
        raise DataError("\n".join(errors))
    return passages
