"""The model runtime: any mlx-lm model (the embedded SmolLM2-135M by default) on this machine.

Reading order: blas (a fast BLAS under MLX on Linux CPU, before mlx loads) -> runtime
(load base + adapter, chat tokens, batched seeded generation) -> training (mlx-lm's trainer
from params) and lm_eval_model (the lm-eval model class) -> gguf (the embedded model's
conversion). Used by prepare_model, generate (the local teacher), format (the tokenizer),
train and evaluate.
"""
