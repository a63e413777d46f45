"""fmt: keep the git-tracked human inputs canonical, so their own diffs stay small.

    python -m stages fmt            # rewrite in place, then schema-validate
    python -m stages fmt --check    # only report what would change (exit 1 if anything)

The decisions file is rewritten canonically (one decision per line, sorted by example id,
sorted keys). Text inputs (passages, templates, gold examples, probes, params) get NFC
Unicode, LF line ends, no trailing spaces and one final newline; their content is not
reflowed or reordered.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from stages.core.jsonl import atomic_write_text, canonical_json
from stages.core.params import load_params
from stages.dataset.decisions import read_decisions

TEXT = (
    "params.yaml",
    "templates/*.md",
    "templates/*.yaml",
    "templates/gold/*.yaml",
    "evals/probes.yaml",
    "evals/tasks/*.yaml",
)


def canonical_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def targets() -> dict[Path, str]:
    """file -> its canonical content."""
    params = load_params()
    out: dict[Path, str] = {}
    for pattern in TEXT + (params["curate"]["passages"],):
        for path in sorted(Path(".").glob(pattern)):
            out[path] = canonical_text(path.read_text(encoding="utf-8"))
    decisions = Path(params["review_merge"]["decisions"])
    if decisions.exists():
        rows = read_decisions(decisions)  # bad lines stop here, named
        out[decisions] = "".join(canonical_json(rows[k]) + "\n" for k in sorted(rows))
    return out


def fmt(check: bool) -> list[Path]:
    changed = []
    for path, text in targets().items():
        if path.read_text(encoding="utf-8") != text:
            changed.append(path)
            if not check:
                atomic_write_text(path, text)
    return changed


def main(check: bool) -> int:
    """Rewrite (or with `check` only list) what is not canonical, then validate everything."""
    from stages.tools.validate import validate

    changed = fmt(check)
    for path in changed:
        print(f"{'would rewrite' if check else 'rewrote'} {path}")
    validate()
    return 1 if changed and check else 0
