"""Saving a run: loadable model folders, resumable checkpoints (trainer_state.pt, RNG state) and finding them again."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

from .config import TrainConfig, TrainError

__all__ = ["ADAPTER_DIR", "CHECKPOINT_PREFIX", "STATE_FILE", "checkpoints", "resume_folder", "rng_state", "save_checkpoint", "save_model", "set_rng_state"]

STATE_FILE = "trainer_state.pt"
ADAPTER_DIR = "adapter"
CHECKPOINT_PREFIX = "checkpoint-"


def save_model(model: Any, tokenizer: Any, folder: Path, *, lora: bool, final: bool) -> Any:
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


def rng_state() -> dict[str, Any]:
    import torch

    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import torch

    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoints(out: Path) -> list[Path]:
    found = [p for p in out.glob(f"{CHECKPOINT_PREFIX}*") if p.is_dir() and p.name[len(CHECKPOINT_PREFIX):].isdigit()]
    return sorted(found, key=lambda p: int(p.name[len(CHECKPOINT_PREFIX):]))


def resume_folder(config: TrainConfig, out: Path) -> Path | None:
    if config.resume_from is None:
        return None
    if str(config.resume_from) == "latest":
        found = [p for p in checkpoints(out) if (p / STATE_FILE).is_file()]
        if not found:
            raise TrainError(f"gtm train: --resume-from latest, but {out} holds no checkpoint with {STATE_FILE}")
        return found[-1]
    folder = Path(config.resume_from)
    if not (folder / STATE_FILE).is_file():
        raise TrainError(f"gtm train: {folder} is not a checkpoint of gtm train (no {STATE_FILE} in it)")
    return folder


def save_checkpoint(model: Any, tokenizer: Any, out: Path, state: dict[str, Any], config: TrainConfig) -> Path:
    """Save a loadable, resumable checkpoint and drop the oldest beyond ``save_total_limit``."""
    import torch

    folder = out / f"{CHECKPOINT_PREFIX}{state['step']:06d}"
    save_model(model, tokenizer, folder, lora=config.lora, final=False)
    torch.save(state, folder / STATE_FILE)
    if config.save_total_limit is not None:
        for old in checkpoints(out)[: -config.save_total_limit]:
            shutil.rmtree(old, ignore_errors=True)
    return folder
