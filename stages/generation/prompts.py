"""What is sent to the teacher, and the first cleanup of what comes back.

Whole mode: the teacher writes a whole example as JSON by the template's output contract;
the system part (rules, template, contract) is the same for every passage of a template, so
the Anthropic provider marks it for prompt caching. Turn mode: the model writes one plain
text turn at a time, with the conversation so far, a brief about the passage and a prefill.
"""

from __future__ import annotations

import json
import re
from typing import Any

from stages.generation.config import GenerationConfig
from stages.teacher.types import Request

SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*(?=\s|$)")
# where a local model's turn ends: chat-template markers, or the model starting the next role
STOP_SEQUENCES = (
    "<|im_end|>",
    "<|im_start|>",
    "<|endoftext|>",
    "\nUser:",
    "\nuser:",
    "\nAssistant:",
)


def fence(text: str, tag: str) -> str:
    """Wrap untrusted text in <tag> markers it cannot close early."""
    clean = re.sub(rf"</?\s*{tag}\s*>", "", text, flags=re.IGNORECASE)
    return f"<{tag}>\n{clean}\n</{tag}>"


def output_contract(t: dict) -> str:
    fields = '"thinking": "...", "content": "..."' if t["thinking"] else '"content": "..."'
    return (
        "Output contract: reply with exactly one JSON object and nothing else:\n"
        '{"turns": [{"role": "user", "content": "..."}, '
        f'{{"role": "assistant", {fields}}}, ...]}}\n'
        f"- {t['messages']['min']}-{t['messages']['max']} messages, alternating user and "
        "assistant, starting with the user and ending with the assistant.\n"
        + (
            '- Every assistant message has "thinking" (its private inner process, first person) '
            'and "content" (what it says).\n'
            if t["thinking"]
            else '- Assistant messages have no "thinking" field.\n'
        )
    )


def turns_schema(template: dict[str, Any]) -> str:
    """The output contract as a JSON schema (canonical text), for teachers that enforce one.
    Counts and alternation are checked after (dataset.templates.check_turns): structured
    output schemas do not express them."""
    assistant: dict[str, Any] = {"type": "string"}
    turn = {
        "type": "object",
        "properties": {
            "role": {"type": "string", "enum": ["user", "assistant"]},
            "content": {"type": "string"},
        },
        "required": ["role", "content"],
        "additionalProperties": False,
    }
    if template["thinking"]:
        turn["properties"]["thinking"] = assistant
    schema = {
        "type": "object",
        "properties": {"turns": {"type": "array", "items": turn}},
        "required": ["turns"],
        "additionalProperties": False,
    }
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def whole_request(
    config: GenerationConfig,
    template: dict[str, Any],
    passage: dict[str, Any],
    sample: int,
    max_tokens: int,
    repair: tuple[str, str] | None = None,
) -> Request:
    """The request for a whole example; `repair` is (the invalid answer, what is wrong)."""
    shots = "".join(
        f"\nAn example of the output wanted (written for a different passage):\n"
        f"{json.dumps({'turns': g['turns']}, ensure_ascii=False)}\n"
        for g in config.gold.get(template["name"], [])
        if g.get("passage") != passage["title"]
    )
    system = (
        f"{config.system}\n\nTemplate: {template['title']}\n\n"
        f"{template['instructions'].strip()}\n\n{output_contract(template)}"
    )
    user = (
        f"Core phenomenology: {passage['phenomenology']}\n\n"
        f"The passage (carry its texture into a new situation; do not retell it or name "
        f"its source):\n{fence(passage['text'], 'passage')}\n{shots}\n"
        "Reply with the JSON object only."
    )
    messages: tuple[tuple[str, str], ...] = (("user", user),)
    if repair:
        raw, problem = repair
        messages += (
            ("assistant", raw),
            (
                "user",
                f"That reply does not follow the output contract: {problem}. "
                "Reply again with only the corrected JSON object.",
            ),
        )
    schema = turns_schema(template) if config.structured else ""
    return Request(system, messages, max_tokens, sample=sample, output_schema=schema)


def turn_request(
    config: GenerationConfig,
    template: dict[str, Any],
    passage: dict[str, Any],
    sample: int,
    step: tuple[str, int],
    script: list[str],
    replies: list[str],
    thought: str | None,
) -> Request:
    """The request for one step of a turn-by-turn example: ("thinking" or "reply", turn i),
    with the user lines of the `script`, the assistant's `replies` so far and, for a reply,
    the `thought` written for it."""
    local = template["local"]
    what, i = step
    brief = (
        f"The feeling: {passage['phenomenology']}.\n"
        f"A passage with this feeling, for its texture only (do not retell it, do not "
        f"name anyone in it):\n{fence(passage['text'], 'passage')}"
    )
    messages: list[tuple[str, str]] = []
    for j in range(i):  # the conversation so far, as the model would see it
        messages.append(("user", script[j]))
        messages.append(("assistant", replies[j]))
    if what == "thinking":
        says = f'The person says: "{script[i]}"'
        ask = f"{local['thinking']['instruction']}\n\n{brief}\n\n{says}"
        prefill, max_tokens = local["thinking"]["prefill"], local["thinking"]["max_tokens"]
    else:
        reply = local["reply"]
        if i == len(script) - 1 and i > 0 and local.get("last_reply"):
            reply += " " + local["last_reply"]  # a later turn that must look back
        ask = f'{reply}\n\n{brief}\n\nThe person says: "{script[i]}"'
        if thought:
            ask += f"\n\nYour private thoughts before answering: {thought}"
        prefill, max_tokens = local["prefill"], local["max_tokens"]
    messages.append(("user", ask))
    if config.max_turn_tokens:  # a shorter cap for quick runs; part of the request key
        max_tokens = min(max_tokens, config.max_turn_tokens)
    return Request(
        config.local_system, tuple(messages), max_tokens, prefill, STOP_SEQUENCES, sample=sample
    )


def tidy(text: str, truncated: bool) -> tuple[str, list[str]]:
    """Plain-text turn cleanup: whitespace, and a length-cut answer trimmed to its last sentence."""
    notes = []
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if truncated:
        ends = list(SENTENCE_END.finditer(text))
        if ends:
            text = text[: ends[-1].end()]
            notes.append("trimmed to the last full sentence (max_tokens reached)")
        else:
            notes.append("truncated: no full sentence")
    return text, notes


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in an answer: at its first brace or at the first brace of a fenced
    block, with any preamble before it and any note after it ignored. (Never an object
    nested inside a broken one: a truncated answer is reported as invalid JSON.)"""
    body = text.strip()
    starts = [body.find("{")] + [body.find("{", m.end()) for m in re.finditer(r"```", body)]
    starts = sorted({at for at in starts if at >= 0})
    if not starts:
        raise ValueError("no JSON object in the answer")
    decoder = json.JSONDecoder()
    first_error: json.JSONDecodeError | None = None
    for at in starts:
        try:
            return decoder.raw_decode(body, at)[0]  # starts at a brace: always an object
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise ValueError(
        f"invalid JSON ({first_error.msg} at line {first_error.lineno} column {first_error.colno})"
    )
