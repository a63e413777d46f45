"""fuse: the trained adapter fused into the base model (models/fused/), on request.

    python -m stages fuse [--out models/fused] [--keep-quantized]

mlx-lm's own fuse, with the adapter's training metadata (training.json) copied alongside.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from stages.core.params import load_params


def fuse(out: str, keep_quantized: bool) -> int:
    base = load_params("model")["base"]
    cmd = [sys.executable, "-m", "mlx_lm", "fuse", "--model", base]
    cmd += ["--adapter-path", "models/adapter", "--save-path", out]
    if not keep_quantized:
        cmd.append("--dequantize")  # the adapter was trained against float weights on CPU
    code = subprocess.run(cmd, check=False).returncode
    if code == 0:
        shutil.copy2("models/adapter/training.json", Path(out) / "training.json")
        print(f"fused model in {out}/ (lineage in {out}/training.json)")
    return code
