"""Loading an mlx-lm model (base, optionally with a LoRA adapter) and batched generation,
the same way in every stage that runs a model (generate with the local teacher, train, evaluate).

On Linux CPU a fast BLAS is put under MLX first (see blas.py) and quantized weights are
dequantized to float32: MLX's CPU quantized kernels do not use BLAS and were slower than
float32 matmuls on OpenBLAS, and even than float32 on the reference BLAS. On Apple silicon
or CUDA the model is kept as given. Adapters are applied after that, as in training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stages.core.ids import sha256_file
from stages.core.log import Progress, say
from stages.model.blas import use_fast_blas


def load(
    path: str, adapter: str | None = None, compute_dtype: str = "auto", stage: str = "model"
) -> tuple[Any, Any, dict[str, Any]]:
    """(model, tokenizer, info) with info describing device, BLAS, dtype and the weights' hash."""
    blas = use_fast_blas()
    import mlx.core as mx
    from mlx_lm import load as mlx_load
    from mlx_lm.tuner.utils import load_adapters
    from mlx_lm.utils import dequantize_model

    device = str(mx.default_device())
    model, tokenizer = mlx_load(path)
    dtype = compute_dtype
    if dtype == "auto":
        dtype = "float32" if "cpu" in device.lower() else "as-is"
    if dtype == "float32":
        model = dequantize_model(model)
        model.set_dtype(mx.float32)
    if adapter:
        model = load_adapters(model, adapter)
        model.eval()
    weights = Path(path) / "model.safetensors"
    info = {
        "path": path,
        "adapter": adapter,
        "device": device,
        "blas": blas,
        "dtype": dtype,
        "weights_sha256": sha256_file(weights) if weights.exists() else None,
    }
    say(
        stage,
        f"model {path}{' + ' + adapter if adapter else ''} on {device}, {dtype}; BLAS: {blas}",
    )
    return model, tokenizer, info


def load_tokenizer(path: str) -> Any:
    """Only the tokenizer of an mlx-lm model folder or Hugging Face id (no weights)."""
    use_fast_blas()  # before mlx loads, as everywhere
    from mlx_lm.utils import load_tokenizer as mlx_load_tokenizer

    return mlx_load_tokenizer(path)


@dataclass
class Generation:
    text: str
    finish: str  # "stop" (end of turn or a stop string) or "length"
    prompt_tokens: int
    tokens: int


def _sampler(temperature: float, top_p: float, seed: int):
    import mlx.core as mx
    from mlx_lm.sample_utils import apply_top_p

    state = {"key": mx.random.key(seed)}

    def sample(logprobs):
        if temperature <= 0:
            return mx.argmax(logprobs, axis=-1)
        if 0 < top_p < 1:
            logprobs = apply_top_p(logprobs, top_p)
        state["key"], sub = mx.random.split(state["key"])
        return mx.random.categorical(logprobs * (1.0 / temperature), key=sub)

    return sample


def special_tokens(tokenizer: Any) -> list[str]:
    """The tokenizer's special token strings (<|im_start|>, <|endoftext|>, ...)."""
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    return sorted(
        {t.content for t in added.values() if getattr(t, "special", True)}, key=len, reverse=True
    )


def neutralize(text: str, specials: list[str]) -> str:
    """Text can never become a special token: a word joiner goes after the first character,
    so '<|im_end|>' in a passage or an answer stays text instead of ending a turn."""
    for s in specials:
        if s in text:
            text = text.replace(s, s[0] + "\u2060" + s[1:])
    return text


def sequence_logprobs(model: Any, sequences: list[list[int]]) -> list[list[float]]:
    """log p(token_i | tokens before it) for i >= 1 of each sequence, in one forward pass
    (right-padded: causal attention never lets a token see the padding after it)."""
    return sequence_logprobs_and_states(model, sequences)[0]


def sequence_logprobs_and_states(
    model: Any, sequences: list[list[int]], layer: int | None = None, pad_to: int = 0
) -> tuple[list[list[float]], list[Any]]:
    """`sequence_logprobs`, and where `layer` is given the output of that transformer layer
    at every position of each sequence (a float32 numpy array per sequence), from the same
    forward pass. `pad_to`: the padded length, at least the longest sequence's (the last bits
    of a result depend on it, through the order the attention adds in)."""
    import mlx.core as mx
    import numpy as np

    length = max(pad_to, *(len(s) for s in sequences))
    x = mx.array([s + [0] * (length - len(s)) for s in sequences])
    tap = _Tap(model.layers, layer) if layer is not None else None
    try:
        logits = model(x).astype(mx.float32)
    finally:
        if tap is not None:
            tap.remove()
    logp = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
    picked = mx.take_along_axis(logp[:, :-1], x[:, 1:, None], axis=-1)[..., 0]
    states = None
    if tap is not None:  # some architectures' layers return (hidden, extra)
        states = (tap.output[0] if isinstance(tap.output, tuple) else tap.output).astype(mx.float32)
    mx.eval(picked, *([states] if states is not None else []))
    logprobs = [row[: len(s) - 1] for row, s in zip(picked.tolist(), sequences, strict=True)]
    if states is None:
        return logprobs, []
    held = np.array(states)
    return logprobs, [held[n, : len(s)] for n, s in enumerate(sequences)]


class _Tap:
    """Stands in for one layer of an mlx-lm model (its `layers` list, which every mlx-lm
    model exposes for LoRA) and keeps what the layer returns; `remove` puts the layer back."""

    def __init__(self, layers: list[Any], index: int) -> None:
        self.layers, self.index, self.layer = layers, index, layers[index]  # set before lookups
        self.output: Any = None
        layers[index] = self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.output = self.layer(*args, **kwargs)
        return self.output

    def __getattr__(self, name: str) -> Any:  # the model reads the layer's settings
        return getattr(self.layer, name)

    def remove(self) -> None:
        self.layers[self.index] = self.layer


def chat_tokens(tokenizer: Any, messages: list[dict[str, str]], prefill: str = "") -> list[int]:
    specials = special_tokens(tokenizer)
    messages = [m | {"content": neutralize(m["content"], specials)} for m in messages]
    ids = list(tokenizer.apply_chat_template(messages, add_generation_prompt=True))
    if prefill:
        ids += tokenizer.encode(prefill, add_special_tokens=False)
    return ids


def generate_batch(
    model: Any,
    tokenizer: Any,
    prompts: list[list[int]],
    max_tokens: list[int],
    seeds: list[int],
    temperature: float = 0.0,
    top_p: float = 1.0,
    repetition_penalty: float | None = None,
    stops: list[tuple[str, ...]] | None = None,
    batch_size: int = 16,
    stage: str = "model",
) -> list[Generation]:
    """Decode several prompts together (mlx-lm's BatchGenerator).

    Each prompt samples with its own seeded PRNG key, so its answer does not depend on which
    other prompts share its batch. `stops` gives each prompt its own stop strings: the text
    is cut at them (in the order given) and counts as stopped.
    """
    from mlx_lm.generate import BatchGenerator
    from mlx_lm.sample_utils import make_logits_processors

    processors = (
        make_logits_processors(repetition_penalty=repetition_penalty, repetition_context_size=64)
        if repetition_penalty
        else []
    )
    out: list[Generation] = []
    progress = Progress(stage, len(prompts), "generations")
    for start in range(0, len(prompts), batch_size):
        idx = range(start, min(start + batch_size, len(prompts)))
        gen = BatchGenerator(
            model,
            stop_tokens=[[t] for t in tokenizer.eos_token_ids],
            completion_batch_size=len(idx),
            prefill_batch_size=len(idx),
        )
        uids = gen.insert(
            [prompts[i] for i in idx],
            max_tokens=[max_tokens[i] for i in idx],
            samplers=[_sampler(temperature, top_p, seeds[i]) for i in idx],
            logits_processors=[processors for _ in idx],
        )
        tokens: dict[int, list[int]] = {u: [] for u in uids}
        finish: dict[int, str] = {}
        while responses := gen.next_generated():
            for r in responses:
                if r.finish_reason != "stop":
                    tokens[r.uid].append(r.token)
                if r.finish_reason is not None:
                    finish[r.uid] = "length" if r.finish_reason == "length" else "stop"
        gen.close()
        for uid, i in zip(uids, idx, strict=True):
            text = tokenizer.decode(tokens[uid])
            reason = finish.get(uid, "length")
            for s in stops[i] if stops else ():
                if s in text:
                    text, reason = text[: text.index(s)], "stop"
            out.append(Generation(text, reason, len(prompts[i]), len(tokens[uid])))
        progress.step(len(idx))
    return out
