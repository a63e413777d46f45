"""Human review decisions: `data/decisions.jsonl`, git-tracked, canonical, one per example.

Keyed by example content id, so a decision follows its example through any rebuild that
leaves the content unchanged, and becomes an orphan (reported, never dropped) when a
template or passage change regenerates the example differently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError, canonical_json, write_jsonl
from stages.core.schemas import error_message


def read_decisions(path: str | Path) -> dict[str, dict[str, Any]]:
    """Decisions by example id. Bad lines and conflicting duplicates are errors naming lines."""
    path = Path(path)
    if not path.exists():
        return {}
    out: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    errors = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        msg = error_message("decision", row)
        if msg:
            errors.append(f"{path}:{lineno}: {msg}")
            continue
        key = row["example_id"]
        if key in out:
            if canonical_json(out[key]) != canonical_json(row):
                errors.append(
                    f"{path}:{lineno}: a second, different decision for {key} (first at "
                    f"line {lines[key]}); keep one of them"
                )
            continue
        out[key], lines[key] = row, lineno
    if errors:
        raise DataError("\n".join(errors) + "\nFix these lines (or run `python -m stages fmt`).")
    return out


def write_decisions(path: str | Path, decisions: dict[str, dict[str, Any]]) -> None:
    """Canonical file: one decision per line, sorted by example id (merges cleanly)."""
    write_jsonl(path, decisions.values(), key=lambda d: d["example_id"])
