"""The one reader/writer for canonical JSON and JSONL files.

Canonical means: keys sorted, no insignificant whitespace, UTF-8 with strings in NFC,
LF line ends, rows in a stable order, and files replaced atomically, so that git and
DVC see only real changes and the same inputs give byte-identical outputs.
"""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any


class DataError(Exception):
    """Bad input data: the message names the file (and line) and says how to fix it."""


def nfc(value: Any) -> Any:
    """NFC-normalize every string inside a JSON-like value (keys included)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nfc(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """One line of canonical JSON (sorted keys, compact, NFC, non-ASCII kept)."""
    return json.dumps(nfc(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def atomic_write_bytes(path: str | Path, data: bytes, durable: bool = True) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never a part.

    `durable` also fsyncs before the rename, so the file survives a power cut; writers whose
    files carry their own checksum (the teacher cache) skip it for speed."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # the writer's pid in the name: sweep_partial tells a killed writer's leftover from
        # a file another process is still writing
        prefix = f".{path.name}.{os.getpid()}."
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
        os.fchmod(fd, _FILE_MODE)  # mkstemp makes 0600 files; give them the usual mode
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)  # never leave a partial file behind
        if isinstance(exc, OSError) and exc.errno:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc  # name the target
        raise


def sweep_partial(directory: str | Path) -> int:
    """Remove the temporary files of atomic writes under `directory` whose writer is dead (a
    process killed between writing and renaming leaves one); returns how many."""
    removed = 0
    for tmp in Path(directory).rglob(".*.tmp"):
        try:
            pid = int(tmp.name.rsplit(".", 3)[-3])
        except (ValueError, IndexError):
            continue  # not one of ours
        try:
            os.kill(pid, 0)
            continue  # still writing
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # alive, someone else's
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


def atomic_write_text(path: str | Path, text: str, durable: bool = True) -> None:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    atomic_write_bytes(path, text.encode("utf-8"), durable)


def write_json(path: str | Path, value: Any) -> None:
    """Pretty canonical JSON (sorted keys, 2-space indent) for metrics and small files."""
    text = json.dumps(nfc(value), sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    atomic_write_text(path, text)


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None


def write_jsonl(
    path: str | Path,
    rows: Iterable[dict[str, Any]],
    key: Callable[[dict[str, Any]], Any] | None = None,
) -> int:
    """Write rows as canonical JSONL, sorted by `key` (default: the row's "id"); returns count.

    Sorting by a content key (not by arrival order) is what keeps outputs byte-identical
    when work is done in parallel or resumed.
    """
    rows = list(rows)
    sort_key = key or (lambda r: r["id"])
    rows.sort(key=sort_key)
    text = "".join(canonical_json(r) + "\n" for r in rows)
    atomic_write_text(path, text)
    return len(rows)


def iter_jsonl(
    path: str | Path, errors: list[str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, row). A bad line raises DataError naming file and line; with an
    `errors` list, bad lines are reported there instead and skipped, so a caller can name
    every bad line at once."""
    path = Path(path)
    try:
        fh = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found (run the stage that writes it)") from None
    with fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            problem = None
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problem = f"invalid JSON ({exc.msg} at column {exc.colno}); fix or delete that line"
            else:
                if not isinstance(row, dict):
                    problem = f"expected a JSON object, got {type(row).__name__}"
            if problem is None:
                yield lineno, row
            elif errors is None:
                raise DataError(f"{path}:{lineno}: {problem}")
            else:
                errors.append(f"{path}:{lineno}: {problem}")


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    return [row for _, row in iter_jsonl(path)]
