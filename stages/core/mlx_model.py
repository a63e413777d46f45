"""Loading an mlx-lm model (base, optionally with a LoRA adapter) the same way in every stage.

On Linux CPU a fast BLAS is put under MLX first (see blas.py) and quantized weights are
dequantized to float32: MLX's CPU quantized kernels do not use BLAS and were slower than
float32 matmuls on OpenBLAS, and even than float32 on the reference BLAS. On Apple silicon
or CUDA the model is kept as given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stages.core.blas import use_fast_blas
from stages.core.ids import sha256_file
from stages.core.log import say


def load(
    path: str, adapter: str | None = None, compute_dtype: str = "auto", stage: str = "model"
) -> tuple[Any, Any, dict[str, Any]]:
    """(model, tokenizer, info) with info describing device, BLAS, dtype and the weights' hash."""
    blas = use_fast_blas()
    import mlx.core as mx
    from mlx_lm import load as mlx_load
    from mlx_lm.utils import dequantize_model

    device = str(mx.default_device())
    model, tokenizer = mlx_load(path, adapter_path=adapter)
    on_cpu = "cpu" in device.lower()
    dtype = compute_dtype
    if dtype == "auto":
        dtype = "float32" if on_cpu else "as-is"
    if dtype == "float32":
        model = dequantize_model(model)
        model.set_dtype(mx.float32)
    weights = Path(path) / "model.safetensors"
    info = {
        "path": path,
        "adapter": adapter,
        "device": device,
        "blas": blas,
        "dtype": dtype,
        "weights_sha256": sha256_file(weights) if weights.exists() else None,
    }
    say(stage, f"model {path}{' + ' + adapter if adapter else ''} on {device}, {dtype}; BLAS: {blas}")
    return model, tokenizer, info
