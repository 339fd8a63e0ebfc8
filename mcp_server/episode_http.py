"""Episodes over plain HTTP, beside ``/mcp``: the episode in the URL, and its lifecycle as endpoints.

For clients that can set neither ``_meta`` nor headers, the episode can be part of the MCP URL:
``/mcp/episodes/<id>`` or ``/mcp?episode=<id>`` (percent-encoded; at most 256 characters, no
control characters; both forms at once must agree). ``_meta["gtm/episode"]`` still wins over
the URL, and the URL over the X-GTM-Episode header (see ``mcp_server.episodes``).

Lifecycle endpoints (JSON in, JSON out; the same bearer token and Host/Origin checks as ``/mcp``):

    POST   /episodes                 {"episode"?, "seed"?, "hidden_context"?} -> 201 the opened episode
    POST   /episodes/<id>/reset      {"seed"?, "hidden_context"?}  -> 200 (the opening's seed and context unless given)
    GET    /episodes/<id>/snapshot   -> 200 the world as JSON
    GET    /episodes/<id>/diff       -> 200 records created / changed / deleted since the episode was opened
    DELETE /episodes/<id>            -> 200 {"closed": true}; its memory is freed
    GET    /episodes                 -> 200 live count and the store's limits

They are the Python API's ``Simulator.open_episode``, ``reset_episode``, ``episode_snapshot``,
``episode_diff`` and ``close_episode``. An unknown (never opened or closed) episode gets 404,
one dropped for the limits (evicted beyond ``--max-episodes``, or idle beyond
``--episode-idle``) 410 Gone, each with a JSON error that says so; a bad body or id gets 400;
a shared episode store (``--episodes redis://…``) that does not answer gets 503.
Reset (or close, then open) starts a dropped id afresh.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gtm_core import UnknownEpisodeError
from gtm_core.episodes import EpisodeExpiredError
from gtm_core.errors import StoreUnavailableError

from .app import GTMServer
from .episodes import EPISODE_QUERY_PARAMETER, EPISODE_SCOPE_KEY, InvalidEpisodeError, check_episode_id

__all__ = ["EPISODES_PATH", "EpisodeUrlMiddleware", "episode_routes", "episode_url"]

EPISODES_PATH = "/episodes"
_URL_SEGMENT = "episodes"


def episode_url(mcp_path: str, episode_id: str) -> str:
    """The MCP path that puts a client's calls in ``episode_id``: ``/mcp/episodes/<id>``."""
    return f"{mcp_path}/{_URL_SEGMENT}/{quote(episode_id, safe='')}"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)


class EpisodeUrlMiddleware:
    """Reads the episode from ``/mcp/episodes/<id>`` or ``/mcp?episode=<id>`` and hands ``/mcp`` the call.

    The id goes into the ASGI scope (``gtm.episode``), where ``resolve_episode`` finds it; a bad
    one is refused with 400 and a JSON-RPC error body before the MCP layer sees the request.
    """

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.path = path.rstrip("/")
        self._prefix = f"{self.path}/{_URL_SEGMENT}/".encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        raw = raw.split(b"?", 1)[0]
        from_path: str | None = None
        if raw.startswith(self._prefix):
            segment = raw[len(self._prefix) :].rstrip(b"/")
            if not segment or b"/" in segment:
                await _jsonrpc_error(scope, receive, send, 404, f"no such path: the episode URL is {self.path}/{_URL_SEGMENT}/<id> (one percent-encoded segment)")
                return
            from_path = unquote(segment.decode("latin-1"), errors="strict")
        elif scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        given = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True).get(EPISODE_QUERY_PARAMETER)
        try:
            if given is not None and len(given) > 1:
                raise InvalidEpisodeError(f"the URL gives ?{EPISODE_QUERY_PARAMETER}= {len(given)} times; give it once")
            from_query = check_episode_id(given[0], f"the URL's ?{EPISODE_QUERY_PARAMETER}=") if given else None
            if from_path is not None:
                from_path = check_episode_id(from_path, "the URL path")
            if from_path is not None and from_query is not None and from_path != from_query:
                raise InvalidEpisodeError(f"the URL names two episodes, {from_path!r} in the path and {from_query!r} in ?{EPISODE_QUERY_PARAMETER}=; name one")
        except (InvalidEpisodeError, UnicodeDecodeError) as exc:
            await _jsonrpc_error(scope, receive, send, 400, f"invalid episode in the URL: {exc}")
            return
        episode = from_path if from_path is not None else from_query
        if episode is None:
            await self.app(scope, receive, send)
            return
        inner = dict(scope)
        inner[EPISODE_SCOPE_KEY] = episode
        if from_path is not None:
            inner["path"] = self.path
            inner["raw_path"] = self.path.encode("latin-1")
        await self.app(inner, receive, send)


async def _jsonrpc_error(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}
    await JSONResponse(body, status_code=status)(scope, receive, send)


def episode_routes(gtm: GTMServer, security: TransportSecuritySettings, *, mcp_path: str) -> list[Route]:
    """The lifecycle endpoints of ``gtm``'s episodes, checked like ``/mcp`` (Host and Origin by ``security``)."""
    guard = TransportSecurityMiddleware(security)

    def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            refused = await guard.validate_request(request, is_post=False)
            if refused is not None:
                return refused
            try:
                return await handler(request)
            except UnknownEpisodeError as exc:
                return _error(404, str(exc))
            except EpisodeExpiredError as exc:
                return _error(410, str(exc))
            except StoreUnavailableError as exc:  # Redis down or too slow: retry later
                return _error(503, str(exc))
            except (InvalidEpisodeError, ValueError) as exc:
                return _error(400, str(exc))

        return endpoint

    def described(episode_id: str, status: int = 200) -> JSONResponse:
        return JSONResponse({"episode": episode_id, "mcp_path": episode_url(mcp_path, episode_id)}, status_code=status)

    async def collection(request: Request) -> Response:
        if request.method == "GET":
            store = gtm.simulator.episodes
            limits = store.limits
            return JSONResponse({"live": len(store), "max_episodes": limits.max_episodes, "idle_seconds": limits.idle_seconds})
        body = await _json_body(request)
        episode_id = body.get("episode")
        if episode_id is not None:
            episode_id = check_episode_id(episode_id, 'the body\'s "episode"')
        episode = gtm.simulator.open_episode(episode_id, seed=_object(body, "seed"), hidden_context=_object(body, "hidden_context"))
        return described(episode.id, 201)

    async def one(request: Request) -> Response:
        episode_id, action = _target(request)
        simulator = gtm.simulator
        if action is None:
            if request.method != "DELETE":
                return _error(405, f"use DELETE {EPISODES_PATH}/<id> to close an episode, or GET .../snapshot or .../diff")
            if not simulator.close_episode(episode_id):
                raise UnknownEpisodeError(episode_id)
            return JSONResponse({"episode": episode_id, "closed": True})
        if action == "reset" and request.method == "POST":
            body = await _json_body(request)
            simulator.reset_episode(episode_id, seed=_object(body, "seed"), hidden_context=_object(body, "hidden_context"))
            return described(episode_id)
        if action in ("snapshot", "diff") and request.method == "GET":
            read = simulator.episode_snapshot if action == "snapshot" else simulator.episode_diff
            return JSONResponse(read(episode_id))
        return _error(404, f"no endpoint {request.method} {EPISODES_PATH}/<id>/{action}; there are POST .../reset, GET .../snapshot, GET .../diff")

    return [
        Route(EPISODES_PATH, guarded(collection), methods=["GET", "POST"]),
        Route(EPISODES_PATH + "/{rest:path}", guarded(one), methods=["GET", "POST", "DELETE"]),
    ]


def _target(request: Request) -> tuple[str, str | None]:
    """(episode id, action or None) from the raw path, each segment percent-decoded."""
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    segments = raw.split(b"?", 1)[0][len(EPISODES_PATH) + 1 :].rstrip(b"/").split(b"/")
    if not segments[0] or len(segments) > 2:
        raise InvalidEpisodeError(f"expected {EPISODES_PATH}/<id> or {EPISODES_PATH}/<id>/<action> with a percent-encoded id")
    episode_id = check_episode_id(unquote(segments[0].decode("latin-1")), "the URL path")
    return episode_id, (segments[1].decode("latin-1") if len(segments) == 2 else None)


async def _json_body(request: Request) -> Mapping[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"the request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError(f"the request body must be a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - {"episode", "seed", "hidden_context"})
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(map(repr, unknown))}; the body takes 'episode', 'seed' and 'hidden_context'")
    return body


def _object(body: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"{key!r} must be a JSON object, got {type(value).__name__}")
    return value
