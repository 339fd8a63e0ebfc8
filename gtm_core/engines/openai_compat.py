"""The ``openai`` engine: a model behind any OpenAI-compatible chat server (lmdeploy, vLLM, llama.cpp, OpenAI).

Each chat request is one ``POST {base_url}/chat/completions``, at most ``concurrency`` at a
time, with the request's ``temperature`` and ``seed``. httpx talks to the server; the openai
SDK is not needed.

Constrained decoding goes through ``response_format``, which servers spell differently:

    json_schema   {"type": "json_schema", "json_schema": {"name", "schema", "strict": false}}
                  OpenAI, vLLM, lmdeploy, llama.cpp's llama-server
    json_object   {"type": "json_object", "schema": S}      llama-cpp-python, lmdeploy
    none          no response_format (the prompt alone asks for JSON)
    auto          json_schema; when the server blames the response_format (HTTP 400, 422
                  or 500 naming it), json_object, then none; the engine remembers the step

Connection errors, timeouts, HTTP 408, 429 and 5xx are retried ``retries`` times with
exponential backoff and jitter (honouring Retry-After); other 4xx are not. Whatever still
fails raises EngineError with one line: what failed, the URL, and what to do. Every wait is
bounded: a request by ``timeout_s``, a retry by the backoff.

An httpx client belongs to one event loop, and the simulator may call from a fresh
``asyncio.run`` each time; so calls on one loop share a client (and the concurrency limit)
while any of them is in flight, and the last one out closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import random
import ssl
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ..generation import ChatRequest
from .base import EngineError
from .chat import ChatEngine

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_API_KEY_ENV",
    "DEFAULT_BASE_URL",
    "OpenAIEngine",
    "RESPONSE_FORMATS",
]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
"""Where the server is when neither the option nor the environment says (lmdeploy's port)."""
BASE_URL_ENV = ("GTM_OPENAI_BASE_URL", "OPENAI_BASE_URL")
"""Environment variables read, in order, for the base URL when the option is not given."""
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_CONCURRENCY = 8
DEFAULT_RETRIES = 2
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
"""The longest wait before a retry, Retry-After included."""
RESPONSE_FORMATS = ("auto", "json_schema", "json_object", "none")

_DOWNGRADE = {"json_schema": "json_object", "json_object": "none"}
_FORMAT_STATUSES = frozenset({400, 422, 500})
_SEED_MASK = 0x7FFFFFFF  # servers keep seeds in 32 bits (llama.cpp) or int32 (some JSON APIs)
_START_HINT = (
    "is the server running? start one with `lmdeploy serve api_server MODEL` or "
    "`python -m llama_cpp.server --model FILE`, or set the base_url option "
    "(--engine-option base_url=URL) to where yours listens"
)


@dataclass
class _LoopState:
    """What the calls running on one event loop share."""

    semaphore: asyncio.Semaphore
    client: httpx.AsyncClient | None = None
    users: int = 0


class OpenAIEngine(ChatEngine):
    """A model served behind an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    ``model`` is the name sent to the server (None: the first one its ``/v1/models`` lists);
    ``base_url`` defaults to ``$GTM_OPENAI_BASE_URL``, else ``$OPENAI_BASE_URL``, else
    ``http://127.0.0.1:8000/v1``; ``api_key_env`` names the environment variable that holds
    the API key (unset: no Authorization header). See the module's docstring for
    ``response_format``, retries and timeouts.
    """

    name = "openai"
    supports_batching = True

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key_env: str | None = DEFAULT_API_KEY_ENV,
        concurrency: int = DEFAULT_CONCURRENCY,
        retries: int = DEFAULT_RETRIES,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        backoff_s: float = DEFAULT_BACKOFF_S,
        response_format: str = "auto",
        **common: Any,
    ) -> None:
        super().__init__(**common)
        if model is not None and (not isinstance(model, str) or not model):
            raise ValueError(f"The 'model' option of the openai engine must be a model name or None. Got {model!r} instead.")
        _check_int("concurrency", concurrency, minimum=1)
        _check_int("retries", retries, minimum=0)
        _check_positive("timeout_s", timeout_s)
        _check_positive("backoff_s", backoff_s, allow_zero=True)
        if response_format not in RESPONSE_FORMATS:
            raise ValueError(
                f"The 'response_format' option of the openai engine must be one of {', '.join(RESPONSE_FORMATS)}. Got {response_format!r} instead."
            )
        self.model = model
        self.base_url = _resolve_base_url(base_url)
        self.api_key_env = api_key_env or None
        self._api_key = os.environ.get(self.api_key_env) if self.api_key_env else None
        self.concurrency = concurrency
        self.retries = retries
        self.timeout_s = float(timeout_s)
        self.backoff_s = float(backoff_s)
        self.response_format = response_format
        self.can_constrain = response_format != "none"
        #: the response_format spelling in use now (``auto`` moves it down a step at a time)
        self.format_in_use = "json_schema" if response_format == "auto" else response_format
        self._served_model: str | None = None
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"OpenAIEngine(model={self.model!r}, base_url={self.base_url!r}, response_format={self.response_format!r})"

    @property
    def cache_id(self) -> str:
        """``openai(MODEL@URL;options)``; ``*`` stands for the server's first model."""
        return f"{self.name}({self.model or '*'}@{self.base_url};{self.options_id})"

    @property
    def description(self) -> str:
        """For example ``openai SmolLM2 at http://127.0.0.1:8080/v1``."""
        model = self.model or self._served_model or "(the server's first model)"
        return f"{self.name} {model} at {self.base_url}"

    # ---- ChatEngine ---------------------------------------------------------------------
    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        """One completion per request, in order, ``concurrency`` in flight at a time."""
        if not requests:
            return []
        async with self._session() as state:
            model = self.model or await self._first_model(state)
            try:
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(self._complete_one(state, model, request)) for request in requests]
            except BaseExceptionGroup as errors:
                raise _first_leaf(errors) from None
            return [task.result() for task in tasks]

    async def aclose(self) -> None:
        """Close the client of the running loop, if a call left one open (normally none is)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        state = self._loops.get(loop)
        if state is not None and state.client is not None and state.users == 0:
            client, state.client = state.client, None
            await client.aclose()

    # ---- one request ----------------------------------------------------------------------
    async def _complete_one(self, state: _LoopState, model: str, request: ChatRequest) -> str:
        url = f"{self.base_url}/chat/completions"
        while True:
            spelling = self.format_in_use if request.json_schema is not None else "none"
            payload = self._payload(model, request, spelling)
            response = await self._send(state, "POST", url, payload)
            if response.is_success:
                return _content(response, url)
            if spelling != "none" and self.response_format == "auto" and _blames_format(response):
                self._step_down(spelling, response)
                continue
            raise EngineError(self._http_problem(response, url, spelling))

    def _payload(self, model: str, request: ChatRequest, spelling: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": model,
            "messages": [dict(message) for message in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed & _SEED_MASK,
            "stream": False,
        }
        if request.json_schema is not None and spelling == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "tool_response", "schema": dict(request.json_schema), "strict": False},
            }
        elif request.json_schema is not None and spelling == "json_object":
            payload["response_format"] = {"type": "json_object", "schema": dict(request.json_schema)}
        return payload

    def _step_down(self, spelling: str, response: httpx.Response) -> None:
        """Use the next response_format spelling (once per step, even under concurrency)."""
        if self.format_in_use == spelling:
            self.format_in_use = _DOWNGRADE[spelling]
            logger.warning(
                "the server at %s refused response_format %s (HTTP %d: %s); using %s from now on",
                self.base_url, spelling, response.status_code, _excerpt(response), self.format_in_use,
            )  # fmt: skip

    async def _first_model(self, state: _LoopState) -> str:
        if self._served_model is None:
            url = f"{self.base_url}/models"
            response = await self._send(state, "GET", url, None)
            if not response.is_success:
                raise EngineError(self._http_problem(response, url, "none"))
            try:
                models = [entry["id"] for entry in _json(response, url)["data"]]
            except (KeyError, TypeError) as exc:
                raise EngineError(f"openai engine: {url} did not list models the OpenAI way ({exc!r} missing); pass the model name (--model)") from None
            if not models or not isinstance(models[0], str):
                raise EngineError(f"openai engine: the server at {url} lists no models; pass the model name (--model)")
            self._served_model = models[0]
        return self._served_model

    # ---- HTTP -----------------------------------------------------------------------------
    async def _send(self, state: _LoopState, method: str, url: str, payload: Mapping[str, Any] | None) -> httpx.Response:
        """The server's response, after retrying what is worth retrying; EngineError when none came."""
        assert state.client is not None
        problem = ""
        retry_after: float | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self._backoff(attempt, retry_after))
            retry_after = None
            try:
                async with state.semaphore:
                    async with asyncio.timeout(self.timeout_s):
                        response = await state.client.request(method, url, json=payload)
            except (TimeoutError, httpx.TimeoutException):
                problem = f"no answer within {self.timeout_s:g} s (raise the timeout_s option for slow servers)"
                continue
            except httpx.ConnectError as exc:
                problem = f"cannot connect ({_one_line(exc) or type(exc).__name__}); {_START_HINT}"
                continue
            except httpx.TransportError as exc:
                problem = f"the connection failed ({type(exc).__name__}: {_one_line(exc)})"
                continue
            status = response.status_code
            if not (status in (408, 429) or status >= 500) or (payload and "response_format" in payload and _blames_format(response)):
                return response
            problem = f"HTTP {status}: {_excerpt(response)}"
            retry_after = _retry_after(response)
        tries = f" after {self.retries + 1} tries" if self.retries else ""
        raise EngineError(f"openai engine: {method} {url} failed{tries}: {problem}")

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_BACKOFF_S)
        base = self.backoff_s * 2 ** (attempt - 1)
        return min(base * (1.0 + random.random()), MAX_BACKOFF_S)

    def _http_problem(self, response: httpx.Response, url: str, spelling: str) -> str:
        status = response.status_code
        where = f"openai engine: {response.request.method} {url} got HTTP {status}"
        if status in (401, 403):
            if self._api_key:
                fix = f"check the API key in ${self.api_key_env}"
            else:
                fix = f"set the environment variable {self.api_key_env or 'OPENAI_API_KEY'} to the API key (the engine's api_key_env option names it)"
            return f"{where} (the server refused the credentials: {_excerpt(response)}); {fix}"
        if status == 404:
            return f"{where} ({_excerpt(response)}); check the base_url option (it usually ends in /v1) and the model name {self.model or self._served_model!r}"
        if spelling != "none" and status in _FORMAT_STATUSES:
            others = ", ".join(f for f in RESPONSE_FORMATS if f != spelling)
            return f"{where}: {_excerpt(response)}; if the server does not take response_format {spelling}, set the response_format option to one of {others}"
        return f"{where}: {_excerpt(response)}"

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[_LoopState]:
        """The running loop's shared state, with an open client while any call is in flight."""
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState(asyncio.Semaphore(self.concurrency))
        if state.client is None:
            state.client = self._new_client()
        state.users += 1
        try:
            yield state
        finally:
            state.users -= 1
            if state.users == 0 and state.client is not None:
                client, state.client = state.client, None
                await client.aclose()

    def _new_client(self) -> httpx.AsyncClient:
        headers = {"User-Agent": "gtm-toolkit"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0)),
            limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency),
            verify=_ssl_context(),
        )


# ---- helpers ------------------------------------------------------------------------------
@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every client: making one costs about 50 ms, and a client per batch is made."""
    return httpx.create_ssl_context()


def _resolve_base_url(base_url: str | None) -> str:
    if base_url is None:
        base_url = next((os.environ[name] for name in BASE_URL_ENV if os.environ.get(name)), DEFAULT_BASE_URL)
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ValueError(f"The 'base_url' option of the openai engine must be an http:// or https:// URL such as {DEFAULT_BASE_URL}. Got {base_url!r} instead.")
    return base_url.rstrip("/")


def _check_int(option: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"The {option!r} option of the openai engine must be an integer >= {minimum}. Got {value!r} instead.")


def _check_positive(option: str, value: Any, *, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ValueError(f"The {option!r} option of the openai engine must be a number {'>= 0' if allow_zero else '> 0'} (seconds). Got {value!r} instead.")


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise EngineError(
            f"openai engine: {url} answered HTTP {response.status_code} with a body that is not JSON ({_excerpt(response)}); "
            "is base_url an OpenAI-compatible API (it usually ends in /v1)?"
        ) from None


def _content(response: httpx.Response, url: str) -> str:
    data = _json(response, url)
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise EngineError(f"openai engine: {url} answered without choices[0].message.content ({_excerpt(response)}); is it a chat completions endpoint?") from None
    return content if isinstance(content, str) else ""


def _blames_format(response: httpx.Response) -> bool:
    """The server refused the request because of its response_format."""
    if response.status_code not in _FORMAT_STATUSES:
        return False
    text = response.text.lower()
    return "response_format" in text or "json_schema" in text or "json_object" in text


def _retry_after(response: httpx.Response) -> float | None:
    try:
        value = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The server's own error message, on one line and short."""
    text = response.text
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error is not None:
            text = error if isinstance(error, str) else str(error)
    text = _one_line(text) or "empty body"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _first_leaf(group: BaseExceptionGroup[Any]) -> BaseException:
    """The first EngineError of a task group's failures (else its first failure)."""
    leaves: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        error = stack.pop(0)
        if isinstance(error, BaseExceptionGroup):
            stack[:0] = list(error.exceptions)
        else:
            leaves.append(error)
    return next((e for e in leaves if isinstance(e, EngineError)), leaves[0])
