"""Preference pairs from review: the reply a reviewer kept, next to one they turned down.

Supervised training on accepted examples never shows the model what not to do; the review
already records it. Two sources, each row traceable to its examples (meta.source,
meta.chosen_id, meta.rejected_id):

- `edit`: an accepted edit (lineage.edited_from) against the example it replaced, one pair per
  assistant turn the reviewer changed, in the edited conversation's context;
- `rejected`: a rejected example against each kept example made from the same prompt
  (lineage.prompt_id), at every assistant turn where the two share everything before it;
- `negative`: a kept example against the teacher's rewrite of one of its replies in a style
  review turns down (the negatives stage, off by default: stages/generation/negatives.py).

Rows are in mlx-lm-lora's DPO/ORPO format: `prompt` (the user message the reply answers),
`chosen`, `rejected`, `system` when format.system_prompts sets one for the kind, and
`history`: the turns before that user message (empty for a single exchange), which the train
stage puts in context and mlx-lm-lora's own loader ignores. Rendered like the SFT rows
(stages/dataset/render.py), so thinking and state appear the same way. Used by the format
stage.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from stages.dataset.render import render_turns

SOURCES = ("edit", "rejected", "negative")


def pair_rows(
    chosen: dict[str, Any],
    rejected: dict[str, Any],
    source: str,
    p: dict[str, Any],
    native_reasoning: bool,
    specials: list[str],
) -> list[dict[str, Any]]:
    """One row per assistant turn where the two replies differ after the same context."""
    mine = render_turns(chosen, p, native_reasoning, specials)
    theirs = render_turns(rejected, p, native_reasoning, specials)
    system = [m["content"] for m in mine[:1] if m["role"] == "system"]
    rows = []
    for i, m in enumerate(mine):
        if m["role"] != "assistant" or i >= len(theirs) or theirs[i]["role"] != "assistant":
            continue
        if m["content"] == theirs[i]["content"]:
            continue
        # an edit is judged in the edited conversation; other pairs need the same context
        if source != "edit" and mine[:i] != theirs[:i]:
            continue
        if i == 0 or mine[i - 1]["role"] != "user":
            continue
        history = [t for t in mine[: i - 1] if t["role"] != "system"]
        row = {
            "id": f"{chosen['id']}>{rejected['id']}#{i}",
            "prompt": mine[i - 1]["content"],
            "chosen": m["content"],
            "rejected": theirs[i]["content"],
            "history": history,
            "meta": {
                "source": source,
                "chosen_id": chosen["id"],
                "rejected_id": rejected["id"],
                "passage_id": chosen["passage_id"],
                "kind": chosen["kind"],
                "template": chosen["template"],
                "turn": sum(1 for t in mine[: i + 1] if t["role"] == "assistant"),
                "rejected_note": rejected["review"].get("note") or "",
            },
        }
        if system:
            row["system"] = system[0]
        rows.append(row)
    return rows


def rewritten(example: dict[str, Any], negative: dict[str, Any]) -> dict[str, Any]:
    """The example with the negative's turn in its place, as a rejected example."""
    turns = [dict(t) for t in example["turns"]]
    turns[negative["turn"]]["content"] = negative["content"]
    note = f"{negative['style']} rewrite by the teacher ({negative['request_key']})"
    return example | {"id": negative["id"], "turns": turns, "review": {"note": note}}


def preference_pairs(
    kept: list[dict[str, Any]],
    rejected: list[dict[str, Any]],
    p: dict[str, Any],
    native_reasoning: bool,
    specials: list[str],
    negatives: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], Counter]:
    """Pairs from the examples the SFT data keeps (`kept`), those a person rejected and the
    teacher's deliberate negatives of kept examples, sorted by id, and their count by source."""
    by_id = {e["id"]: e for e in rejected}
    by_prompt: dict[str, list[dict]] = {}
    for e in kept:
        by_prompt.setdefault(e["lineage"]["prompt_id"], []).append(e)
    replaced = {e["lineage"].get("edited_from") for e in kept} - {None}
    rows: list[dict[str, Any]] = []
    for e in kept:
        original = by_id.get(e["lineage"].get("edited_from") or "")
        if original is not None:
            rows += pair_rows(e, original, "edit", p, native_reasoning, specials)
    for r in rejected:
        if r["id"] in replaced or r["review"].get("decision") != "reject":
            continue  # an edit's original is paired with its edit above
        for e in by_prompt.get(r["lineage"]["prompt_id"], []):
            if e["kind"] == r["kind"]:
                rows += pair_rows(e, r, "rejected", p, native_reasoning, specials)
    by_kept = {e["id"]: e for e in kept}
    for n in negatives or []:
        if (e := by_kept.get(n["example_id"])) is not None:
            rows += pair_rows(e, rewritten(e, n), "negative", p, native_reasoning, specials)
    rows.sort(key=lambda row: row["id"])
    return rows, Counter(row["meta"]["source"] for row in rows)
