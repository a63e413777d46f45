"""The teacher's response cache: one file per request key, atomic, checksummed.

A re-run with nothing changed calls nobody, an edit re-asks only what it touched, an
interrupted run loses nothing already answered, and a damaged entry is never used.
Failed calls are not cached, so the next run tries them again.

The cache folder is a DVC output, so it holds exactly the answers the current dataset used
(`prune` after a complete run): a fresh clone rebuilds it byte for byte. Answers no longer
used (an undone edit, another experiment's prompts) move to an untracked attic beside it
and come back from there for free when asked again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError, atomic_write_text, canonical_json, read_json
from stages.core.log import say
from stages.teacher.types import Provider, Request, Response

# the cache generate (and suggest) use; DVC keeps it (persist). The judge keeps its own.
CACHE_DIR = Path("data/cache/teacher")
ATTIC = Path("data/cache/attic")  # untracked (data/cache/.gitignore, .dvcignore)


class ResponseCache:
    """`<dir>/<key[4:6]>/<key>.json`, one file per request key, atomic, checksummed."""

    def __init__(self, directory: str | Path, attic: str | Path | None = None) -> None:
        self.dir = Path(directory)
        self.attic = Path(attic) if attic else None
        self.corrupt: list[str] = []

    def path(self, key: str) -> Path:
        return self.dir / key[4:6] / f"{key}.json"

    def _attic_path(self, path: Path) -> Path:
        assert self.attic is not None
        return self.attic / self.dir.name / path.relative_to(self.dir)

    def entries(self) -> list[Path]:
        """The cache's entry files (and entries set aside as damaged)."""
        return sorted(p for p in self.dir.glob("??/req_*") if p.is_file())

    def prune(self, keep: set[str]) -> int:
        """Move every entry whose key is not in `keep` to the attic; returns how many."""
        moved = 0
        for path in self.entries():
            if path.name.split(".")[0] in keep and path.suffix == ".json":
                continue
            if self.attic is None:
                path.unlink()
            else:
                target = self._attic_path(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                path.replace(target)
            moved += 1
        for folder in self.dir.glob("??"):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return moved

    def _from_attic(self, path: Path) -> None:
        """An answer set aside by an earlier prune comes back for free."""
        if self.attic is not None and (old := self._attic_path(path)).exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            old.replace(path)

    @staticmethod
    def _checksum(entry: dict[str, Any]) -> str:
        body = {k: v for k, v in entry.items() if k != "checksum"}
        return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()

    def get(self, key: str) -> Response | None:
        path = self.path(key)
        if not path.exists():
            self._from_attic(path)
        if not path.exists():
            return None
        try:
            entry = read_json(path)
            ok = entry.get("key") == key and entry.get("checksum") == self._checksum(entry)
        except (DataError, AttributeError):
            ok = False
        if not ok:
            # never use a damaged entry: set it aside for inspection and ask again
            path.replace(path.with_suffix(".corrupt"))
            self.corrupt.append(key)
            say("teacher", f"cache entry {path} is damaged (checksum): moved aside, asking again")
            return None
        return Response(entry["text"], entry["finish"], entry["usage"], entry["cost_usd"])

    def put(self, key: str, request: Request, provider: Provider, response: Response) -> None:
        if response.finish == "error":
            return
        entry = {
            "key": key,
            "prompt_id": request.prompt_id,
            "provider": provider.name,
            "model": provider.model,
            "sampling": provider.sampling(),
            "max_tokens": request.max_tokens,
            "sample": request.sample,
            "request": request.prompt(),
            "text": response.text,
            "finish": response.finish,
            "usage": response.usage,
            "cost_usd": response.cost_usd,
        }
        entry["checksum"] = self._checksum(entry)
        # no fsync: a process kill keeps the page cache, and an entry torn by a power cut fails
        # its checksum and is asked again; the rename alone keeps readers from partial files
        atomic_write_text(self.path(key), canonical_json(entry) + "\n", durable=False)
