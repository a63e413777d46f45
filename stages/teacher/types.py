"""What goes to a teacher and what comes back, and the shape every provider has.

A request's key hashes everything that decides its answer: the prompt exactly as sent
(system, messages, assistant prefill, stop strings), provider, model, sampling params,
max_tokens and the sample index.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from stages.core.ids import content_id


@dataclass(frozen=True)
class Request:
    system: str
    messages: tuple[tuple[str, str], ...]  # (role, content), starting with "user"
    max_tokens: int
    prefill: str = ""  # the start of the assistant's answer, sent as given
    stop: tuple[str, ...] = ()
    sample: int = 0  # the n-th sample of the same prompt gets its own key
    # a JSON schema the answer must follow (canonical JSON text), for providers that enforce
    # one (Claude's structured outputs); others are asked by the prompt and checked after
    output_schema: str = ""

    def prompt(self) -> dict[str, Any]:
        prompt = {
            "system": self.system,
            "messages": [{"role": r, "content": c} for r, c in self.messages],
            "prefill": self.prefill,
            "stop": list(self.stop),
        }
        if self.output_schema:  # only then: earlier prompts keep their ids
            prompt["output_schema"] = json.loads(self.output_schema)
        return prompt

    @property
    def prompt_id(self) -> str:
        return content_id("prm", self.prompt())

    def key(self, provider: str, model: str, sampling: dict[str, Any]) -> str:
        return content_id(
            "req",
            {
                "prompt": self.prompt_id,
                "provider": provider,
                "model": model,
                "sampling": sampling,
                "max_tokens": self.max_tokens,
                "sample": self.sample,
            },
        )


@dataclass
class Response:
    text: str  # the prefill followed by what the teacher wrote
    finish: str  # "stop", "length", "refusal" (the model declined), or "error"
    usage: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0
    error: str | None = None  # set when finish == "error": the call failed, nothing to cache


class Provider(Protocol):
    name: str
    model: str
    structured: bool  # enforces Request.output_schema itself

    def sampling(self) -> dict[str, Any]:
        """Params that change the answer (part of every key)."""

    def count_tokens(self, requests: list[Request]) -> list[int]:
        """Input tokens of each request, as the provider counts them (no answer is made)."""

    def run(self, requests: list[Request], done: Callable[[Request, Response], None]) -> None:
        """Answer `requests` (batched or concurrently), calling `done` as each finishes."""
