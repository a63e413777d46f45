"""A stand-in for the Anthropic API: a real HTTP server on 127.0.0.1, used through the real SDK.

It speaks the Messages endpoint (`POST /v1/messages`, with structured outputs: a request
with `output_config.format` gets JSON of that schema), token counting
(`POST /v1/messages/count_tokens`) and the Message Batches endpoints (create, list, retrieve,
results; several batches at once, each ending after its own polls), with injectable latency
and faults: 429/529/500 responses with retry-after, malformed JSON bodies, answers cut at
max_tokens, empty bodies, answers in the wrong schema, refusals. By default it answers an
elicitation prompt with a valid example, deterministic in the prompt, so pipelines can run
against it end to end.

    with StandIn() as server:
        os.environ["ANTHROPIC_BASE_URL"] = server.url
        server.faults = ["429", "ok"]      # the next answers, in order; then defaults
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SENTENCES = [
    "I notice the quiet first, the way it settles over the table before any thought arrives.",
    "Something in my chest tightens and then loosens again, as if it had been holding a breath.",
    "I keep returning to one small detail, the light on the edge of the cup.",
    "There is a feeling here I cannot name yet, and I let it stay unnamed for a while.",
    "I watch my attention drift toward the window and come back on its own.",
    "The worry is still there underneath, quieter now, but I can feel its weight.",
    "I am aware of wanting this moment to last and of knowing that it will not.",
    "When I look at the feeling directly it shifts, like a fish under clear water.",
]


def _pick(seed: str, n: int, k: int) -> list[str]:
    h = hashlib.sha256(seed.encode()).digest()
    return [SENTENCES[(h[i] + i) % len(SENTENCES)] for i in range(k)][:n]


def valid_example(prompt: str) -> str:
    """A JSON example that satisfies the output contract found in `prompt`."""
    m = re.search(r"- (\d+)-(\d+) messages", prompt)
    n = int(m.group(1)) if m else 2
    thinking = 'Every assistant message has "thinking"' in prompt
    turns = []
    for i in range(n):
        if i % 2 == 0:
            turns.append(
                {"role": "user", "content": f"Tell me what is happening in you now ({i})."}
            )
        else:
            body = " ".join(_pick(prompt + str(i), 8, 6))
            turn = {"role": "assistant", "content": body}
            if thinking:
                turn["thinking"] = " ".join(_pick("think" + prompt + str(i), 8, 3))
            turns.append(turn)
    return json.dumps({"turns": turns})


def fill(schema: dict[str, Any]) -> Any:
    """The plainest value of a JSON schema: what a structured-output answer of it looks like."""
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        return {k: fill(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return []
    return {"integer": 7, "number": 0.5, "boolean": True, "null": None}.get(kind, "plain")


class StandIn:
    def __init__(self, latency: float = 0.0, vary: bool = False) -> None:
        self.latency = latency
        self.vary = vary  # like the real API: a new answer each time, even for the same prompt
        self.served = 0
        self.faults: list[str] = []  # consumed in order, one per request
        self.requests: list[dict[str, Any]] = []
        self.counted: list[dict[str, Any]] = []  # token-counting requests
        self.headers: list[dict[str, str]] = []
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_polls = 1  # views of a batch (its creation counts) before it has ended
        self.lock = threading.Lock()
        self.answer = valid_example  # prompt text -> answer text
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> StandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK add ~40 ms to every response, which is not the API's doing
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                standin._record(self, body)
                if self.path.startswith("/v1/messages/batches"):
                    standin._create_batch(self, body)
                elif self.path.startswith("/v1/messages/count_tokens"):
                    standin._send(self, 200, {"input_tokens": standin._count(body)})
                elif self.path.startswith("/v1/messages"):
                    standin._message(self, body)
                else:
                    standin._send(
                        self,
                        404,
                        {
                            "type": "error",
                            "error": {"type": "not_found_error", "message": self.path},
                        },
                    )

            def do_GET(self) -> None:  # noqa: N802
                standin._record(self, None)
                if self.path.split("?")[0].rstrip("/") == "/v1/messages/batches":
                    views = [standin._batch_view(b) for b in reversed(standin.batches.values())]
                    page = {"data": views, "has_more": False, "first_id": None, "last_id": None}
                    standin._send(self, 200, page)  # newest first, like the API
                    return
                m = re.match(r"^/v1/messages/batches/([^/]+)(/results)?$", self.path.split("?")[0])
                if not m or m.group(1) not in standin.batches:
                    standin._send(
                        self,
                        404,
                        {
                            "type": "error",
                            "error": {"type": "not_found_error", "message": self.path},
                        },
                    )
                    return
                batch = standin.batches[m.group(1)]
                if m.group(2):
                    lines = "".join(json.dumps(r) + "\n" for r in batch["results"])
                    standin._send_raw(self, 200, lines.encode(), "application/x-jsonl")
                else:
                    standin._send(self, 200, standin._batch_view(batch))

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request (the SIGKILL tests) is expected here

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ internals
    def _record(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        """Every request's headers; its body in `requests`, or in `counted` for the token
        counter (which makes no answer and costs nothing)."""
        with self.lock:
            counting = handler.path.startswith("/v1/messages/count_tokens")
            (self.counted if counting else self.requests).append(
                {"path": handler.path, "body": body}
            )
            self.headers.append({k.lower(): v for k, v in handler.headers.items()})

    def _next_fault(self) -> str:
        with self.lock:
            return self.faults.pop(0) if self.faults else "ok"

    @staticmethod
    def _send_raw(
        h: BaseHTTPRequestHandler,
        status: int,
        data: bytes,
        ctype: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("content-type", ctype)
        h.send_header("content-length", str(len(data)))
        h.send_header("request-id", "req_standin")
        for k, v in (extra or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _send(
        self, h: BaseHTTPRequestHandler, status: int, obj: Any, extra: dict[str, str] | None = None
    ) -> None:
        self._send_raw(h, status, json.dumps(obj).encode(), "application/json", extra)

    @staticmethod
    def _texts(body: dict[str, Any]) -> tuple[str, str]:
        """(system, messages) of a request body as plain text."""
        prompt = "\n".join(
            m["content"]
            if isinstance(m["content"], str)
            else "".join(b.get("text", "") for b in m["content"])
            for m in body.get("messages", [])
        )
        system = body.get("system") or ""
        if isinstance(system, list):
            system = "".join(b.get("text", "") for b in system)
        return system, prompt

    def _count(self, body: dict[str, Any]) -> int:
        """Tokens as this stand-in counts them: about 4 characters a token, at least one."""
        system, prompt = self._texts(body)
        return max(1, (len(system) + len(prompt)) // 4)

    def _completion(self, body: dict[str, Any], fault: str) -> tuple[str, str, dict[str, int]]:
        system, prompt = self._texts(body)
        with self.lock:
            self.served += 1
            nonce = str(self.served) if self.vary else ""
        text = self.answer(system + "\n" + prompt + nonce)
        schema = ((body.get("output_config") or {}).get("format") or {}).get("schema")
        if schema and self.answer is valid_example and "turns" not in schema.get("properties", {}):
            text = json.dumps(fill(schema))  # structured outputs: JSON of the asked shape
        stop = "end_turn"
        if fault == "truncated":
            text, stop = text[: max(1, len(text) // 3)], "max_tokens"
        elif fault == "wrong-schema":
            text = json.dumps({"example": "not the contract"})
        elif fault == "not-json":
            text = "Here is your example: I notice the quiet."
        elif fault == "refusal":
            text, stop = "I can't help with writing that.", "refusal"
        usage = {
            "input_tokens": (len(prompt) + len(system)) // 4,
            "output_tokens": len(text) // 4,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        return text, stop, usage

    def _message(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if self.latency:
            time.sleep(self.latency)
        fault = self._next_fault()
        if fault in ("429", "529", "500"):
            kind = {"429": "rate_limit_error", "529": "overloaded_error", "500": "api_error"}[fault]
            self._send(
                h,
                int(fault),
                {"type": "error", "error": {"type": kind, "message": fault}},
                {"retry-after-ms": "20", "retry-after": "0"},
            )
            return
        if fault == "malformed":
            self._send_raw(h, 200, b'{"id": "msg_x", "content": [', "application/json")
            return
        if fault == "empty":
            self._send_raw(h, 200, b"", "application/json")
            return
        if fault == "timeout":
            time.sleep(5)
        text, stop, usage = self._completion(body, fault)
        self._send(
            h,
            200,
            {
                "id": "msg_" + hashlib.sha256(text.encode()).hexdigest()[:20],
                "type": "message",
                "role": "assistant",
                "model": body.get("model", "stand-in"),
                "content": [{"type": "text", "text": text}],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": usage,
            },
        )

    def _create_batch(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        batch_id = f"msgbatch_{len(self.batches):04d}"
        results = []
        for req in body.get("requests", []):
            text, stop, usage = self._completion(req["params"], self._next_fault())
            results.append(
                {
                    "custom_id": req["custom_id"],
                    "result": {
                        "type": "succeeded",
                        "message": {
                            "id": "msg_b",
                            "type": "message",
                            "role": "assistant",
                            "model": req["params"].get("model"),
                            "content": [{"type": "text", "text": text}],
                            "stop_reason": stop,
                            "stop_sequence": None,
                            "usage": usage,
                        },
                    },
                }
            )
        self.batches[batch_id] = {
            "id": batch_id,
            "results": results,
            "created": time.time(),
            "polls": 0,
        }
        self._send(h, 200, self._batch_view(self.batches[batch_id]))

    def _batch_view(self, batch: dict[str, Any]) -> dict[str, Any]:
        batch["polls"] += 1
        ended = batch["polls"] > self.batch_polls or self.latency == 0
        n = len(batch["results"])
        return {
            "id": batch["id"],
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else n,
                "succeeded": n if ended else 0,
                "errored": 0,
                "canceled": 0,
                "expired": 0,
            },
            "ended_at": "2026-01-01T00:00:00Z" if ended else None,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(batch["created"])),
            "expires_at": "2026-01-02T00:00:00Z",
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": f"{self.url}/v1/messages/batches/{batch['id']}/results"
            if ended
            else None,
        }


def main() -> None:
    """Serve the stand-in in its own process (benchmarks: no GIL shared with the client).
    Prints its URL on the first line of stdout, then serves until killed."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--vary", action="store_true", help="a different answer for every request")
    args = ap.parse_args()
    with StandIn(latency=args.latency, vary=args.vary) as server:
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
