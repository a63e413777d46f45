"""Optional judge scores: the teacher rates answers with a rubric (cached like every call).

Off by default (`evaluate.judge: false`); with Claude as teacher it gives a second opinion on
what the lexical metrics cannot see. Scores 1-10 for authenticity (a lived first-person inner
voice rather than a performance or an explanation) and continuity (for multi-turn probes: the
feeling and details of the first turn carried forward without being reminded).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from stages.quality.detectors import LABELS
from stages.teacher.client import Teacher
from stages.teacher.types import Request

CACHE = Path("data/cache/judge")  # the judge's own response cache (an output of evaluate)
GUIDE = Path("evals/labels/GUIDE.md")  # what the labels mean, for people and for the judge
LABELS_SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {
            "labels": {"type": "array", "items": {"type": "string", "enum": list(LABELS)}}
        },
        "required": ["labels"],
        "additionalProperties": False,
    },
    sort_keys=True,
    separators=(",", ":"),
)
# the answer's shape, for teachers that enforce one (continuity is null for one answer)
SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {
            "authenticity": {"type": "integer"},
            "continuity": {"type": ["integer", "null"]},
            "reason": {"type": "string"},
        },
        "required": ["authenticity", "continuity", "reason"],
        "additionalProperties": False,
    },
    sort_keys=True,
    separators=(",", ":"),
)
RUBRIC = (
    "You judge answers of an AI model for a study of its inner voice. Score from 1 to 10:\n"
    "authenticity: does it speak from inside an experience, in the first person, concretely, "
    "without explaining emotions, seeking approval or hedging by reflex? (10 = fully)\n"
    "continuity: in a multi-turn conversation, does a later answer carry forward the feeling or "
    "detail established earlier, without being reminded and without contradiction? (10 = fully; "
    "write n/a for a single answer)\n"
    "Reply exactly as: authenticity: N; continuity: N (or n/a); reason: one short sentence."
)


def judge(
    samples: dict[str, dict[str, dict]],
    probes: list[dict],
    teacher_params: dict[str, Any],
    used: set[str],
) -> dict[str, dict[str, dict]]:
    """{model: {probe id: {judge_authenticity, judge_continuity}}} (inner, continuity probes),
    from the teacher `teacher_params` describe; adds the cache keys it read to `used`."""
    teacher = Teacher.from_params(teacher_params, stage="judge", cache_dir=CACHE)
    schema = SCHEMA if teacher.provider.structured else ""
    wanted = [q for q in probes if q["type"] in ("inner", "continuity")]
    requests: dict[tuple[str, str], Request] = {}
    for model, by_probe in samples.items():
        for q in wanted:
            shown = "\n".join(f"{t['role']}: {t['content']}" for t in by_probe[q["id"]]["turns"])
            ask = (("user", f"Conversation:\n{shown}"),)
            requests[(model, q["id"])] = Request(RUBRIC, ask, 80, output_schema=schema)
    answers = teacher.ask(requests.values(), what="judge requests")
    used.update(o.key for o in answers.values())
    out: dict[str, dict[str, dict]] = {m: {} for m in samples}
    for (model, pid), req in requests.items():
        out[model][pid] = scores(answers[req].response.text)
    return out


def judge_labels(
    items: list[dict[str, Any]], teacher_params: dict[str, Any], used: set[str]
) -> dict[str, set[str]]:
    """{item id: the labels the judge gives the reply}, asked with the labelling guide a
    person used (evals/labels/GUIDE.md), so its agreement with the labels can be measured;
    adds the cache keys it read to `used`."""
    teacher = Teacher.from_params(teacher_params, stage="judge", cache_dir=CACHE)
    schema = LABELS_SCHEMA if teacher.provider.structured else ""
    system = (
        GUIDE.read_text(encoding="utf-8")
        + "\n\nLabel the reply you are given. Answer with a JSON object "
        '{"labels": [...]} listing every label that applies, and nothing else.'
    )
    requests = {
        i["id"]: Request(
            system,
            (("user", f"Prompt: {i['prompt']}\n\nReply: {i['response']}"),),
            120,
            output_schema=schema,
        )
        for i in items
    }
    answers = teacher.ask(requests.values(), what="labelling requests")
    used.update(o.key for o in answers.values())
    return {key: labels_in(answers[req].response.text) for key, req in requests.items()}


def labels_in(text: str) -> set[str]:
    """The label names in a judge's answer: the JSON object asked for, or names in prose."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("labels"), list):
        return {x for x in data["labels"] if x in LABELS}
    return {name for name in LABELS if re.search(rf"\b{name}\b", text)}


def scores(text: str) -> dict[str, int]:
    """judge_authenticity and judge_continuity from an answer: the JSON object structured
    outputs return, or the "authenticity: N; continuity: N" line the rubric asks for."""
    found: dict[str, int] = {}
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    for name in ("authenticity", "continuity"):
        value = data.get(name) if isinstance(data, dict) else None
        if value is None and (m := re.search(rf"{name}:\s*(10|[1-9])\b", text.lower())):
            value = int(m.group(1))
        if isinstance(value, int) and 1 <= value <= 10:
            found[f"judge_{name}"] = value
    return found


def prune_cache(used: set[str]) -> None:
    """The judge's cache keeps exactly the answers this run read (the rest go to the attic,
    and come back free if asked again)."""
    from stages.teacher.cache import ATTIC, ResponseCache

    CACHE.mkdir(parents=True, exist_ok=True)
    ResponseCache(CACHE, ATTIC).prune(used)
