"""The one way to write a Markdown table: pandas' `to_markdown` (tabulate underneath)."""

from __future__ import annotations

from typing import Any


def markdown_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """A GitHub Markdown table of `rows` (dicts), columns in the given order."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns)
    return frame.to_markdown(index=False, tablefmt="github")
