"""stale: fail when `dvc status` finds outputs out of date (the pre-commit hook).

python -m stages stale
"""

from __future__ import annotations

import json
import subprocess
import sys


def stale() -> int:
    proc = subprocess.run(
        [sys.executable, "-m", "dvc", "status", "--json"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    status = json.loads(proc.stdout or "{}")
    if status:
        print(
            "outputs are out of date for: " + ", ".join(sorted(status)) + "\nrun `dvc repro` "
            "and commit dvc.lock with your change (or SKIP=dvc-status git commit ... for a "
            "work-in-progress commit)",
            file=sys.stderr,
        )
        return 1
    return 0
