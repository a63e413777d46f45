"""Params loading: `params.yaml`, validated against `schemas/params.schema.json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stages.core.jsonl import DataError
from stages.core.schemas import error_message

PARAMS_FILE = Path("params.yaml")


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a syntax error names the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataError(f"{where}: invalid YAML ({problem})") from None


def load_params(section: str | None = None, path: str | Path = PARAMS_FILE) -> dict[str, Any]:
    """All params, or one stage's section, after schema validation of the whole file."""
    params = load_yaml(path)
    if not isinstance(params, dict):
        raise DataError(f"{path}: expected a mapping of stage sections at the top level")
    msg = error_message("params", params)
    if msg:
        raise DataError(f"{path}: invalid params: {msg} (see schemas/params.schema.json)")
    if section is None:
        return params
    return params[section]
