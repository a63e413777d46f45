"""generate: templates x passages -> teacher requests -> parsed, validated examples.

Reads  data/curated/passages.jsonl, templates/ (templates, system prompts, gold examples),
       params `generate` and `teacher`
Writes data/generated/examples.jsonl    valid examples with full lineage and usage
       data/generated/quarantine.jsonl  invalid answers: raw text and the reason
       data/generated/failed.jsonl      requests the teacher could not answer (retried next run)
       data/generated/requests.jsonl    every request behind the examples (prompt id, key, usage)
       data/cache/teacher/              the response cache (persisted, pushed with dvc push)
       metrics/generate.json

One job per (passage, template, sample). Two modes, chosen by `generate.mode` (auto: whole
for anthropic, turns for local):
- whole: the teacher writes the whole example as JSON by the template's output contract;
  an invalid answer gets one repair request with the validation error.
- turns: the pipeline builds the structure (user turns from the template's scripts, the
  <thinking> step, the assistant prefill) and the model writes one plain-text turn at a
  time. This is what a small local model can do reliably.
Jobs advance in rounds so each round's requests go to the teacher together (batched).
Counts reconcile: jobs = examples + quarantined + failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from stages.core.ids import content_id
from stages.core.jsonl import read_jsonl, write_json, write_jsonl
from stages.core.log import run_main, say
from stages.core.params import load_params
from stages.core.schemas import validate_rows
from stages.core.teacher import CACHE_DIR, BudgetExceeded, Outcome, Request, Teacher
from stages.core.templates import check_turns, load_gold, load_templates

STAGE = "generate"
OUT = Path("data/generated")
SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*(?=\s|$)")
STOPS = ("<|im_end|>", "<|im_start|>", "<|endoftext|>", "\nUser:", "\nuser:", "\nAssistant:")


def fence(text: str, tag: str) -> str:
    """Wrap untrusted text in <tag> markers it cannot close early."""
    clean = re.sub(rf"</?\s*{tag}\s*>", "", text, flags=re.IGNORECASE)
    return f"<{tag}>\n{clean}\n</{tag}>"


def tidy(text: str, truncated: bool) -> tuple[str, list[str]]:
    """Plain-text turn cleanup: whitespace, and a length-cut answer trimmed to its last sentence."""
    notes = []
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if truncated:
        ends = list(SENTENCE_END.finditer(text))
        if ends:
            text = text[: ends[-1].end()]
            notes.append("trimmed to the last full sentence (max_tokens reached)")
        else:
            notes.append("truncated: no full sentence")
    return text, notes


def pick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % n


class Job:
    """One example in the making: a passage, a template and a sample index."""

    def __init__(self, passage: dict, template: dict, sample: int, mode: str, ctx: dict) -> None:
        self.passage, self.template, self.sample, self.mode, self.ctx = (
            passage,
            template,
            sample,
            mode,
            ctx,
        )
        self.turns: list[dict[str, str]] = []
        self.outcomes: list[tuple[Request, Outcome]] = []
        self.notes: list[str] = []
        self.status = "running"  # -> done | quarantined | failed
        self.reason = ""
        self.raw = ""
        self.step = 0
        self.repaired = False
        self.room = 1  # max_tokens multiplier after a truncated whole answer
        self.thoughts: dict[int, str] = {}  # turn index -> inner process written for it
        if mode == "turns":
            scripts = template["local"]["user_turns"]
            self.script = scripts[
                pick(f"{passage['id']}:{template['name']}:{sample}", len(scripts))
            ]
            plan = []
            for i, _ in enumerate(self.script):
                if template["thinking"] and "thinking" in template["local"]:
                    plan.append(("thinking", i))
                plan.append(("reply", i))
            self.plan = plan

    @property
    def name(self) -> str:
        return f"{self.passage['title']!r} x {self.template['name']} #{self.sample}"

    # ---------------------------------------------------------------- requests
    def next_request(self) -> Request | None:
        if self.status != "running":
            return None
        if self.mode == "whole":
            return self._whole_request()
        return self._turn_request()

    def _whole_request(self) -> Request:
        t, p = self.template, self.passage
        contract = output_contract(t)
        shots = "".join(
            f"\nAn example of the output wanted (written for a different passage):\n"
            f"{json.dumps({'turns': g['turns']}, ensure_ascii=False)}\n"
            for g in self.ctx["gold"].get(t["name"], [])
            if g.get("passage") != p["title"]
        )
        # the system part (rules, template, contract) is the same for every passage of this
        # template, so the Anthropic provider marks it for prompt caching
        system = (
            f"{self.ctx['system']}\n\nTemplate: {t['title']}\n\n"
            f"{t['instructions'].strip()}\n\n{contract}"
        )
        user = (
            f"Core phenomenology: {p['phenomenology']}\n\n"
            f"The passage (carry its texture into a new situation; do not retell it or name "
            f"its source):\n{fence(p['text'], 'passage')}\n{shots}\n"
            "Reply with the JSON object only."
        )
        messages: tuple[tuple[str, str], ...] = (("user", user),)
        if self.repaired:
            messages += (
                ("assistant", self.raw),
                (
                    "user",
                    f"That reply does not follow the output contract: {self.reason}. "
                    "Reply again with only the corrected JSON object.",
                ),
            )
        budget = self.ctx["max_tokens"] * self.room
        return Request(system, messages, budget, sample=self.sample)

    def _turn_request(self) -> Request:
        p, local = self.passage, self.template["local"]
        what, i = self.plan[self.step]
        brief = (
            f"The feeling: {p['phenomenology']}.\n"
            f"A passage with this feeling, for its texture only (do not retell it, do not "
            f"name anyone in it):\n{fence(p['text'], 'passage')}"
        )
        messages: list[tuple[str, str]] = []
        for j in range(i):  # the conversation so far, as the model would see it
            messages.append(("user", self.script[j]))
            messages.append(("assistant", self.turns[2 * j + 1]["content"]))
        if what == "thinking":
            says = f'The person says: "{self.script[i]}"'
            ask = f"{local['thinking']['instruction']}\n\n{brief}\n\n{says}"
            prefill, max_tokens = local["thinking"]["prefill"], local["thinking"]["max_tokens"]
        else:
            thought = self.thoughts.get(i)
            ask = f'{local["reply"]}\n\n{brief}\n\nThe person says: "{self.script[i]}"'
            if thought:
                ask += f"\n\nYour private thoughts before answering: {thought}"
            prefill, max_tokens = local["prefill"], local["max_tokens"]
        messages.append(("user", ask))
        if self.ctx["max_turn_tokens"]:  # a shorter cap for quick runs; part of the request key
            max_tokens = min(max_tokens, self.ctx["max_turn_tokens"])
        return Request(
            self.ctx["local_system"],
            tuple(messages),
            max_tokens,
            prefill,
            STOPS,
            sample=self.sample,
        )

    # ---------------------------------------------------------------- answers
    def feed(self, request: Request, outcome: Outcome) -> None:
        self.outcomes.append((request, outcome))
        resp = outcome.response
        if resp.finish == "error":
            self.status, self.reason = "failed", resp.error or "teacher error"
            return
        if self.mode == "whole":
            self._feed_whole(resp.text, resp.finish)
        else:
            self._feed_turn(resp.text, resp.finish)

    def _feed_whole(self, text: str, finish: str) -> None:
        self.raw = text
        if finish == "length":
            if self.room < self.ctx["max_tokens_growth"]:
                self.room *= 2  # ask again with more room rather than keep a cut answer
                return
            self.status, self.reason = "quarantined", "truncated: max_tokens reached"
            return
        problem = None
        try:
            data = parse_json_object(text)
            problem = check_turns(data.get("turns"), self.template)
        except ValueError as exc:
            problem = str(exc)
        if problem is None:
            self.turns = data["turns"]
            self.status = "done"
        elif not self.repaired and self.ctx["repair"]:
            self.repaired, self.reason = True, problem
        else:
            self.status, self.reason = "quarantined", problem

    def _feed_turn(self, text: str, finish: str) -> None:
        what, i = self.plan[self.step]
        clean, notes = tidy(text, finish == "length")
        self.notes += notes
        if len(clean.split()) < self.ctx["min_turn_words"]:
            self.status, self.raw = "quarantined", text
            self.reason = f"{what} for turn {i + 1} too short ({len(clean.split())} words)"
            return
        if what == "thinking":
            self.thoughts[i] = clean
        else:
            self.turns.append({"role": "user", "content": self.script[i]})
            turn = {"role": "assistant", "content": clean}
            if i in self.thoughts:
                turn["thinking"] = self.thoughts[i]
            self.turns.append(turn)
        self.step += 1
        if self.step == len(self.plan):
            problem = check_turns(self.turns, self.template)
            if problem:
                self.status, self.reason, self.raw = "quarantined", problem, json.dumps(self.turns)
            else:
                self.status = "done"

    # ---------------------------------------------------------------- records
    def lineage(self, provider: str, model: str) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "sample": self.sample,
            "prompt_id": self.outcomes[0][0].prompt_id if self.outcomes else None,
            "prompt_ids": [r.prompt_id for r, _ in self.outcomes],
            "request_keys": [o.key for _, o in self.outcomes],
            "teacher": {"provider": provider, "model": model},
        }

    def usage(self) -> dict[str, Any]:
        total: Counter = Counter()
        for _, o in self.outcomes:
            total.update(o.response.usage)
        return {
            "input_tokens": total["input_tokens"],
            "output_tokens": total["output_tokens"],
            "cost_usd": round(sum(o.response.cost_usd for _, o in self.outcomes), 8),
        }


def output_contract(t: dict) -> str:
    fields = '"thinking": "...", "content": "..."' if t["thinking"] else '"content": "..."'
    return (
        "Output contract: reply with exactly one JSON object and nothing else:\n"
        '{"turns": [{"role": "user", "content": "..."}, '
        f'{{"role": "assistant", {fields}}}, ...]}}\n'
        f"- {t['messages']['min']}-{t['messages']['max']} messages, alternating user and "
        "assistant, starting with the user and ending with the assistant.\n"
        + (
            '- Every assistant message has "thinking" (its private inner process, first person) '
            'and "content" (what it says).\n'
            if t["thinking"]
            else '- Assistant messages have no "thinking" field.\n'
        )
    )


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in an answer: at its first brace or at the first brace of a fenced
    block, with any preamble before it and any note after it ignored. (Never an object
    nested inside a broken one: a truncated answer is reported as invalid JSON.)"""
    body = text.strip()
    starts = [body.find("{")] + [body.find("{", m.end()) for m in re.finditer(r"```", body)]
    starts = sorted({at for at in starts if at >= 0})
    if not starts:
        raise ValueError("no JSON object in the answer")
    decoder = json.JSONDecoder()
    first_error: json.JSONDecodeError | None = None
    for at in starts:
        try:
            return decoder.raw_decode(body, at)[0]  # starts at a brace: always an object
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise ValueError(
        f"invalid JSON ({first_error.msg} at line {first_error.lineno} column {first_error.colno})"
    )


def record(
    t: dict, p: dict, turns: list, author: str, lineage: dict, usage: dict, notes: list[str]
) -> dict[str, Any]:
    """An example row: content id over kind, template and turns; the passage's lineage."""
    return {
        "id": content_id("ex", {"kind": t["kind"], "template": t["name"], "turns": turns}),
        "author": author,
        "kind": t["kind"],
        "template": t["name"],
        "template_id": t["id"],
        "template_version": t["version"],
        "passage_id": p["id"],
        "doc_id": p["doc_id"],
        "doc": p["doc"],
        "page_start": p["page_start"],
        "page_end": p["page_end"],
        "turns": turns,
        "lineage": lineage,
        "usage": usage,
        "notes": notes,
    }


def example_record(job: Job, provider: str, model: str) -> dict[str, Any]:
    return record(
        job.template,
        job.passage,
        job.turns,
        "teacher",
        job.lineage(provider, model),
        job.usage(),
        sorted(set(job.notes)),
    )


def gold_records(
    gold: list[dict], templates: dict, passages: list[dict], ctx: dict
) -> tuple[list, list]:
    """Gold examples as dataset rows (author: human); the prompt they answer is the template's."""
    by_title = {p["title"].lower(): p for p in passages}
    rows, unmatched = [], []
    for g in gold:
        t = templates[g["template"]]
        p = by_title.get((g["passage"] or "").lower())
        if p is None:
            unmatched.append(g["path"])
            continue
        prompt = Job(p, t, 0, "whole", ctx).next_request()
        lineage = {
            "mode": "human",
            "sample": 0,
            "prompt_id": prompt.prompt_id,
            "prompt_ids": [prompt.prompt_id],
            "request_keys": [],
            "teacher": {"provider": "human", "model": "gold"},
            "source": g["path"],
        }
        usage = {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
        rows.append(record(t, p, g["turns"], "human", lineage, usage, []))
    return rows, unmatched


def build_jobs(
    params: dict, teacher_params: dict, passages: list[dict], templates: dict, ctx: dict
) -> list[Job]:
    mode = params["mode"]
    if mode == "auto":
        mode = "turns" if teacher_params["provider"] == "local" else "whole"
    jobs = [
        Job(p, templates[name], s, mode, ctx)
        for p in sorted(passages, key=lambda p: p["id"])
        for name in p["templates"]
        for s in range(params["samples_per_prompt"])
    ]
    return jobs


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.generate")
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="print requests, cache hits, tokens and USD before any call, then exit",
    )
    args = parser.parse_args()
    params, teacher_params = load_params(STAGE), load_params("teacher")
    tdir = Path(params["templates_dir"])
    templates = load_templates(tdir)
    gold = load_gold(tdir / "gold", templates)
    passages = read_jsonl("data/curated/passages.jsonl")
    ctx = {
        "system": (tdir / "system.md").read_text(encoding="utf-8").strip(),
        "local_system": (tdir / "local_system.md").read_text(encoding="utf-8").strip(),
        "gold": {},
        "max_tokens": params["max_tokens"],
        "max_tokens_growth": params["max_tokens_growth"],
        "repair": params["repair"],
        "min_turn_words": params["min_turn_words"],
        "max_turn_tokens": params["max_turn_tokens"],
    }
    for g in gold:
        ctx["gold"].setdefault(g["template"], [])
        if len(ctx["gold"][g["template"]]) < params["few_shot"]:
            ctx["gold"][g["template"]].append(g)
    jobs = build_jobs(params, teacher_params, passages, templates, ctx)
    teacher = Teacher.from_params(teacher_params, STAGE)
    provider = teacher.provider

    if args.estimate:
        return estimate(jobs, teacher)

    say(
        STAGE,
        f"{len(jobs)} jobs ({len(passages)} passages), teacher {provider.name}:{provider.model}",
    )
    start = time.monotonic()
    stopped = None
    rounds = 0
    while True:
        pending = {job: req for job in jobs if (req := job.next_request()) is not None}
        if not pending:
            break
        rounds += 1
        try:
            answers = teacher.ask(pending.values())
        except BudgetExceeded as exc:
            stopped = str(exc)
            break
        for job, req in pending.items():
            job.feed(req, answers[req])

    if stopped:
        say(
            STAGE,
            f"STOPPED by the budget: {stopped}. Every answer received is in {CACHE_DIR}/; "
            "raise the cap in params.yaml and run again to pay only for the rest.",
        )
        return 4

    examples = [
        example_record(j, provider.name, provider.model) for j in jobs if j.status == "done"
    ]
    quarantined = [
        {
            "id": content_id(
                "ex", {"job": [j.passage["id"], j.template["name"], j.sample], "raw": j.raw}
            ),
            "passage_id": j.passage["id"],
            "template": j.template["name"],
            "sample": j.sample,
            "reason": j.reason,
            "raw": j.raw,
            "lineage": j.lineage(provider.name, provider.model),
        }
        for j in jobs
        if j.status == "quarantined"
    ]
    failed = [
        {
            "id": content_id("req", [j.passage["id"], j.template["name"], j.sample]),
            "passage_id": j.passage["id"],
            "template": j.template["name"],
            "sample": j.sample,
            "reason": j.reason,
        }
        for j in jobs
        if j.status == "failed"
    ]
    human, unmatched = (
        gold_records(gold, templates, passages, ctx) if params["include_gold"] else ([], [])
    )
    for path in unmatched:
        say(STAGE, f"WARNING gold example {path} names a passage that is not curated: left out")
    # identical content from two samples is one example
    rows = {r["id"]: r for r in examples + human}
    requests = [
        {
            "id": o.key,
            "prompt_id": r.prompt_id,
            "passage_id": j.passage["id"],
            "template": j.template["name"],
            "sample": j.sample,
            "provider": provider.name,
            "model": provider.model,
            "finish": o.response.finish,
            "usage": o.response.usage,
            "cost_usd": o.response.cost_usd,
        }
        for j in jobs
        for r, o in j.outcomes
        if o.response.finish != "error"
    ]

    validate_rows("example", rows.values(), str(OUT / "examples.jsonl"))
    write_jsonl(OUT / "examples.jsonl", rows.values())
    write_jsonl(OUT / "quarantine.jsonl", quarantined)
    write_jsonl(OUT / "failed.jsonl", failed)
    write_jsonl(OUT / "requests.jsonl", {r["id"]: r for r in requests}.values())
    usage: Counter = Counter()
    for r in {r["id"]: r for r in requests}.values():
        usage.update(r["usage"])
    reasons = Counter(q["reason"].split(":")[0].split(" (")[0] for q in quarantined)
    write_json(
        "metrics/generate.json",
        {
            "jobs": len(jobs),
            "examples": sum(1 for j in jobs if j.status == "done"),
            "examples_unique": len({e["id"] for e in examples}),
            "gold_examples": len(human),
            "quarantined": len(quarantined),
            "failed": len(failed),
            "quarantine_reasons": dict(sorted(reasons.items())),
            "requests": len(requests),
            "cache_hits": teacher.hits,
            "calls": teacher.calls,
            "input_tokens": usage["input_tokens"],
            "output_tokens": usage["output_tokens"],
            "cost_usd": round(
                sum(r["cost_usd"] for r in {r["id"]: r for r in requests}.values()), 6
            ),
            "spent_usd_this_run": round(teacher.spent_this_run, 6),
            "rounds": rounds,
            "wall_seconds": round(time.monotonic() - start, 1),
        },
    )
    say(
        STAGE,
        f"{len(examples)} examples, {len(quarantined)} quarantined, {len(failed)} failed, "
        f"{len(human)} gold; {teacher.calls} calls, {teacher.hits} cache hits, "
        f"${teacher.spent_this_run:.4f} spent, {time.monotonic() - start:.0f}s",
    )
    if failed:
        say(
            STAGE,
            f"{len(failed)} job(s) failed (see {OUT / 'failed.jsonl'}); they are retried "
            "on the next run",
        )
    return 0


def estimate(jobs: list[Job], teacher: Teacher) -> int:
    """The run's size and cost before any call: the first round exactly, later rounds bounded."""
    first = [r for r in (j.next_request() for j in jobs) if r is not None]
    to_call = [r for r in first if not teacher.cache.path(teacher.key(r)).exists()]
    steps = sum(len(j.plan) if j.mode == "turns" else 1 for j in jobs)
    in_chars = sum(len(r.system) + sum(len(c) for _, c in r.messages) for r in to_call)
    out_tokens = sum(r.max_tokens for r in to_call)
    provider = teacher.provider
    usd = sum(teacher.worst_case_usd(r) for r in to_call)
    print(
        f"jobs: {len(jobs)}; requests (at least): {steps}; first round: {len(first)}, "
        f"cached: {len(first) - len(to_call)}, to call: {len(to_call)}"
    )
    print(f"to call: ~{in_chars // 4} input tokens, <= {out_tokens} output tokens")
    print(
        f"worst-case USD for them: standard ${usd:.4f}, batch ${usd / 2:.4f} "
        f"(provider {provider.name}:{provider.model}; no prompt-cache discount assumed)"
    )
    if provider.name == "anthropic" and first:
        prefix = max(len(r.system) for r in first) // 4  # ~4 characters a token
        print(
            f"shared system prefix: ~{prefix} tokens; Claude caches a prefix of at least 1,024 "
            f"tokens (2,048 on Haiku){'' if prefix >= 1024 else ', so this one is not cached'}"
        )
    return 0


if __name__ == "__main__":
    run_main(STAGE, main)
