"""diff / report: what a dataset change did, stage by stage, for a pull request.

    python -m stages diff A [B] [--json] [--limit 20]
    python -m stages report A [B] --out dataset-diff.md

Reads each stage's outputs at both revisions: git-tracked files (decisions, templates,
metrics) from git, DVC outputs through `dvc.api` (from the local cache, or the remote when
the cache lacks them). B defaults to the workspace. The Markdown report lists counts per stage
with deltas; passages, examples and review decisions added, removed or changed (examples
grouped by passage and template, changed ones with a word-level diff, each linked to its
passage, document and page); the mix against its target; the teacher cost; and, from DVC itself
(`dvc metrics diff`, `dvc params diff`), every metric that moved and every param changed.
"""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
from collections import Counter, defaultdict
from typing import Any

from stages.core.jsonl import DataError
from stages.core.tables import markdown_table

EXAMPLES = "data/generated/examples.jsonl"
REVIEWED = ("accepted", "rejected", "pending")
METRICS = ("extract", "curate", "generate", "review_merge", "format", "train", "evaluate")


def read_at(rev: str | None, path: str) -> str | None:
    """A file's text at `rev` (None: the workspace), from git or from DVC; None if absent."""
    if rev is None:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read()
        except FileNotFoundError:
            return None
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True)
    if shown.returncode == 0:
        return shown.stdout.decode("utf-8")
    import dvc.api

    try:
        with dvc.api.open(path, repo=".", rev=rev, encoding="utf-8") as fh:
            return fh.read()
    except Exception:  # not an output at that revision, or neither cache nor remote has it
        return None


def rows(text: str | None) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (text or "").splitlines() if line.strip()]


def load(rev: str | None) -> dict[str, Any]:
    """Everything the report compares, at one revision."""
    state: dict[str, Any] = {"missing": []}

    def get(path: str) -> str | None:
        text = read_at(rev, path)
        if text is None:
            state["missing"].append(path)
        return text

    state["passages"] = {p["id"]: p for p in rows(get("data/curated/passages.jsonl"))}
    state["examples"] = {e["id"]: e for e in rows(get(EXAMPLES))}
    state["requests"] = rows(get("data/generated/requests.jsonl"))
    state["status"] = {}
    for name in REVIEWED:
        for e in rows(get(f"data/reviewed/{name}.jsonl")):
            state["status"][e["id"]] = name
            state["examples"].setdefault(e["id"], e)  # edits exist only after review_merge
    state["decisions"] = {d["example_id"]: d for d in rows(get("data/decisions.jsonl"))}
    state["splits"] = {
        s: len(rows(get(f"data/formatted/{s}.jsonl"))) for s in ("train", "valid", "test")
    }
    state["metrics"] = {
        m: json.loads(t) for m in METRICS if (t := read_at(rev, f"metrics/{m}.json"))
    }
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, "templates"]
        if rev
        else ["git", "ls-files", "--cached", "--others", "--exclude-standard", "templates"],
        capture_output=True,
        text=True,
    ).stdout.split()
    state["templates"] = {p: read_at(rev, p) for p in listing if p.endswith(".yaml")}
    return state


def job(e: dict[str, Any]) -> tuple:
    """What an example answers: passage, template, sample (its content id changes with it)."""
    return (
        e["passage_id"],
        e["template"],
        e["lineage"].get("sample", 0),
        e["author"],
        e["lineage"].get("source", ""),
    )


def word_diff(a: str, b: str) -> str:
    wa, wb = a.split(), b.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(" ".join(wa[i1:i2]))
        if op in ("delete", "replace"):
            out.append("~~" + " ".join(wa[i1:i2]) + "~~")
        if op in ("insert", "replace"):
            out.append("**" + " ".join(wb[j1:j2]) + "**")
    return " ".join(out)


def text_of(e: dict[str, Any]) -> str:
    parts = []
    for t in e["turns"]:
        if t.get("thinking"):
            parts.append(f"[{t['role']} thinking] {t['thinking']}")
        parts.append(f"[{t['role']}] {t['content']}")
    return "\n".join(parts)


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    ea, eb = a["examples"], b["examples"]
    added_ids = sorted(set(eb) - set(ea))
    removed_ids = sorted(set(ea) - set(eb))
    by_job_removed = defaultdict(list)
    for i in removed_ids:
        by_job_removed[job(ea[i])].append(i)
    changed, added = [], []
    for i in added_ids:
        old = by_job_removed.get(job(eb[i]))
        if old:
            changed.append((old.pop(0), i))
        else:
            added.append(i)
    removed = [i for ids in by_job_removed.values() for i in ids]

    def counts(s: dict[str, Any]) -> dict[str, int]:
        status = Counter(s["status"].values())
        return {
            "passages": len(s["passages"]),
            "prompts": len({r["prompt_id"] for r in s["requests"]}),
            "teacher responses": len(s["requests"]),
            "examples": sum(
                1 for e in s["examples"].values() if not e["lineage"].get("edited_from")
            ),
            **{n: status.get(n, 0) for n in REVIEWED},
            **{f"{k} rows": v for k, v in s["splits"].items()},
        }

    decisions = {
        "added": sorted(set(b["decisions"]) - set(a["decisions"])),
        "removed": sorted(set(a["decisions"]) - set(b["decisions"])),
        "changed": sorted(
            k
            for k in set(a["decisions"]) & set(b["decisions"])
            if a["decisions"][k] != b["decisions"][k]
        ),
    }
    pa, pb = a["passages"], b["passages"]
    title = lambda p: p["title"]  # noqa: E731
    pas_a, pas_b = {title(p): p for p in pa.values()}, {title(p): p for p in pb.values()}
    passages = {
        "added": sorted(set(pas_b) - set(pas_a)),
        "removed": sorted(set(pas_a) - set(pas_b)),
        "changed": sorted(t for t in set(pas_a) & set(pas_b) if pas_a[t] != pas_b[t]),
    }
    ta, tb = a["templates"], b["templates"]
    templates = {
        "added": sorted(set(tb) - set(ta)),
        "removed": sorted(set(ta) - set(tb)),
        "changed": sorted(p for p in set(ta) & set(tb) if ta[p] != tb[p]),
    }
    cost = b["metrics"].get("generate", {}).get("cost_usd", 0.0) - a["metrics"].get(
        "generate", {}
    ).get("cost_usd", 0.0)
    return {
        "counts": {k: (counts(a)[k], v) for k, v in counts(b).items()},
        "passages": passages,
        "templates": templates,
        "decisions": decisions,
        "examples": {"added": added, "removed": removed, "changed": changed},
        "cost_usd": round(cost, 6),
        "mix": {
            "target": b["metrics"].get("format", {}).get("mix_target", {}),
            "before": a["metrics"].get("format", {}).get("mix_actual", {}),
            "after": b["metrics"].get("format", {}).get("mix_actual", {}),
        },
        "missing": {"A": a["missing"], "B": b["missing"]},
    }


def link(e: dict[str, Any], passages: dict[str, Any]) -> str:
    p = passages.get(e["passage_id"], {})
    pages = f"p. {e['page_start']}" + (
        f"-{e['page_end']}" if e["page_end"] != e["page_start"] else ""
    )
    return (
        f"`{e['id']}` from passage *{p.get('title', e['passage_id'])}* (`{e['passage_id']}`), "
        f"[{e['doc']} {pages}]({e['doc']}#page={e['page_start']})"
    )


def markdown(
    d: dict[str, Any], a: dict[str, Any], b: dict[str, Any], names: tuple[str, str], limit: int
) -> str:
    A, B = names
    counts = [{"": k, A: x, B: y, "Δ": f"{y - x:+d}"} for k, (x, y) in d["counts"].items()]
    out = [f"# Dataset changes: `{A}` → `{B}`", "", "## Counts", "", markdown_table(counts)]
    for what in ("passages", "templates"):
        ch = d[what]
        if any(ch.values()):
            out += ["", f"## {what.capitalize()}", ""]
            out += [
                f"- {verb}: {', '.join(f'`{x}`' for x in ch[verb])}"
                for verb in ("added", "removed", "changed")
                if ch[verb]
            ]
    ex = d["examples"]
    out += [
        "",
        f"## Examples: {len(ex['added'])} added, {len(ex['removed'])} removed, "
        f"{len(ex['changed'])} changed",
        "",
    ]
    groups: dict[tuple, list[str]] = defaultdict(list)
    for i in ex["added"]:
        e = b["examples"][i]
        groups[
            (b["passages"].get(e["passage_id"], {}).get("title", e["passage_id"]), e["template"])
        ].append(f"added {link(e, b['passages'])}")
    for i in ex["removed"]:
        e = a["examples"][i]
        groups[
            (a["passages"].get(e["passage_id"], {}).get("title", e["passage_id"]), e["template"])
        ].append(f"removed {link(e, a['passages'])}")
    shown = 0
    for (ptitle, template), items in sorted(groups.items()):
        out.append(f"**{ptitle} × {template}**")
        for item in items:
            if shown < limit:
                out.append(f"- {item}")
            shown += 1
    if shown > limit:
        out.append(f"- … and {shown - limit} more")
    for n, (old, new) in enumerate(ex["changed"]):
        if n >= limit:
            out.append(f"\n… and {len(ex['changed']) - limit} more changed examples")
            break
        e_old, e_new = a["examples"][old], b["examples"][new]
        out += [
            "",
            f"<details><summary>changed {e_new['template']}: `{old}` → "
            f"{link(e_new, b['passages'])}</summary>",
            "",
            word_diff(text_of(e_old), text_of(e_new)),
            "",
            "</details>",
        ]
    dec = d["decisions"]
    if any(dec.values()):
        out += ["", "## Review decisions", ""]
        for verb in ("added", "changed", "removed"):
            for k in dec[verb][:limit]:
                row = (b if verb != "removed" else a)["decisions"][k]
                note = f" ({row['note']})" if row.get("note") else ""
                out.append(f"- {verb}: `{k}` **{row['decision']}** by {row['reviewer']}{note}")
    mix = d["mix"]
    if mix["target"]:
        kinds = sorted(set(mix["target"]) | set(mix["after"]))
        table = [
            {
                "kind": k,
                "target": mix["target"].get(k, 0),
                "before": mix["before"].get(k, "–"),
                "after": mix["after"].get(k, "–"),
            }
            for k in kinds
        ]
        out += ["", "## Mix by kind", "", markdown_table(table)]
    out += [
        "",
        f"## Teacher cost of the change: ${d['cost_usd']:+.4f}",
        "",
        "## Metrics that moved (`dvc metrics diff`)",
        "",
        changes_table(json.loads(dvc_diff("metrics", names, "json") or "{}"), names),
        "",
        "## Params that changed (`dvc params diff`)",
        "",
        changes_table(json.loads(dvc_diff("params", names, "json") or "{}"), names),
    ]
    for side, paths in d["missing"].items():
        if paths:
            out += [
                "",
                f"_Not available at {side} (not built, or not pushed to the DVC remote): "
                + ", ".join(f"`{p}`" for p in paths)
                + "_",
            ]
    return "\n".join(out) + "\n"


def dvc_diff(kind: str, revs: tuple[str, str], fmt: str) -> str:
    """`dvc metrics diff` or `dvc params diff` between two revisions, as Markdown or JSON:
    DVC's own comparison, so the report says what `dvc exp show` and the lock files say."""
    a, b = revs
    cmd = [sys.executable, "-m", "dvc", kind, "diff", a, *([] if b == "workspace" else [b])]
    proc = subprocess.run(cmd + [f"--{fmt}"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise DataError(f"dvc {kind} diff {a} {b} failed: {proc.stderr.strip()}")
    return proc.stdout


def changes_table(changes: dict[str, dict[str, dict]], names: tuple[str, str]) -> str:
    """DVC's metrics or params diff (JSON) as a Markdown table, rows in a stable order."""
    rows = [
        {"file": path, "name": key, names[0]: v.get("old"), names[1]: v.get("new")}
        for path, values in sorted(changes.items())
        for key, v in sorted(values.items())
    ]
    return markdown_table(rows) if rows else "none"


def run(rev_a: str, rev_b: str | None, as_json: bool, limit: int) -> str:
    a, b = load(rev_a), load(rev_b)
    d = compare(a, b)
    names = (rev_a, rev_b or "workspace")
    if as_json:
        d["metrics"] = json.loads(dvc_diff("metrics", names, "json") or "{}")
        d["params"] = json.loads(dvc_diff("params", names, "json") or "{}")
        return json.dumps(d, indent=2, sort_keys=True, default=list) + "\n"
    return markdown(d, a, b, names, limit)


def main(rev_a: str, rev_b: str | None, limit: int, as_json: bool, out: str | None) -> int:
    """diff (to stdout), or report (Markdown to the file `out`)."""
    text = run(rev_a, rev_b, as_json, limit)
    if out:
        from stages.core.jsonl import atomic_write_text

        atomic_write_text(out, text)
        print(f"wrote {out}")
    else:
        print(text, end="")
    return 0
