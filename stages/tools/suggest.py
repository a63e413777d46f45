"""suggest: candidate passages from the extracted books, ranked by inner experience.

    python -m stages suggest [--top 50] [--out suggestions.md] [--rate 10]

Reads data/extracted/paragraphs.jsonl (run `dvc repro extract` first) and writes
ready-to-paste passages.md entries with the reasons and suggested templates, so a person
reads 50 candidates instead of a whole book (ranking: stages/passages/rank.py). With
`--rate N` the configured teacher also rates the top N (cached like every teacher call).
"""

from __future__ import annotations

import sys
from pathlib import Path

from stages.core.jsonl import atomic_write_text, read_jsonl
from stages.core.params import load_params
from stages.passages.rank import candidates, entry, rate_with_teacher
from stages.teacher.client import resolved_params


def suggest(top: int, out: str | None, rate: int) -> int:
    curate = load_params("curate")
    ranked = candidates(
        read_jsonl("data/extracted/paragraphs.jsonl"), curate["min_words"], curate["max_words"]
    )
    if rate:
        rate_with_teacher(ranked[:rate], resolved_params(load_params()))
    picked = {}  # paragraph id -> title of the passage already curated from it
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
