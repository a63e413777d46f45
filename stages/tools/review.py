"""review: an interactive terminal reviewer whose every decision is versioned data.

    python -m stages review [--reviewer NAME] [--status unreviewed|pending|accepted|rejected|all]
                            [--flag CHECK] [--template NAME] [--passage TEXT]

Shows the source passage beside the example (stacked on narrow terminals), its kind,
template and automated flags, and progress. Keys:

    a accept    r reject (asks for a reason)    e edit in $EDITOR    s skip
    u undo the last decision of this session    q quit

Every decision is written at once, atomically, to the git-tracked decisions file (canonical:
one per line, sorted by example id), so a crash or Ctrl-C loses nothing and the next start
resumes at the next example without a decision. An edit is stored as a decision carrying
the corrected turns; review_merge turns it into a new example with `edited_from`.
Reads data/reviewed/*.jsonl (run `dvc repro review_merge` first, and again afterwards).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError, read_jsonl
from stages.dataset.decisions import read_decisions, write_decisions
from stages.dataset.templates import check_turns

HELP = "[a]ccept  [r]eject  [e]dit  [s]kip  [u]ndo  [q]uit"


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
        else:
            decisions[key] = previous
        write_decisions(self.path, decisions)
        self.index = index
        return key

    def validate_edit(self, turns: list[dict]) -> str | None:
        ex = self.current
        template = self.templates.get(ex["template"]) if ex else None
        if template is None:
            return "the example's template is gone"
        return check_turns(turns, template)


# ------------------------------------------------------------------ terminal
def read_key() -> str:
    """One key press, without Enter (falls back to a line on non-terminals)."""
    if not sys.stdin.isatty():
        return (sys.stdin.readline() or "q").strip()[:1]
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        ch = sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    if ch == "\x03":
        raise KeyboardInterrupt
    return ch


def wrap(text: str, width: int) -> list[str]:
    out = []
    for para in text.split("\n"):
        out += textwrap.wrap(para, width) or [""]
    return out


def render(s: Session, width: int) -> str:
    ex = s.current
    assert ex is not None
    p = s.passages.get(ex["passage_id"], {})
    done = s.index
    head = (
        f"example {done + 1} of {len(s.queue)}   {ex['id']}   kind {ex['kind']}   "
        f"template {ex['template']}   status {ex['review']['status']}"
    )
    left = [
        f"PASSAGE: {p.get('title', '?')} ({p.get('doc', '?')} p. {p.get('page_start', '?')})",
        f"feeling: {p.get('phenomenology', '')}",
        "",
    ] + [p.get("text", "")]
    right = []
    for t in ex["turns"]:
        if t.get("thinking"):
            right += [f"[{t['role']} thinking]", t["thinking"]]
        right += [f"[{t['role']}]", t["content"], ""]
    flags = [f"{f['severity'].upper():7} {f['check']}: {f['message']}" for f in ex["flags"]] or [
        "no flags"
    ]
    if width >= 110:
        col = (width - 3) // 2
        lw = [ln for part in left for ln in wrap(part, col)]
        rw = [ln for part in right for ln in wrap(part, col)]
        body = [
            f"{a:<{col}} | {b}"
            for a, b in zip(
                lw + [""] * (len(rw) - len(lw)), rw + [""] * (len(lw) - len(rw)), strict=True
            )
        ]
    else:
        body = [ln for part in left + ["-" * min(width, 60)] + right for ln in wrap(part, width)]
    return "\n".join(
        [
            head,
            "=" * min(width, len(head)),
            *body,
            "",
            "FLAGS:",
            *[ln for f in flags for ln in wrap(f, width)],
            "",
            HELP,
        ]
    )


def edit_in_editor(text: str) -> str:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as fh:
        fh.write(text)
        path = fh.name
    try:
        subprocess.run([*editor.split(), path], check=False)
        return Path(path).read_text(encoding="utf-8")
    finally:
        Path(path).unlink(missing_ok=True)


def run(
    s: Session,
    key: Callable[[], str] = read_key,
    line: Callable[[str], str] = input,
    out=sys.stdout,
    editor: Callable[[str], str] = edit_in_editor,
) -> int:
    message = ""
    while s.current is not None:
        width = shutil.get_terminal_size((100, 40)).columns
        out.write("\x1b[2J\x1b[H" + render(s, width) + ("\n" + message if message else "") + "\n")
        out.flush()
        message = ""
        k = key().lower()
        if k == "a":
            s.decide("accept")
        elif k == "r":
            reason = line("reason for rejecting: ").strip()
            s.decide("reject", note=reason or None)
        elif k == "s":
            s.skip()
        elif k == "u":
            undone = s.undo()
            message = f"undid the decision for {undone}" if undone else "nothing to undo"
        elif k == "e":
            text = editor(to_text(s.current))
            if not text.strip():
                message = "edit cancelled"
                continue
            try:
                turns = from_text(text)
            except ValueError as exc:
                message = f"edit not saved: {exc}"
                continue
            problem = s.validate_edit(turns)
            if problem:
                message = f"edit not saved: {problem}"
                continue
            s.decide("edit", turns=turns)
        elif k == "q":
            break
        else:
            message = f"unknown key {k!r}: {HELP}"
    reviewed = len([h for h in s.history])
    out.write(
        f"\n{reviewed} decision(s) this session; {len(s.queue) - s.index} left in the queue. "
        f"Run `dvc repro` to apply them.\n"
    )
    return 0


def main(args: Any) -> int:
    from stages.core.params import load_params
    from stages.dataset.templates import load_templates

    params = load_params("review_merge")
    rows = []
    for name in ("accepted", "rejected", "pending"):
        path = Path(f"data/reviewed/{name}.jsonl")
        if not path.exists():
            raise DataError(f"{path}: not found; run `dvc repro review_merge` first")
        rows += read_jsonl(path)
    rows = [r for r in rows if not r["lineage"].get("edited_from")]  # review the originals
    passages = {p["id"]: p for p in read_jsonl("data/curated/passages.jsonl")}
    reviewer = args.reviewer or os.environ.get("USER") or "reviewer"
    session = Session(
        rows,
        passages,
        load_templates(params["templates_dir"]),
        Path(params["decisions"]),
        reviewer,
        args.status,
        args.flag,
        args.template,
        args.passage,
    )
    if not session.queue:
        print("nothing to review with these filters")
        return 0
    return run(session)
