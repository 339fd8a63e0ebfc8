"""A GTMServer served over real streamable HTTP (uvicorn on 127.0.0.1) in a thread of the test process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from mcp_helpers import free_port

from mcp_server import GTMServer
from mcp_server.http import build_http_app


@dataclass(frozen=True)
class LiveServer:
    gtm: GTMServer
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"


@contextmanager
def serving(gtm: GTMServer, *, token: str | None = None) -> Iterator[LiveServer]:
    """Serve ``gtm`` until the block ends; the server listens when the block starts."""
    port = free_port()
    app = build_http_app(gtm, port=port, token=token)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, name="gtm-test-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test HTTP server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(gtm, port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
