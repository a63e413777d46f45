"""The dataset in other trainers' formats: one small function per format, one table of them.

Each export is made from an example's whole conversation (system prompt and visible thinking
included, the thinking inline as <thinking> ... </thinking> unless `format.thinking: drop`):
- ShareGPT: the whole conversation, one row per example (trainers such as axolotl give loss
  to every `gpt` turn);
- Alpaca: one row per assistant turn (instruction, output, and the earlier turns as history),
  since an Alpaca trainer learns only the output.
Used by the format stage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Messages = list[dict[str, Any]]


def alpaca(example_id: str, messages: Messages) -> list[dict[str, Any]]:
    msgs = [m for m in messages if m["role"] != "system"]
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    pairs = [(msgs[i]["content"], msgs[i + 1]["content"]) for i in range(0, len(msgs) - 1, 2)]
    return [
        {
            "id": f"{example_id}#{n + 1}",
            "instruction": instruction,
            "input": "",
            "output": output,
            "system": system,
            "history": [list(p) for p in pairs[:n]],
        }
        for n, (instruction, output) in enumerate(pairs)
    ]


def sharegpt(example_id: str, messages: Messages) -> list[dict[str, Any]]:
    names = {"system": "system", "user": "human", "assistant": "gpt"}
    turns = [{"from": names[m["role"]], "value": m["content"]} for m in messages]
    return [{"id": example_id, "conversations": turns}]


EXPORTS: dict[str, Callable[[str, Messages], list[dict[str, Any]]]] = {
    "alpaca": alpaca,
    "sharegpt": sharegpt,
}
