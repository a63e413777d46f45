"""The local teacher: any mlx-lm model (the embedded SmolLM2-135M by default), batched.

Several prompts decode together, which on CPU is several times faster in aggregate than one
at a time (see bench/). Each request samples with its own seeded PRNG key, derived from the
run seed and the request's prompt and sample index, so an answer does not depend on which
other requests happened to share its batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stages.teacher.types import Request, Response


class LocalProvider:
    name = "local"
    structured = False  # plain text; the pipeline builds the structure (turn mode)

    def __init__(self, params: dict[str, Any], stage: str = "generate") -> None:
        self.params = params
        self.model = params["model"]
        self.stage = stage
        self._loaded: tuple[Any, Any] | None = None

    def sampling(self) -> dict[str, Any]:
        p = self.params
        return {
            "temperature": p["temperature"],
            "top_p": p["top_p"],
            "repetition_penalty": p["repetition_penalty"],
            "seed": p["seed"],
        }

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from stages.model.runtime import load

            model, tokenizer, _ = load(
                self.model, compute_dtype=self.params["compute_dtype"], stage=self.stage
            )
            self._loaded = (model, tokenizer)
        return self._loaded

    @staticmethod
    def _messages(r: Request) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": r.system}] if r.system else []
        return messages + [{"role": role, "content": c} for role, c in r.messages]

    def count_tokens(self, requests: list[Request]) -> list[int]:
        """Exact: the model's own tokenizer and chat template, prefill included."""
        from stages.model.runtime import chat_tokens, load_tokenizer

        tokenizer = load_tokenizer(self.model)
        return [len(chat_tokens(tokenizer, self._messages(r), r.prefill)) for r in requests]

    def run(self, requests: list[Request], done: Callable[[Request, Response], None]) -> None:
        model, tokenizer = self._load()  # first: it puts the fast BLAS in before mlx loads
        from stages.core.ids import stable_int
        from stages.model.runtime import chat_tokens, generate_batch

        p = self.params
        order = sorted(requests, key=lambda r: (r.prompt_id, r.sample))
        for start in range(0, len(order), p["batch_size"]):
            batch = order[start : start + p["batch_size"]]
            prompts = []
            for r in batch:
                prompts.append(chat_tokens(tokenizer, self._messages(r), r.prefill))
            results = generate_batch(
                model,
                tokenizer,
                prompts,
                [r.max_tokens for r in batch],
                [stable_int(p["seed"], r.prompt_id, r.sample) for r in batch],
                temperature=p["temperature"],
                top_p=p["top_p"],
                repetition_penalty=p["repetition_penalty"],
                stops=[r.stop for r in batch],
                batch_size=len(batch),
                stage=self.stage,
            )
            for r, g in zip(batch, results, strict=True):
                usage = {"input_tokens": g.prompt_tokens, "output_tokens": g.tokens}
                done(r, Response(r.prefill + g.text, g.finish, usage, 0.0))
