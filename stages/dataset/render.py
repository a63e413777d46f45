"""Examples -> chat rows for training: the messages a trainer sees, with the example's lineage.

Thinking is rendered inline as <thinking> ... </thinking> before the reply, as the model's
native reasoning field, or dropped (`format.thinking`); a field's text can never open or
close those tags or become a special token.

Every assistant turn must carry loss and no user turn may. mlx-lm's chat dataset with
`mask_prompt` trains only the last message of a row (its offset is the length of
`messages[:-1]`), so with `format.multiturn: expand` (the default) a conversation becomes one
row per assistant turn, each ending at that turn: every turn is trained once, with the turns
before it as context. `all` keeps the conversation in one row, which trains only its last
turn. Used by the format stage.
"""

from __future__ import annotations

import re
from typing import Any

from stages.core.jsonl import DataError
from stages.model.runtime import neutralize

TAG = re.compile(r"</?\s*thinking\s*>", re.IGNORECASE)


def render_turns(
    ex: dict[str, Any], p: dict[str, Any], native_reasoning: bool, specials: list[str] = ()
) -> list[dict]:
    messages = []
    system = (p["system_prompts"] or {}).get(ex["kind"])
    if system:
        messages.append({"role": "system", "content": system})
    for t in ex["turns"]:
        # a field can never open or close the <thinking> tags, nor turn into a special token
        content = neutralize(TAG.sub("", t["content"]).strip(), specials)
        msg: dict[str, Any] = {"role": t["role"], "content": content}
        if t.get("state") and p["state"] == "inline":
            state = ", ".join(f"{k}: {v}" for k, v in sorted(t["state"].items()))
            msg["content"] = f"[state: {state}]\n{content}"
        thinking = neutralize(TAG.sub("", t.get("thinking", "")).strip(), specials)
        if thinking and p["thinking"] == "inline":
            msg["content"] = f"<thinking>\n{thinking}\n</thinking>\n\n{msg['content']}"
        elif thinking and p["thinking"] == "reasoning":
            if not native_reasoning:
                raise DataError(
                    "format.thinking is 'reasoning' but the base model's chat template "
                    "has no reasoning field; use 'inline' or 'drop'"
                )
            msg["reasoning_content"] = thinking
        messages.append(msg)
    return messages


def rows_for(
    ex: dict[str, Any], p: dict[str, Any], native_reasoning: bool, specials: list[str]
) -> list[dict[str, Any]]:
    """The training rows of one example (one per assistant turn with `expand`)."""
    messages = render_turns(ex, p, native_reasoning, specials)
    meta = {
        "kind": ex["kind"],
        "template": ex["template"],
        "template_version": ex["template_version"],
        "author": ex["author"],
        "passage_id": ex["passage_id"],
        "doc_id": ex["doc_id"],
        "doc": ex["doc"],
        "pages": [ex["page_start"], ex["page_end"]],
        "prompt_id": ex["lineage"]["prompt_id"],
        "request_keys": ex["lineage"]["request_keys"],
        "teacher": ex["lineage"]["teacher"],
        "review": ex["review"]["decision"] or ("auto" if ex["review"].get("auto") else None),
    }
    if p["state"] == "metadata":
        meta["states"] = [t.get("state") for t in ex["turns"] if t["role"] == "assistant"]
    if p["multiturn"] == "expand":
        ends = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
        return [
            {
                "id": f"{ex['id']}#{n + 1}",
                "example_id": ex["id"],
                "messages": messages[: e + 1],
                "meta": meta | {"turn": n + 1, "turns": len(ends)},
            }
            for n, e in enumerate(ends)
        ]
    return [{"id": ex["id"], "example_id": ex["id"], "messages": messages, "meta": meta}]


def export_messages(
    ex: dict[str, Any], p: dict[str, Any], specials: list[str]
) -> list[dict[str, Any]]:
    """The whole conversation for other trainers' formats: thinking inline, never dropped
    silently (only `format.thinking: drop` drops it)."""
    thinking = "drop" if p["thinking"] == "drop" else "inline"
    return render_turns(ex, p | {"thinking": thinking}, False, specials)
