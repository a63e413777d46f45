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

from stages.teacher.client import Teacher
from stages.teacher.types import Request

CACHE = Path("data/cache/judge")  # the judge's own response cache (an output of evaluate)
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
    samples: dict[str, dict[str, dict]], probes: list[dict], teacher_params: dict[str, Any]
) -> dict[str, dict[str, dict]]:
    """{model: {probe id: {judge_authenticity, judge_continuity}}} (inner, continuity probes),
    from the teacher `teacher_params` describe."""
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
    teacher.cache.prune({o.key for o in answers.values()})  # exactly what these scores used
    out: dict[str, dict[str, dict]] = {m: {} for m in samples}
    for (model, pid), req in requests.items():
        out[model][pid] = scores(answers[req].response.text)
    return out


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


def clear_cache() -> None:
    """With the judge off, its cache holds nothing (old answers go to the attic)."""
    from stages.teacher.cache import ATTIC, ResponseCache

    CACHE.mkdir(parents=True, exist_ok=True)
    ResponseCache(CACHE, ATTIC).prune(set())
