"""Splits by passage, the mix by kind, and the dataset's id.

Splits are by passage (no passage in two splits), chosen by a seeded hash so they are stable
when passages are added. Used by the format stage; `dataset_id` also by train, to tie an
adapter to the data it was trained on.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

from stages.core.ids import content_id, sha256_file
from stages.core.jsonl import DataError

SPLITS = ("train", "valid", "test")


def seeded_order(seed: int, key: str) -> str:
    """A sort key: a seeded hash of `key`, so an order is stable and free of bias."""
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def dataset_id(directory: str | Path) -> str:
    """`dset_...` of the train, valid and test files together."""
    return content_id("dset", [sha256_file(Path(directory) / f"{s}.jsonl") for s in SPLITS])


def split_groups(groups: list[str], ratios: dict[str, float], seed: int) -> dict[str, str]:
    """group -> split; valid and test get at least one group each when there are 3 or more."""
    if len(groups) < 3:
        raise DataError(
            f"only {len(groups)} passage(s) with accepted examples: a split by passage "
            "needs at least 3 (add passages to data/passages.md or accept more examples)"
        )
    order = sorted(groups, key=lambda g: seeded_order(seed, g))
    n = len(order)
    n_valid = max(1, round(n * ratios["valid"]))
    n_test = max(1, round(n * ratios["test"]))
    if n_valid + n_test >= n:
        n_valid, n_test = 1, 1
    out = {g: "valid" for g in order[:n_valid]}
    out |= {g: "test" for g in order[n_valid : n_valid + n_test]}
    out |= {g: "train" for g in order[n_valid + n_test :]}
    return out


def mix(
    examples: list[dict], target: dict[str, float], seed: int, enforce: bool
) -> tuple[list[dict], dict[str, dict[str, Any]]]:
    """The examples kept for the target mix by kind, and a report per kind.

    With `enforce`, the largest subset whose shares match the target, renormalized over the
    kinds present, keeping examples in a seeded hash order (so the same ones are kept every
    run, and adding examples changes little). A kind is `short` when it limits the mix (or
    has none at all); the report says how many of each kind were left out."""
    by_kind: dict[str, list[dict]] = {}
    for e in sorted(examples, key=lambda e: seeded_order(seed, e["id"])):
        by_kind.setdefault(e["kind"], []).append(e)
    wanted = {k: v for k, v in target.items() if v > 0}
    present = {k: v for k, v in wanted.items() if by_kind.get(k)}
    kept: dict[str, list[dict]] = {k: list(v) for k, v in by_kind.items()}
    short: set[str] = set(wanted) - set(present)
    if enforce and present:
        scale = math.fsum(present.values())
        shares = {k: v / scale for k, v in present.items()}
        total = min(len(by_kind[k]) / s for k, s in shares.items())
        short |= {k for k, s in shares.items() if len(by_kind[k]) / s <= total + 1e-9}
        # rounded (a small dataset keeps its one meta example), never more than there are
        kept = {k: by_kind[k][: min(len(by_kind[k]), round(total * s))] for k, s in shares.items()}
    elif not enforce:
        n = max(1, len(examples))
        short |= {k for k, v in present.items() if len(by_kind[k]) / n < v - 0.02}
    n_kept = max(1, sum(len(v) for v in kept.values()))
    report = {
        k: {
            "target": target.get(k, 0.0),
            "available": len(by_kind.get(k, [])),
            "kept": len(kept.get(k, [])),
            "left_out": len(by_kind.get(k, [])) - len(kept.get(k, [])),
            "share": round(len(kept.get(k, [])) / n_kept, 3),
            "short": k in short,
        }
        for k in sorted(set(target) | set(by_kind))
    }
    return [e for k in sorted(kept) for e in kept[k]], report
