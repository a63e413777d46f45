"""Commands around the pipeline: `python -m stages <command>` (one module each in stages/tools/).

validate   schema-check the git-tracked human inputs (params, passages, decisions,
           templates, gold examples, probes); used by the pre-commit hook
estimate   what the generate stage would ask the teacher, and its cost, before any call
suggest    rank the extracted books' paragraphs by inner experience (passages.md entries)
review     review examples in the terminal; decisions go to data/decisions.jsonl at once
fuse       fuse the trained adapter into the base model (models/fused/), on request
fmt        rewrite the git-tracked inputs canonically, then validate them (--check: report)
stale      fail when `dvc status` finds outputs out of date (the pre-commit hook)
diff       what changed in the dataset between two revisions (Markdown, or --json)
report     the same Markdown report, written to a file (for a pull request comment)
check      counts reconcile at every stage boundary (in = kept + rejected + quarantined)
"""

from __future__ import annotations

import argparse
import sys

from stages.core.jsonl import DataError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m stages", description=__doc__.split("\n")[0])
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("validate", help="schema-check the git-tracked inputs")
    sub.add_parser("estimate", help="requests, cache hits, tokens and USD before any call")
    sg = sub.add_parser("suggest", help="rank paragraphs by inner experience (passages.md entries)")
    sg.add_argument("--top", type=int, default=50)
    sg.add_argument("--out", help="write to this file instead of stdout")
    sg.add_argument("--rate", type=int, default=0, help="ask the teacher to rate the top N")
    rv = sub.add_parser("review", help="interactive terminal review of examples")
    rv.add_argument("--reviewer", help="your name in the decisions (default: $USER)")
    rv.add_argument(
        "--status",
        default="unreviewed",
        choices=["unreviewed", "pending", "accepted", "rejected", "all"],
    )
    rv.add_argument("--flag", help="only examples with this check's flag")
    rv.add_argument("--template", help="only this template")
    rv.add_argument("--passage", help="only passages whose title contains this (or a psg_ id)")
    fu = sub.add_parser("fuse", help="fuse models/adapter into the base model")
    fu.add_argument("--out", default="models/fused")
    fu.add_argument(
        "--keep-quantized",
        action="store_true",
        help="re-quantize like the base instead of writing float weights",
    )
    fm = sub.add_parser("fmt", help="canonicalize and validate the git-tracked inputs")
    fm.add_argument("--check", action="store_true", help="report, do not rewrite")
    sub.add_parser("stale", help="fail when dvc status finds stale outputs")
    sub.add_parser("check", help="counts reconcile at every stage boundary")
    for name in ("diff", "report"):
        d = sub.add_parser(name, help="dataset changes between two revisions")
        d.add_argument("a", help="base revision (e.g. main, HEAD~1)")
        d.add_argument("b", nargs="?", default=None, help="head revision (default: workspace)")
        d.add_argument("--limit", type=int, default=20, help="examples listed per section")
        if name == "diff":
            d.add_argument("--json", action="store_true")
        else:
            d.add_argument("--out", default="dataset-diff.md")
    return top


def run(args: argparse.Namespace) -> int:
    """The command's module is imported only when it runs: each has its own (slow) imports."""
    command = args.command
    if command == "validate":
        from stages.tools.validate import validate

        return validate()
    if command == "estimate":
        from stages.tools.estimate import estimate

        return estimate()
    if command == "suggest":
        from stages.tools.suggest import suggest

        return suggest(args.top, args.out, args.rate)
    if command == "review":
        from stages.tools import review

        return review.main(args)
    if command == "fuse":
        from stages.tools.fuse import fuse

        return fuse(args.out, args.keep_quantized)
    if command == "fmt":
        from stages.tools.fmt import main as fmt

        return fmt(args.check)
    if command == "stale":
        from stages.tools.stale import stale

        return stale()
    if command == "check":
        from stages.tools.check import main as check

        return check()
    from stages.tools.diff import main as diff  # diff and report

    return diff(
        args.a, args.b, args.limit, getattr(args, "json", False), getattr(args, "out", None)
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except DataError as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
