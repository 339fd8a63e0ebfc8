"""GGUF to transformers: a .gguf model converted once into a plain model folder, cached.

transformers reads GGUF files by de-quantizing them, which is slow (about 17 s for SmolLM2,
mostly the tokenizer) and cannot be saved as it is; so ``converted_folder(gguf, cache_dir)``
converts a GGUF model once into a plain model folder under the model cache
(``gtm_core.models.default_model_cache``), named after the file and its size and
modification time, written to a temporary folder and renamed into place so that concurrent
processes never see half of one. Later loads of that folder take about 2 s.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..models import CACHE_DIR_ENV
from .base import EngineError, one_line

__all__ = ["converted_folder", "no_progress_bars"]

logger = logging.getLogger(__name__)

_CONVERTING = threading.Lock()
_INSTALL_HINT = "pip install 'gtm-toolkit[lm]'"


def converted_folder(gguf: Path, cache_dir: Path) -> Path:
    """The converted model folder of ``gguf`` (made, atomically, on first use)."""
    stat = gguf.stat()
    digest = hashlib.sha256(f"{gguf.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    target = cache_dir / f"{gguf.stem}-{digest}"
    if _is_model_folder(target):
        return target
    with _CONVERTING:  # engines of one process convert one at a time (and the second finds it done)
        if _is_model_folder(target):
            return target
        return _convert_into(gguf, cache_dir, target)


def _convert_into(gguf: Path, cache_dir: Path, target: Path) -> Path:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache_dir))
    except OSError as exc:
        raise EngineError(f"transformers engine: cannot write the model cache {cache_dir} ({exc}); set {CACHE_DIR_ENV} to a writable folder") from exc
    try:
        started = time.perf_counter()
        try:
            _convert_gguf(gguf, scratch)
        except ImportError as exc:
            raise EngineError(f"transformers engine: reading GGUF files needs the gguf package ({exc}): {_INSTALL_HINT}") from exc
        except Exception as exc:
            raise EngineError(
                f"transformers engine: cannot convert {gguf} ({one_line(exc)}); transformers reads GGUF files of the "
                "common architectures only (llama, mistral, qwen2, ...): pass a model folder instead"
            ) from exc
        if target.exists() and not _is_model_folder(target):
            shutil.rmtree(target, ignore_errors=True)  # a damaged folder from an older run
        try:
            os.rename(scratch, target)
        except OSError:
            if not _is_model_folder(target):  # not another process that got there first
                raise
        logger.info("converted %s into %s in %.1f s", gguf.name, target, time.perf_counter() - started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _is_model_folder(path: Path) -> bool:
    return (path / "config.json").is_file() and any(path.glob("*.safetensors"))


def _convert_gguf(gguf: Path, out: Path) -> None:
    """De-quantize a GGUF file into a plain model folder (transformers cannot save GGUF models)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with no_progress_bars(), _cached_gguf_name_maps():
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config  # save_pretrained refuses a model marked as GGUF-quantized
        model = AutoModelForCausalLM.from_config(config, dtype=loaded.dtype)
        model.load_state_dict(loaded.state_dict())
        model.generation_config = loaded.generation_config
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)


@contextlib.contextmanager
def _cached_gguf_name_maps() -> Iterator[None]:
    """Memoize ``gguf.get_tensor_name_map`` while converting.

    transformers asks for the same (architecture, layers) name map once per module of the
    model, and each one is built from scratch: about a third of a conversion. The map is
    only read, so one per argument pair is enough.
    """
    try:
        import gguf
    except ImportError:
        yield
        return
    original = getattr(gguf, "get_tensor_name_map", None)
    if original is None:
        yield
        return
    gguf.get_tensor_name_map = functools.lru_cache(maxsize=None)(original)
    try:
        yield
    finally:
        gguf.get_tensor_name_map = original


@contextlib.contextmanager
def no_progress_bars() -> Iterator[None]:
    """No "Loading weights" bars for a model that loads in two seconds (the GGUF conversion keeps its own)."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()
