"""The one teacher interface: requests, a content-addressed response cache, providers, a budget.

A request's key hashes everything that decides its answer: the prompt exactly as sent
(system, messages, assistant prefill, stop strings), provider, model, sampling params,
max_tokens and the sample index. The cache keeps one file per key, written atomically with
a checksum, so a re-run with nothing changed calls nobody, an edit re-asks only what it
touched, an interrupted run loses nothing already answered, and a damaged entry is never used.
Failed calls are reported, not cached, so the next run tries them again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from stages.core.ids import content_id
from stages.core.jsonl import DataError, atomic_write_text, canonical_json, read_json
from stages.core.log import Progress, say


@dataclass(frozen=True)
class Request:
    system: str
    messages: tuple[tuple[str, str], ...]  # (role, content), starting with "user"
    max_tokens: int
    prefill: str = ""  # the start of the assistant's answer, sent as given
    stop: tuple[str, ...] = ()
    sample: int = 0  # the n-th sample of the same prompt gets its own key

    def prompt(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "messages": [{"role": r, "content": c} for r, c in self.messages],
            "prefill": self.prefill,
            "stop": list(self.stop),
        }

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
    finish: str  # "stop", "length", or "error"
    usage: dict[str, int] = field(default_factory=dict)
    cost_usd: float = 0.0
    error: str | None = None  # set when finish == "error": the call failed, nothing to cache


class Provider(Protocol):
    name: str
    model: str

    def sampling(self) -> dict[str, Any]:
        """Params that change the answer (part of every key)."""

    def run(self, requests: list[Request], done: Callable[[Request, Response], None]) -> None:
        """Answer `requests` (batched or concurrently), calling `done` as each finishes."""


# one cache for every teacher call (generate, suggest, judge); DVC keeps it (persist)
CACHE_DIR = Path("data/cache/teacher")


class ResponseCache:
    """`<dir>/<key[4:6]>/<key>.json`, one file per request key, atomic, checksummed."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.corrupt: list[str] = []

    def path(self, key: str) -> Path:
        return self.dir / key[4:6] / f"{key}.json"

    @staticmethod
    def _checksum(entry: dict[str, Any]) -> str:
        body = {k: v for k, v in entry.items() if k != "checksum"}
        return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()

    def get(self, key: str) -> Response | None:
        path = self.path(key)
        if not path.exists():
            return None
        try:
            entry = read_json(path)
            ok = entry.get("key") == key and entry.get("checksum") == self._checksum(entry)
        except (DataError, AttributeError):
            ok = False
        if not ok:
            # never use a damaged entry: set it aside for inspection and ask again
            path.replace(path.with_suffix(".corrupt"))
            self.corrupt.append(key)
            say("teacher", f"cache entry {path} is damaged (checksum): moved aside, asking again")
            return None
        return Response(entry["text"], entry["finish"], entry["usage"], entry["cost_usd"])

    def put(self, key: str, request: Request, provider: Provider, response: Response) -> None:
        if response.finish == "error":
            return
        entry = {
            "key": key,
            "prompt_id": request.prompt_id,
            "provider": provider.name,
            "model": provider.model,
            "sampling": provider.sampling(),
            "max_tokens": request.max_tokens,
            "sample": request.sample,
            "request": request.prompt(),
            "text": response.text,
            "finish": response.finish,
            "usage": response.usage,
            "cost_usd": response.cost_usd,
        }
        entry["checksum"] = self._checksum(entry)
        # no fsync: a process kill keeps the page cache, and an entry torn by a power cut fails
        # its checksum and is asked again; the rename alone keeps readers from partial files
        atomic_write_text(self.path(key), canonical_json(entry) + "\n", durable=False)


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
    def from_params(cls, params: dict[str, Any], stage: str) -> Teacher:
        """The teacher the `teacher` section of params describes, with the shared cache."""
        provider = make_provider(params, stage)
        return cls(
            provider,
            ResponseCache(CACHE_DIR),
            Budget(params["budget"]["max_usd"], params["budget"]["max_requests"]),
            getattr(provider, "worst_case_usd", None),
            offline=params["offline"],
        )

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

        progress = Progress(self.provider.name, len(unique), what)
        progress.done = len(unique) - len(misses)

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


def make_provider(params: dict[str, Any], stage: str = "generate") -> Provider:
    """The provider named by `teacher.provider` in params."""
    name = params["provider"]
    if name == "local":
        from stages.core.teacher_local import LocalProvider

        return LocalProvider(params["local"], stage=stage)
    if name == "anthropic":
        from stages.core.teacher_anthropic import AnthropicProvider

        return AnthropicProvider(params["anthropic"], stage=stage)
    raise DataError(f"params.yaml: teacher.provider is {name!r}; use 'local' or 'anthropic'")


def api_key_present() -> bool:
    return bool(os.environ.get("ANTHROPIC_API_KEY"))


def as_dict(response: Response) -> dict[str, Any]:
    return asdict(response)
