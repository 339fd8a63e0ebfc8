"""The ``llamacpp`` engine: any GGUF model run in this process by llama.cpp (llama-cpp-python).

``model`` is a known model name (``qwen2.5-coder-0.5b``, ``qwen2.5-coder-1.5b``,
``smollm2-135m``; see ``gtm models list``), a .gguf file, or None for the most faithful known
model that is installed (``gtm_core.models.best_installed_model``). The chat template is
the one inside the GGUF file. The model loads on the first call (or ``load()``), once.

Decoding follows a grammar that llama.cpp makes from the answer schema (the response schema
or the tool's error object), compiled once per schema and cached; a schema llama.cpp cannot
turn into a grammar is relaxed (``_schemas.relax_schema``), and failing that the answer is
any JSON object: conforming after decoding fixes what a grammar could not enforce (numeric
ranges, for one). Temperature 0 is greedy; otherwise each call samples with its own seed.

One model context answers one call at a time: calls from any coroutine, thread or event
loop queue (at most ``queue_size``) and are served in order. A call that is cancelled gives
up its place, or, while it runs, stops at its next token; ``timeout_s`` bounds the decoding
of one call (not its wait in the queue, which ``queue_size`` bounds): past it the call stops
and fails. Consecutive calls of one tool share the prompt's long prefix (rules and spec), and
llama.cpp evaluates only what differs from the previous prompt.

``threads`` defaults to half the CPUs this process may use (at least 1): on a shared 2-core
machine 2 threads were 5-20x slower than 1, because llama.cpp's threads wait on each other
whenever one of them is preempted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import io
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..generation import ChatRequest
from ..models import ModelError, ModelSource, best_installed_model, locate_model
from ._schemas import ANY_OBJECT, canonical_schema, relax_schema
from .base import EngineError, one_line
from .batching import DEFAULT_QUEUE_SIZE, DynamicBatcher
from .chat import ChatEngine

__all__ = ["DEFAULT_CONTEXT_SIZE", "LlamaCppEngine", "default_threads"]

logger = logging.getLogger(__name__)

DEFAULT_CONTEXT_SIZE = 4096
DEFAULT_BATCH_SIZE = 512
DEFAULT_TIMEOUT_S = 300.0
GRAMMAR_CACHE = 256
_INSTALL_HINT = "pip install llama-cpp-python (the project's .ci/setup builds a wheel of it into .venv/wheels)"
_SEED_MASK = 0xFFFF_FFFF  # llama.cpp keeps sampler seeds in 32 bits


def default_threads() -> int:
    """Half the CPUs this process may run on, at least 1 (see the module's docstring)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, cpus // 2)


@dataclass
class _Job:
    """One chat request on its way through the queue; ``cancelled`` stops it mid-decoding."""

    request: ChatRequest
    cancelled: threading.Event = field(default_factory=threading.Event)


class LlamaCppEngine(ChatEngine):
    """A GGUF model run in this process by llama.cpp (see the module's docstring).

    ``context_size`` is the model context in tokens (prompt and answer together);
    ``batch_size`` the prompt tokens evaluated per step; ``threads`` the CPU threads (None:
    :func:`default_threads`); ``cache_dir`` where known models are installed (None:
    ``$GTM_CACHE_DIR/models``).
    """

    name = "llamacpp"

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        threads: int | None = None,
        context_size: int = DEFAULT_CONTEXT_SIZE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        cache_dir: str | os.PathLike[str] | None = None,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        if model is not None and (not isinstance(model, (str, os.PathLike)) or not str(model)):
            raise ValueError(f"The 'model' option of the llamacpp engine must be a known model name, a .gguf file or None. Got {model!r} instead.")
        for option, value, minimum in (("context_size", context_size, 256), ("batch_size", batch_size, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"The {option!r} option of the llamacpp engine must be an integer >= {minimum}. Got {value!r} instead.")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ValueError(f"The 'threads' option of the llamacpp engine must be a positive integer or None. Got {threads!r} instead.")
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or timeout_s <= 0:
            raise ValueError(f"The 'timeout_s' option of the llamacpp engine must be a number > 0 (seconds). Got {timeout_s!r} instead.")
        self.model = None if model is None else str(model)
        self.threads = threads or default_threads()
        self.context_size = context_size
        self.batch_size = batch_size
        self.timeout_s = float(timeout_s)
        self.queue_size = queue_size
        self.cache_dir = None if cache_dir is None else Path(cache_dir).expanduser()
        self._batcher = self._make_batcher()
        self._lock = threading.Lock()
        self._llama: Any = None
        self.source: ModelSource | None = None
        self._grammars: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self.load_seconds: float | None = None
        self.tokens_generated = 0
        self.generate_seconds = 0.0
        self.grammar_fallbacks = 0

    def __repr__(self) -> str:
        return f"LlamaCppEngine(model={self.model!r}, threads={self.threads}, context_size={self.context_size})"

    @property
    def cache_id(self) -> str:
        """``llamacpp(MODEL;options)``; ``best`` stands for the best installed known model."""
        return f"{self.name}({self.model or 'best'};ctx={self.context_size};{self.options_id})"

    @property
    def description(self) -> str:
        """For example ``llamacpp qwen2.5-coder-0.5b (1 thread, context 4096)``."""
        label = self.source.label if self.source else (self.model or "the best installed model")
        return f"{self.name} {label} ({self.threads} thread{'s' if self.threads > 1 else ''}, context {self.context_size})"

    # ---- loading ----------------------------------------------------------------------------
    def locate(self) -> ModelSource:
        """Where the model file is (no loading); EngineError when it is not there."""
        try:
            source = best_installed_model(self.cache_dir) if self.model is None else locate_model(self.model, cache_dir=self.cache_dir)
        except ModelError as exc:
            raise EngineError(f"llamacpp engine: {exc}") from exc
        if source.kind != "gguf":
            raise EngineError(f"llamacpp engine: {self.model!r} is not a GGUF model ({source.kind}); pass a .gguf file or a known model name (gtm models list)")
        return source

    def load(self) -> None:
        """Load the model now (else the first call does)."""
        with self._lock:
            if self._llama is not None:
                return
            try:
                import llama_cpp
                from llama_cpp import _logger as llama_logging
            except ImportError as exc:
                raise EngineError(f"the llamacpp engine needs llama-cpp-python: {_INSTALL_HINT}") from exc
            source = self.locate()
            started = time.perf_counter()
            # verbose=True: with False, llama-cpp-python points file descriptors 1 and 2 at
            # /dev/null while it loads, which would swallow what other threads write to
            # stdout (an MCP stdio server's messages). Its chatter goes to a buffer instead.
            chatter = io.StringIO()
            try:
                with contextlib.redirect_stderr(chatter):
                    llama = llama_cpp.Llama(
                        model_path=source.location,
                        n_ctx=self.context_size,
                        n_batch=self.batch_size,
                        n_threads=self.threads,
                        n_threads_batch=self.threads,
                        verbose=True,
                    )
            except Exception as exc:
                raise EngineError(f"llamacpp engine: cannot load {source.location} ({one_line(exc)}); is it a complete GGUF file? (gtm models install NAME --force)") from exc
            finally:
                llama_logging.set_verbose(False)
            llama.verbose = False
            if "tokenizer.chat_template" not in llama.metadata:
                raise EngineError(f"llamacpp engine: {source.label} has no chat template in its GGUF file; use an instruct (chat) model")
            self._llama, self.source = llama, source
            self.load_seconds = time.perf_counter() - started
            logger.info("%s loaded in %.1f s from %s", self.description, self.load_seconds, source.location)

    # ---- ChatEngine ---------------------------------------------------------------------------
    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        """One completion per request, in order; the requests join the queue of the one context."""
        if not requests:
            return []
        if self._llama is None:
            await asyncio.to_thread(self.load)
        jobs = [_Job(request) for request in requests]
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._run(job)) for job in jobs]
        except BaseExceptionGroup as errors:
            raise _first_leaf(errors) from None
        return [task.result() for task in tasks]

    async def _run(self, job: _Job) -> str:
        try:
            return await self._batcher.run(job)  # timeout_s bounds the decoding, in the worker
        except BaseException:  # cancelled: a running decode stops at its next token
            job.cancelled.set()
            raise

    async def aclose(self) -> None:
        """Stop the queue (waiting calls fail) and free the model; a later call loads it again."""
        batcher, self._batcher = self._batcher, self._make_batcher()
        await asyncio.to_thread(batcher.close)
        with self._lock:
            llama, self._llama = self._llama, None
            self._grammars.clear()
        if llama is not None:
            llama.close()

    def _make_batcher(self) -> DynamicBatcher[_Job, str]:
        return DynamicBatcher(self._process, max_batch=1, max_wait_ms=0, queue_size=self.queue_size, name="llamacpp engine", timeout_option="timeout_s")

    # ---- in the worker thread -------------------------------------------------------------------
    def _process(self, jobs: list[_Job]) -> list[str | BaseException]:
        llama = self._llama
        if llama is None:
            raise EngineError("llamacpp engine: the model was released (aclose) while these calls waited")
        return [self._answer(llama, job) for job in jobs]

    def _answer(self, llama: Any, job: _Job) -> str | BaseException:
        """One completion, streamed token by token so that a cancelled call stops between tokens.

        (An exception raised inside llama-cpp-python's logits callbacks is swallowed by ctypes,
        so a stream is the one place a call can be stopped mid-way.)
        """
        request = job.request
        if job.cancelled.is_set():
            return EngineError("llamacpp engine: the call was cancelled before it ran")
        grammar = self._grammar(request.json_schema) if request.json_schema is not None else None
        sampling: dict[str, Any] = {"temperature": 0.0} if request.temperature <= 0 else {"temperature": request.temperature, "top_k": 0, "top_p": 1.0, "min_p": 0.0}
        started = time.perf_counter()
        pieces: list[str] = []
        tokens = 0
        try:
            stream = llama.create_chat_completion(
                messages=[dict(message) for message in request.messages],
                max_tokens=request.max_tokens,
                seed=request.seed & _SEED_MASK,
                grammar=grammar,
                stream=True,
                **sampling,
            )
            try:
                for chunk in stream:
                    if job.cancelled.is_set():
                        return EngineError("llamacpp engine: the call was cancelled while it decoded")
                    if time.perf_counter() - started > self.timeout_s:
                        return EngineError(f"llamacpp engine: no answer within {self.timeout_s:g} s of decoding ({tokens} tokens made); raise timeout_s or lower max_tokens")
                    delta = chunk["choices"][0].get("delta") or {}
                    if delta.get("content"):
                        pieces.append(delta["content"])
                        tokens += 1
            finally:
                stream.close()
        except ValueError as exc:
            if "context" in str(exc).lower():
                return EngineError(f"llamacpp engine: {one_line(exc)}; lower history_tokens or raise context_size (now {self.context_size})")
            return EngineError(f"llamacpp engine: generation failed ({one_line(exc)})")
        except Exception as exc:
            return EngineError(f"llamacpp engine: generation failed ({one_line(exc)})")
        finally:
            self.generate_seconds += time.perf_counter() - started
            self.tokens_generated += tokens
        return "".join(pieces)

    def _grammar(self, schema: Mapping[str, Any]) -> Any:
        """The llama.cpp grammar for ``schema``, compiled once (relaxed, or any object, where it must be)."""
        key = canonical_schema(schema)
        grammar = self._grammars.get(key)
        if grammar is not None:
            self._grammars.move_to_end(key)
            return grammar
        from llama_cpp import LlamaGrammar

        grammar = None
        for attempt in (key, canonical_schema(relax_schema(schema)), canonical_schema(ANY_OBJECT)):
            try:
                with contextlib.redirect_stderr(io.StringIO()):
                    grammar = LlamaGrammar.from_json_schema(attempt, verbose=False)
                break
            except Exception as exc:  # the converter raises ValueError, RuntimeError, KeyError ...
                logger.debug("llama.cpp could not make a grammar of a schema (%s); relaxing it", one_line(exc))
                self.grammar_fallbacks += 1
        self._grammars[key] = grammar
        while len(self._grammars) > GRAMMAR_CACHE:
            self._grammars.popitem(last=False)
        return grammar


def _first_leaf(errors: BaseExceptionGroup[Any]) -> BaseException:
    """The first real exception inside a (nested) exception group."""
    first: BaseException = errors
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first
