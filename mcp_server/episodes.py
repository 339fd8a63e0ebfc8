"""Which episode a tools/call belongs to.

An episode is the world that an agent's calls share (created entities, history). Its id is
read, first match wins, from:

1. the request's ``_meta["gtm/episode"]`` (any transport, both protocol eras);
2. the URL the client posts to: ``/mcp/episodes/<id>`` or ``/mcp?episode=<id>`` (streamable
   HTTP; for clients that can set neither ``_meta`` nor headers);
3. the ``X-GTM-Episode`` HTTP header (streamable HTTP, both eras);
4. the MCP session id (``Mcp-Session-Id``; streamable HTTP in the handshake era only: the
   2026-07-28 era has no transport session), as ``mcp-session:<id>``;
5. one episode per server process, ``process:<random>`` (stdio without ``_meta``).

The first three are explicit (sources "meta", "url", "header"); a server built with
``require_episode`` refuses calls whose episode comes from the session or the process. An id
is a non-empty string of at most ``MAX_EPISODE_ID_LENGTH`` characters with no control
characters (an integer in ``_meta`` is read as its decimal text).

``_meta["gtm/hidden_context"]`` (a JSON object) sets the episode's hidden context, the task
information that engines may use (say, the ground-truth answer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EPISODE_HEADER",
    "EPISODE_META_KEY",
    "EPISODE_QUERY_PARAMETER",
    "EPISODE_SCOPE_KEY",
    "EXPLICIT_SOURCES",
    "HIDDEN_CONTEXT_META_KEY",
    "MAX_EPISODE_ID_LENGTH",
    "SESSION_EPISODE_PREFIX",
    "SESSION_HEADER",
    "EpisodeHandle",
    "InvalidEpisodeError",
    "check_episode_id",
    "hidden_context",
    "request_headers",
    "resolve_episode",
]

EPISODE_META_KEY = "gtm/episode"
HIDDEN_CONTEXT_META_KEY = "gtm/hidden_context"
EPISODE_HEADER = "x-gtm-episode"
SESSION_HEADER = "mcp-session-id"
SESSION_EPISODE_PREFIX = "mcp-session:"
MAX_EPISODE_ID_LENGTH = 256
EPISODE_QUERY_PARAMETER = "episode"
EPISODE_SCOPE_KEY = "gtm.episode"  # where the HTTP layer leaves the episode it read from the URL
EXPLICIT_SOURCES = frozenset({"meta", "url", "header"})


class InvalidEpisodeError(ValueError):
    """An episode handle that is not a usable id (wrong type, empty or too long)."""


@dataclass(frozen=True)
class EpisodeHandle:
    """An episode id and where it came from: "meta", "url", "header", "session" or "process"."""

    id: str
    source: str


def request_headers(ctx: Any) -> Mapping[str, str] | None:
    """The HTTP headers of the request being handled, or None (stdio, in-memory).

    The SDK hands handlers the Starlette ``Request`` as ``ctx.request`` on streamable HTTP,
    in the handshake era and in the 2026-07-28 era alike.
    """
    headers = getattr(getattr(ctx, "request", None), "headers", None)
    return headers if isinstance(headers, Mapping) else None


def check_episode_id(value: Any, where: str) -> str:
    """``value`` as an episode id, or InvalidEpisodeError saying what is wrong with it (``where`` names its place)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidEpisodeError(f"the episode id in {where} must be a non-empty string, got {value!r:.80}")
    if len(value) > MAX_EPISODE_ID_LENGTH:
        raise InvalidEpisodeError(f"the episode id in {where} is {len(value)} characters long; the limit is {MAX_EPISODE_ID_LENGTH}")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidEpisodeError(f"the episode id in {where} holds a control character; use printable text, got {value!r:.80}")
    return value


def resolve_episode(ctx: Any, *, process_episode: str) -> EpisodeHandle:
    """The episode of the request in ``ctx`` (a low-level ServerRequestContext)."""
    meta = getattr(ctx, "meta", None)
    if isinstance(meta, Mapping) and meta.get(EPISODE_META_KEY) is not None:
        return EpisodeHandle(check_episode_id(meta[EPISODE_META_KEY], f"_meta[{EPISODE_META_KEY!r}]"), "meta")
    scope = getattr(getattr(ctx, "request", None), "scope", None)
    if isinstance(scope, Mapping) and scope.get(EPISODE_SCOPE_KEY) is not None:
        return EpisodeHandle(scope[EPISODE_SCOPE_KEY], "url")  # checked by the HTTP layer, which answers 400 to a bad one
    headers = request_headers(ctx)
    if headers is not None:
        header = headers.get(EPISODE_HEADER)
        if header is not None:
            return EpisodeHandle(check_episode_id(header, "the X-GTM-Episode header"), "header")
        session = headers.get(SESSION_HEADER)
        if session:
            return EpisodeHandle(f"{SESSION_EPISODE_PREFIX}{session}", "session")
    return EpisodeHandle(process_episode, "process")


def hidden_context(ctx: Any) -> Mapping[str, Any] | None:
    """The hidden context the request sets for its episode, if any."""
    meta = getattr(ctx, "meta", None)
    if not isinstance(meta, Mapping):
        return None
    value = meta.get(HIDDEN_CONTEXT_META_KEY)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidEpisodeError(f"_meta[{HIDDEN_CONTEXT_META_KEY!r}] must be a JSON object, got {type(value).__name__}")
    return value
