"""The review queue: which examples a reviewer sees, their decisions, undo, and the pace.

No terminal here (stages/tools/review.py draws it; the tests drive a Session directly).
Every decision is written at once, atomically, to the git-tracked decisions file, so a crash
loses nothing. An edit is stored as a decision carrying the corrected turns (edited as text
with `to_text` / `from_text`); review_merge turns it into a new example with `edited_from`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from stages.dataset.decisions import read_decisions, write_decisions
from stages.dataset.templates import check_turns


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ------------------------------------------------------------------ editable rendering
def to_text(example: dict[str, Any]) -> str:
    lines = [
        "# Edit the text under each header; keep the headers. Lines starting with # are",
        "# ignored. Save and close the editor to record the edit; an empty file cancels.",
        "",
    ]
    for turn in example["turns"]:
        lines.append(f"## {turn['role']}")
        if turn["role"] == "assistant" and "thinking" in turn:
            lines += ["### thinking", turn["thinking"], "### reply"]
        lines += [turn["content"], ""]
    return "\n".join(lines)


def from_text(text: str) -> list[dict[str, str]]:
    turns: list[dict[str, str]] = []
    field = None
    for line in text.splitlines():
        if line.startswith("## ") and line[3:].strip() in ("user", "assistant"):
            turns.append({"role": line[3:].strip(), "content": ""})
            field = "content"
        elif line.startswith("### ") and turns:
            name = line[4:].strip()
            if name not in ("thinking", "reply"):
                raise ValueError(f"unknown header {line!r}")
            field = "thinking" if name == "thinking" else "content"
            turns[-1].setdefault(field, "")
        elif line.startswith("#"):
            continue
        elif turns and field:
            turns[-1][field] = (turns[-1][field] + "\n" + line) if turns[-1][field] else line
    for t in turns:
        for k in list(t):
            if k != "role":
                t[k] = t[k].strip()
    return turns


# ------------------------------------------------------------------ the session
class Session:
    """Queue, decisions and undo; no terminal here (the tests drive it directly)."""

    def __init__(
        self,
        examples: list[dict],
        passages: dict[str, dict],
        templates: dict,
        decisions_path: Path,
        reviewer: str,
        status: str = "unreviewed",
        flag: str | None = None,
        template: str | None = None,
        passage: str | None = None,
    ) -> None:
        self.passages, self.templates = passages, templates
        self.path, self.reviewer = decisions_path, reviewer
        decided = read_decisions(decisions_path)
        self.queue = [
            e
            for e in sorted(examples, key=lambda e: (e["passage_id"], e["template"], e["id"]))
            if (
                status == "all"
                or (status == "unreviewed" and e["id"] not in decided)
                or e["review"]["status"] == status
            )
            and (flag is None or any(f["check"] == flag for f in e["flags"]))
            and (template is None or e["template"] == template)
            and (
                passage is None
                or passage.lower() in passages.get(e["passage_id"], {}).get("title", "").lower()
                or e["passage_id"] == passage
            )
        ]
        self.index = 0
        self.history: list[tuple[str, dict | None, int]] = []  # (example id, previous, index)
        self.clock = time.monotonic
        self.started = self.clock()
        # every teacher example without a decision, whatever the filters: what review owes
        self.unreviewed = {
            e["id"]
            for e in examples
            if e["author"] != "human" and e["id"] not in decided and not e["review"].get("auto")
        }

    @property
    def current(self) -> dict | None:
        return self.queue[self.index] if self.index < len(self.queue) else None

    def decide(self, decision: str, note: str | None = None, turns: list | None = None) -> None:
        ex = self.current
        assert ex is not None
        decisions = read_decisions(self.path)  # re-read: another reviewer may have written
        self.history.append((ex["id"], decisions.get(ex["id"]), self.index))
        row: dict[str, Any] = {
            "example_id": ex["id"],
            "decision": decision,
            "reviewer": self.reviewer,
            "time": now(),
        }
        if note:
            row["note"] = note
        if turns is not None:
            row["turns"] = turns
        decisions[ex["id"]] = row
        write_decisions(self.path, decisions)
        self.unreviewed.discard(ex["id"])
        self.index += 1

    def skip(self) -> None:
        self.index += 1

    def undo(self) -> str | None:
        if not self.history:
            return None
        key, previous, index = self.history.pop()
        decisions = read_decisions(self.path)
        if previous is None:
            decisions.pop(key, None)
            self.unreviewed.add(key)
        else:
            decisions[key] = previous
        write_decisions(self.path, decisions)
        self.index = index
        return key

    def pace(self) -> str:
        """How many examples are left to review, and how long they will take at this
        session's pace (seconds per decision so far)."""
        left = len(self.unreviewed)
        made = len(self.history)
        if not made:
            return f"{left} left to review"
        per = (self.clock() - self.started) / made
        minutes = left * per / 60
        eta = f"~{minutes:.0f} min" if minutes >= 1 else "under a minute"
        return f"{left} left to review, {eta} at your pace ({per:.0f} s each)"

    def validate_edit(self, turns: list[dict]) -> str | None:
        ex = self.current
        template = self.templates.get(ex["template"]) if ex else None
        if template is None:
            return "the example's template is gone"
        return check_turns(turns, template)
