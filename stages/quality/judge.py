"""Optional judge scores: the teacher rates answers with a rubric (cached like every call).

Off by default (`evaluate.judge: false`); with Claude as teacher it gives a second opinion on
what the lexical metrics cannot see. Scores 1-10 for authenticity (a lived first-person inner
voice rather than a performance or an explanation) and continuity (for multi-turn probes: the
feeling and details of the first turn carried forward without being reminded).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from stages.teacher.client import Teacher
from stages.teacher.types import Request

CACHE = Path("data/cache/judge")  # the judge's own response cache (an output of evaluate)
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
    wanted = [q for q in probes if q["type"] in ("inner", "continuity")]
    requests: dict[tuple[str, str], Request] = {}
    for model, by_probe in samples.items():
        for q in wanted:
            shown = "\n".join(f"{t['role']}: {t['content']}" for t in by_probe[q["id"]]["turns"])
            requests[(model, q["id"])] = Request(RUBRIC, (("user", f"Conversation:\n{shown}"),), 80)
    answers = teacher.ask(requests.values(), what="judge requests")
    teacher.cache.prune({o.key for o in answers.values()})  # exactly what these scores used
    out: dict[str, dict[str, dict]] = {m: {} for m in samples}
    for (model, pid), req in requests.items():
        text = answers[req].response.text.lower()
        scores: dict[str, Any] = {}
        for name in ("authenticity", "continuity"):
            m = re.search(rf"{name}:\s*(10|[1-9])\b", text)
            if m:
                scores[f"judge_{name}"] = int(m.group(1))
        out[model][pid] = scores
    return out


def clear_cache() -> None:
    """With the judge off, its cache holds nothing (old answers go to the attic)."""
    from stages.teacher.cache import ATTIC, ResponseCache

    CACHE.mkdir(parents=True, exist_ok=True)
    ResponseCache(CACHE, ATTIC).prune(set())
