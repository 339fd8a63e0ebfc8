"""The base model of a run: where it is, loading it with its tokenizer, the device, bf16, LoRA."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .checkpoints import ADAPTER_DIR
from .config import Log, TrainConfig, TrainError

__all__ = ["FALLBACK_CHAT_TEMPLATE", "apply_lora", "base_model_location", "load_base", "prepare_model", "quiet_transformers", "resolve_device", "use_bf16"]

logger = logging.getLogger(__name__)

# A chat template for base models that have none: ChatML turns, each ended by the model's EOS
# token, so the transformers engine (which needs a template and stops at EOS) can serve them.
FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def base_model_location(model: str | None) -> str:
    """The model folder (or hub id) to train from, resolved as the transformers engine resolves ``model``.

    None is the embedded SmolLM2; a .gguf file (or a folder holding one) is converted once into
    the engine's model cache and that folder is returned.
    """
    from ..engines import transformers as engine
    from ..engines.base import EngineError

    try:
        return engine.model_location(model)
    except EngineError as exc:
        raise TrainError(str(exc).replace("transformers engine: ", "gtm train: ")) from exc


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No transformers progress bars (the run logs its own), and none of the deprecation
    warnings that peft's calls into transformers raise."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\..*")
            yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def load_base(location: str, log: Log) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    local = Path(location).is_dir()
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, local_files_only=local)
        model = AutoModelForCausalLM.from_pretrained(location, dtype="float32", local_files_only=local)
    except Exception as exc:
        raise TrainError(f"gtm train: cannot load the base model from {location} ({' '.join(str(exc).split())[:300]})") from exc
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        log("the base model has no chat template: a ChatML-style one whose turns end with EOS is used and saved with the model")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.device(device)
    except RuntimeError as exc:
        raise TrainError(f"gtm train: unknown device {device!r} ({exc}); use auto, cpu or cuda") from exc
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TrainError(f"gtm train: device {device!r} asked for, but torch sees no CUDA GPU; use --device cpu")
    return device


def use_bf16(asked: bool | None, device: str) -> bool:
    import torch

    if device.startswith("cuda"):
        supported = torch.cuda.is_bf16_supported()
    else:
        from ..engines.transformers import cpu_supports_bf16

        supported = cpu_supports_bf16()
    if asked is None:
        return supported
    if asked and not supported:
        logger.warning("bf16 asked for on %s, which does not compute it natively: expect it to be slow", device)
    return asked


def apply_lora(model: Any, config: TrainConfig) -> Any:
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as exc:
        raise TrainError("gtm train --lora needs peft: pip install peft==0.21.2") from exc
    targets: Any = list(config.lora_targets) if config.lora_targets else "all-linear"
    lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=targets, task_type="CAUSAL_LM")  # fmt: skip
    try:
        return get_peft_model(model, lora)
    except ValueError as exc:  # e.g. target modules that the model does not have
        raise TrainError(f"gtm train: LoRA cannot wrap this model ({exc}); check --lora-targets") from exc


def prepare_model(model: Any, config: TrainConfig, resume: Path | None) -> Any:
    """The model to train: gradient checkpointing, and LoRA (new, or the checkpoint's adapter) where asked."""
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    if not config.lora:
        return model
    if resume is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, resume / ADAPTER_DIR, is_trainable=True)
    else:
        model = apply_lora(model, config)
    if config.gradient_checkpointing:
        model.enable_input_require_grads()
    return model
