"""review_merge: automated checks + human decisions -> accepted, rejected and pending examples.

Reads  data/generated/examples.jsonl, data/curated/passages.jsonl,
       data/extracted/documents.jsonl, data/decisions.jsonl (git-tracked), templates/,
       data/detectors/detectors.json and the base model (the detector-based checks),
       params `review_merge`, `model` and `fit_detectors.compute_dtype`
Writes data/reviewed/accepted.jsonl   what goes on to the dataset
       data/reviewed/rejected.jsonl   rejected by a person (or replaced by their edit)
       data/reviewed/pending.jsonl    not reviewed and not let through by the policy
       data/reviewed/orphans.jsonl    decisions whose example no longer exists
       metrics/review_merge.json

Every example gets its flags (check, severity, explanation). Decisions apply by example id;
an edit becomes a new example with `lineage.edited_from`. Hand-written gold examples count as
reviewed. `unreviewed` decides what happens to teacher examples nobody has read: `exclude`
(the default: pending, not trained), or `include_unflagged` (those without error flags).
Counts reconcile: examples in = accepted + rejected + pending (+ edits added).
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

from stages.core.jsonl import read_jsonl, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.params import load_params
from stages.core.schemas import validate_rows
from stages.dataset.decisions import read_decisions, review_status
from stages.dataset.examples import apply_edit
from stages.dataset.templates import load_templates
from stages.model.blas import use_fast_blas
from stages.quality.checks import agreement, check_example, flag
from stages.quality.near_duplicates import near_duplicates
from stages.quality.scoring import Scorer, exchanges
from stages.quality.text import proper_names

STAGE = "review_merge"
DECIDED = ("accept", "reject", "edit")
OUT = Path("data/reviewed")


def source_names(passage: dict[str, Any], doc: dict[str, Any] | None) -> set[str]:
    names = proper_names(passage["text"])
    for title in (doc or {}).get("titles", []):
        names |= {w for w in title.replace("'", " ").split() if w[:1].isupper() and len(w) > 3}
    return names - {"The", "This", "That", "When", "What"}


def flags(
    ex: dict[str, Any],
    templates: dict[str, dict],
    passages: dict[str, dict],
    docs: dict[str, dict],
    limits: dict[str, Any],
    dups: dict[str, tuple[str, float]],
    scores: tuple[list[dict[str, float]], list[dict[str, float]]],
) -> list[dict[str, str]]:
    """Every automated flag on one example, sorted; `scores` are the detectors' scores of its
    assistant turns' replies and thinking."""
    t = templates.get(ex["template"])
    if t is None:
        found = [flag("unknown-template", "error", f"template {ex['template']!r} is gone")]
    else:
        p = passages.get(ex["passage_id"])
        names = source_names(p, docs.get(p["doc_id"])) if p else set()
        found = check_example(ex, t, p, names, limits, *scores)
    if ex["id"] in dups:
        other, jac = dups[ex["id"]]
        found.append(flag("near-duplicate", "error", f"~{jac:.2f} Jaccard with {other}"))
    return sorted(found, key=lambda f: (f["check"], f["message"]))


def score_all(examples: list[dict[str, Any]], scorer: Scorer) -> dict[str, tuple[list, list]]:
    """{example id: (scores of each reply, scores of each turn's thinking)}, in two batches."""
    replies = {e["id"]: exchanges(e["turns"]) for e in examples}
    thoughts = {e["id"]: [p for p in exchanges(e["turns"], "thinking") if p[1]] for e in examples}
    flat_replies = scorer.score([p for e in examples for p in replies[e["id"]]])
    flat_thoughts = scorer.score([p for e in examples for p in thoughts[e["id"]]], coherence=False)
    out, r, t = {}, 0, 0
    for e in examples:
        n, m = len(replies[e["id"]]), len(thoughts[e["id"]])
        out[e["id"]] = (flat_replies[r : r + n], flat_thoughts[t : t + m])
        r, t = r + n, t + m
    return out


def main() -> int:
    everything_params = load_params()
    params = everything_params[STAGE]
    templates = load_templates(params["templates_dir"])
    examples = read_jsonl("data/generated/examples.jsonl")
    passages = {p["id"]: p for p in read_jsonl("data/curated/passages.jsonl")}
    docs = {d["id"]: d for d in read_jsonl("data/extracted/documents.jsonl")}
    decisions = read_decisions(params["decisions"])
    by_id = {e["id"]: e for e in examples}
    say(STAGE, f"{len(examples)} examples, {len(decisions)} decisions in {params['decisions']}")

    orphans = [d for key, d in decisions.items() if key not in by_id]
    for d in orphans:
        say(
            STAGE,
            f"WARNING decision for {d['example_id']} ({d['decision']} by {d['reviewer']}) "
            "matches no example: it changed or was removed (see data/reviewed/orphans.jsonl)",
        )
    edits = [
        apply_edit(by_id[k], d)
        for k, d in decisions.items()
        if k in by_id and d["decision"] == "edit"
    ]
    everything = examples + [e for e in edits if e["id"] not in by_id]
    dups = near_duplicates(everything, params["checks"]["near_duplicate_jaccard"])
    scorer = Scorer(
        everything_params["model"]["base"],
        everything_params["fit_detectors"]["compute_dtype"],
        STAGE,
    )
    scores = score_all(everything, scorer)
    reviewed: dict[str, list[dict[str, Any]]] = {"accepted": [], "rejected": [], "pending": []}
    for ex in sorted(everything, key=lambda e: e["id"]):
        ex = copy.deepcopy(ex)
        ex["flags"] = flags(ex, templates, passages, docs, params["checks"], dups, scores[ex["id"]])
        ex["review"] = review_status(ex, decisions, set(by_id), params["unreviewed"])
        reviewed[ex["review"]["status"]].append(ex)
    accepted, rejected, pending = reviewed["accepted"], reviewed["rejected"], reviewed["pending"]

    for name, rows in (("accepted", accepted), ("rejected", rejected), ("pending", pending)):
        validate_rows("example", rows, str(OUT / f"{name}.jsonl"))
        write_jsonl(OUT / f"{name}.jsonl", rows)
    write_jsonl(OUT / "orphans.jsonl", orphans, key=lambda d: d["example_id"])
    # what a person decided on (not gold examples, not those let through unread)
    reviewed = [e for e in accepted + rejected if e["review"]["decision"] in DECIDED]
    all_rows = accepted + rejected + pending
    write_json(
        "metrics/review_merge.json",
        {
            "examples_in": len(examples),
            "edits_added": len(everything) - len(examples),
            "accepted": len(accepted),
            "accepted_auto": sum(1 for e in accepted if e["review"]["auto"]),
            "accepted_gold": sum(1 for e in accepted if e["review"]["decision"] == "gold"),
            "rejected": len(rejected),
            "pending": len(pending),
            "orphaned_decisions": len(orphans),
            "decisions": dict(sorted(Counter(d["decision"] for d in decisions.values()).items())),
            "flags": dict(
                sorted(Counter(f["check"] for e in all_rows for f in e["flags"]).items())
            ),
            "flagged_examples": sum(1 for e in all_rows if e["flags"]),
            "per_template": {
                t: dict(
                    sorted(
                        Counter(
                            e["review"]["status"] for e in all_rows if e["template"] == t
                        ).items()
                    )
                )
                for t in sorted({e["template"] for e in all_rows})
            },
            "per_kind_accepted": dict(sorted(Counter(e["kind"] for e in accepted).items())),
            "check_agreement": agreement(reviewed),
        },
    )
    say(
        STAGE,
        f"{len(accepted)} accepted ({sum(1 for e in accepted if e['review']['auto'])} "
        f"unreviewed without errors), {len(rejected)} rejected, {len(pending)} pending, "
        f"{len(orphans)} orphaned decisions",
    )
    return 0


if __name__ == "__main__":
    use_fast_blas()  # its one restart (Linux CPU) comes before the first log line, not midway
    run_main(STAGE, main)
