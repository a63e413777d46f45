"""suggest: rank paragraphs of the extracted books by how much inner experience they carry.

    python -m stages suggest [--top 50] [--out data/suggestions.md] [--rate 10]

Reads data/extracted/paragraphs.jsonl (run `dvc repro extract` first). Each paragraph of
suitable length gets a score from cues of interiority, each counted per 100 words:

- interior verbs: feeling, perceiving, remembering, wondering (felt, noticed, remembered...)
- first-person voice: I, me, my, myself
- thought made visible: "I thought", "she wondered", questions asked inside the narration
- self-observation: myself, "part of me", watching or noticing oneself
- uncertainty: perhaps, not knowing, could not tell
- emotion words, and shifts between them (but, yet, underneath, at the same time)
- dialogue (quoted speech) counts against: it is usually outward, not inner

The output is ready-to-paste `passages.md` entries with the reasons and suggested templates,
so a person reads 50 candidates instead of a whole book. With `--rate N` the configured
teacher also rates the top N candidates (cached like every teacher call) and the two scores
are combined.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from stages.core import lexicon as lx

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
        "interior": lx.INTERIOR.findall(text),
        "first_person": lx.FIRST_PERSON.findall(text),
        "thought": lx.THOUGHT.findall(text),
        "self": lx.SELF.findall(text),
        "uncertain": lx.UNCERTAIN.findall(text),
        "emotion": lx.EMOTION.findall(text),
        "shift": lx.SHIFT.findall(text) if lx.EMOTION.search(text) else [],
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
    total = sum(parts.values()) * (1.0 - min(0.6, f["quoted"]))  # dialogue is mostly outward
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


def rate_with_teacher(top: list[dict[str, Any]]) -> None:
    """Ask the configured teacher for a 1-10 rating of each candidate (cached)."""
    from stages.core.params import load_params
    from stages.core.teacher import Request, Teacher

    tp = load_params("teacher")
    teacher = Teacher.from_params(tp, stage="suggest")
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
