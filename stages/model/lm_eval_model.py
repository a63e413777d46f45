"""An lm-eval model class for mlx-lm: base model plus optional LoRA adapter.

`mlx_lm.evaluate` cannot load an adapter and ignores a task's `max_gen_toks`; this class
loads through stages/model/runtime.py (fast BLAS, float32 on CPU, adapter applied as in
training), applies the chat template itself, honours every request's `max_gen_toks` and
`until` stop sequences, and batches generation. Two prompt forms from evals/tasks/metrics.py
get special handling: a conversation (answered turn by turn, the model's own answers kept in
the history; the response is the JSON transcript) and chat messages (log-likelihood of the
conversation as the chat template renders it).

    lm_eval --model innerlife-mlx --model_args pretrained=models/base,adapter=models/adapter \\
            --include_path evals/tasks --tasks inner_life
"""

from __future__ import annotations

import json
import math
from typing import Any

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from stages.core.log import Progress

CONVERSATION = "\x1econversation:"
MESSAGES = "\x1emessages:"


@register_model("innerlife-mlx")
class MLXLM(LM):
    def __init__(
        self,
        pretrained: str = "models/base",
        adapter: str | None = None,
        compute_dtype: str = "auto",
        system_prompt: str = "",
        temperature: float = 0.0,
        top_p: float = 1.0,
        repetition_penalty: float | None = None,
        batch_size: int = 16,
        seed: int = 0,
        max_length: int = 2048,
        stage: str = "evaluate",
        **_: Any,
    ) -> None:
        super().__init__()
        from stages.model.runtime import load

        self.model, self.tokenizer, self.info = load(
            pretrained, adapter=adapter or None, compute_dtype=compute_dtype, stage=stage
        )
        self.system = [{"role": "system", "content": system_prompt}] if system_prompt else []
        self.sampling = {
            "temperature": float(temperature),
            "top_p": float(top_p),
            "repetition_penalty": float(repetition_penalty) if repetition_penalty else None,
        }
        self.batch, self.seed, self.max_length, self.stage = (
            int(batch_size),
            int(seed),
            int(max_length),
            stage,
        )

    # ------------------------------------------------------------------ generation
    def _generate(
        self, conversations: list[list[dict]], gen: list[dict], keys: list[str]
    ) -> list[str]:
        from stages.core.ids import stable_int
        from stages.model.runtime import chat_tokens, generate_batch

        prompts = [chat_tokens(self.tokenizer, self.system + c) for c in conversations]
        outs = generate_batch(
            self.model,
            self.tokenizer,
            prompts,
            [int(g.get("max_gen_toks", 256)) for g in gen],
            [stable_int(self.seed, k) for k in keys],
            stops=[tuple(s for s in g.get("until") or () if s) for g in gen],
            batch_size=self.batch,
            stage=self.stage,
            **self.sampling,
        )
        return [out.text.strip() for out in outs]  # cut at each task's stop sequences

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        results: list[str | None] = [None] * len(requests)
        single = [i for i, r in enumerate(requests) if not r.args[0].startswith(CONVERSATION)]
        if single:
            answers = self._generate(
                [[{"role": "user", "content": requests[i].args[0]}] for i in single],
                [requests[i].args[1] for i in single],
                [requests[i].args[0] for i in single],
            )
            for i, a in zip(single, answers, strict=True):
                results[i] = a
        multi = [i for i, r in enumerate(requests) if r.args[0].startswith(CONVERSATION)]
        chats = {i: [] for i in multi}
        plans = {i: json.loads(requests[i].args[0][len(CONVERSATION) :]) for i in multi}
        for turn in range(max((len(p) for p in plans.values()), default=0)):
            live = [i for i in multi if turn < len(plans[i])]
            for i in live:
                chats[i].append({"role": "user", "content": plans[i][turn]})
            answers = self._generate(
                [chats[i] for i in live],
                [requests[i].args[1] for i in live],
                [f"{requests[i].args[0]}:{turn}" for i in live],
            )
            for i, a in zip(live, answers, strict=True):
                chats[i].append({"role": "assistant", "content": a})
        for i in multi:
            results[i] = json.dumps(chats[i])
        return [r or "" for r in results]

    # ------------------------------------------------------------------ log-likelihoods
    def _encode(self, text: str) -> list[int]:
        if text.startswith(MESSAGES):
            messages = json.loads(text[len(MESSAGES) :])
            return list(self.tokenizer.apply_chat_template(messages))
        return self.tokenizer.encode(text, add_special_tokens=False)

    def _logprobs(self, tokens: list[int]) -> tuple[list[float], list[bool]]:
        """log p(token_i | tokens_<i) for i >= 1, and whether each was the greedy choice."""
        import mlx.core as mx

        lps: list[float] = []
        greedy: list[bool] = []
        step = self.max_length
        for start in range(0, max(1, len(tokens) - 1), step):
            window = tokens[max(0, start - 1) : start + step]  # one token of context carried over
            x = mx.array(window)[None]
            logits = self.model(x)[0].astype(mx.float32)
            logp = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
            targets = mx.array(window[1:])
            picked = mx.take_along_axis(logp[:-1], targets[:, None], axis=-1)[:, 0]
            best = mx.argmax(logp[:-1], axis=-1)
            mx.eval(picked, best)
            lps += picked.tolist()
            greedy += (best == targets).tolist()
        return lps, greedy

    def loglikelihood(
        self, requests: list[Any], disable_tqdm: bool = False
    ) -> list[tuple[float, bool]]:
        out = []
        progress = Progress(self.stage, len(requests), "log-likelihoods")
        for r in requests:
            context, continuation = r.args
            ctx = self._encode(context) if context else [self.tokenizer.bos_token_id or 0]
            cont = self.tokenizer.encode(continuation, add_special_tokens=False)
            lps, greedy = self._logprobs(ctx + cont)
            n = len(cont)
            out.append((math.fsum(lps[-n:]), bool(all(greedy[-n:]))))
            progress.step()
        return out

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        out = []
        progress = Progress(self.stage, len(requests), "rolling log-likelihoods")
        for r in requests:
            tokens = self._encode(r.args[0])
            lps, _ = self._logprobs(tokens)
            out.append(math.fsum(lps))
            progress.step()
        return out
