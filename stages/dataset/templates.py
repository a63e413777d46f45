"""Elicitation templates (`templates/NN-name.yaml`), the shared system prompts and gold examples."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from stages.core.ids import file_id
from stages.core.jsonl import DataError
from stages.core.params import load_yaml
from stages.core.schemas import error_message, validate


def load_templates(directory: str | Path) -> dict[str, dict[str, Any]]:
    """Templates by name, each with its content id (`tpl_...` of the file bytes) and path."""
    directory = Path(directory)
    templates: dict[str, dict[str, Any]] = {}
    numbers: dict[int, str] = {}
    for path in sorted(directory.glob("[0-9]*.yaml")):
        tpl = load_yaml(path)
        validate("template", tpl, str(path))
        if tpl["name"] in templates:
            raise DataError(f"{path}: template name {tpl['name']!r} is used twice")
        if tpl["number"] in numbers:
            raise DataError(
                f"{path}: template number {tpl['number']} is also used by {numbers[tpl['number']]}"
            )
        numbers[tpl["number"]] = str(path)
        tpl["id"] = file_id("tpl", path)
        tpl["path"] = path.as_posix()
        templates[tpl["name"]] = tpl
    if not templates:
        raise DataError(f"{directory}: no templates (expected files like 01-inner-monologue.yaml)")
    return templates


def resolve(ref: str, templates: dict[str, dict[str, Any]]) -> str:
    """A template name from a reference by number, name, title or kind ("1", "monologue")."""
    key = ref.strip().lower()
    # "#2", "T2", "template 2", "2 (visible thinking)", "2. Visible thinking": the number decides
    if m := re.match(r"^(?:#|t|template)?\s*(\d+)\b(?:\s*[.):\-–—(]|\s|$)", key):
        key = m.group(1)
    by = [
        [n for n, t in templates.items() if key.isdigit() and t["number"] == int(key)],
        [n for n in templates if n == key],
        [n for n, t in templates.items() if t["title"].lower() == key],
        [n for n, t in templates.items() if t["kind"] == key],
        [n for n, t in templates.items() if key in n or key in t["title"].lower()],
    ]
    for hits in by:
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise DataError(f"template {ref!r} is ambiguous: it could be {', '.join(sorted(hits))}")
    known = ", ".join(
        f"{t['number']} ({n})" for n, t in sorted(templates.items(), key=lambda x: x[1]["number"])
    )
    raise DataError(f"unknown template {ref!r}; known templates: {known}")


def split_refs(text: str) -> list[str]:
    return [r for r in (p.strip() for p in re.split(r",|;|/|\band\b", text)) if r]


def resolve_all(text: str, templates: dict[str, dict[str, Any]]) -> list[str]:
    """Template names from a passage's list: "1, 2, 4", "monologue and meta", "1-3", "all"."""
    if text.strip().lower() in ("all", "any", "every", "*"):
        return sorted(templates, key=lambda n: templates[n]["number"])
    names = []
    for ref in split_refs(text):
        span = re.fullmatch(r"#?\s*(\d+)\s*(?:-|–|—|to)\s*#?\s*(\d+)", ref.strip())
        if span:
            names += [resolve(str(n), templates) for n in range(int(span[1]), int(span[2]) + 1)]
        else:
            names.append(resolve(ref, templates))
    return names


def load_gold(directory: str | Path, templates: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Hand-written gold examples: few-shot exemplars, and dataset rows with author: human."""
    gold = []
    for path in sorted(Path(directory).glob("*.yaml")):
        item = load_yaml(path)
        validate("gold", item, str(path))
        if item["template"] not in templates:
            raise DataError(f"{path}: unknown template {item['template']!r}")
        item["path"] = path.as_posix()
        gold.append(item)
    return gold


def check_turns(turns: Any, template: dict) -> str | None:
    """None when `turns` is a valid conversation for `template`, else the problem."""
    msg = error_message("turns", turns)
    if msg:
        return f"turns {msg}"
    n = len(turns)
    lo, hi = template["messages"]["min"], template["messages"]["max"]
    if not lo <= n <= hi:
        return f"{n} messages, the template asks for {lo}-{hi}"
    for i, turn in enumerate(turns):
        want = "user" if i % 2 == 0 else "assistant"
        if turn["role"] != want:
            return f"message {i + 1} has role {turn['role']!r}, expected {want!r}"
        if want == "assistant" and template["thinking"] and not turn.get("thinking"):
            return f"assistant message {i + 1} has no thinking; the template requires it"
        if want == "user" and "thinking" in turn:
            return f"user message {i + 1} has thinking"
    return None
