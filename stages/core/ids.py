"""The one hashing function: content ids with a readable prefix.

An id is `<prefix>_<first 16 hex of sha256(canonical JSON of the content)>`, so the same
content always gets the same id, on any machine, and any change gives a new one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from stages.core.jsonl import canonical_json

PREFIXES = {
    "doc",  # a source document (hash of the PDF bytes)
    "par",  # a paragraph of extracted text
    "psg",  # a curated passage (normalized text)
    "tpl",  # an elicitation template (file content)
    "prm",  # a prompt: the exact request content sent to a teacher
    "req",  # a teacher request: prompt + provider + model + sampling + sample index
    "ex",  # a training example (its content)
    "dset",  # a formatted dataset (all its files)
    "coh",  # the coherence features of a (prompt, reply) under one model (a cache key)
}
HEX_LEN = 16


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def content_id(prefix: str, content: Any) -> str:
    """Id of any JSON-like content (bytes are hashed as they are)."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}; use one of {sorted(PREFIXES)}")
    if isinstance(content, bytes):
        digest = sha256_bytes(content)
    else:
        digest = sha256_bytes(canonical_json(content).encode("utf-8"))
    return f"{prefix}_{digest[:HEX_LEN]}"


def file_id(prefix: str, path: str | Path) -> str:
    """Id of a file's bytes (documents, templates)."""
    return f"{prefix}_{sha256_file(path)[:HEX_LEN]}"


def stable_int(*parts: object) -> int:
    """A 32-bit number from `parts`, the same on every machine: seeds and hash-based choices."""
    return int(sha256_bytes(":".join(map(str, parts)).encode())[:8], 16)
