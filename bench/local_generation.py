"""Local teacher generation: aggregate tokens/s of batched against one-at-a-time decoding.

    python bench/local_generation.py [--prompts 16] [--tokens 64]

Same prompts, same model (models/base, float32 on the fast BLAS where there is one), greedy;
the figure that matters is the ratio (target: at least 4x).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=64)
    args = ap.parse_args()
    from stages.model.runtime import chat_tokens, generate_batch, load

    model, tok, info = load("models/base", stage="bench")
    prompts = [
        chat_tokens(tok, [{"role": "user", "content": f"Describe a quiet morning, number {i}."}])
        for i in range(args.prompts)
    ]
    rows = []
    for batch in (1, args.prompts):
        start = time.perf_counter()
        outs = generate_batch(
            model,
            tok,
            prompts,
            [args.tokens] * len(prompts),
            list(range(len(prompts))),
            batch_size=batch,
            stage="bench",
        )
        wall = time.perf_counter() - start
        rows.append((batch, sum(o.tokens for o in outs), wall))
    print(
        f"local generation, {args.prompts} prompts x {args.tokens} tokens, {os.cpu_count()} cores, "
        f"BLAS: {info['blas'].split(' (')[0]}"
    )
    for batch, n, wall in rows:
        print(f"  batch {batch:3d}: {n} tokens in {wall:6.1f} s = {n / wall:7.1f} tokens/s")
    print(
        f"  batched / one at a time: {(rows[1][1] / rows[1][2]) / (rows[0][1] / rows[0][2]):.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
