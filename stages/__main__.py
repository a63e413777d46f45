"""Commands around the pipeline: `python -m stages <command>`.

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


def validate() -> int:
    from stages.core.decisions import read_decisions
    from stages.core.params import load_params, load_yaml
    from stages.core.passages import read_passages
    from stages.core.schemas import validate as check
    from stages.core.templates import load_gold, load_templates, resolve_all

    params = load_params()
    templates = load_templates(params["curate"]["templates_dir"])
    load_gold(f"{params['generate']['templates_dir']}/gold", templates)
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


def suggest(top: int, out: str | None, rate: int) -> int:
    from pathlib import Path

    from stages.core.jsonl import atomic_write_text, read_jsonl
    from stages.core.params import load_params
    from stages.tools.suggest import candidates, entry, rate_with_teacher

    p = load_params("curate")
    ranked = candidates(
        read_jsonl("data/extracted/paragraphs.jsonl"), p["min_words"], p["max_words"]
    )
    if rate:
        rate_with_teacher(ranked[:rate])
    picked = {}
    if Path("data/curated/passages.jsonl").exists():
        for psg in read_jsonl("data/curated/passages.jsonl"):
            for pid in psg["paragraph_ids"]:
                picked[pid] = psg["title"]
    chosen = ranked[:top]
    text = (
        f"# Suggested passages ({len(chosen)} of {len(ranked)} paragraphs; edit and paste "
        "into data/passages.md)\n\n" + "\n".join(entry(i + 1, c) for i, c in enumerate(chosen))
    )
    if out:
        atomic_write_text(out, text)
        print(f"wrote {len(chosen)} suggestions to {out}", file=sys.stderr)
    else:
        print(text)
    hits = [c["paragraph"]["id"] for c in ranked[:20] if c["paragraph"]["id"] in picked]
    if picked:
        print(
            f"hand-picked passages ranked in the top 20: {len({picked[h] for h in hits})} of "
            f"{len(set(picked.values()))}",
            file=sys.stderr,
        )
    return 0


def stale() -> int:
    import json
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "dvc", "status", "--json"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    status = json.loads(proc.stdout or "{}")
    if status:
        print(
            "outputs are out of date for: " + ", ".join(sorted(status)) + "\nrun `dvc repro` "
            "and commit dvc.lock with your change (or SKIP=dvc-status git commit ... for a "
            "work-in-progress commit)",
            file=sys.stderr,
        )
        return 1
    return 0


def fuse(out: str, keep_quantized: bool) -> int:
    """mlx-lm's own fuse, with the adapter's training metadata copied alongside."""
    import shutil
    import subprocess
    from pathlib import Path

    from stages.core.params import load_params

    p = load_params("train")
    cmd = [
        sys.executable,
        "-m",
        "mlx_lm",
        "fuse",
        "--model",
        p["base_model"],
        "--adapter-path",
        "models/adapter",
        "--save-path",
        out,
    ]
    if not keep_quantized:
        cmd.append("--dequantize")  # the adapter was trained against float weights on CPU
    code = subprocess.run(cmd, check=False).returncode
    if code == 0:
        shutil.copy2("models/adapter/training.json", Path(out) / "training.json")
        print(f"fused model in {out}/ (lineage in {out}/training.json)")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
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
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return validate()
        if args.command == "fmt":
            from stages.tools.fmt import fmt

            changed = fmt(args.check)
            for path in changed:
                print(f"{'would rewrite' if args.check else 'rewrote'} {path}")
            validate()
            return 1 if changed and args.check else 0
        if args.command == "stale":
            return stale()
        if args.command == "check":
            from stages.core.params import load_params
            from stages.tools.check import check

            problems = check(load_params())
            for line in problems:
                print(f"MISMATCH {line}", file=sys.stderr)
            print(
                "counts reconcile at every stage"
                if not problems
                else f"{len(problems)} mismatch(es)"
            )
            return 1 if problems else 0
        if args.command in ("diff", "report"):
            from stages.tools.diff import run

            text = run(args.a, args.b, getattr(args, "json", False), args.limit)
            if args.command == "report":
                from stages.core.jsonl import atomic_write_text

                atomic_write_text(args.out, text)
                print(f"wrote {args.out}")
            else:
                print(text, end="")
            return 0
        if args.command == "fuse":
            return fuse(args.out, args.keep_quantized)
        if args.command == "review":
            from stages.tools import review

            return review.main(args)
        if args.command == "suggest":
            return suggest(args.top, args.out, args.rate)
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
