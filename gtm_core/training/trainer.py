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
import json
import logging
import math
import random
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .base_model import base_model_location, load_base, prepare_model, quiet_transformers, resolve_device, use_bf16
from .checkpoints import ADAPTER_DIR, STATE_FILE, resume_folder, rng_state, save_checkpoint, save_model, set_rng_state
from .config import DEFAULT_LR_FULL, DEFAULT_LR_LORA, Log, TrainConfig, TrainError, TrainResult
from .data import IGNORE_INDEX, EncodedExample, TrainingExample, encode_example, fingerprint, read_examples

# the options, the base model and checkpoints live in .config, .base_model and .checkpoints; the
# names users import from here stay here
__all__ = ["DEFAULT_LR_FULL", "DEFAULT_LR_LORA", "TrainConfig", "TrainError", "TrainResult", "base_model_location", "train"]

logger = logging.getLogger(__name__)

SUMMARY_FILE = "gtm_train.json"
LOG_FILE = "train_log.jsonl"
_INSTALL_HINT = "pip install 'gtm-toolkit[lm]'"

# These options must be the same when a run is resumed (the data order and the model depend on them).
_RESUME_KEYS = ("lora", "lora_r", "lora_alpha", "lora_targets", "batch_size", "grad_accum", "seed", "max_length")


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
    with quiet_transformers():
        return _run(examples, config, say)


def _run(examples: list[TrainingExample], config: TrainConfig, say: Log) -> TrainResult:
    import torch

    out = Path(config.out)
    resume = resume_folder(config, out)
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

    device = resolve_device(config.device)
    bf16 = use_bf16(config.bf16, device)
    torch.manual_seed(config.seed)  # LoRA's initial weights and dropout
    location = base_model_location(config.model)
    say(f"base model: {location}")
    tokenizer, model = load_base(location if resume is None or config.lora else str(resume), say)

    encoded, skipped, truncated = _encode_all(tokenizer, examples, config.max_length, say)
    model = prepare_model(model, config, resume)
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
        set_rng_state(state["rng"])
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
                         "rng": rng_state(), "fingerprint": fingerprint(examples), "config": config.to_dict()}  # fmt: skip
                result.checkpoints.append(save_checkpoint(model, tokenizer, out, state, config))
                say(f"checkpoint {result.checkpoints[-1]}")
    model.eval()
    save_model(model, tokenizer, out, lora=config.lora, final=True)
    result.checkpoints = [p for p in result.checkpoints if p.exists()]
    summary = {"config": config.to_dict(), "base_model": location, "data_fingerprint": fingerprint(examples), **result.to_dict()}
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    say(f"model saved to {out}" + (f" (LoRA merged; the adapter alone in {out / ADAPTER_DIR})" if config.lora else ""))
    return result


