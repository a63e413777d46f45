"""Commands around the pipeline: `python -m stages <command>`.

validate   schema-check the git-tracked human inputs (params, passages, decisions,
           templates, gold examples, probes); used by the pre-commit hook
estimate   what the generate stage would ask the teacher, and its cost, before any call
"""

from __future__ import annotations

import argparse
import sys

from stages.core.jsonl import DataError


def validate() -> int:
    from stages.core.decisions import read_decisions
    from stages.core.params import load_params, load_yaml
    from stages.core.passages import read_passages
    from stages.core.schemas import validate as check
    from stages.core.templates import load_gold, load_templates, resolve, split_refs

    params = load_params()
    templates = load_templates(params["curate"]["templates_dir"])
    load_gold(f"{params['generate']['templates_dir']}/gold", templates)
    errors = []
    for p in read_passages(params["curate"]["passages"]):
        for ref in split_refs(p["templates"]):
            try:
                resolve(ref, templates)
            except DataError as exc:
                errors.append(f"{params['curate']['passages']}:{p['line']}: {exc}")
    read_decisions(params["review_merge"]["decisions"])
    check("probes", load_yaml(params["evaluate"]["probes"]), params["evaluate"]["probes"])
    if errors:
        raise DataError("\n".join(errors))
    print("inputs valid: params.yaml, passages, decisions, templates, gold examples, probes")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("validate", help="schema-check the git-tracked inputs")
    sub.add_parser("estimate", help="requests, cache hits, tokens and USD before any call")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return validate()
        if args.command == "estimate":
            from stages import generate

            sys.argv = ["generate", "--estimate"]
            return generate.main()
    except DataError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
