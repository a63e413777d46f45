"""Ranking paragraphs of the extracted books by how much inner experience they carry.

Used by the suggest command (stages/tools/suggest.py). Each paragraph of suitable length gets
a score from cues of interiority, each counted per 100 words:

- interior verbs: feeling, perceiving, remembering, wondering (felt, noticed, remembered...)
- first-person voice: I, me, my, myself
- thought made visible: "I thought", "she wondered", questions asked inside the narration
- self-observation: myself, "part of me", watching or noticing oneself
- uncertainty: perhaps, not knowing, could not tell
- emotion words, and shifts between them (but, yet, underneath, at the same time)
- dialogue (quoted speech) counts against: it is usually outward, not inner

`entry` writes a candidate as a ready-to-paste `passages.md` entry with the reasons and
suggested templates. `rate_with_teacher` asks the configured teacher for a rating (cached like
every teacher call), combined with the score.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from stages.quality import lexicon as lx

# Cues of interiority in narrative prose.
INTERIOR = re.compile(
    r"\b(feel|feels|felt|feeling|notice|noticed|noticing|remember|remembered|recall|recalled|wonder|wondered|sense|sensed|realis(?:e|ed)|realiz(?:e|ed)|imagine|imagined|fear|feared|hope|hoped|wish|wished|long|longed|ache|ached|dread|dreaded|want|wanted|seem|seemed|know|knew|aware|watch|watched|listen|listened|observe|observed|observing)\b",
    re.I,
)
THOUGHT = re.compile(
    r"\b(i|he|she|they|we) (thought|wondered|asked (my|him|her|them)sel(f|ves)|told (my|him|her)self)\b|\?",
    re.I,
)
SELF = re.compile(
    r"\b(myself|himself|herself|part of me|inside me|in me|my (own )?mind|the observer|watching (the|my)|noticed (that )?i|caught myself|my attention|two of me|watch(ed|ing)? my|observ(e|ed|ing) (the|my) \w+)\b",
    re.I,
)
UNCERTAIN = re.compile(
    r"\b(perhaps|maybe|not (yet )?know(ing)?|did not know|didn'?t know|could not tell|unsure|uncertain|no name|nameless|as if|as though)\b",
    re.I,
)
EMOTIONS = "joy happy happiness glad delight grief sad sadness sorrow fear afraid frightened scared anger angry rage shame ashamed guilt lonely loneliness tender tenderness anxious anxiety dread relief calm restless longing love loved hate despair panic ache hurt heavy heaviness warmth grateful gratitude embarrassed wonder peace unease worry worried nervous".split()  # noqa: SIM905
EMOTION = re.compile(r"\b(" + "|".join(EMOTIONS) + r")\b", re.I)
SHIFT = re.compile(
    r"\b(but|yet|and yet|even (while|as)|underneath|at the same time|suddenly|instead|beside|neither)\b",
    re.I,
)
QUOTED = re.compile(r"[\"“][^\"”]{3,}[\"”]")
WEIGHTS = {
    "interior": 1.0,
    "first_person": 0.25,
    "thought": 1.5,
    "self": 2.0,
    "uncertain": 1.5,
    "emotion": 1.2,
    "shift": 0.6,
}
LABELS = {
    "interior": "interior verbs",
    "first_person": "first-person voice",
    "thought": "thought made visible",
    "self": "self-observation",
    "uncertain": "uncertainty",
    "emotion": "emotion words",
    "shift": "emotional shifts",
}


def features(text: str) -> dict[str, Any]:
    n = max(1, len(lx.words(text)))
    hits = {
        "interior": INTERIOR.findall(text),
        "first_person": lx.FIRST_PERSON.findall(text),
        "thought": THOUGHT.findall(text),
        "self": SELF.findall(text),
        "uncertain": UNCERTAIN.findall(text),
        "emotion": EMOTION.findall(text),
        "shift": SHIFT.findall(text) if EMOTION.search(text) else [],
    }
    rates = {k: 100.0 * len(v) / n for k, v in hits.items()}
    quoted = sum(len(m) for m in QUOTED.findall(text)) / max(1, len(text))
    words = {k: _words(v) for k, v in hits.items()}
    return {"rates": rates, "words": words, "quoted": quoted, "emotions": words["emotion"]}


def _words(found: list[Any]) -> list[str]:
    flat = [f if isinstance(f, str) else next((x for x in f if x), "") for f in found]
    return [w for w, _ in Counter(x.lower() for x in flat if x and x != "?").most_common(3)]


def score(text: str) -> tuple[float, list[str], dict[str, Any]]:
    f = features(text)
    parts = {k: WEIGHTS[k] * min(v, 12.0) for k, v in f["rates"].items()}  # cap any one cue
    total = math.fsum(parts.values()) * (1.0 - min(0.6, f["quoted"]))  # dialogue is mostly outward
    top = sorted(parts, key=parts.get, reverse=True)[:3]
    reasons = [f"{LABELS[k]} ({', '.join(f['words'][k]) or k})" for k in top if parts[k] > 0]
    if f["quoted"] > 0.3:
        reasons.append("much quoted dialogue")
    return round(total, 2), reasons, f


def suggest_templates(f: dict[str, Any]) -> list[int]:
    r = f["rates"]
    out = []
    if r["first_person"] > 3 or r["interior"] > 3:
        out.append(1)  # inner monologue
    out.append(2)  # conversation with visible thinking suits almost anything
    if len(set(f["emotions"])) >= 2 or r["shift"] > 1:
        out.append(3)  # emotional continuity: a feeling that moves
    if r["self"] > 0.5 or r["thought"] > 1:
        out.append(4)  # meta-awareness
    if r["uncertain"] > 1 and r["self"] > 0.5:
        out.append(5)  # computational phenomenology: not-knowing, attention
    return sorted(set(out))


def candidates(paragraphs: list[dict[str, Any]], min_words: int, max_words: int) -> list[dict]:
    out = []
    for p in paragraphs:
        n = len(p["text"].split())
        if p["kind"] != "paragraph" or not min_words <= n <= max_words:
            continue
        s, reasons, f = score(p["text"])
        out.append(
            {
                "paragraph": p,
                "score": s,
                "reasons": reasons,
                "features": f,
                "templates": suggest_templates(f),
            }
        )
    out.sort(key=lambda c: (-c["score"], c["paragraph"]["id"]))
    return out


def entry(n: int, c: dict[str, Any]) -> str:
    p = c["paragraph"]
    title = " ".join(p["text"].split()[:6]).rstrip(",.;:") + "..."
    phen = ", ".join(c["features"]["emotions"]) or "inner experience"
    cues = "; ".join(c["reasons"])
    return (
        f"## PASSAGE {n}: {title}\n"
        f"<!-- score {c['score']}; {p['doc']} p. {p['page_start']}"
        f"{'-' + str(p['page_end']) if p['page_end'] != p['page_start'] else ''}; {cues} -->\n"
        f"**Core phenomenology:** {phen} (edit: name what it feels like from inside)\n"
        f'"""\n{p["text"]}\n"""\n'
        f"**Applicable templates:** {', '.join(map(str, c['templates']))}\n"
    )


def rate_with_teacher(top: list[dict[str, Any]], teacher_params: dict[str, Any]) -> None:
    """Ask the teacher `teacher_params` describe for a 1-10 rating of each candidate (cached)."""
    from stages.teacher.client import Teacher
    from stages.teacher.types import Request

    teacher = Teacher.from_params(teacher_params, stage="suggest")
    system = (
        "You rate book passages for a dataset about inner experience: first-person inner "
        "voice, feelings that move, a mind noticing itself. Answer with a score from 1 to 10 "
        "and one short reason, like: 7 - the narrator watches her own fear."
    )
    requests = {
        id(c): Request(system, (("user", f"Passage:\n{c['paragraph']['text']}\n\nScore:"),), 40)
        for c in top
    }
    answers = teacher.ask(requests.values())
    for c in top:
        text = answers[requests[id(c)]].response.text
        m = re.search(r"\b(10|[1-9])\b", text)
        c["teacher_score"] = int(m.group(1)) if m else None
        c["teacher_reason"] = text.strip().splitlines()[0][:160] if text.strip() else ""
        if c["teacher_score"] is not None:
            c["score"] = round(c["score"] * (0.5 + c["teacher_score"] / 10), 2)
            c["reasons"].append(f"teacher: {c['teacher_reason']}")
    top.sort(key=lambda c: (-c["score"], c["paragraph"]["id"]))
