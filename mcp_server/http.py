"""Streamable HTTP: the SDK's ASGI app behind a bearer-token check and a body size limit.

- ``/mcp`` serves MCP; ``/mcp/episodes/<id>`` and ``/mcp?episode=<id>`` serve it with the
  calls' episode in the URL; ``/episodes`` opens, resets, inspects and closes episodes (see
  ``mcp_server.episode_http``). Every path gets the protections below.
- Binds 127.0.0.1 unless told otherwise; another host is logged as a warning.
- DNS-rebinding protection stays on: the Host header must name the bound host and port (or
  a loopback alias of it, or a name given with ``allowed_hosts``), else 421; a browser
  Origin must match too, else 403.
- With a token, every request needs ``Authorization: Bearer <token>`` (the scheme in any
  case, the token compared in constant time), else 401.
- A request body over ``max_request_bytes`` is refused with 413 and a JSON-RPC error body
  that names the limit.
- A request whose JSON-RPC id is still in flight in the same session is refused with 409
  and a -32600 error naming the id (the SDK would answer one of the two and orphan the other).
"""

from __future__ import annotations

import errno
import hmac
import ipaddress
import json
import logging
import socket
from collections import deque
from collections.abc import Sequence
from typing import Any

import pydantic_core
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.dispatcher import coerce_request_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gtm_core import GTMError

from .app import GTMServer
from .defaults import DEFAULT_HOST, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_PATH, DEFAULT_PORT
from .episode_http import EpisodeUrlMiddleware, episode_routes

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_REQUEST_BYTES",
    "DEFAULT_PATH",
    "DEFAULT_PORT",
    "BearerTokenMiddleware",
    "BodyLimitMiddleware",
    "DuplicateIdMiddleware",
    "ListenError",
    "build_http_app",
    "is_loopback",
    "listen_socket",
    "serve_http",
]

logger = logging.getLogger(__name__)

GRACEFUL_SHUTDOWN_SECONDS = 5
"""On Ctrl-C or SIGTERM, requests in flight get this long to finish; then they are cancelled."""


_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _error(
    status: int, message: str, code: int, headers: dict[str, str] | None = None, request_id: int | str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}).encode("utf-8")
    return status, body, {"content-type": "application/json", **(headers or {})}


async def _respond(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> tuple[bytes, deque[Message]]:
    """The whole request body, and the messages it came in, to replay to the app."""
    messages: deque[Message] = deque()
    chunks = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replaying(messages: deque[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        return messages.popleft() if messages else await receive()

    return replay


class BearerTokenMiddleware:
    """Refuses HTTP requests without ``Authorization: Bearer <token>`` (401)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("the bearer token must not be empty")
        self.app = app
        self._expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
        scheme, _, credentials = given.partition(b" ")  # the scheme is case-insensitive (RFC 9110 11.1)
        token_matches = hmac.compare_digest(credentials.lstrip(b" "), self._expected)
        if not (token_matches and scheme.lower() == b"bearer"):
            status, body, headers = _error(
                401, "unauthorized: this server needs the header 'Authorization: Bearer <token>'", -32001,
                {"www-authenticate": 'Bearer realm="gtm"'},
            )  # fmt: skip
            await _respond(send, status, body, headers)
            return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Refuses HTTP request bodies over ``max_bytes`` (413) before the MCP app reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: int | None) -> tuple[int, bytes, dict[str, str]]:
        what = f"{size} bytes" if size is not None else "more"
        return _error(413, f"request body too large: {what}, over this server's limit of {self.max_bytes} bytes (--max-request-bytes)", -32600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _respond(send, *self._too_large(int(declared)))
            return
        if declared is not None and declared.isdigit():
            await self.app(scope, receive, send)  # the server reads no more than it declared
            return
        # No (usable) Content-Length: read the body here, counting, and replay it.
        messages: deque[Message] = deque()
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await _respond(send, *self._too_large(None))
                return
            if not message.get("more_body", False):
                break

        await self.app(scope, _replaying(messages, receive), send)


class DuplicateIdMiddleware:
    """Refuses a request whose JSON-RPC id is already in flight in its HTTP session (409, -32600).

    The SDK keys a session's pending answers by ``str(id)``, and its dispatcher by the id
    with a numeric string read as a number: a second request with a live id takes the
    first one's stream, one answer is lost and its client waits forever (and so did a
    graceful shutdown). Here each (``Mcp-Session-Id``, id) is held from the moment its
    POST arrives until its answer is sent, in the SDK's collision domain ("7" and 7 are one
    id); a request with a held key is answered at once with an error that names the id.
    Requests without a session (the 2026-07-28 era is stateless) pass untouched. Sits
    inside ``BodyLimitMiddleware``, so the body it reads is bounded.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._in_flight: set[tuple[bytes, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = next((v for k, v in scope.get("headers", []) if k == b"mcp-session-id"), None) if scope["type"] == "http" else None
        if session is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        request_id = _request_id(body)
        if request_id is None:
            await self.app(scope, _replaying(messages, receive), send)
            return
        key = (session, str(coerce_request_id(request_id)))
        if key in self._in_flight:
            message = (
                f"a request with id {json.dumps(request_id)} is already in flight in this session; "
                "wait for its answer or send this one with another id"
            )
            logger.warning("refused a request: id %s already in flight in session %s", json.dumps(request_id)[:80], session[:40].decode("latin-1"))
            await _respond(send, *_error(409, message, -32600, request_id=request_id))
            return
        self._in_flight.add(key)
        try:
            await self.app(scope, _replaying(messages, receive), send)
        finally:
            self._in_flight.discard(key)


def _request_id(body: bytes) -> int | str | None:
    """The id of a JSON-RPC request body (None for anything else: the SDK answers that itself)."""
    try:
        message = pydantic_core.from_json(body)
    except ValueError:  # not JSON, or nested past the parser's limit
        return None
    if not isinstance(message, dict) or "method" not in message:
        return None
    request_id = message.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, int | str):
        return None
    return request_id


def _security(host: str, port: int, allowed_hosts: Sequence[str]) -> TransportSecuritySettings:
    """DNS-rebinding protection for the bound host and port (any port when port is 0)."""
    names = list(_LOOPBACK_NAMES) if is_loopback(host) else [f"[{host}]" if ":" in host else host, *_LOOPBACK_NAMES]
    suffix = "*" if port == 0 else str(port)
    hosts = [f"{name}:{suffix}" for name in names] + list(allowed_hosts)
    origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def build_http_app(
    gtm: GTMServer,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    allowed_hosts: Sequence[str] = (),
    path: str = DEFAULT_PATH,
    stateless: bool = False,
) -> ASGIApp:
    """The ASGI app serving ``gtm`` at ``path``, with the protections described above.

    ``allowed_hosts`` adds Host header values ("name:port") that clients may use, for a
    server reached under a name other than the bound address. ``stateless`` answers
    handshake-era clients without an MCP session (no Mcp-Session-Id, no server-sent
    notifications), so that any replica can answer any of their requests.
    """
    security = _security(host, port, allowed_hosts)
    app: Any = gtm.server.streamable_http_app(
        streamable_http_path=path,
        stateless_http=stateless,
        json_response=True,  # one JSON body per POST: no SSE framing; notifications use the GET stream
        transport_security=security,
        max_request_body_size=max_request_bytes,
        host=host,
        custom_starlette_routes=episode_routes(gtm, security, mcp_path=path),
    )
    app = EpisodeUrlMiddleware(app, path)
    app = DuplicateIdMiddleware(app)
    app = BodyLimitMiddleware(app, max_request_bytes)
    if token is not None:
        app = BearerTokenMiddleware(app, token)
    return app  # type: ignore[no-any-return]


class ListenError(GTMError):
    """The HTTP server cannot listen on the address it was given (taken, unknown, not this machine's)."""


def listen_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: a free port) for ``serve_http``; ListenError saying why not.

    Bound here, before serving, so a taken port or a bad host stops ``gtm serve`` with one
    line (uvicorn would exit mid-startup with a traceback), and a port of 0 is known.
    ``reuse_port`` binds with SO_REUSEPORT, so that other processes (``--workers``) share the port.
    """
    if reuse_port and not hasattr(socket, "SO_REUSEPORT"):
        raise ListenError("--workers needs SO_REUSEPORT, which this platform lacks: run one gtm serve per port behind a load balancer instead")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {_why(exc, host, port)}") from None
    sock.set_inheritable(True)
    return sock


def _why(exc: OSError, host: str, port: int) -> str:
    if isinstance(exc, socket.gaierror):
        return f"{host!r} is no IP address or name this machine resolves; give --host an address such as 127.0.0.1"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is already in use by another process; stop it or choose another --port (0 picks a free one)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; give --host one of its addresses, 127.0.0.1 or 0.0.0.0"
    if exc.errno == errno.EACCES:
        return "permission denied (ports below 1024 need privileges); choose a --port of 1024 or more"
    return exc.strerror or str(exc)


async def serve_http(
    gtm: GTMServer,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    allowed_hosts: Sequence[str] = (),
    log_level: str = "warning",
    sock: socket.socket | None = None,
    stateless: bool = False,
    reuse_port: bool = False,
) -> None:
    """Serve ``gtm`` over streamable HTTP with uvicorn until interrupted.

    ``sock`` is a socket from ``listen_socket`` (else one is bound here for ``host`` and
    ``port``, with SO_REUSEPORT when ``reuse_port``, so that other processes (``--workers``)
    share the port); the port it is bound to is the one logged and the one Host headers must
    name. ``stateless`` is ``build_http_app``'s.
    """
    import uvicorn

    if sock is None:
        sock = listen_socket(host, port, reuse_port=reuse_port)
    port = sock.getsockname()[1]
    if not is_loopback(host):
        logger.warning(
            "binding %s: the server is reachable from other machines%s; clients must send a Host header "
            "of %s:%d or one given with --allowed-host", host,
            "" if token else " without a token (set --token-env to require one)", host, port,
        )  # fmt: skip
    app = build_http_app(gtm, host=host, port=port, token=token, max_request_bytes=max_request_bytes, allowed_hosts=allowed_hosts, stateless=stateless)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on", access_log=False,
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)  # fmt: skip
    server = uvicorn.Server(config)
    logger.info("serving MCP over streamable HTTP at http://%s:%d%s%s", f"[{host}]" if ":" in host else host, port, DEFAULT_PATH,
                " (stateless)" if stateless else "")  # fmt: skip
    await server.serve(sockets=[sock])
