"""Human review decisions: `data/decisions.jsonl`, git-tracked, canonical, one per example.

Keyed by example content id, so a decision follows its example through any rebuild that
leaves the content unchanged, and becomes an orphan (reported, never dropped) when a
template or passage change regenerates the example differently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError, canonical_json, iter_jsonl, write_jsonl
from stages.core.schemas import error_message


def read_decisions(path: str | Path) -> dict[str, dict[str, Any]]:
    """Decisions by example id. Bad lines and conflicting duplicates are errors naming lines."""
    path = Path(path)
    if not path.exists():
        return {}
    out: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    errors: list[str] = []
    for lineno, row in iter_jsonl(path, errors):
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


def review_status(
    example: dict[str, Any],
    decisions: dict[str, dict[str, Any]],
    generated: set[str],
    unreviewed: str,
) -> dict[str, Any]:
    """The `review` field of an example: status (accepted, rejected or pending), the decision
    behind it and who made it. An edit made by a reviewer (an example not among the
    `generated` ids) is accepted; the example it replaced is rejected. A hand-written gold
    example counts as reviewed. A teacher example without a decision follows the
    `unreviewed` policy: `exclude` (the default) keeps it pending, out of the dataset until a
    person has read it; `include_unflagged` lets it through when no error-level flag is set."""
    decision = decisions.get(example["id"])
    if decision is None and example["author"] == "human":
        return {
            "status": "accepted",
            "decision": "gold",
            "reviewer": None,
            "note": f"hand-written ({example['lineage'].get('source', 'gold')})",
            "auto": False,
        }
    edited_from = example["lineage"].get("edited_from")
    if edited_from and example["id"] not in generated:
        source = decisions[edited_from]
        return {
            "status": "accepted",
            "decision": "edit",
            "reviewer": source["reviewer"],
            "note": source.get("note"),
            "auto": False,
        }
    if decision is None:
        errors = any(f["severity"] == "error" for f in example["flags"])
        auto = unreviewed == "include_unflagged" and not errors
        return {
            "status": "accepted" if auto else "pending",
            "decision": None,
            "reviewer": None,
            "note": None,
            "auto": auto,
        }
    status = {"accept": "accepted", "reject": "rejected", "edit": "rejected"}[decision["decision"]]
    note = decision.get("note")
    if decision["decision"] == "edit":
        note = f"replaced by its edit; {note or ''}".strip("; ")
    return {
        "status": status,
        "decision": decision["decision"],
        "reviewer": decision["reviewer"],
        "note": note,
        "auto": False,
    }
