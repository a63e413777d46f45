"""Near-duplicate examples: MinHash over word 5-grams with LSH banding, stable on any machine.

Used by review_merge (flag the later of two near-copies) and format (drop it from the
dataset); human examples are kept over teacher ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from stages.quality import lexicon as lx
from stages.quality.text import assistant_text, ngrams

PERMUTATIONS, BANDS = 64, 16


def minhash(text: str) -> tuple[int, ...]:
    """64 min-hashes over word 5-gram shingles (seeded sha1, stable across runs and machines)."""
    shingles = ngrams(text, 5) or {tuple(lx.words(text))}
    keys = [
        int.from_bytes(hashlib.sha1(" ".join(s).encode()).digest()[:8], "big") for s in shingles
    ]
    out = []
    for i in range(PERMUTATIONS):
        a, b = 2 * i + 1, (i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        out.append(min(((a * k + b) & 0xFFFFFFFFFFFFFFFF) for k in keys))
    return tuple(out)


def near_duplicates(
    examples: Iterable[dict[str, Any]], threshold: float
) -> dict[str, tuple[str, float]]:
    """example id -> (id of an earlier near-duplicate, estimated Jaccard), via MinHash LSH."""
    items = sorted(examples, key=lambda e: (e["author"] != "human", e["id"]))  # keep human ones
    sigs = {e["id"]: minhash(assistant_text(e)) for e in items}
    rows = PERMUTATIONS // BANDS
    buckets: dict[tuple, list[str]] = {}
    dup: dict[str, tuple[str, float]] = {}
    for e in items:
        sig = sigs[e["id"]]
        seen: set[str] = set()
        for band in range(BANDS):
            key = (band, sig[band * rows : (band + 1) * rows])
            seen.update(buckets.get(key, []))
            buckets.setdefault(key, []).append(e["id"])
        best = max(
            (
                (o, sum(x == y for x, y in zip(sig, sigs[o], strict=True)) / PERMUTATIONS)
                for o in seen
                if o not in dup
            ),
            key=lambda t: (t[1], t[0]),
            default=None,
        )
        if best and best[1] >= threshold:
            dup[e["id"]] = best
    return dup
