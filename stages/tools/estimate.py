"""estimate: what the generate stage would ask the teacher, and its cost, before any call.

    python -m stages estimate

The first round of requests is exact (cached ones are counted apart and cost nothing); later
rounds (repairs, more turns) are bounded by the jobs' steps. USD is the worst case at the
provider's prices, with no prompt-cache discount.
"""

from __future__ import annotations

from stages.core.params import load_params
from stages.generation.plan import load_plan
from stages.teacher.client import Teacher


def estimate() -> int:
    params, teacher_params = load_params("generate"), load_params("teacher")
    jobs = load_plan(params, teacher_params["provider"]).jobs
    teacher = Teacher.from_params(teacher_params, "estimate")
    first = [r for r in (j.next_request() for j in jobs) if r is not None]
    to_call = [r for r in first if not teacher.cache.path(teacher.key(r)).exists()]
    steps = sum(j.steps for j in jobs)
    in_chars = sum(len(r.system) + sum(len(c) for _, c in r.messages) for r in to_call)
    out_tokens = sum(r.max_tokens for r in to_call)
    provider = teacher.provider
    usd = sum(teacher.worst_case_usd(r) for r in to_call)
    print(
        f"jobs: {len(jobs)}; requests (at least): {steps}; first round: {len(first)}, "
        f"cached: {len(first) - len(to_call)}, to call: {len(to_call)}"
    )
    print(f"to call: ~{in_chars // 4} input tokens, <= {out_tokens} output tokens")
    print(
        f"worst-case USD for them: standard ${usd:.4f}, batch ${usd / 2:.4f} "
        f"(provider {provider.name}:{provider.model}; no prompt-cache discount assumed)"
    )
    if provider.name == "anthropic" and first:
        prefix = max(len(r.system) for r in first) // 4  # ~4 characters a token
        print(
            f"shared system prefix: ~{prefix} tokens; Claude caches a prefix of at least 1,024 "
            f"tokens (2,048 on Haiku){'' if prefix >= 1024 else ', so this one is not cached'}"
        )
    return 0
