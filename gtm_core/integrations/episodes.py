"""Where a trainer adapter's episodes live: a Simulator in this process, or a ``gtm serve`` over HTTP.

Both backends offer the same four operations (open, call, state, close) that the verl and
OpenEnv adapters use. ``InProcess`` calls the Simulator directly; ``OverHttp`` opens, inspects
and closes episodes through the server's ``/episodes`` endpoints and calls tools with the MCP
SDK client at ``/mcp/episodes/<id>`` (so the server needs no ``_meta`` or header support from
anything in between). ``backend_from_config`` builds one from an adapter's config and shares
it between the adapters of one process that name the same place, so the tools of one rollout
share one episode store.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from ..catalog import Catalog
from ..errors import GTMError
from ..rewards import EpisodeState
from ..simulator import Simulator
from ..spec import ToolSpec

__all__ = ["Answer", "EpisodeBackend", "InProcess", "IntegrationError", "OverHttp", "backend_from_config"]


class IntegrationError(GTMError, ValueError):
    """An adapter config that cannot be used, or a server that refused an episode operation."""


@dataclass(frozen=True)
class Answer:
    """One tool call's answer as an adapter passes it on: the text the agent reads, and what it was."""

    text: str
    is_error: bool
    error_kind: str | None
    structured: Any = None


class EpisodeBackend(Protocol):
    """The operations the adapters need; ``specs`` are the tools served."""

    specs: Sequence[ToolSpec]

    async def open(self, episode: str, *, seed: Mapping[str, Any] | None = None, hidden_context: Mapping[str, Any] | None = None) -> None: ...
    async def call(self, episode: str, tool: str, arguments: Any) -> Answer: ...
    async def state(self, episode: str) -> EpisodeState: ...
    async def close(self, episode: str) -> bool: ...
    def is_open(self, episode: str) -> bool: ...


class InProcess:
    """Episodes of a Simulator in this process."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.specs: Sequence[ToolSpec] = list(simulator.catalog)

    async def open(self, episode: str, *, seed: Mapping[str, Any] | None = None, hidden_context: Mapping[str, Any] | None = None) -> None:
        self.simulator.open_episode(episode, seed=seed, hidden_context=hidden_context)

    def is_open(self, episode: str) -> bool:
        try:
            return self.simulator.episodes.peek(episode) is not None
        except KeyError:  # dropped for the limits: not open (its calls answer episode_expired)
            return False

    async def call(self, episode: str, tool: str, arguments: Any) -> Answer:
        result = await self.simulator.asimulate(tool, arguments, episode=episode)
        return Answer(result.content, result.is_error, result.error_kind, result.structured)

    async def state(self, episode: str) -> EpisodeState:
        simulator = self.simulator
        live = simulator.episodes.peek(episode)
        if live is None:
            return EpisodeState(episode, {"resources": {}}, {"created": [], "changed": [], "deleted": []})
        return EpisodeState(episode, simulator.episode_snapshot(episode), simulator.episode_diff(episode), dict(live.hidden_context), live.calls)

    async def close(self, episode: str) -> bool:
        return self.simulator.close_episode(episode)


class OverHttp:
    """Episodes of a ``gtm serve --transport http`` server at ``url`` (its MCP URL, ``http://HOST:PORT/mcp``)."""

    def __init__(self, url: str, *, token: str | None = None, specs: Sequence[ToolSpec] = ()) -> None:
        self.url = url.rstrip("/")
        if not self.url.endswith("/mcp"):
            raise IntegrationError(f"server_url {url!r}: give the server's MCP URL, ending in /mcp (http://127.0.0.1:8000/mcp)")
        self.base = self.url[: -len("/mcp")]
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.specs = list(specs)
        self._opened: set[str] = set()

    def is_open(self, episode: str) -> bool:
        return episode in self._opened

    async def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        import httpx2

        async with httpx2.AsyncClient(headers=self.headers, timeout=60) as http:
            response = await http.request(method, self.base + path, json=body)
        payload = response.json() if response.content else {}
        if response.status_code >= 400:
            message = payload.get("error", {}).get("message", response.text) if isinstance(payload, dict) else response.text
            raise IntegrationError(f"{method} {path}: {response.status_code} {message}")
        return payload

    async def open(self, episode: str, *, seed: Mapping[str, Any] | None = None, hidden_context: Mapping[str, Any] | None = None) -> None:
        body: dict[str, Any] = {"episode": episode}
        if seed:
            body["seed"] = dict(seed)
        if hidden_context:
            body["hidden_context"] = dict(hidden_context)
        await self._request("POST", "/episodes", body)
        self._opened.add(episode)

    async def call(self, episode: str, tool: str, arguments: Any) -> Answer:
        import httpx2
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        url = f"{self.url}/episodes/{quote(episode, safe='')}"
        async with httpx2.AsyncClient(headers=self.headers, timeout=60) as http:
            async with Client(streamable_http_client(url, http_client=http), mode="auto") as client:
                result = await client.call_tool(tool, arguments)
        text = "".join(getattr(c, "text", "") for c in result.content)
        kind = (result.meta or {}).get("gtm/error_kind") if result.is_error else None
        return Answer(text, bool(result.is_error), kind, result.structured_content)

    async def state(self, episode: str) -> EpisodeState:
        path = f"/episodes/{quote(episode, safe='')}"
        snapshot = await self._request("GET", path + "/snapshot")
        diff = await self._request("GET", path + "/diff")
        return EpisodeState(episode, snapshot, diff)

    async def close(self, episode: str) -> bool:
        self._opened.discard(episode)
        try:
            await self._request("DELETE", f"/episodes/{quote(episode, safe='')}")
        except IntegrationError:
            return False
        return True


_SHARED: dict[tuple[Any, ...], EpisodeBackend] = {}
_SHARED_LOCK = threading.Lock()


def backend_from_config(config: Mapping[str, Any]) -> EpisodeBackend:
    """The backend an adapter config names, shared with every adapter of this process that names the same.

    Keys: ``server_url`` (+ ``token_env``, the environment variable holding its bearer token) for
    a server, else ``catalog`` (a path; the shipped catalog when absent), ``engine`` ("schema")
    and ``seed`` (0) for a Simulator here.
    """
    catalog = config.get("catalog")
    server_url = config.get("server_url")
    token_env = config.get("token_env")
    key = ("http", server_url, token_env, catalog) if server_url else ("local", catalog, config.get("engine", "schema"), int(config.get("seed", 0)))
    with _SHARED_LOCK:
        backend = _SHARED.get(key)
        if backend is None:
            specs = Catalog.load(catalog) if catalog else Catalog.shipped()
            if server_url:
                token = os.environ.get(token_env) if token_env else None
                if token_env and not token:
                    raise IntegrationError(f"token_env {token_env}: the environment variable {token_env} is not set or empty")
                backend = OverHttp(str(server_url), token=token, specs=list(specs))
            else:
                backend = InProcess(Simulator(specs, engine=str(config.get("engine", "schema")), seed=int(config.get("seed", 0))))
            _SHARED[key] = backend
        return backend
