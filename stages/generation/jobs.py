"""One example in the making: a passage, a template and a sample index, as a state machine.

A job is asked for its next request, is fed the teacher's answer, and ends `done`,
`quarantined` (the answer is unusable: kept with the reason) or `failed` (the call failed:
asked again on the next run). Two kinds:
- WholeJob: the teacher writes the whole example as JSON; a cut answer is asked again with
  more room, an invalid one gets one repair request with the validation error.
- TurnJob: the pipeline builds the structure (user turns from the template's scripts, the
  <thinking> step, the prefill) and the model writes one plain-text turn at a time.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections import Counter
from typing import Any

from stages.core.ids import stable_int
from stages.dataset.templates import check_turns
from stages.generation.config import GenerationConfig
from stages.generation.prompts import parse_json_object, tidy, turn_request, whole_request
from stages.teacher.client import Outcome
from stages.teacher.types import Request


class Job(ABC):
    mode = ""

    def __init__(
        self, passage: dict, template: dict, sample: int, config: GenerationConfig
    ) -> None:
        self.passage, self.template, self.sample, self.config = passage, template, sample, config
        self.turns: list[dict[str, str]] = []
        self.outcomes: list[tuple[Request, Outcome]] = []
        self.notes: list[str] = []
        self.status = "running"  # -> done | quarantined | failed
        self.reason = ""  # why it was quarantined or failed
        self.raw = ""  # the last answer, kept in quarantine

    @property
    def name(self) -> str:
        return f"{self.passage['title']!r} x {self.template['name']} #{self.sample}"

    @property
    def steps(self) -> int:
        """Requests this job makes when nothing goes wrong."""
        return 1

    def next_request(self) -> Request | None:
        return None if self.status != "running" else self._request()

    def feed(self, request: Request, outcome: Outcome) -> None:
        self.outcomes.append((request, outcome))
        resp = outcome.response
        if resp.finish == "error":
            self.status, self.reason = "failed", resp.error or "teacher error"
        elif resp.finish == "refusal":  # the model declined: an answer, but not an example
            self.status, self.raw = "quarantined", resp.text
            self.reason = "refused: the teacher declined to write this example"
        else:
            self._answer(resp.text, resp.finish)

    @abstractmethod
    def _request(self) -> Request:
        """The next request (each kind of job builds its own)."""

    @abstractmethod
    def _answer(self, text: str, finish: str) -> None:
        """Take an answer that arrived (each kind of job reads its own)."""

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
            "cost_usd": round(math.fsum(o.response.cost_usd for _, o in self.outcomes), 8),
        }


class WholeJob(Job):
    mode = "whole"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.repairing = False  # the next request asks to correct `raw` (see `reason`)
        self.growth = 1  # max_tokens multiplier, doubled after an answer cut at max_tokens

    def _request(self) -> Request:
        return whole_request(
            self.config,
            self.template,
            self.passage,
            self.sample,
            self.config.max_tokens * self.growth,
            (self.raw, self.reason) if self.repairing else None,
        )

    def _answer(self, text: str, finish: str) -> None:
        self.raw = text
        if finish == "length":
            if self.growth < self.config.max_tokens_growth:
                self.growth *= 2  # ask again with more room rather than keep a cut answer
                return
            self.status, self.reason = "quarantined", "truncated: max_tokens reached"
            return
        try:
            data = parse_json_object(text)
            problem = check_turns(data.get("turns"), self.template)
        except ValueError as exc:
            problem = str(exc)
        if problem is None:
            self.turns = data["turns"]
            self.status = "done"
        elif not self.repairing and self.config.repair:
            self.repairing, self.reason = True, problem
        else:
            self.status, self.reason = "quarantined", problem


class TurnJob(Job):
    mode = "turns"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        local = self.template["local"]
        scripts = local["user_turns"]
        self.script = scripts[
            stable_int(self.passage["id"], self.template["name"], self.sample) % len(scripts)
        ]
        self.plan: list[tuple[str, int]] = []  # ("thinking" | "reply", turn index)
        for i, _ in enumerate(self.script):
            if self.template["thinking"] and "thinking" in local:
                self.plan.append(("thinking", i))
            self.plan.append(("reply", i))
        self.step = 0
        self.thoughts: dict[int, str] = {}  # turn index -> inner process written for it

    @property
    def steps(self) -> int:
        return len(self.plan)

    def _request(self) -> Request:
        what, i = self.plan[self.step]
        replies = [t["content"] for t in self.turns if t["role"] == "assistant"]
        thought = self.thoughts.get(i) if what == "reply" else None
        return turn_request(
            self.config,
            self.template,
            self.passage,
            self.sample,
            (what, i),
            self.script,
            replies,
            thought,
        )

    def _answer(self, text: str, finish: str) -> None:
        what, i = self.plan[self.step]
        clean, notes = tidy(text, finish == "length")
        self.notes += notes
        if len(clean.split()) < self.config.min_turn_words:
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


def build_jobs(
    mode: str,
    provider: str,
    samples: int,
    passages: list[dict],
    templates: dict,
    config: GenerationConfig,
) -> list[Job]:
    """One job per (passage, template, sample) in a stable order. `mode` auto means whole
    examples from Claude and turn by turn from a local model."""
    if mode == "auto":
        mode = "turns" if provider == "local" else "whole"
    kind = TurnJob if mode == "turns" else WholeJob
    return [
        kind(p, templates[name], s, config)
        for p in sorted(passages, key=lambda p: p["id"])
        for name in p["templates"]
        for s in range(samples)
    ]
