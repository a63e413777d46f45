"""Evaluation: held-out probes and perplexity through lm-eval, and the statistics that compare
models probe by probe.

Reading order: harness (our lm-eval tasks run through our mlx-lm model class,
stages/model/lm_eval_model.py) -> stats (paired bootstrap intervals, perplexity). The trait
definitions themselves are in stages/quality/traits.py. Used by the evaluate stage and
scripts/eval_sensitivity.py.
"""
