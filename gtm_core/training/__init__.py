"""``gtm train``: supervised fine-tuning of a GTM on chat JSONL (full or LoRA), with transformers.

The data are lines of ``gtm_core.prompt.training_record`` (CARG output, recorded real calls);
the result is a model folder that ``--engine transformers --model OUT`` serves as it is.
Reading and checking data needs no extra; training needs ``gtm-toolkit[lm]`` (and peft for
LoRA), imported only when ``train`` runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "TrainingDataError": "data",
    "TrainingExample": "data",
    "encode_example": "data",
    "read_examples": "data",
    "record_problem": "data",
    "TrainConfig": "trainer",
    "TrainError": "trainer",
    "TrainResult": "trainer",
    "base_model_location": "trainer",
    "train": "trainer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gtm_core.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .data import TrainingDataError, TrainingExample, encode_example, read_examples, record_problem
    from .trainer import TrainConfig, TrainError, TrainResult, base_model_location, train
