"""estimate: what the generate stage would ask the teacher, and its cost, before any call.

    python -m stages estimate

The first round of requests is exact (cached ones are counted apart and cost nothing); later
rounds (repairs, more turns) are bounded by the jobs' steps. Input tokens come from the
provider's own counter (Claude's `count_tokens` endpoint, or the local model's tokenizer);
USD is the worst case at the provider's prices, with no prompt-cache discount.
"""

from __future__ import annotations

from stages.core.params import load_params
from stages.generation.plan import load_plan
from stages.teacher.client import Teacher, resolved_params
from stages.teacher.types import Request


def estimate() -> int:
    everything = load_params()
    params = everything["generate"]
    teacher = Teacher.from_params(resolved_params(everything), "estimate")
    provider = teacher.provider
    jobs = load_plan(params, provider).jobs
    first = [r for r in (j.next_request() for j in jobs) if r is not None]
    cached = [r for r in first if teacher.cache.path(teacher.key(r)).exists()]
    to_call = [r for r in dict.fromkeys(first) if r not in set(cached)]
    steps = sum(j.steps for j in jobs)
    in_tokens = sum(provider.count_tokens(to_call)) if to_call else 0
    out_tokens = sum(r.max_tokens for r in to_call)
    usd = sum(teacher.worst_case_usd(r) for r in to_call)
    print(
        f"jobs: {len(jobs)}; requests (at least): {steps}; first round: {len(first)}, "
        f"cached: {len(cached)}, to call: {len(to_call)}"
    )
    print(f"to call: {in_tokens} input tokens (counted by {provider.name}), <= {out_tokens} output")
    print(
        f"worst-case USD for them: standard ${usd:.4f}, batch ${usd / 2:.4f} "
        f"(provider {provider.name}:{provider.model}; no prompt-cache discount assumed)"
    )
    if provider.name == "anthropic" and first:
        probe = first[0]
        with_system, without = provider.count_tokens(
            [Request(probe.system, (("user", "."),), 1), Request("", (("user", "."),), 1)]
        )
        prefix, least = with_system - without, provider.min_cache_tokens()
        print(
            f"shared system prefix: {prefix} tokens; {provider.model} caches a prefix of at "
            f"least {least} tokens{'' if prefix >= least else ', so this one is not cached'}"
        )
    return 0
