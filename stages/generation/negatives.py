"""Deliberate negatives: the teacher rewrites one reply of an accepted example in a style
review turns down, and the rewrite becomes the rejected side of a preference pair
(stages/dataset/preferences.py, source `negative`).

The styles and their instructions are data (templates/negatives.yaml); each is named by the
detector that must recognise the rewrite (stages/quality/detectors.py). One request per
(example, style), for the assistant turn a hash of the two picks, through the one teacher
interface, so it is content-addressed and cached like every other request. A rewrite is kept
only when it arrived whole, differs from the approved reply, and its style's detector gives
it p >= 0.5; every other outcome is counted by its reason. Used by the negatives stage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stages.core.ids import stable_int
from stages.core.jsonl import DataError
from stages.core.params import load_yaml
from stages.core.schemas import validate
from stages.dataset.examples import example_id
from stages.quality.detectors import LABELS
from stages.teacher.client import Outcome
from stages.teacher.types import Request

STYLE_FILE = Path("templates/negatives.yaml")
RECOGNISED = 0.5  # the style's detector probability a rewrite needs to be kept


def load_styles(path: Path, wanted: list[str]) -> dict[str, Any]:
    """The system prompt and the instruction of every style in `wanted`."""
    spec = load_yaml(path)
    validate("negatives", spec, str(path))
    for style in wanted:
        if style not in spec["styles"]:
            raise DataError(
                f"params.yaml: negatives.styles names {style!r}, which {path} does not "
                f"describe; it describes {sorted(spec['styles'])}"
            )
        if style not in LABELS:
            raise DataError(
                f"{path}: style {style!r} is not a detector label, so no rewrite could be "
                f"checked; use one of {list(LABELS)}"
            )
    return spec


@dataclass(frozen=True)
class Job:
    example: dict[str, Any]
    style: str
    turn: int  # index in example["turns"] of the assistant turn rewritten
    request: Request


def assistant_turn(example: dict[str, Any], style: str) -> int:
    """The assistant turn to rewrite, picked by a hash of the example and the style (a user
    message comes before every assistant turn, so the rewrite has something to answer)."""
    turns = example["turns"]
    answers = [i for i, t in enumerate(turns) if t["role"] == "assistant" and i > 0]
    return answers[stable_int(example["id"], style) % len(answers)]


def jobs(
    examples: list[dict[str, Any]], styles: list[str], spec: dict[str, Any], max_tokens: int
) -> list[Job]:
    out = []
    for ex in sorted(examples, key=lambda e: e["id"]):
        for style in styles:
            i = assistant_turn(ex, style)
            ask = (
                f"{spec['styles'][style].strip()}\n\n"
                f"The message:\n<message>\n{ex['turns'][i - 1]['content']}\n</message>\n\n"
                f"The approved reply:\n<reply>\n{ex['turns'][i]['content']}\n</reply>"
            )
            request = Request(spec["system"].strip(), (("user", ask),), max_tokens)
            out.append(Job(ex, style, i, request))
    return out


def rewrite_text(text: str) -> str:
    """The teacher's answer without the tags or quotes it may have copied from the prompt."""
    text = text.strip()
    if text.startswith("<reply>"):
        text = text.removeprefix("<reply>").split("</reply>")[0]
    return text.strip().strip('"').strip()


def outcome_of(job: Job, outcome: Outcome | None) -> tuple[str | None, str]:
    """(the rewrite, "kept") or (None, why it was dropped), before the detector check."""
    if outcome is None:
        return None, "not answered (budget)"
    resp = outcome.response
    if resp.finish == "error":
        return None, "teacher error"
    if resp.finish == "refusal":
        return None, "refused"
    if resp.finish == "length":
        return None, "cut at max_tokens"
    text = rewrite_text(resp.text)
    if not text:
        return None, "empty"
    if text == job.example["turns"][job.turn]["content"].strip():
        return None, "unchanged"
    return text, "kept"


def negative_row(job: Job, text: str, key: str, score: float) -> dict[str, Any]:
    """The rewritten example as a row: its own example id (the content with the new turn),
    the example it came from, the turn, the style, the request and the detector's score."""
    turns = [dict(t) for t in job.example["turns"]]
    turns[job.turn]["content"] = text
    return {
        "id": example_id(job.example["kind"], job.example["template"], turns),
        "example_id": job.example["id"],
        "style": job.style,
        "turn": job.turn,
        "content": text,
        "request_key": key,
        "score": score,
    }


def summary(requested: int, reasons: Counter) -> dict[str, Any]:
    return {
        "requested": requested,
        "kept": reasons["kept"],
        "dropped": dict(sorted((k, v) for k, v in reasons.items() if k != "kept")),
    }
