"""The settings one generation run needs, typed and frozen (from params and templates/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class GenerationConfig:
    system: str  # system prompt for whole examples (templates/system.md)
    local_system: str  # system prompt for turn-by-turn generation (templates/local_system.md)
    max_tokens: int = 1200  # a whole example's answer budget
    max_tokens_growth: int = 2  # a cut answer is asked again with up to this many times more
    repair: bool = True  # an invalid whole answer gets one repair request with the error
    min_turn_words: int = 12  # a shorter turn is quarantined
    max_turn_tokens: int = 0  # cap on each turn's tokens in turn mode (0: the template's)
    structured: bool = False  # the teacher enforces a JSON schema (Claude's structured outputs)
    # few-shot exemplars by template name (hand-written gold examples)
    gold: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_params(
        cls, params: dict[str, Any], gold: list[dict[str, Any]] = (), structured: bool = False
    ) -> GenerationConfig:
        """From the `generate` section of params; `gold` gives the few-shot exemplars;
        `structured` when the teacher enforces an output schema."""
        tdir = Path(params["templates_dir"])
        shots: dict[str, list[dict[str, Any]]] = {}
        for g in gold:
            shots.setdefault(g["template"], [])
            if len(shots[g["template"]]) < params["few_shot"]:
                shots[g["template"]].append(g)
        return cls(
            system=(tdir / "system.md").read_text(encoding="utf-8").strip(),
            local_system=(tdir / "local_system.md").read_text(encoding="utf-8").strip(),
            max_tokens=params["max_tokens"],
            max_tokens_growth=params["max_tokens_growth"],
            repair=params["repair"],
            min_turn_words=params["min_turn_words"],
            max_turn_tokens=params["max_turn_tokens"],
            structured=structured,
            gold=shots,
        )
