"""Progress and messages on stderr, prefixed with the stage name; the run log of telemetry."""

from __future__ import annotations

import errno
import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def say(stage: str, message: str) -> None:
    print(f"[{stage}] {message}", file=sys.stderr, flush=True)


class _Lines:
    """tqdm's output for a log: each redraw becomes one line instead of a carriage return."""

    def write(self, text: str) -> None:
        # no carriage returns or cursor moves (tqdm moves up to redraw nested bars)
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text.replace("\r", "")).strip()
        if text:
            sys.stderr.write(text + "\n")

    def flush(self) -> None:
        sys.stderr.flush()


class Progress:
    """`done/total`, rate and ETA for long loops: the one progress display (tqdm, as lm-eval and
    datasets use too), on stderr, labelled with the stage. In a terminal it redraws in place;
    in a log (dvc repro's output, CI) it prints a line at most every `every` seconds."""

    def __init__(
        self, stage: str, total: int, what: str, every: float = 5.0, initial: int = 0
    ) -> None:
        from tqdm import tqdm

        tty = sys.stderr.isatty()
        self.bar = tqdm(
            total=total,
            initial=initial,
            desc=f"[{stage}] {what}",
            file=sys.stderr if tty else _Lines(),
            mininterval=0.2 if tty else every,
            maxinterval=every if tty else 10 * every,
            ascii=not tty,
            dynamic_ncols=tty,
            ncols=None if tty else 100,
            leave=True,
        )

    @property
    def done(self) -> int:
        return self.bar.n

    def step(self, n: int = 1, extra: str = "") -> None:
        if extra:
            self.bar.set_postfix_str(extra, refresh=False)
        self.bar.update(n)
        if self.bar.n >= (self.bar.total or 0):
            self.bar.close()


def run_main(stage: str, main: Callable[[], int]) -> None:
    """Run a stage's main(): bad input ends in one clear line and exit status 1, no traceback.
    First the leftovers of an earlier run that was killed mid-write go (temporary files of
    atomic writes under data/ whose writer is dead), so no output folder keeps one."""
    from stages.core.jsonl import DataError, sweep_partial

    if swept := sweep_partial("data"):
        say(stage, f"removed {swept} partial file(s) a killed earlier run left under data/")
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
