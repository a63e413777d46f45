"""The one teacher interface the stages use: cache in front of a provider, with a budget.

`Teacher.from_params(resolved_params(params), stage)` builds it; `ask(requests)` answers a round
of requests from the cache (stages/teacher/cache.py) or the provider named in params, with
progress, a spending cap and an offline mode that never calls anybody.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError
from stages.core.log import Progress
from stages.teacher.cache import ATTIC, CACHE_DIR, ResponseCache
from stages.teacher.types import Provider, Request, Response


class BudgetExceeded(Exception):
    pass


@dataclass
class Budget:
    """Caps on the whole dataset's teacher spend (cached answers count: they were paid for)."""

    max_usd: float | None
    max_requests: int | None
    spent_usd: float = 0.0
    requests: int = 0

    def add(self, response: Response) -> None:
        self.spent_usd += response.cost_usd
        self.requests += 1

    def check(self, worst_case_usd: float) -> None:
        if self.max_requests is not None and self.requests + 1 > self.max_requests:
            raise BudgetExceeded(
                f"teacher.budget.max_requests={self.max_requests} reached "
                f"({self.requests} requests answered)"
            )
        if self.max_usd is not None and self.spent_usd + worst_case_usd > self.max_usd:
            raise BudgetExceeded(
                f"teacher.budget.max_usd={self.max_usd} would be exceeded "
                f"(spent ${self.spent_usd:.4f}, next request may cost up to ${worst_case_usd:.4f})"
            )


@dataclass
class Outcome:
    response: Response
    key: str
    cached: bool


class Teacher:
    """Cache in front of a provider, with a budget; `ask` answers a round of requests."""

    def __init__(
        self,
        provider: Provider,
        cache: ResponseCache,
        budget: Budget,
        worst_case_usd: Callable[[Request], float] | None = None,
        offline: bool = False,
    ) -> None:
        self.provider, self.cache, self.budget = provider, cache, budget
        self.worst_case_usd = worst_case_usd or (lambda r: 0.0)
        self.offline = offline
        self.hits = self.calls = self.failures = 0
        self.spent_this_run = 0.0

    @classmethod
    def from_params(
        cls, params: dict[str, Any], stage: str, cache_dir: str | Path = CACHE_DIR
    ) -> Teacher:
        """The teacher the `teacher` section of params describes, with its response cache."""
        provider = make_provider(params, stage)
        return cls(
            provider,
            ResponseCache(cache_dir, ATTIC),
            Budget(params["budget"]["max_usd"], params["budget"]["max_requests"]),
            getattr(provider, "worst_case_usd", None),
            offline=params["offline"],
        )

    def telemetry(self) -> dict[str, Any]:
        """This run's calls, cache hits and spend: for the run log, never for metrics (a
        rebuild elsewhere makes other calls for the same data)."""
        return {
            "calls": self.calls,
            "cache_hits": self.hits,
            "spent_usd": round(self.spent_this_run, 6),
        }

    def key(self, request: Request) -> str:
        return request.key(self.provider.name, self.provider.model, self.provider.sampling())

    def ask(
        self, requests: Iterable[Request], what: str = "teacher requests"
    ) -> dict[Request, Outcome]:
        """Answers for `requests`: from the cache when there, else from the provider.

        Prints progress (done/total, cache hits, failures, spend, ETA) on long runs. Raises
        BudgetExceeded (after keeping every answer that arrived) when the budget cannot cover
        the next call, and DataError in offline mode on a cache miss.
        """
        out: dict[Request, Outcome] = {}
        misses: list[Request] = []
        unique = list(dict.fromkeys(requests))
        keys = {req: self.key(req) for req in unique}  # hashing once per request
        for req in unique:
            key = keys[req]
            cached = self.cache.get(key)
            if cached is not None:
                self.hits += 1
                self.budget.add(cached)
                out[req] = Outcome(cached, key, True)
            else:
                misses.append(req)
        if not misses:
            return out
        if self.offline:
            raise DataError(
                f"teacher.offline is true and {len(misses)} request(s) are not in the cache "
                f"({self.cache.dir}); e.g. {self.key(misses[0])}. Pull the cache (dvc pull) or "
                "set teacher.offline: false to call the teacher"
            )
        allowed: list[Request] = []
        stop: BudgetExceeded | None = None
        worst: dict[Request, float] = {}
        for req in misses:
            worst[req] = self.worst_case_usd(req)
            try:
                self.budget.check(worst[req])
            except BudgetExceeded as exc:
                stop = exc
                break
            self.budget.requests += 1  # reserve; the cost is added when it arrives
            self.budget.spent_usd += worst[req]
            allowed.append(req)

        progress = Progress(
            self.provider.name, len(unique), what, initial=len(unique) - len(misses)
        )

        lock = threading.Lock()

        def done(req: Request, resp: Response) -> None:
            """Keep an answer; providers may call this from their worker threads."""
            key = keys[req]
            if resp.finish != "error":
                self.cache.put(key, req, self.provider, resp)  # its own file: no lock needed
            with lock:
                self.budget.spent_usd += resp.cost_usd - worst[req]
                if resp.finish == "error":
                    self.failures += 1
                    self.budget.requests -= 1
                else:
                    self.calls += 1
                    self.spent_this_run += resp.cost_usd
                out[req] = Outcome(resp, key, False)
                progress.step(
                    extra=f"{self.hits} cached, {self.failures} failed, "
                    f"${self.spent_this_run:.4f} spent this run"
                )

        if allowed:
            self.provider.run(allowed, done)
        if stop is not None:
            raise BudgetExceeded(str(stop))
        return out


def resolved_params(params: dict[str, Any]) -> dict[str, Any]:
    """The `teacher` section of all `params`, with an empty `local.model` meaning the
    project's base model (`model.base`)."""
    teacher = dict(params["teacher"])
    teacher["local"] = dict(teacher["local"])
    teacher["local"]["model"] = teacher["local"]["model"] or params["model"]["base"]
    return teacher


def make_provider(params: dict[str, Any], stage: str = "generate") -> Provider:
    """The provider named by `teacher.provider` in params."""
    name = params["provider"]
    if name == "local":
        from stages.teacher.local import LocalProvider

        return LocalProvider(params["local"], stage=stage)
    if name == "anthropic":
        from stages.teacher.anthropic import AnthropicProvider

        return AnthropicProvider(params["anthropic"], stage=stage)
    raise DataError(f"params.yaml: teacher.provider is {name!r}; use 'local' or 'anthropic'")
