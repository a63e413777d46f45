"""Example records: the dataset's unit, with a content id and the lineage of its passage.

An example's id hashes its kind, template and turns, so the same content has the same id
wherever it was made (a teacher, a person's gold file, a reviewer's edit) and a review
decision follows its example through any rebuild that leaves the content unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

from stages.core.ids import content_id


def example_id(kind: str, template: str, turns: list[dict[str, Any]]) -> str:
    return content_id("ex", {"kind": kind, "template": template, "turns": turns})


def example_record(
    template: dict[str, Any],
    passage: dict[str, Any],
    turns: list[dict[str, Any]],
    author: str,
    lineage: dict[str, Any],
    usage: dict[str, Any],
    notes: list[str],
) -> dict[str, Any]:
    """An example row (schemas/example.schema.json) with its passage's document and pages."""
    return {
        "id": example_id(template["kind"], template["name"], turns),
        "author": author,
        "kind": template["kind"],
        "template": template["name"],
        "template_id": template["id"],
        "template_version": template["version"],
        "passage_id": passage["id"],
        "doc_id": passage["doc_id"],
        "doc": passage["doc"],
        "page_start": passage["page_start"],
        "page_end": passage["page_end"],
        "turns": turns,
        "lineage": lineage,
        "usage": usage,
        "notes": notes,
    }


def apply_edit(example: dict[str, Any], decision: dict[str, Any]) -> dict[str, Any]:
    """A reviewer's edit as a new example that remembers the one it came from."""
    edited = copy.deepcopy(example)
    edited["turns"] = decision["turns"]
    edited["id"] = example_id(example["kind"], example["template"], decision["turns"])
    edited["lineage"]["edited_from"] = example["id"]
    edited["notes"] = sorted(set(example["notes"]) | {f"edited by {decision['reviewer']}"})
    return edited
