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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError, read_jsonl
from stages.dataset.review_queue import Session, from_text, to_text

HELP = "[a]ccept  [r]eject  [e]dit  [s]kip  [u]ndo  [q]uit"


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
        f"template {ex['template']}   status {ex['review']['status']}   ({s.pace()})"
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
    out.write(
        f"\n{len(s.history)} decision(s) this session; {len(s.queue) - s.index} left in this "
        f"queue; {s.pace()}. Run `dvc repro` to apply them.\n"
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
