"""This process's stdin as lines for the stdio transport, read so that stopping never waits for one.

The SDK reads stdin in an AnyIO worker thread that no cancellation interrupts, so Ctrl-C or
SIGTERM under stdio waited for the client's next line (forever, for an idle client), and
that worker, not a daemon, kept the process alive. Here a daemon thread reads the lines
from a private duplicate of fd 0 and hands them over a memory stream: the serving side is
cancelled at once, and the reader ends with the process. While serving, fd 0 itself points
at the null device (as the SDK does when it reads stdin), so handlers and child processes
read EOF, never the protocol.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = ["stdin_lines"]

_BUFFERED_LINES = 16


@asynccontextmanager
async def stdin_lines() -> AsyncIterator[MemoryObjectReceiveStream[str]]:
    """A stream of stdin's lines (UTF-8, undecodable bytes replaced) that ends at EOF."""
    private = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    send, receive = anyio.create_memory_object_stream[str](_BUFFERED_LINES)
    token = anyio.lowlevel.current_token()
    threading.Thread(target=_pump, args=(private, send, token), name="gtm-stdin", daemon=True).start()
    try:
        yield receive
    finally:
        receive.close()
        os.dup2(private, 0)  # the reader may still block on ``private``: it is never closed under it


def _pump(fd: int, send: MemoryObjectSendStream[str], token: anyio.lowlevel.EventLoopToken) -> None:
    """Read lines from ``fd`` into ``send`` until EOF or until nobody listens (the serving side is gone)."""
    try:
        with open(fd, encoding="utf-8", errors="replace", closefd=False) as text:
            for line in text:
                anyio.from_thread.run(send.send, line, token=token)
        anyio.from_thread.run_sync(send.close, token=token)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, RuntimeError, OSError):
        pass  # the server stopped (its loop may be closed already): nothing to hand the line to
