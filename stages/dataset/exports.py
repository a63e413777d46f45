"""The dataset in other trainers' formats: one small function per format, one table of them.

Alpaca (instruction, output, history) and ShareGPT (conversations of human / gpt turns),
each row keeping its id. Used by the format stage.
"""

from __future__ import annotations

from collections.abc import Callable


def alpaca(row: dict) -> dict:
    msgs = [m for m in row["messages"] if m["role"] != "system"]
    system = next((m["content"] for m in row["messages"] if m["role"] == "system"), "")
    pairs = [(msgs[i]["content"], msgs[i + 1]["content"]) for i in range(0, len(msgs) - 1, 2)]
    return {
        "id": row["id"],
        "instruction": pairs[-1][0],
        "input": "",
        "output": pairs[-1][1],
        "system": system,
        "history": [list(p) for p in pairs[:-1]],
    }


def sharegpt(row: dict) -> dict:
    names = {"system": "system", "user": "human", "assistant": "gpt"}
    return {
        "id": row["id"],
        "conversations": [
            {"from": names[m["role"]], "value": m["content"]} for m in row["messages"]
        ],
    }


EXPORTS: dict[str, Callable[[dict], dict]] = {"alpaca": alpaca, "sharegpt": sharegpt}
