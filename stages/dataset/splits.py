"""Splits by passage, the mix by kind, and the dataset's id.

Splits are by passage (no passage in two splits), chosen by a seeded hash so they are stable
when passages are added. Used by the format stage; `dataset_id` also by train, to tie an
adapter to the data it was trained on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

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


def enforce_mix(examples: list[dict], target: dict[str, float], seed: int) -> list[dict]:
    """Largest subset matching the target shares, keeping examples by a seeded hash order."""
    by_kind: dict[str, list[dict]] = {}
    for e in sorted(examples, key=lambda e: seeded_order(seed, e["id"])):
        by_kind.setdefault(e["kind"], []).append(e)
    shares = {k: v for k, v in target.items() if v > 0}
    total = min(len(by_kind.get(k, [])) / s for k, s in shares.items())
    keep = []
    for k, s in shares.items():
        keep += by_kind.get(k, [])[: int(total * s + 1e-9)]
    return keep
