"""The one schema loader: JSON Schemas from `schemas/*.schema.json`, validated with jsonschema."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from stages.core.jsonl import DataError

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


@functools.cache
def _registry() -> Registry:
    """Every schema, so one can `$ref` another by file name (e.g. "turns.schema.json")."""
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((path.name, Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@functools.cache
def validator(name: str) -> Draft202012Validator:
    """Validator for `schemas/<name>.schema.json` (checked against the meta-schema)."""
    path = SCHEMA_DIR / f"{name}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


def error_message(name: str, value: Any) -> str | None:
    """The most relevant validation error as one line, or None when `value` is valid."""
    err = best_match(validator(name).iter_errors(value))
    if err is None:
        return None
    where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
    return f"{where}: {err.message}"


def validate(name: str, value: Any, source: str) -> None:
    """Raise DataError naming `source` (file[:line]) when `value` breaks schema `name`."""
    msg = error_message(name, value)
    if msg:
        raise DataError(f"{source}: does not match schemas/{name}.schema.json: {msg}")


def validate_rows(name: str, rows: Iterable[dict[str, Any]], source: str) -> None:
    """Validate every row; the error names the row by its 1-based line in `source`."""
    for lineno, row in enumerate(rows, start=1):
        validate(name, row, f"{source}:{lineno}")
