"""The Anthropic teacher (Claude) through the official SDK.

The key comes from ANTHROPIC_API_KEY only and is never written anywhere. Calls run
concurrently up to `concurrency`; the SDK retries 429/529/5xx and timeouts with backoff and
honours `retry-after` (`max_retries`). The shared system prompt is marked for prompt
caching. Usage and USD cost come from the response and the price table in params.
ANTHROPIC_BASE_URL (read by the SDK) points it at a stand-in server in tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from stages.core.jsonl import DataError
from stages.core.log import Progress
from stages.core.teacher import Request, Response

KEY_VAR = "ANTHROPIC_API_KEY"


def cost_usd(usage: dict[str, int], prices: dict[str, float], batch: bool = False) -> float:
    """USD for one response, prices in USD per million tokens (batch: half price)."""
    total = (
        usage.get("input_tokens", 0) * prices["input"]
        + usage.get("output_tokens", 0) * prices["output"]
        + usage.get("cache_creation_input_tokens", 0) * prices["cache_write"]
        + usage.get("cache_read_input_tokens", 0) * prices["cache_read"]
    ) / 1e6
    return round(total * (0.5 if batch else 1.0), 8)


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, params: dict[str, Any], stage: str = "generate") -> None:
        self.params = params
        self.model = params["model"]
        self.stage = stage
        self._client = None

    def sampling(self) -> dict[str, Any]:
        # current models take no sampling params in this SDK; `extra_body` passes any the
        # chosen model accepts (e.g. {"temperature": 1.0}), and they are part of every key
        return dict(self.params["extra_body"] or {})

    def prices(self) -> dict[str, float]:
        table = self.params["prices"]
        if self.model not in table:
            raise DataError(
                f"params.yaml: teacher.anthropic.prices has no entry for model "
                f"{self.model!r}; add its USD per million tokens"
            )
        return table[self.model]

    def worst_case_usd(self, request: Request) -> float:
        """An upper bound before the call: ~4 chars per token in, max_tokens out."""
        chars = (
            len(request.system) + sum(len(c) for _, c in request.messages) + len(request.prefill)
        )
        usage = {"input_tokens": chars // 3 + 50, "output_tokens": request.max_tokens}
        return cost_usd(usage, self.prices())

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

    def _call(self, request: Request) -> Response:
        import anthropic

        messages = [{"role": r, "content": c} for r, c in request.messages]
        if request.prefill:
            messages.append({"role": "assistant", "content": request.prefill})
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": messages,
        }
        if self.params["extra_body"]:
            kwargs["extra_body"] = dict(self.params["extra_body"])
        if request.system:
            kwargs["system"] = [
                {"type": "text", "text": request.system, "cache_control": {"type": "ephemeral"}}
            ]
        if request.stop:
            kwargs["stop_sequences"] = list(request.stop)
        try:
            msg = self.client().messages.create(**kwargs)
        except anthropic.APIError as exc:
            return Response("", "error", error=f"{type(exc).__name__}: {exc}")
        except ValueError as exc:  # a body that is not the API's JSON (malformed, empty)
            return Response("", "error", error=f"unreadable response: {type(exc).__name__}: {exc}")
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
        finish = "length" if msg.stop_reason == "max_tokens" else "stop"
        return Response(request.prefill + text, finish, usage, cost_usd(usage, self.prices()))

    def run(self, requests: list[Request], done: Callable[[Request, Response], None]) -> None:
        self.client()  # fail on a missing key before any work starts
        progress = Progress(self.stage, len(requests), "anthropic requests")
        with ThreadPoolExecutor(max_workers=self.params["concurrency"]) as pool:
            futures = {pool.submit(self._call, r): r for r in requests}
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
                progress.step()
