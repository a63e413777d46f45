"""Evaluation speed: probes answered per second by the lm-eval tasks through our model class.

python bench/eval_speed.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    os.chdir(ROOT)
    from stages.model.blas import use_fast_blas

    use_fast_blas()
    from stages.core.params import load_params, load_yaml
    from stages.evaluation.harness import run_tasks
    from stages.model.lm_eval_model import MLXLM

    p = load_params("evaluate")
    probes = load_yaml(p["probes"])
    lm = MLXLM(load_params("model")["base"], batch_size=p["batch_size"], stage="bench")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        samples, ppl = run_tasks(lm, probes, p, Path(tmp))
    wall = time.perf_counter() - start
    turns = sum(len(q["turns"]) for q in probes)
    print(
        f"evaluation, base model, {len(probes)} probes ({turns} answers of up to "
        f"{p['max_tokens']} tokens) + {len(ppl)} perplexity rows, {os.cpu_count()} cores: "
        f"{wall:.1f} s = {len(probes) / wall:.2f} probes/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
