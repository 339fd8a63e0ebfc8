"""Streamable HTTP: the SDK's ASGI app behind a bearer-token check and a body size limit.

- Binds 127.0.0.1 unless told otherwise; another host is logged as a warning.
- DNS-rebinding protection stays on: the Host header must name the bound host and port (or
  a loopback alias of it, or a name given with ``allowed_hosts``), else 421; a browser
  Origin must match too, else 403.
- With a token, every request needs ``Authorization: Bearer <token>`` (compared in constant
  time), else 401.
- A request body over ``max_request_bytes`` is refused with 413 and a JSON-RPC error body
  that names the limit.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any

from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .app import GTMServer
from .defaults import DEFAULT_HOST, DEFAULT_MAX_REQUEST_BYTES, DEFAULT_PATH, DEFAULT_PORT

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_REQUEST_BYTES",
    "DEFAULT_PATH",
    "DEFAULT_PORT",
    "BearerTokenMiddleware",
    "BodyLimitMiddleware",
    "build_http_app",
    "is_loopback",
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


def _error(status: int, message: str, code: int, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}).encode("utf-8")
    return status, body, {"content-type": "application/json", **(headers or {})}


async def _respond(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BearerTokenMiddleware:
    """Refuses HTTP requests without ``Authorization: Bearer <token>`` (401)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("the bearer token must not be empty")
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
        if not hmac.compare_digest(given, self._expected):
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

        async def replay() -> Message:
            return messages.popleft() if messages else await receive()

        await self.app(scope, replay, send)


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
    app: Any = gtm.server.streamable_http_app(
        streamable_http_path=path,
        stateless_http=stateless,
        json_response=True,  # one JSON body per POST: no SSE framing; notifications use the GET stream
        transport_security=_security(host, port, allowed_hosts),
        max_request_body_size=max_request_bytes,
        host=host,
    )
    app = BodyLimitMiddleware(app, max_request_bytes)
    if token is not None:
        app = BearerTokenMiddleware(app, token)
    return app  # type: ignore[no-any-return]


async def serve_http(
    gtm: GTMServer,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    allowed_hosts: Sequence[str] = (),
    log_level: str = "warning",
    stateless: bool = False,
    reuse_port: bool = False,
) -> None:
    """Serve ``gtm`` over streamable HTTP with uvicorn until interrupted.

    ``reuse_port`` binds with SO_REUSEPORT, so that other processes (``--workers``) share the port.
    """
    import uvicorn

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
    if reuse_port:
        from .workers import reuse_port_socket

        await server.serve(sockets=[reuse_port_socket(host, port)])
    else:
        await server.serve()
