"""A llama GGUF file -> an mlx-lm model folder (config, safetensors, tokenizer).

The conversion is exact: GGUF Q4_1/Q8_0 blocks map to MLX affine quantization (group size
32); tensor names are renamed to the Hugging Face llama layout; rope stays in GGUF's
interleaved layout (`rope_traditional: true`); the byte-level BPE tokenizer is rebuilt from
the GGUF vocabulary and merges. `mlx_lm.load(folder)` then works like for any converted
model. Used by the prepare_model stage.
"""

from __future__ import annotations

import json
from pathlib import Path

from stages.core.jsonl import DataError, atomic_write_text

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
