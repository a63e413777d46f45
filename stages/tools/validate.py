"""validate: schema-check the git-tracked human inputs without running anything.

    python -m stages validate

params.yaml, the passage selection, templates and gold examples, review decisions and eval
probes; every problem is named with its file (and line). The pre-commit hook runs it.
"""

from __future__ import annotations

from pathlib import Path

from stages.core.jsonl import DataError
from stages.core.params import load_params, load_yaml
from stages.core.schemas import validate as check
from stages.dataset.decisions import read_decisions
from stages.dataset.templates import load_gold, load_templates, resolve_all
from stages.passages.parse import read_passages


def validate() -> int:

    params = load_params()
    templates = load_templates(params["curate"]["templates_dir"])
    load_gold(Path(params["generate"]["templates_dir"]) / "gold", templates)
    errors = []
    for p in read_passages(params["curate"]["passages"]):
        try:
            resolve_all(p["templates"], templates)
        except DataError as exc:
            errors.append(f"{params['curate']['passages']}:{p['line']}: {exc}")
    read_decisions(params["review_merge"]["decisions"])
    check("probes", load_yaml(params["evaluate"]["probes"]), params["evaluate"]["probes"])
    if errors:
        raise DataError("\n".join(errors))
    print("inputs valid: params.yaml, passages, decisions, templates, gold examples, probes")
    return 0
