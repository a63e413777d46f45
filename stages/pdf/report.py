"""The extraction report (data/extracted/report.md): what was read, what was left out and
why, and what failed with how to fix it. Used by the extract stage."""

from __future__ import annotations

from typing import Any

from stages.core.tables import markdown_table

# a share of a document's lines lost to one reason that deserves a look
WARN_SHARE = 0.08


def warnings(lines: int, removed: dict[str, int]) -> list[str]:
    """One warning per reason that took more than WARN_SHARE of a document's lines."""
    return [
        f"{n} of {lines} lines ({n / lines:.0%}) removed as {reason}: check removed.jsonl"
        for reason, n in sorted(removed.items())
        if lines and n / lines > WARN_SHARE
    ]


def report(docs: list[dict[str, Any]]) -> str:
    rows = []
    for d in docs:
        if d["status"] == "ok":
            removed = ", ".join(f"{k} {v}" for k, v in sorted(d["removed"].items()))
            notes = "; ".join(d["warnings"] + d["flags"])
            rows.append(
                {
                    "document": f"`{d['path']}`",
                    "status": "ok",
                    "pages": d["pages"],
                    "lines": sum(d["lines"]),
                    "paragraphs": d["paragraphs"],
                    "removed": removed,
                    "notes": notes,
                }
            )
        else:
            err = d["error"]
            rows.append(
                {
                    "document": f"`{d['path']}`",
                    "status": f"**{err['code']}**",
                    "notes": f"{err['detail']}. Fix: {err['hint']}",
                }
            )
    columns = ["document", "status", "pages", "lines", "paragraphs", "removed", "notes"]
    table = markdown_table(rows, columns).replace(" nan ", "     ")
    return (
        "# Extraction report\n\nEvery line read is in a paragraph record or in `removed.jsonl` "
        "with its reason; `python -m stages check` reconciles them page by page.\n\n" + table + "\n"
    )
