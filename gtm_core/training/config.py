"""The options and the outcome of a ``gtm train`` run, and its error."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GTMError

__all__ = ["DEFAULT_LR_FULL", "DEFAULT_LR_LORA", "DEFAULT_MAX_LENGTH", "Log", "TrainConfig", "TrainError", "TrainResult"]

DEFAULT_LR_FULL = 2e-5
DEFAULT_LR_LORA = 2e-4
DEFAULT_MAX_LENGTH = 1024

Log = Callable[[str], None]


class TrainError(GTMError):
    """A training run that cannot start or go on; the message says what to change."""


@dataclass(frozen=True)
class TrainConfig:
    """Options of one training run (see ``gtm train --help`` for each)."""

    out: str | Path
    model: str | None = None
    lora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_targets: tuple[str, ...] | None = None  # None: every linear layer but the output head
    epochs: float = 1.0
    max_steps: int | None = None
    batch_size: int = 4
    grad_accum: int = 1
    lr: float | None = None  # None: DEFAULT_LR_LORA with LoRA, else DEFAULT_LR_FULL
    weight_decay: float = 0.0
    warmup_ratio: float = 0.03
    max_grad_norm: float = 1.0
    max_length: int = DEFAULT_MAX_LENGTH
    seed: int = 0
    save_steps: int | None = None
    save_total_limit: int | None = 2
    log_steps: int = 1
    bf16: bool | None = None  # None: where the device computes bf16 natively
    device: str = "auto"
    gradient_checkpointing: bool = False
    resume_from: str | Path | None = None

    def __post_init__(self) -> None:
        def positive_int(name: str, value: Any, *, optional: bool = False) -> None:
            if optional and value is None:
                return
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"The '{name}' option of gtm train must be a positive integer{' or None' if optional else ''}. Got {value!r} instead.")

        for name in ("lora_r", "lora_alpha", "batch_size", "grad_accum", "max_length", "log_steps"):
            positive_int(name, getattr(self, name))
        for name in ("max_steps", "save_steps", "save_total_limit"):
            positive_int(name, getattr(self, name), optional=True)
        if not isinstance(self.epochs, (int, float)) or isinstance(self.epochs, bool) or self.epochs <= 0:
            raise ValueError(f"The 'epochs' option of gtm train must be a number > 0. Got {self.epochs!r} instead.")
        if self.lr is not None and (not isinstance(self.lr, (int, float)) or isinstance(self.lr, bool) or not 0 < self.lr < 1):
            raise ValueError(f"The 'lr' option of gtm train must be a learning rate in (0, 1). Got {self.lr!r} instead.")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise ValueError(f"The 'lora_dropout' option of gtm train must be in [0, 1). Got {self.lora_dropout!r} instead.")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ValueError(f"The 'warmup_ratio' option of gtm train must be in [0, 1). Got {self.warmup_ratio!r} instead.")
        if self.weight_decay < 0 or self.max_grad_norm <= 0:
            raise ValueError("The 'weight_decay' option of gtm train must be >= 0 and 'max_grad_norm' > 0.")
        if not isinstance(self.device, str) or not self.device:
            raise ValueError(f"The 'device' option of gtm train must be 'auto', 'cpu' or a torch device such as 'cuda:0'. Got {self.device!r} instead.")

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return float(self.lr)
        return DEFAULT_LR_LORA if self.lora else DEFAULT_LR_FULL

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["out"] = str(self.out)
        out["resume_from"] = None if self.resume_from is None else str(self.resume_from)
        out["lora_targets"] = None if self.lora_targets is None else list(self.lora_targets)
        out["lr"] = self.learning_rate
        return out


@dataclass
class TrainResult:
    """What a run did: where the model is, how many steps, and how fast they went."""

    out: Path
    steps: int
    examples: int
    skipped: int
    truncated: int
    seconds: float  # time in optimizer steps (loading and saving not counted)
    tokens: int  # tokens fed forward (padding excluded)
    answer_tokens: int  # tokens that carried the loss
    final_loss: float | None
    device: str
    bf16: bool
    trainable_parameters: int
    total_parameters: int
    checkpoints: list[Path] = field(default_factory=list)
    resumed_from: Path | None = None
    steps_run: int = 0  # steps of this process (fewer than ``steps`` after a resume)

    @property
    def seconds_per_step(self) -> float | None:
        return self.seconds / self.steps_run if self.steps_run else None

    @property
    def tokens_per_second(self) -> float | None:
        return self.tokens / self.seconds if self.seconds > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "steps": self.steps,
            "steps_run": self.steps_run,
            "examples": self.examples,
            "skipped_too_long": self.skipped,
            "answers_truncated": self.truncated,
            "seconds": round(self.seconds, 3),
            "seconds_per_step": None if self.seconds_per_step is None else round(self.seconds_per_step, 3),
            "tokens": self.tokens,
            "answer_tokens": self.answer_tokens,
            "tokens_per_second": None if self.tokens_per_second is None else round(self.tokens_per_second, 1),
            "final_loss": self.final_loss,
            "device": self.device,
            "bf16": self.bf16,
            "trainable_parameters": self.trainable_parameters,
            "total_parameters": self.total_parameters,
            "checkpoints": [str(p) for p in self.checkpoints],
            "resumed_from": None if self.resumed_from is None else str(self.resumed_from),
        }
