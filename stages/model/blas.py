"""Put a fast BLAS under MLX on Linux CPU, before `mlx.core` is imported.

The MLX CPU wheel for Linux links a reference BLAS (about 5 GFLOP/s for a 1024x1024
float32 matmul here). Loading an OpenBLAS with RTLD_GLOBAL before the first
`import mlx.core` makes MLX's `cblas_*` calls resolve to it instead (about 400 GFLOP/s
with the pinned `cmeel-openblas` wheel on 2 cores), which makes CPU training and
generation 10-20x faster.

The PyPI OpenBLAS needs `libgfortran.so.5`. When the system has none, the MLX wheel's
own (renamed) copy serves, found through LD_LIBRARY_PATH; the dynamic loader reads that
variable only at process start, so the process re-executes itself once with it set.

On macOS MLX uses Accelerate/Metal and nothing is done here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys
import sysconfig
import tempfile
from pathlib import Path

_REEXEC_FLAG = "INNERLIFE_BLAS_REEXEC"
_OVERRIDE = "INNERLIFE_BLAS"  # a path to a BLAS library, or "reference" to keep MLX's own

_state: dict[str, str] = {}


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def _cmeel_openblas() -> Path | None:
    hits = sorted(glob.glob(str(_site_packages() / "cmeel.prefix/lib/libopenblas.so.0")))
    return Path(hits[0]) if hits else None


def _system_openblas() -> list[str]:
    """Debian/Ubuntu and Fedora locations, then whatever ldconfig knows."""
    paths = sorted(glob.glob("/usr/lib/*/openblas-pthread/libopenblas.so.0"))
    paths += sorted(glob.glob("/usr/lib*/libopenblas*.so.0"))
    found = ctypes.util.find_library("openblas")
    if found:
        paths.append(found)
    return paths


def _mlx_libs_dir() -> Path | None:
    d = _site_packages() / "mlx_cpu.libs"
    return d if d.is_dir() else None


def _try_load(path: str) -> str | None:
    """Load `path` globally; return None on success, else the loader's message."""
    try:
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        return None
    except OSError as exc:
        return str(exc)


def _reexec_with_gfortran_shim() -> None:
    """Re-run this process with the MLX wheel's libgfortran visible as libgfortran.so.5."""
    libs = _mlx_libs_dir()
    gfortran = sorted(glob.glob(str(libs / "libgfortran-*.so*"))) if libs else []
    if not gfortran or os.environ.get(_REEXEC_FLAG):
        return
    shim = Path(tempfile.gettempdir()) / f"innerlife-blas-{os.getuid()}"
    shim.mkdir(exist_ok=True)
    link = shim / "libgfortran.so.5"
    if not link.exists():
        tmp = shim / f".link-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(gfortran[0])
        os.replace(tmp, link)
    env = dict(os.environ)
    env[_REEXEC_FLAG] = "1"
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in (str(shim), str(libs), os.environ.get("LD_LIBRARY_PATH", "")) if p
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, sys.orig_argv, env)


def use_fast_blas(reexec: bool = True) -> str:
    """Load the fastest BLAS available for MLX on Linux CPU and return a description.

    Call before the first `import mlx.core`. `reexec=False` (tests, notebooks) never
    restarts the process and falls back to what can be loaded in place.
    """
    if "blas" in _state:
        return _state["blas"]
    if sys.platform != "linux":
        return _remember("platform default (Accelerate/Metal)")
    if "mlx.core" in sys.modules:
        return _remember("unchanged: mlx.core was imported before use_fast_blas()")
    override = os.environ.get(_OVERRIDE, "")
    if override == "reference":
        return _remember("reference BLAS (MLX wheel; INNERLIFE_BLAS=reference)")
    if override:
        err = _try_load(override)
        if err:
            raise SystemExit(f"INNERLIFE_BLAS={override} could not be loaded: {err}")
        return _remember(f"OpenBLAS from INNERLIFE_BLAS ({override})", override)

    cmeel = _cmeel_openblas()
    if cmeel is not None:
        err = _try_load(str(cmeel))
        if err is None:
            return _remember(f"OpenBLAS from PyPI cmeel-openblas ({cmeel})", str(cmeel))
        if "libgfortran" in err and reexec:
            _reexec_with_gfortran_shim()  # does not return when it can help
    for path in _system_openblas():
        if _try_load(path) is None:
            return _remember(f"OpenBLAS from the system ({path})", path)
    return _remember(
        "reference BLAS (slow: about 20x slower training and generation). "
        "Install cmeel-openblas from requirements.lock, or as root: "
        "apt-get install libopenblas0-pthread"
    )


def _remember(description: str, path: str = "") -> str:
    _state["blas"], _state["path"] = description, path
    return description


def child_env() -> dict[str, str]:
    """Environment variables that give a child process running MLX without our code (the
    `mlx_lm` command itself) the BLAS this process loaded: preloaded, with the libraries it
    needs on the loader's path (set by the restart in use_fast_blas, when there was one)."""
    use_fast_blas()
    if not _state.get("path"):
        return {}
    return {"LD_PRELOAD": _state["path"], "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH", "")}


if __name__ == "__main__":
    # `python -m stages.model.blas` prints which BLAS a stage would get, and a matmul speed.
    import time

    desc = use_fast_blas()
    import mlx.core as mx

    a = mx.random.normal((1024, 1024))
    mx.eval(a @ a)
    start = time.perf_counter()
    for _ in range(10):
        mx.eval(a @ a)
    gflops = 10 * 2 * 1024**3 / (time.perf_counter() - start) / 1e9
    print(f"{desc}\nmatmul 1024x1024 float32: {gflops:.1f} GFLOP/s")
