"""One real MCP server behind the proxy: a long-lived client session that heals itself.

``Upstream`` connects to a server started from a command line (stdio) or reached at a
streamable HTTP URL, reads its tools, and forwards ``tools/call``. Every wait is bounded and
every failure becomes an ``UpstreamError`` with a ``kind``:

- ``unavailable`` it could not be started or reached (or is waiting out its back-off);
- ``crashed``     the connection closed under a call (the process died, the socket dropped);
- ``timeout``     no answer within ``call_timeout``; when the server then does not even
                  answer a ``tools/list`` within ``probe_timeout`` it is taken for hung and
                  dropped;
- ``protocol``    it answered with something that is not a CallToolResult.

A JSON-RPC error from a live server is an answer, not a failure: ``call`` returns it as
an ``is_error`` result. A dropped connection is reopened lazily, on the next call; while
reconnecting fails, calls fail fast until the back-off (0.5 s doubling to 30 s) has passed.
Calls are never retried: a call that was sent may have had its effect.

The connection lives in a task of the Upstream's own task group, so use it as an async
context manager: ``async with Upstream(UpstreamTarget.parse_command("mcp-server-memory")) as up``.
"""

from __future__ import annotations

import logging
import re
import shlex
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any
from urllib.parse import urlsplit

import anyio
import mcp_types as types
from anyio.abc import TaskGroup

from gtm_core.errors import GTMError

from .importer import MCPImportError, _check_target, _explain, _read_all_pages, _stderr_tail, server_label
from .upstream_env import child_environment

__all__ = [
    "DEFAULT_CALL_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "Upstream",
    "UpstreamError",
    "UpstreamTarget",
]

logger = logging.getLogger(__name__)

DEFAULT_CALL_TIMEOUT = 30.0
"""Seconds a forwarded call may take."""

DEFAULT_CONNECT_TIMEOUT = 30.0
"""Seconds to start (or reach) a server, initialize and list its tools."""

DEFAULT_PROBE_TIMEOUT = 5.0
"""Seconds a server that timed out gets to answer a tools/list before it counts as hung."""

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0


class UpstreamError(GTMError):
    """A forwarded call that got no answer; ``kind`` says why (unavailable, crashed, timeout, protocol)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class UpstreamTarget:
    """Where a real server is: a command line (stdio) or a streamable HTTP URL.

    ``key`` is a short name for it (``memory`` for ``mcp-server-memory``), the prefix its
    tools get when their names clash with another server's. A command's process gets a
    minimal environment plus ``env`` (see ``mcp_server.upstream_env``), never this process's.
    """

    command: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    key: str = ""
    env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            _check_target(self.command, self.url)
        except MCPImportError as exc:
            raise UpstreamError("unavailable", str(exc)) from None
        if not self.key:
            object.__setattr__(self, "key", _key_of(self.command, self.url))

    @property
    def label(self) -> str:
        """The command or the URL (without credentials), for messages and records."""
        return server_label(command=self.command, url=self.url)[4:]


_LAUNCHER = re.compile(r"(python[0-9.]*|pypy[0-9.]*|node|nodejs|npx|npm|uvx|uv|pipx|sh|bash|zsh|env|deno|bun|docker|podman|run|exec)")


def _key_of(command: str | None, url: str | None) -> str:
    """A short name for a server: ``memory`` for ``npx -y @modelcontextprotocol/server-memory``,
    ``faulty_server`` for ``python faulty_server.py``, ``host-port`` for a URL."""
    if command is not None:
        words = [PurePath(a).name for a in shlex.split(command) if not a.startswith("-") and "=" not in a]
        named = [w for w in words if w.startswith(("mcp-server-", "server-"))]
        programs = [w for w in words if not _LAUNCHER.fullmatch(w)]
        name = (named or programs or words or ["server"])[0]
        for prefix in ("mcp-server-", "server-"):
            name = name.removeprefix(prefix)
        name = name.rsplit(".", 1)[0] if name.endswith((".py", ".js", ".mjs", ".ts")) else name
    else:
        parts = urlsplit(url or "")
        name = (parts.hostname or "server") + (f"-{parts.port}" if parts.port else "")
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name).strip("_-")[:24] or "server"


class _Connection:
    """One session: its client, the scope that ends it, and whether it still works."""

    def __init__(self) -> None:
        self.client: Any = None
        self.tools: list[dict[str, Any]] = []
        self.ready = anyio.Event()
        self.closed = anyio.Event()
        self.scope = anyio.CancelScope()
        self.error: BaseException | None = None
        self.alive = False

    def drop(self) -> None:
        self.alive = False
        self.scope.cancel()


class Upstream:
    """A real MCP server, connected while the context is open (see the module docstring)."""

    def __init__(
        self,
        target: UpstreamTarget,
        *,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        probe_timeout: float = DEFAULT_PROBE_TIMEOUT,
        backoff: tuple[float, float] = (BACKOFF_FIRST, BACKOFF_MAX),
        mode: str = "auto",
    ) -> None:
        for name, value in (("call_timeout", call_timeout), ("connect_timeout", connect_timeout), ("probe_timeout", probe_timeout)):
            if value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        self.target = target
        self.call_timeout = call_timeout
        self.connect_timeout = connect_timeout
        self.probe_timeout = probe_timeout
        self.backoff = backoff
        self.mode = mode
        self.tools: list[dict[str, Any]] = []
        self.connects = 0
        self._conn: _Connection | None = None
        self._lock = anyio.Lock()
        self._tg: TaskGroup | None = None
        self._retry_at = 0.0
        self._backoff = 0.0
        self._last_failure = ""
        self._errlog: IO[bytes] | None = None

    def __repr__(self) -> str:
        state = "connected" if self._conn is not None and self._conn.alive else "down"
        return f"Upstream({self.target.label!r}, {state}, {len(self.tools)} tools)"

    @property
    def label(self) -> str:
        return self.target.label

    async def __aenter__(self) -> Upstream:
        self._errlog = tempfile.TemporaryFile() if self.target.command is not None else None
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        try:
            conn = await self._connect()
        except BaseException:
            self._tg.cancel_scope.cancel()
            await self._tg.__aexit__(None, None, None)
            self._close_errlog()
            raise
        self.tools = conn.tools
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._tg is not None
        if self._conn is not None:
            self._conn.drop()
        self._tg.cancel_scope.cancel()
        try:
            await self._tg.__aexit__(*exc)
        finally:
            self._close_errlog()

    def _close_errlog(self) -> None:
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None

    # ---- connecting ----------------------------------------------------------------------
    async def _connect(self) -> _Connection:
        """Open a new session (start the server), bounded by ``connect_timeout``."""
        assert self._tg is not None
        conn = _Connection()
        self._conn = conn
        self.connects += 1
        self._tg.start_soon(self._own, conn)
        with anyio.move_on_after(self.connect_timeout):
            await conn.ready.wait()
        if not conn.alive:
            conn.drop()
            reason = conn.error
            what = f"MCP server '{self.label}'"
            if reason is None:
                said = self._stderr()
                message = f"{what} did not start and list its tools within {self.connect_timeout:g} s" + (f"; its stderr ended with: {said}" if said else "")
            else:
                message = self._explain(reason, what)
            raise UpstreamError("unavailable", message)
        return conn

    async def _own(self, conn: _Connection) -> None:
        """Hold one session open until it is dropped; runs as a task of the Upstream."""
        from mcp import Client
        from mcp.client.stdio import StdioServerParameters, stdio_client
        from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

        target = self.target
        try:
            with conn.scope:
                if target.command is not None:
                    argv = shlex.split(target.command)
                    params = StdioServerParameters(command=argv[0], args=argv[1:], env=child_environment(target.env))
                    transport: Any = stdio_client(params, errlog=self._errlog)  # type: ignore[arg-type]
                    client = Client(transport, read_timeout_seconds=self.call_timeout, cache=None, mode=self.mode)  # type: ignore[arg-type]
                    await self._hold(conn, client)
                else:
                    assert target.url is not None
                    async with create_mcp_http_client(headers=dict(target.headers) or None) as http:
                        transport = streamable_http_client(target.url, http_client=http)
                        client = Client(transport, read_timeout_seconds=self.call_timeout, cache=None, mode=self.mode)  # type: ignore[arg-type]
                        await self._hold(conn, client)
        except Exception as exc:  # noqa: BLE001 - whatever ends a session is reported through conn.error
            conn.error = exc
            if conn.alive:
                logger.warning("the session with %s ended: %s", self.label, _leaf_text(exc))
        finally:
            conn.alive = False
            conn.ready.set()
            conn.closed.set()

    async def _hold(self, conn: _Connection, client: Any) -> None:
        async with client:
            tools: list[dict[str, Any]] = []
            await _read_all_pages(client, tools, f"MCP server '{self.label}'", 10_000)
            conn.client, conn.tools, conn.alive = client, tools, True
            conn.ready.set()
            await anyio.sleep_forever()

    async def _session(self) -> _Connection:
        """The live session, reconnecting first when it was dropped (and the back-off allows)."""
        conn = self._conn
        if conn is not None and conn.alive and not _closed(conn.client):
            return conn
        async with self._lock:
            conn = self._conn
            if conn is not None and conn.alive:
                if not _closed(conn.client):
                    return conn
                logger.warning("the session with %s closed while idle (the server exited?); reconnecting", self.label)
                conn.drop()
            wait = self._retry_at - time.monotonic()
            if wait > 0:
                raise UpstreamError(
                    "unavailable",
                    f"MCP server '{self.label}' is down ({self._last_failure}); the next reconnect is in {wait:.1f} s",
                )
            if conn is not None:
                with anyio.move_on_after(10):  # the old process is stopped (bounded by the SDK) before a new one starts
                    await conn.closed.wait()
            try:
                conn = await self._connect()
            except UpstreamError as exc:
                first, most = self.backoff
                self._backoff = min(most, self._backoff * 2 or first)
                self._retry_at = time.monotonic() + self._backoff
                self._last_failure = str(exc)
                logger.warning("reconnecting %s failed (next try in %.1f s): %s", self.label, self._backoff, exc)
                raise
            self._backoff = 0.0
            if conn.tools != self.tools:
                logger.warning("%s lists different tools since it reconnected; the proxy keeps the tools it listed first", self.label)
            logger.info("reconnected to %s (connection %d)", self.label, self.connects)
            return conn

    def _stderr(self) -> str:
        return _stderr_tail(self._errlog)

    def _explain(self, exc: BaseException, what: str) -> str:
        command = self.target.command
        program = shlex.split(command)[0] if command else ""
        error = _explain(exc, what, stdio=command is not None, timeout=self.connect_timeout, stderr=self._stderr(), started=False, program=program)
        return str(error)

    # ---- calling -------------------------------------------------------------------------
    async def call(self, name: str, arguments: Mapping[str, Any] | None = None) -> types.CallToolResult:
        """Forward one ``tools/call``; raises UpstreamError when no answer comes (see the module docstring)."""
        from mcp.shared.exceptions import MCPError

        conn = await self._session()
        try:
            with anyio.fail_after(self.call_timeout + 1.0):  # a backstop over the SDK's own read timeout
                return await conn.client.call_tool(name, dict(arguments or {}), read_timeout_seconds=self.call_timeout)
        except MCPError as exc:
            code = exc.error.code
            if code == types.CONNECTION_CLOSED:
                conn.drop()
                said = self._stderr()
                raise UpstreamError(
                    "crashed",
                    f"MCP server '{self.label}' closed the connection during {name}"
                    + (f"; its stderr ended with: {said}" if said else "")
                    + "; it is restarted on the next call",
                ) from None
            if code == types.REQUEST_TIMEOUT:
                await self._probe(conn, name)
            return _error_result(code, exc.error.message, exc.error.data)
        except TimeoutError:
            await self._probe(conn, name)
            raise AssertionError("unreachable") from None  # _probe raises
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
            conn.drop()
            raise UpstreamError("crashed", f"MCP server '{self.label}' is gone ({type(exc).__name__}); it is restarted on the next call") from None
        except Exception as exc:  # noqa: BLE001 - an answer the SDK cannot read
            raise UpstreamError(
                "protocol", f"MCP server '{self.label}' answered {name} with something that is not an MCP tool result: {_leaf_text(exc)[:300]}"
            ) from None

    async def _probe(self, conn: _Connection, name: str) -> None:
        """After a timeout: drop the session when the server does not answer tools/list either. Always raises."""
        alive = False
        with anyio.move_on_after(self.probe_timeout):
            try:
                await conn.client.list_tools(cache_mode="bypass")
                alive = True
            except Exception:  # noqa: BLE001 - any failure here means the session is not usable
                alive = False
        if not alive:
            conn.drop()
            raise UpstreamError(
                "timeout",
                f"MCP server '{self.label}' did not answer {name} within {self.call_timeout:g} s and then not even "
                f"tools/list within {self.probe_timeout:g} s: taken for hung, it is restarted on the next call",
            )
        raise UpstreamError("timeout", f"MCP server '{self.label}' did not answer {name} within {self.call_timeout:g} s")


def _closed(client: Any) -> bool:
    """Whether the SDK already saw this session's connection close (EOF on the server's stdout, ...).

    Reads the dispatcher's state, which the SDK keeps private: anything unexpected counts as open,
    and the call itself then finds out.
    """
    try:
        return client.session._dispatcher._closed is True
    except Exception:  # noqa: BLE001
        return False


def _error_result(code: int, message: str, data: Any) -> types.CallToolResult:
    """A JSON-RPC error of a live server, as the error result an agent reads."""
    import json

    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if data is not None:
        body["error"]["data"] = data
    return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(body, ensure_ascii=False, default=str))], is_error=True)


def _leaf_text(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")

