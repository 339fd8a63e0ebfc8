"""``gtm train``: supervised fine-tuning of a GTM on chat JSONL (full or LoRA), with transformers.

The data are lines of ``gtm_core.prompt.training_record`` (CARG output, recorded real calls);
the result is a model folder that ``--engine transformers --model OUT`` serves as it is.
Reading and checking data needs no extra; training needs ``gtm-toolkit[lm]`` (and peft for
LoRA), imported only when ``train`` runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "TrainingDataError": "data",
    "TrainingExample": "data",
    "encode_example": "data",
    "read_examples": "data",
    "record_problem": "data",
    "TrainConfig": "config",
    "TrainError": "config",
    "TrainResult": "config",
    "base_model_location": "base_model",
    "train": "trainer",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:
    from .base_model import base_model_location
    from .config import TrainConfig, TrainError, TrainResult
    from .data import TrainingDataError, TrainingExample, encode_example, read_examples, record_problem
    from .trainer import train
