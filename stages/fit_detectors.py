"""fit_detectors: the detectors behind the review checks and trait metrics, fitted on replies
a person labelled.

Reads  evals/labels/responses.yaml (labelling guide: evals/labels/GUIDE.md), the base model
       (its probabilities are the coherence features, cached in data/cache/coherence/),
       params `fit_detectors` and `model`
Writes data/detectors/detectors.json  one logistic regression per label (stages/quality/)
       metrics/detectors.json         each detector's precision, recall, accuracy and AUC on
                                      the parts of the labelled set no fit sees: `heldout`
                                      (chosen by a hash of each reply's id, so the same on
                                      every machine and unmoved when replies are added) and
                                      `fresh` (replies written after the detectors were
                                      designed, so no design choice saw them either)
"""

from __future__ import annotations

from pathlib import Path

from stages.core.jsonl import write_json
from stages.core.log import run_main, say
from stages.core.params import load_params
from stages.model.blas import use_fast_blas
from stages.quality.coherence import Coherence
from stages.quality.detectors import LABELS, Detectors, load_labels, report

STAGE = "fit_detectors"
SPLITS = ("train", "heldout", "fresh")
OUT = Path("data/detectors/detectors.json")


def report_card(detectors: Detectors, items: list[dict], extras: list[dict]) -> dict:
    """Per label on `items`: precision, recall, accuracy, AUC; and how many replies with
    genuine uncertainty the hedging detector flags."""
    scores = [
        detectors.scores(i["prompt"], i["response"], e) for i, e in zip(items, extras, strict=True)
    ]
    card = {
        label: report([label in i["labels"] for i in items], [s[label] for s in scores])
        for label in LABELS
    }
    genuine = [
        s for i, s in zip(items, scores, strict=True) if "genuine_uncertainty" in i["labels"]
    ]
    card["genuine_uncertainty_flagged_as_hedge"] = {
        "n": len(genuine),
        "share": round(sum(s["reflexive_hedge"] >= 0.5 for s in genuine) / max(1, len(genuine)), 3),
    }
    return card


def main() -> int:
    params, base = load_params(STAGE), load_params("model")["base"]
    items = load_labels(Path(params["labels"]), params["held_out"])
    coherence = Coherence(base, params["compute_dtype"], STAGE)
    extras = coherence.features([(i["prompt"], i["response"]) for i in items])
    parts = {split: [n for n, i in enumerate(items) if i["split"] == split] for split in SPLITS}
    say(
        STAGE,
        f"{len(items)} labelled replies: "
        + ", ".join(f"{len(rows)} {split}" for split, rows in parts.items()),
    )
    train = parts["train"]
    detectors = Detectors.fit([items[n] for n in train], [extras[n] for n in train])
    detectors.save(OUT)
    card: dict = {"labelled": {split: len(rows) for split, rows in parts.items()}}
    for split in SPLITS[1:]:
        rows = parts[split]
        if rows:
            card[split] = report_card(
                detectors, [items[n] for n in rows], [extras[n] for n in rows]
            )
    write_json("metrics/detectors.json", card)
    for label in LABELS:
        r = card["heldout"][label]
        say(
            STAGE,
            f"{label}: precision {r['precision']}, recall {r['recall']}, accuracy "
            f"{r['accuracy']}, AUC {r['auc']} (held out, n={r['n']})",
        )
    return 0


if __name__ == "__main__":
    use_fast_blas()  # its one restart (Linux CPU) comes before the first log line, not midway
    run_main(STAGE, main)
