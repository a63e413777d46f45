"""The Anthropic teacher (Claude) through the official SDK.

The key comes from ANTHROPIC_API_KEY only and is never written anywhere. Calls run
concurrently up to `concurrency`; the SDK retries 429/529/5xx and timeouts with backoff and
honours `retry-after` (`max_retries`). The shared system prompt is marked for prompt
caching. Usage and USD cost come from the response and the price table in params.
ANTHROPIC_BASE_URL (read by the SDK) points it at a stand-in server in tests.

A request with an output schema uses structured outputs (`output_config`), so the answer is
valid JSON of that shape without a repair request (`structured_outputs: false` turns it off
for models without it). A `refusal` stop reason is reported as such, never read as an answer.
`count_tokens` asks the API's token counter (free) instead of guessing from characters.

With `batch: true` requests go through the Message Batches API at half price: every chunk
is submitted at once and they are polled together; the shared prefix is cached for an hour
(batches can take longer than the 5-minute default). Each batch id and its request keys are
written to `<cache>/batches/` before polling starts, so a run that is interrupted resumes
polling the same batches instead of paying for them again. An intent file written just
before submitting covers a kill between the submission and noting its id: the next run looks
the batch up in the API's batch list instead of submitting it again.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stages.core.jsonl import DataError, read_json, write_json
from stages.core.log import say
from stages.teacher.types import Request, Response

KEY_VAR = "ANTHROPIC_API_KEY"


def cost_usd(usage: dict[str, int], prices: dict[str, float], batch: bool = False) -> float:
    """USD for one response, prices in USD per million tokens (batch: half price). Cache
    writes with the 1-hour lifetime cost more than the 5-minute ones."""
    write_1h = usage.get("cache_creation_1h_input_tokens", 0)
    write_5m = usage.get("cache_creation_input_tokens", 0) - write_1h
    total = (
        usage.get("input_tokens", 0) * prices["input"]
        + usage.get("output_tokens", 0) * prices["output"]
        + write_5m * prices["cache_write"]
        + write_1h * prices.get("cache_write_1h", 2 * prices["input"])
        + usage.get("cache_read_input_tokens", 0) * prices["cache_read"]
    ) / 1e6
    return round(total * (0.5 if batch else 1.0), 8)


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, params: dict[str, Any], stage: str = "generate") -> None:
        self.params = params
        self.model = params["model"]
        self.stage = stage
        self.structured = bool(params.get("structured_outputs", True))
        self._client = None

    def sampling(self) -> dict[str, Any]:
        # current models take no sampling params in this SDK; `extra_body` passes any the
        # chosen model accepts (e.g. {"temperature": 1.0}), and they are part of every key
        return dict(self.params["extra_body"] or {})

    def prices(self) -> dict[str, float]:
        """The model's row of the one per-model table in params: USD per million tokens, and
        the shortest prompt prefix the model caches (`min_cache_tokens`)."""
        table = self.params["prices"]
        if self.model not in table:
            raise DataError(
                f"params.yaml: teacher.anthropic.prices has no entry for model "
                f"{self.model!r}; add its USD per million tokens and min_cache_tokens"
            )
        return table[self.model]

    def min_cache_tokens(self) -> int:
        return int(self.prices().get("min_cache_tokens", 1024))

    def worst_case_usd(self, request: Request) -> float:
        """An upper bound before the call: 3 characters a token in (English runs ~4),
        max_tokens out, at batch prices in batch mode."""
        chars = len(request.system) + sum(len(c) for _, c in request.messages)
        usage = {
            "input_tokens": (chars + len(request.prefill)) // 3 + 50,
            "output_tokens": request.max_tokens,
        }
        return cost_usd(usage, self.prices(), batch=self.params["batch"])

    def client(self):
        if self._client is None:
            key = os.environ.get(KEY_VAR)
            if not key:
                raise DataError(
                    f"{KEY_VAR} is not set. The anthropic teacher needs it in the environment "
                    f"(export {KEY_VAR}=...; never put it in params.yaml or any file), or use "
                    "`dvc exp run -S teacher.provider=local` to stay offline"
                )
            import anthropic

            self._client = anthropic.Anthropic(
                api_key=key,
                max_retries=self.params["max_retries"],
                timeout=self.params["timeout_s"],
            )
        return self._client

    def _params(self, request: Request) -> dict[str, Any]:
        """The Messages API body for `request`."""
        messages = [{"role": r, "content": c} for r, c in request.messages]
        if request.prefill:
            messages.append({"role": "assistant", "content": request.prefill})
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": messages,
        }
        if request.system:
            cache: dict[str, str] = {"type": "ephemeral"}
            if self.params["batch"]:
                cache["ttl"] = "1h"  # a batch can take longer than the 5-minute default
            kwargs["system"] = [{"type": "text", "text": request.system, "cache_control": cache}]
        if request.stop:
            kwargs["stop_sequences"] = list(request.stop)
        if request.output_schema and self.structured:
            schema = json.loads(request.output_schema)
            kwargs["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        return kwargs

    def _response(self, request: Request, msg: Any, batch: bool = False) -> Response:
        text = "".join(getattr(b, "text", "") for b in msg.content)
        usage = {
            k: int(getattr(msg.usage, k, 0) or 0)
            for k in (
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
            )
        }
        created = getattr(msg.usage, "cache_creation", None)
        if created is not None and getattr(created, "ephemeral_1h_input_tokens", 0):
            usage["cache_creation_1h_input_tokens"] = int(created.ephemeral_1h_input_tokens)
        finish = {"max_tokens": "length", "refusal": "refusal"}.get(msg.stop_reason, "stop")
        return Response(
            request.prefill + text, finish, usage, cost_usd(usage, self.prices(), batch)
        )

    def count_tokens(self, requests: list[Request]) -> list[int]:
        """Input tokens of each request from the API's token counter (free, not billed)."""
        import anthropic

        def count(request: Request) -> int:
            body = {k: v for k, v in self._params(request).items() if k != "max_tokens"}
            body.pop("stop_sequences", None)
            try:
                return self.client().messages.count_tokens(**body).input_tokens
            except anthropic.APIError as exc:
                raise DataError(
                    f"counting tokens failed ({type(exc).__name__}: {exc}); the estimate "
                    "needs the API's token counter"
                ) from None

        with ThreadPoolExecutor(max_workers=self.params["concurrency"]) as pool:
            return list(pool.map(count, requests))

    def _call(self, request: Request) -> Response:
        import anthropic

        extra = {"extra_body": dict(self.params["extra_body"])} if self.params["extra_body"] else {}
        try:
            msg = self.client().messages.create(**self._params(request), **extra)
        except anthropic.APIError as exc:
            return Response("", "error", error=f"{type(exc).__name__}: {exc}")
        except ValueError as exc:  # a body that is not the API's JSON (malformed, empty)
            return Response("", "error", error=f"unreadable response: {type(exc).__name__}: {exc}")
        return self._response(request, msg)

    def run(self, requests: list[Request], done: Callable[[Request, Response], None]) -> None:
        self.client()  # fail on a missing key before any work starts
        if self.params["batch"]:
            self._run_batches(requests, done)
            return

        def call_and_keep(request: Request) -> None:
            done(request, self._call(request))  # the answer is kept by the thread that got it

        with ThreadPoolExecutor(max_workers=self.params["concurrency"]) as pool:
            for fut in [pool.submit(call_and_keep, r) for r in requests]:
                fut.result()

    # ------------------------------------------------------------------ Message Batches
    def _run_batches(
        self, requests: list[Request], done: Callable[[Request, Response], None]
    ) -> None:
        state_dir = Path(self.params["batch_dir"])
        by_key = {r.key(self.name, self.model, self.sampling()): r for r in requests}
        # a run killed between submitting a batch and noting its id left only its intent:
        # look for that batch at the API before paying for the same requests again
        for intent in sorted(state_dir.glob("pending-*.json")):
            state = read_json(intent)
            found = self._find_submitted(state) if set(state["keys"]) & set(by_key) else None
            if found:
                say(self.stage, f"found batch {found}, submitted by a run killed before noting it")
                write_json(state_dir / f"{found}.json", {"id": found, "keys": state["keys"]})
            intent.unlink()
        # resume batches an earlier run submitted, before submitting anything new
        resumed: dict[str, dict[str, Request]] = {}
        for state_file in sorted(state_dir.glob("*.json")):  # intents are settled above
            state = read_json(state_file)
            wanted = [k for k in state["keys"] if k in by_key]
            if wanted:
                say(
                    self.stage,
                    f"resuming batch {state['id']} ({len(wanted)} requests) "
                    "instead of submitting it again",
                )
                resumed[state["id"]] = {k: by_key.pop(k) for k in wanted}
        self._collect_all(resumed, done, state_dir)
        pending = list(by_key.items())
        size = self.params["batch_size"]
        extra_body = dict(self.params["extra_body"] or {})  # in a batch: part of the params
        submitted: dict[str, dict[str, Request]] = {}
        for start in range(0, len(pending), size):  # every chunk now; results come together
            chunk = dict(pending[start : start + size])
            intent = state_dir / f"pending-{min(chunk)}.json"
            submitted_after = datetime.now(UTC).isoformat(timespec="seconds")
            write_json(intent, {"id": None, "keys": sorted(chunk), "after": submitted_after})
            batch = self.client().messages.batches.create(
                requests=[
                    {"custom_id": key, "params": self._params(r) | extra_body}
                    for key, r in chunk.items()
                ]
            )
            write_json(state_dir / f"{batch.id}.json", {"id": batch.id, "keys": sorted(chunk)})
            intent.unlink()
            submitted[batch.id] = chunk
            say(
                self.stage,
                f"submitted batch {batch.id} with {len(chunk)} requests; its id is kept in "
                f"{state_dir}/ until the results are in",
            )
        self._collect_all(submitted, done, state_dir)

    def _find_submitted(self, state: dict[str, Any]) -> str | None:
        """The id of the newest batch created since the intent (10 minutes' grace for clock
        skew) with as many requests as it names. A wrong guess costs no money and no data:
        results are matched by custom_id (our request keys), and keys missing from them are
        reported as failed and asked again on the next run."""
        since = datetime.fromisoformat(state["after"]) - timedelta(minutes=10)
        for batch in self.client().messages.batches.list(limit=100):  # newest first
            if batch.created_at < since:
                break
            c = batch.request_counts
            total = c.processing + c.succeeded + c.errored + c.canceled + c.expired
            if total == len(state["keys"]):
                return batch.id
        return None

    def _collect_all(
        self,
        batches: dict[str, dict[str, Request]],
        done: Callable[[Request, Response], None],
        state_dir: Path,
    ) -> None:
        """Poll every batch together; take each one's results as soon as it has ended."""
        client = self.client()
        waiting = dict(batches)
        while waiting:
            for batch_id in list(waiting):
                batch = client.messages.batches.retrieve(batch_id)
                if batch.processing_status == "ended":
                    self._results(batch_id, waiting.pop(batch_id), done)
                    (state_dir / f"{batch_id}.json").unlink(missing_ok=True)
            if waiting:
                left = sum(len(c) for c in waiting.values())
                say(
                    self.stage,
                    f"{len(waiting)} batch(es) still processing ({left} requests); "
                    f"polling every {self.params['poll_s']}s",
                )
                time.sleep(self.params["poll_s"])

    def _results(
        self, batch_id: str, chunk: dict[str, Request], done: Callable[[Request, Response], None]
    ) -> None:
        seen = set()
        for item in self.client().messages.batches.results(batch_id):
            req = chunk.get(item.custom_id)
            if req is None:
                continue
            seen.add(item.custom_id)
            if item.result.type == "succeeded":
                done(req, self._response(req, item.result.message, batch=True))
            else:
                done(req, Response("", "error", error=f"batch result: {item.result.type}"))
        for key in sorted(set(chunk) - seen):
            done(chunk[key], Response("", "error", error="missing from the batch results"))
