"""The serve loop of ``gtm serve``, plain and proxy alike: one server, one transport, until stopped.

``run_until_stopped(open_server, ...)`` enters ``open_server()`` (an async context manager
that yields a GTMServer and closes it on exit), serves it over stdio or streamable HTTP, and
reloads on SIGHUP when asked. Ctrl-C and SIGTERM end it quietly alike (over HTTP after a
graceful shutdown of at most ``GRACEFUL_SHUTDOWN_SECONDS``); leaving the context closes the
server (the Simulator, its engine and cache; a proxy's upstreams and recorder).
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio

from .app import GTMServer

__all__ = ["closing", "run_until_stopped", "serve_stdio", "serve_until_stopped"]


async def serve_stdio(gtm: GTMServer) -> None:
    """Serve over this process's stdin and stdout until the client closes stdin.

    A line that is no readable JSON-RPC message gets the error HTTP would give (see
    ``unreadable``) and a log line; the server goes on with the next. Stdin is read by
    ``stdin_lines``, so Ctrl-C and SIGTERM stop it at once, even while no line comes.
    """
    from mcp.server.stdio import stdio_server

    from .stdin_lines import stdin_lines
    from .unreadable import AnsweringReadStream

    async with stdin_lines() as lines, stdio_server(stdin=lines) as (read_stream, write_stream):  # type: ignore[arg-type]  # lines: what the SDK iterates
        answering = AnsweringReadStream(read_stream, write_stream)
        await gtm.server.run(answering, write_stream, gtm.server.create_initialization_options())


async def serve_until_stopped(gtm: GTMServer, *, transport: str, http: Mapping[str, Any] | None = None, sighup: bool = False) -> None:
    """Serve ``gtm`` over ``transport`` ("stdio" or "http", with ``http`` the options of ``serve_http``)."""
    from .http import serve_http

    async with anyio.create_task_group() as tg:
        if sighup and hasattr(signal, "SIGHUP"):
            tg.start_soon(gtm.watch_sighup)
        if transport == "http":
            await serve_http(gtm, **dict(http or {}))
        else:
            await serve_stdio(gtm)
        tg.cancel_scope.cancel()


@asynccontextmanager
async def closing(gtm: GTMServer) -> AsyncIterator[GTMServer]:
    """An already built server as ``open_server`` wants it: closed on the way out."""
    try:
        yield gtm
    finally:
        gtm.close()


def run_until_stopped(
    open_server: Callable[[], AbstractAsyncContextManager[GTMServer]],
    *,
    transport: str,
    http: Mapping[str, Any] | None = None,
    sighup: bool = False,
    on_start: Callable[[GTMServer], None] | None = None,
) -> None:
    """Open the server, call ``on_start`` with it, serve it until stopped, close it (blocking)."""

    async def main() -> None:
        async with open_server() as gtm:
            if on_start is not None:
                on_start(gtm)
            await serve_until_stopped(gtm, transport=transport, http=http, sighup=sighup)

    if transport == "http":  # listen first: a taken port or a bad host stops here, in one line (ListenError)
        from .http import DEFAULT_HOST, DEFAULT_PORT, listen_socket

        options = dict(http or {})
        sock = listen_socket(options.get("host", DEFAULT_HOST), options.get("port", DEFAULT_PORT), reuse_port=options.get("reuse_port", False))
        http = {**options, "sock": sock}
    previous = _sigterm_as_ctrl_c()
    try:
        anyio.run(main)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if transport == "http":
            sock.close()


def _sigterm_as_ctrl_c() -> Any:
    """Make SIGTERM (systemd, Docker, Kubernetes) stop the server as Ctrl-C does; the handler it replaces.

    The default SIGTERM kills the process at once, before the server closes (a proxy's
    recorder would lose what it had not written). Re-raised as SIGINT, it takes Ctrl-C's
    path: uvicorn's graceful shutdown over HTTP, the cancelled main task over stdio, then the
    server's close. Only in the main thread, where signal handlers can be set.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda signum, frame: signal.raise_signal(signal.SIGINT))
