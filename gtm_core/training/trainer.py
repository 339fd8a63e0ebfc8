"""Supervised fine-tuning of a causal language model on GTM chat data (full or LoRA).

``train(files, TrainConfig(out=...))`` reads the chat JSONL (``data.read_examples``), loads
the base model (``model``: a model folder, a .gguf file, a hub id, or None for the embedded
SmolLM2, resolved and converted exactly as the transformers engine does), and runs a plain
PyTorch loop: AdamW, linear warm-up then linear decay, gradient clipping, bf16 autocast where
the hardware computes bf16 natively, the loss on the answer tokens only (logits are computed
only at the positions that predict them).

What ``out`` holds when it ends::

    out/                    the final model: config, weights, tokenizer — what
                            ``--engine transformers --model out`` loads (LoRA merged in)
    out/adapter/            LoRA only: the adapter alone (peft), to merge into another copy
    out/checkpoint-000050/  every ``save_steps``: a loadable model like out/ (LoRA merged,
                            adapter/ beside it) and trainer_state.pt to resume from
    out/train_log.jsonl     one line per logged step: loss, learning rate, s/step, tok/s
    out/gtm_train.json      the run: options, data, steps, time and throughput

``resume_from`` (a checkpoint folder, or "latest") continues a run where the checkpoint left
it: same weights, optimizer and schedule, the same data order, the next batch.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import logging
import math
import random
import shutil
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GTMError
from .data import IGNORE_INDEX, EncodedExample, TrainingExample, encode_example, fingerprint, read_examples

__all__ = ["DEFAULT_LR_FULL", "DEFAULT_LR_LORA", "TrainConfig", "TrainError", "TrainResult", "base_model_location", "train"]

logger = logging.getLogger(__name__)

DEFAULT_LR_FULL = 2e-5
DEFAULT_LR_LORA = 2e-4
DEFAULT_MAX_LENGTH = 1024
STATE_FILE = "trainer_state.pt"
SUMMARY_FILE = "gtm_train.json"
LOG_FILE = "train_log.jsonl"
ADAPTER_DIR = "adapter"
CHECKPOINT_PREFIX = "checkpoint-"
_INSTALL_HINT = "pip install 'gtm-toolkit[lm]'"
# A chat template for base models that have none: ChatML turns, each ended by the model's EOS
# token, so the transformers engine (which needs a template and stops at EOS) can serve them.
FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

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


# ---- the base model ------------------------------------------------------------------------
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
def _quiet() -> Iterator[None]:
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


def _load_base(location: str, log: Log) -> tuple[Any, Any]:
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


def _resolve_device(device: str) -> str:
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


def _use_bf16(asked: bool | None, device: str) -> bool:
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


def _apply_lora(model: Any, config: TrainConfig) -> Any:
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


# ---- batches ---------------------------------------------------------------------------------
class _Batches:
    """Micro-batches in a reproducible order: a fresh shuffle each epoch, an endless stream."""

    def __init__(self, encoded: Sequence[EncodedExample], batch_size: int, seed: int) -> None:
        self.encoded = encoded
        self.batch_size = batch_size
        self.seed = seed
        self.per_epoch = math.ceil(len(encoded) / batch_size)

    def order(self, epoch: int) -> list[int]:
        indices = list(range(len(self.encoded)))
        random.Random(f"{self.seed}:{epoch}").shuffle(indices)
        return indices

    def from_position(self, position: int) -> Iterator[list[EncodedExample]]:
        """Micro-batches from the ``position``-th one on (position counts across epochs)."""
        epoch, offset = divmod(position, self.per_epoch)
        while True:
            order = self.order(epoch)
            for start in range(offset * self.batch_size, len(order), self.batch_size):
                yield [self.encoded[i] for i in order[start : start + self.batch_size]]
            epoch, offset = epoch + 1, 0


def _collate(batch: Sequence[EncodedExample], pad_id: int, device: str) -> dict[str, Any]:
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = [e.input_ids + [pad_id] * (width - len(e.input_ids)) for e in batch]
    mask = [[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in batch]
    labels = [e.labels + [IGNORE_INDEX] * (width - len(e.labels)) for e in batch]
    return {
        "input_ids": torch.tensor(ids, dtype=torch.long, device=device),
        "attention_mask": torch.tensor(mask, dtype=torch.long, device=device),
        "labels": torch.tensor(labels, dtype=torch.long, device=device),
    }


def _loss_sum(model: Any, batch: dict[str, Any], keeps_logits: bool) -> Any:
    """The summed cross-entropy of the answer tokens; logits only where a label follows."""
    import torch
    import torch.nn.functional as F

    targets = batch["labels"][:, 1:]
    positions = torch.nonzero((targets != IGNORE_INDEX).any(dim=0)).squeeze(1)
    kwargs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"], "use_cache": False}
    if keeps_logits:
        logits = model(**kwargs, logits_to_keep=positions).logits
    else:
        logits = model(**kwargs).logits[:, positions]
    chosen = targets[:, positions]
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), chosen.reshape(-1), ignore_index=IGNORE_INDEX, reduction="sum")


def _accepts_logits_to_keep(model: Any) -> bool:
    import inspect

    target = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        return "logits_to_keep" in inspect.signature(target.forward).parameters
    except (TypeError, ValueError):
        return False


def _schedule(step: int, total: int, warmup: int) -> float:
    if warmup and step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


# ---- saving ------------------------------------------------------------------------------------
def _save(model: Any, tokenizer: Any, folder: Path, *, lora: bool, final: bool) -> Any:
    """Write a loadable model folder (LoRA: adapter/ and the merged model). Returns the model to go on with."""
    folder.mkdir(parents=True, exist_ok=True)
    if lora:
        model.save_pretrained(folder / ADAPTER_DIR)
        merged = model.merge_and_unload() if final else copy.deepcopy(model).merge_and_unload()
        merged.save_pretrained(folder)
        if final:
            model = merged
    else:
        model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return model


def _rng_state() -> dict[str, Any]:
    import torch

    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _checkpoints(out: Path) -> list[Path]:
    found = [p for p in out.glob(f"{CHECKPOINT_PREFIX}*") if p.is_dir() and p.name[len(CHECKPOINT_PREFIX):].isdigit()]
    return sorted(found, key=lambda p: int(p.name[len(CHECKPOINT_PREFIX):]))


def _resume_folder(config: TrainConfig, out: Path) -> Path | None:
    if config.resume_from is None:
        return None
    if str(config.resume_from) == "latest":
        found = [p for p in _checkpoints(out) if (p / STATE_FILE).is_file()]
        if not found:
            raise TrainError(f"gtm train: --resume-from latest, but {out} holds no checkpoint with {STATE_FILE}")
        return found[-1]
    folder = Path(config.resume_from)
    if not (folder / STATE_FILE).is_file():
        raise TrainError(f"gtm train: {folder} is not a checkpoint of gtm train (no {STATE_FILE} in it)")
    return folder


# These options must be the same when a run is resumed (the data order and the model depend on them).
_RESUME_KEYS = ("lora", "lora_r", "lora_alpha", "lora_targets", "batch_size", "grad_accum", "seed", "max_length")


def _encode_all(tokenizer: Any, examples: Sequence[TrainingExample], max_length: int, say: Log) -> tuple[list[EncodedExample], int, int]:
    """The encoded examples, how many were skipped (prompt too long) and how many answers were cut."""
    encoded = [e for e in (encode_example(tokenizer, example, max_length) for example in examples) if e is not None]
    skipped = len(examples) - len(encoded)
    truncated = sum(1 for e in encoded if e.truncated)
    if not encoded:
        raise TrainError(f"gtm train: every example's prompt is longer than --max-length {max_length}; raise it")
    if skipped:
        say(f"{skipped} example(s) skipped: the prompt alone fills --max-length {max_length}")
    if truncated:
        say(f"{truncated} answer(s) cut at --max-length {max_length}")
    return encoded, skipped, truncated


def _prepare(model: Any, config: TrainConfig, resume: Path | None) -> Any:
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
        model = _apply_lora(model, config)
    if config.gradient_checkpointing:
        model.enable_input_require_grads()
    return model


# ---- the run -------------------------------------------------------------------------------------
def train(data: Sequence[str | Path] | Sequence[TrainingExample], config: TrainConfig, *, log: Log | None = None) -> TrainResult:
    """Fine-tune ``config.model`` on ``data`` (JSONL paths or examples) and write ``config.out``."""
    say: Log = log or (lambda text: logger.info("%s", text))
    examples = list(data) if data and isinstance(data[0], TrainingExample) else read_examples(data)  # type: ignore[arg-type]
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise TrainError(f"gtm train needs torch and transformers: {_INSTALL_HINT}") from exc
    with _quiet():
        return _run(examples, config, say)


def _run(examples: list[TrainingExample], config: TrainConfig, say: Log) -> TrainResult:
    import torch

    out = Path(config.out)
    resume = _resume_folder(config, out)
    state: dict[str, Any] | None = None
    if resume is not None:
        state = torch.load(resume / STATE_FILE, weights_only=True)
        saved = state["config"]
        changed = [k for k in _RESUME_KEYS if saved.get(k) != config.to_dict().get(k)]
        if changed:
            raise TrainError(f"gtm train: cannot resume {resume} with other {', '.join(changed)} than it was trained with "
                             f"({', '.join(f'{k}={saved.get(k)!r}' for k in changed)})")  # fmt: skip
        if state["fingerprint"] != fingerprint(examples):
            raise TrainError(f"gtm train: cannot resume {resume}: the training data differ from the data it was trained on")

    device = _resolve_device(config.device)
    bf16 = _use_bf16(config.bf16, device)
    torch.manual_seed(config.seed)  # LoRA's initial weights and dropout
    location = base_model_location(config.model)
    say(f"base model: {location}")
    tokenizer, model = _load_base(location if resume is None or config.lora else str(resume), say)

    encoded, skipped, truncated = _encode_all(tokenizer, examples, config.max_length, say)
    model = _prepare(model, config, resume)
    model.to(device)
    model.train()
    keeps_logits = _accepts_logits_to_keep(model)

    trainable = [p for p in model.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in trainable)
    n_total = sum(p.numel() for p in model.parameters())
    batches = _Batches(encoded, config.batch_size, config.seed)
    steps_per_epoch = math.ceil(batches.per_epoch / config.grad_accum)
    total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))
    warmup = int(total * config.warmup_ratio)
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: _schedule(s, total, warmup))
    step, position = 0, 0
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, position = state["step"], state["position"]
        _set_rng_state(state["rng"])
        say(f"resumed from {resume} at step {step}")
    say(f"{len(encoded)} examples, {total} steps of {config.batch_size}x{config.grad_accum}, "
        f"{'LoRA r=' + str(config.lora_r) if config.lora else 'full fine-tune'}, "
        f"{n_trainable:,} of {n_total:,} parameters trained, {device}{' bf16 autocast' if bf16 else ' fp32'}")  # fmt: skip

    out.mkdir(parents=True, exist_ok=True)
    pad_id = tokenizer.pad_token_id
    stream = batches.from_position(position)
    autocast = (lambda: torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
    result = TrainResult(out=out, steps=step, examples=len(encoded), skipped=skipped, truncated=truncated, seconds=0.0,
                         tokens=0, answer_tokens=0, final_loss=None, device=device, bf16=bf16,
                         trainable_parameters=n_trainable, total_parameters=n_total, resumed_from=resume)  # fmt: skip
    with (out / LOG_FILE).open("a", encoding="utf-8") as log_file:
        while step < total:
            started = time.perf_counter()
            group = [next(stream) for _ in range(config.grad_accum)]
            position += len(group)
            answer_tokens = sum(e.answer_tokens for micro in group for e in micro)
            tokens = sum(len(e.input_ids) for micro in group for e in micro)
            loss_total = 0.0
            for micro in group:
                batch = _collate(micro, pad_id, device)
                with autocast():
                    loss = _loss_sum(model, batch, keeps_logits) / answer_tokens
                loss.backward()
                loss_total += float(loss.detach())
            torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm)
            lr = scheduler.get_last_lr()[0]  # the rate this step used
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            seconds = time.perf_counter() - started
            result.seconds += seconds
            result.tokens += tokens
            result.answer_tokens += answer_tokens
            result.steps, result.steps_run, result.final_loss = step, result.steps_run + 1, round(loss_total, 4)
            if step % config.log_steps == 0 or step == total:
                record = {"step": step, "of": total, "epoch": round(position / batches.per_epoch, 3), "loss": round(loss_total, 4),
                          "lr": lr, "seconds": round(seconds, 3), "tokens": tokens,
                          "tokens_per_second": round(tokens / seconds, 1) if seconds > 0 else None}  # fmt: skip
                log_file.write(json.dumps(record) + "\n")
                log_file.flush()
                eta = (total - step) * (result.seconds / result.steps_run)
                say(f"[{step:>{len(str(total))}}/{total}] loss {loss_total:.4f}  lr {record['lr']:.2e}  "
                    f"{seconds:.2f} s/step  {record['tokens_per_second'] or 0:.0f} tok/s  eta {eta:.0f} s")  # fmt: skip
            if config.save_steps and step % config.save_steps == 0 and step < total:
                state = {"step": step, "position": position, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                         "rng": _rng_state(), "fingerprint": fingerprint(examples), "config": config.to_dict()}  # fmt: skip
                result.checkpoints.append(_checkpoint(model, tokenizer, out, state, config))
                say(f"checkpoint {result.checkpoints[-1]}")
    model.eval()
    _save(model, tokenizer, out, lora=config.lora, final=True)
    result.checkpoints = [p for p in result.checkpoints if p.exists()]
    summary = {"config": config.to_dict(), "base_model": location, "data_fingerprint": fingerprint(examples), **result.to_dict()}
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    say(f"model saved to {out}" + (f" (LoRA merged; the adapter alone in {out / ADAPTER_DIR})" if config.lora else ""))
    return result


def _checkpoint(model: Any, tokenizer: Any, out: Path, state: dict[str, Any], config: TrainConfig) -> Path:
    """Save a loadable, resumable checkpoint and drop the oldest beyond ``save_total_limit``."""
    import torch

    folder = out / f"{CHECKPOINT_PREFIX}{state['step']:06d}"
    _save(model, tokenizer, folder, lora=config.lora, final=False)
    torch.save(state, folder / STATE_FILE)
    if config.save_total_limit is not None:
        for old in _checkpoints(out)[: -config.save_total_limit]:
            shutil.rmtree(old, ignore_errors=True)
    return folder
