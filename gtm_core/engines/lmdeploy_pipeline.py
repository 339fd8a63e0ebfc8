"""The ``lmdeploy`` engine: lmdeploy's in-process pipeline on a CUDA GPU.

The pipeline is built on first use (``lmdeploy.pipeline(model, backend_config=...)``) and
answers a whole batch in one call, each request with its own GenerationConfig; JSON
constraints go through ``response_format={"type": "json_schema", ...}`` (both backends take
it in current lmdeploy releases; the PyTorch backend has the longest record). The pipeline
blocks, so it runs in a worker thread, one batch at a time.

lmdeploy needs CUDA and its own torch; it is the optional extra ``gtm-toolkit[lmdeploy]``.
Without it, serve the model elsewhere (``lmdeploy serve api_server MODEL``) and use the
``openai`` engine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

from ..generation import ChatRequest
from .base import EngineError
from .chat import ChatEngine

__all__ = ["BACKENDS", "LmdeployEngine"]

BACKENDS = ("pytorch", "turbomind")
_SEED_MASK = 0x7FFFFFFF
_MISSING = (
    "the lmdeploy engine needs a CUDA GPU and the extra: pip install 'gtm-toolkit[lmdeploy]'; "
    "on machines without one serve the model with `lmdeploy serve api_server MODEL` elsewhere "
    "and use --engine openai --engine-option base_url=http://HOST:23333/v1"
)


class LmdeployEngine(ChatEngine):
    """A Hugging Face model (an id or a local folder) run by lmdeploy on this machine's GPU.

    ``backend`` picks lmdeploy's engine (``pytorch`` or ``turbomind``); ``tp`` is the number
    of GPUs for tensor parallelism; ``session_len`` the longest prompt plus answer (None: the
    model's); ``cache_max_entry_count`` the share of free GPU memory for the k/v cache;
    ``timeout_s`` bounds one batch's generation (not the first load of the model).
    """

    name = "lmdeploy"
    supports_batching = True

    def __init__(
        self,
        model: str | None = None,
        *,
        backend: str = "pytorch",
        tp: int = 1,
        session_len: int | None = None,
        cache_max_entry_count: float = 0.8,
        timeout_s: float = 600.0,
        **common: Any,
    ) -> None:
        super().__init__(**common)
        if not isinstance(model, str) or not model:
            raise ValueError(
                f"The 'model' option of the lmdeploy engine must name a Hugging Face model or a local model folder "
                f"(for example Qwen/Qwen2.5-1.5B-Instruct). Got {model!r} instead."
            )
        if backend not in BACKENDS:
            raise ValueError(f"The 'backend' option of the lmdeploy engine must be one of {', '.join(BACKENDS)}. Got {backend!r} instead.")
        if isinstance(tp, bool) or not isinstance(tp, int) or tp < 1:
            raise ValueError(f"The 'tp' option of the lmdeploy engine must be an integer >= 1. Got {tp!r} instead.")
        if not isinstance(timeout_s, (int, float)) or isinstance(timeout_s, bool) or timeout_s <= 0:
            raise ValueError(f"The 'timeout_s' option of the lmdeploy engine must be a number > 0 (seconds). Got {timeout_s!r} instead.")
        self.model = model
        self.backend = backend
        self.tp = tp
        self.session_len = session_len
        self.cache_max_entry_count = cache_max_entry_count
        self.timeout_s = float(timeout_s)
        self._pipeline: Any = None
        self._lock = threading.Lock()  # one load, then one batch at a time

    def __repr__(self) -> str:
        return f"LmdeployEngine(model={self.model!r}, backend={self.backend!r}, tp={self.tp})"

    @property
    def cache_id(self) -> str:
        return f"{self.name}({self.model};{self.options_id})"

    @property
    def description(self) -> str:
        return f"{self.name} {self.model} ({self.backend} backend)"

    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        """One completion per request, in order, from one pipeline call."""
        if not requests:
            return []
        pipe = await asyncio.to_thread(self._load)
        lmdeploy = _import_lmdeploy()
        prompts = [[dict(message) for message in request.messages] for request in requests]
        configs = [_generation_config(lmdeploy, request) for request in requests]
        try:
            async with asyncio.timeout(self.timeout_s):
                outputs = await asyncio.to_thread(self._infer, pipe, prompts, configs)
        except TimeoutError:
            raise EngineError(f"lmdeploy engine: {self.model} gave no answer within {self.timeout_s:g} s for a batch of {len(requests)}") from None
        if not isinstance(outputs, list) or len(outputs) != len(requests):
            raise EngineError(f"lmdeploy engine: the pipeline returned {type(outputs).__name__} for {len(requests)} prompts")
        return [output.text if isinstance(getattr(output, "text", None), str) else "" for output in outputs]

    async def aclose(self) -> None:
        """Free the GPU: close the pipeline (the next call loads it again)."""
        pipe, self._pipeline = self._pipeline, None
        close = getattr(pipe, "close", None)
        if callable(close):
            await asyncio.to_thread(close)

    # ---- in the worker thread ---------------------------------------------------------------
    def _load(self) -> Any:
        with self._lock:
            if self._pipeline is None:
                lmdeploy = _import_lmdeploy()
                messages = lmdeploy.messages  # the config classes live here in every release
                config_class = messages.PytorchEngineConfig if self.backend == "pytorch" else messages.TurbomindEngineConfig
                options: dict[str, Any] = {"tp": self.tp, "cache_max_entry_count": self.cache_max_entry_count}
                if self.session_len is not None:
                    options["session_len"] = self.session_len
                try:
                    self._pipeline = lmdeploy.pipeline(self.model, backend_config=config_class(**options))
                except Exception as exc:
                    raise EngineError(f"lmdeploy engine: cannot load {self.model} with the {self.backend} backend ({type(exc).__name__}: {_one_line(exc)}); {_MISSING}") from exc
            return self._pipeline

    def _infer(self, pipe: Any, prompts: list[list[dict[str, str]]], configs: list[Any]) -> Any:
        with self._lock:
            try:
                return pipe(prompts, gen_config=configs)
            except Exception as exc:
                raise EngineError(f"lmdeploy engine: {self.model} failed on a batch of {len(prompts)} ({type(exc).__name__}: {_one_line(exc)})") from exc


def _import_lmdeploy() -> Any:
    try:
        import lmdeploy
        import lmdeploy.messages
    except ImportError as exc:
        raise EngineError(_MISSING) from exc
    except Exception as exc:  # it imports torch and CUDA libraries, which can fail otherwise
        raise EngineError(f"lmdeploy could not be imported ({type(exc).__name__}: {_one_line(exc)}); {_MISSING}") from exc
    return lmdeploy


def _generation_config(lmdeploy: Any, request: ChatRequest) -> Any:
    options: dict[str, Any] = {
        "max_new_tokens": request.max_tokens,
        "do_sample": request.temperature > 0,
        "temperature": request.temperature,
        "random_seed": request.seed & _SEED_MASK,
    }
    if request.json_schema is not None:
        options["response_format"] = {"type": "json_schema", "json_schema": {"name": "tool_response", "schema": dict(request.json_schema)}}
    return lmdeploy.messages.GenerationConfig(**options)


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:300]
