"""Progress and messages on stderr, prefixed with the stage name; the run log of telemetry."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def say(stage: str, message: str) -> None:
    print(f"[{stage}] {message}", file=sys.stderr, flush=True)


class Progress:
    """`done/total`, rate and ETA for long loops, printed at most every `every` seconds."""

    def __init__(self, stage: str, total: int, what: str, every: float = 5.0) -> None:
        self.stage, self.total, self.what, self.every = stage, total, what, every
        self.start = self.last = time.monotonic()
        self.done = 0

    def step(self, n: int = 1, extra: str = "") -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            elapsed = now - self.start
            rate = self.done / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.done) / rate if rate > 0 else float("nan")
            tail = f", {extra}" if extra else ""
            say(
                self.stage,
                f"{self.what}: {self.done}/{self.total} ({rate:.2f}/s, ETA {eta:.0f}s{tail})",
            )


def run_main(stage: str, main: Callable[[], int]) -> None:
    """Run a stage's main(): bad input ends in one clear line and exit status 1, no traceback."""
    from stages.core.jsonl import DataError

    try:
        code = main()
    except DataError as exc:
        say(stage, f"ERROR {exc}")
        code = 1
    except KeyboardInterrupt:
        say(stage, "interrupted: finished work is kept; run again to continue")
        code = 130
    except OSError as exc:
        if exc.errno not in WRITE_ERRORS:
            raise
        say(
            stage,
            f"ERROR cannot write {exc.filename}: {exc.strerror}. Free some space or make "
            "the folder writable, then run again; inputs and earlier outputs are untouched",
        )
        code = 1
    sys.exit(code)


# Run telemetry (wall time, calls made, cache hits, tokens/s, memory) is about one run on one
# machine, not about the data: it goes here, untracked, so that outputs, metrics and dvc.lock
# depend only on the inputs and a rebuild elsewhere is byte-identical.
RUN_LOG = Path("logs/runs.jsonl")


def log_run(stage: str, **figures: Any) -> None:
    """Append one line of this run's telemetry for `stage` to logs/runs.jsonl."""
    row = {
        "stage": stage,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git_state(),
        **figures,
    }
    RUN_LOG.parent.mkdir(parents=True, exist_ok=True)
    with RUN_LOG.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")


def _git_state() -> dict[str, Any]:
    """The commit the run started from, and whether tracked files had changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return {"commit": head, "dirty": bool(status.strip())}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def last_run(stage: str, path: Path = RUN_LOG) -> dict[str, Any] | None:
    """The newest telemetry line for `stage`, or None."""
    if not path.exists():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return next((r for r in reversed(rows) if r.get("stage") == stage), None)
