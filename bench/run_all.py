"""Every benchmark, one after the other, each printing its figures side by side.

    python3 bootstrap.py bench          (or .venv/bin/python bench/run_all.py)

Needs the sample built once (`dvc repro`) for the training, evaluation and no-op figures.
None of these is a test: the figures depend on the machine (its core count is printed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = [
    ("extraction speed", ["bench/extract_speed.py"]),
    ("extraction quality", ["bench/extract_quality.py"]),
    ("teacher throughput and cached re-run", ["bench/generate_throughput.py"]),
    ("local batched generation", ["bench/local_generation.py"]),
    ("training speed and memory", ["bench/train_speed.py"]),
    ("evaluation speed", ["bench/eval_speed.py"]),
]


def noop_repro() -> str:
    dvc = str(Path(sys.executable).with_name("dvc"))
    status = subprocess.run([dvc, "status", "--json"], cwd=ROOT, capture_output=True, text=True)
    if status.stdout.strip() not in ("{}", ""):
        return "no-op dvc repro: not measured (the pipeline is not up to date: run dvc repro)"
    start = time.perf_counter()
    subprocess.run([dvc, "repro"], cwd=ROOT, capture_output=True, check=True)
    return f"no-op dvc repro (everything up to date): {time.perf_counter() - start:.1f} s"


def main() -> int:
    print(f"machine: {os.cpu_count()} cores, {sys.platform}\n")
    failed = 0
    for title, cmd in BENCHES:
        print(f"== {title}")
        proc = subprocess.run([sys.executable, *cmd], cwd=ROOT, text=True, capture_output=True)
        print(proc.stdout.strip() or proc.stderr.strip()[-1500:])
        failed += proc.returncode != 0
        print()
    print("== no-op rebuild")
    print(noop_repro())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
