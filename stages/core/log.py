"""Progress and messages on stderr, prefixed with the stage name."""

from __future__ import annotations

import errno
import sys
import time
from collections.abc import Callable

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
