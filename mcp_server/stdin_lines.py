"""This process's stdin as the async lines the SDK's stdio transport reads, from a daemon thread.

The SDK reads stdin in an anyio worker thread that a cancellation cannot interrupt: after
Ctrl-C in a terminal the server waits in that read until the next line (or Ctrl-D). Here a
daemon thread reads the lines and hands them to the event loop one at a time, so leaving the
``async for`` (cancellation, shutdown) returns at once and the process can exit with the
thread still blocked in its read. Like the SDK, descriptor 0 points at the null device while
the server runs (handlers and child processes read EOF) and is restored afterwards.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import anyio
import anyio.from_thread
import anyio.lowlevel

__all__ = ["stdin_lines"]


@contextmanager
def stdin_lines() -> Iterator[AsyncIterator[str]]:
    """An async iterator over stdin's lines (undecodable bytes replaced), fd 0 diverted meanwhile."""
    wire = os.dup(0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        yield _lines(wire)
    finally:
        os.dup2(wire, 0)  # the reader keeps its own descriptor: closing it under a blocked read is not safe


async def _lines(wire: int) -> AsyncIterator[str]:
    send, receive = anyio.create_memory_object_stream[str | None](0)
    token = anyio.lowlevel.current_token()

    def read() -> None:
        with os.fdopen(wire, "r", encoding="utf-8", errors="replace", closefd=True) as stream:
            try:
                for line in stream:
                    anyio.from_thread.run(send.send, line, token=token)
                anyio.from_thread.run(send.send, None, token=token)
            except (RuntimeError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return  # the loop is gone or nobody listens: the server is stopping

    threading.Thread(target=read, name="gtm-stdin", daemon=True).start()
    async with receive:
        async for line in receive:
            if line is None:
                return
            yield line
