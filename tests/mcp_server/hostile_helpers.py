"""Helpers for the hostile tests: `gtm serve` processes spoken to in raw JSON-RPC, over HTTP and stdio.

The SDK's clients refuse to send most of what these tests send (non-object arguments,
duplicate ids, broken JSON), so the messages go out as bytes: ``HttpSession`` over
``http.client`` after a 2025-11-25 handshake, ``StdioServer`` as lines on the process's stdin.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from mcp_helpers import free_port, stop, wait_until_listening

PROTOCOL = "2025-11-25"
ACCEPT = "application/json, text/event-stream"


def gtm(*args: str) -> list[str]:
    """The command line of ``gtm ARGS`` run by this interpreter."""
    return [sys.executable, "-m", "gtm_core", *args]


def end(process: subprocess.Popen[Any]) -> int:
    """Stop a process (SIGTERM, then SIGKILL if it lingers, as ``mcp_helpers.stop``); its exit status."""
    stop(process)
    return process.returncode


@contextmanager
def http_server(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``gtm serve --transport http`` on a free port with ARGS; yields (process, port).

    The server's stderr goes to a file: ``log(process)`` reads it, during the run or after.
    """
    port = free_port()
    command = gtm("serve", "--transport", "http", "--port", str(port), "--log-level", "warning", *args)
    with tempfile.NamedTemporaryFile(prefix="gtm-serve-", suffix=".log") as stderr:
        process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        process.log_path = stderr.name  # type: ignore[attr-defined]
        try:
            wait_until_listening(process, port)
            yield process, port
        finally:
            end(process)


def log(process: subprocess.Popen[Any]) -> str:
    """What a server of ``http_server`` wrote on stderr so far."""
    with open(process.log_path, encoding="utf-8", errors="replace") as fh:  # type: ignore[attr-defined]
        return fh.read()


def post(port: int, body: bytes, headers: dict[str, str] | None = None, timeout: float = 30.0) -> tuple[int, Any, dict[str, str]]:
    """One POST /mcp: (status, the JSON body or the raw text, the response headers)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/mcp", body=body, headers={"Content-Type": "application/json", "Accept": ACCEPT, **(headers or {})})
        response = connection.getresponse()
        payload = response.read()
        response_headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()
    try:
        return response.status, json.loads(payload), response_headers
    except ValueError:
        return response.status, payload.decode("utf-8", "replace"), response_headers


class HttpSession:
    """A handshake-era MCP session over plain HTTP: ``call`` sends tools/call with any arguments."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = dict(headers or {})
        self._next_id = 1
        status, body, response_headers = post(port, _message("initialize", 0, {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}), self.headers)
        assert status == 200 and "result" in body, (status, body)
        self.headers.update({"Mcp-Session-Id": response_headers["mcp-session-id"], "MCP-Protocol-Version": PROTOCOL})
        status, _, _ = post(port, json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode(), self.headers)
        assert status == 202, status

    def send(self, body: bytes, timeout: float = 30.0) -> tuple[int, Any]:
        status, payload, _ = post(self.port, body, self.headers, timeout)
        return status, payload

    def call(self, name: str, arguments: Any, *, episode: str | None = None, request_id: Any = None, timeout: float = 30.0) -> tuple[int, Any]:
        if request_id is None:
            request_id = self._next_id = self._next_id + 1
        params: dict[str, Any] = {"name": name, "arguments": arguments}
        if episode is not None:
            params["_meta"] = {"gtm/episode": episode}
        return self.send(_message("tools/call", request_id, params), timeout)


def _message(method: str, request_id: Any, params: dict[str, Any]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}, allow_nan=True).encode()


class StdioServer:
    """``gtm serve`` over stdio, written to and read from line by line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        command = gtm("serve", "--log-level", "warning", *args)
        self.process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._lines: queue.Queue[bytes] = queue.Queue()
        self.stderr: list[bytes] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self._lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr.append), daemon=True).start()

    @staticmethod
    def _pump(stream: Any, put: Any) -> None:
        for line in iter(stream.readline, b""):
            put(line)

    def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data if data.endswith(b"\n") else data + b"\n")
        self.process.stdin.flush()

    def read(self, timeout: float = 30.0) -> Any:
        """The next message the server wrote (parsed), or AssertionError after ``timeout`` seconds."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no answer within {timeout} s; stderr: {b''.join(self.stderr)[-2000:]!r}") from None
        return json.loads(line)

    def request(self, method: str, request_id: Any, params: dict[str, Any], timeout: float = 30.0) -> Any:
        self.write(_message(method, request_id, params))
        return self.read(timeout)

    def initialize(self) -> None:
        answer = self.request("initialize", 0, {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}})
        assert "result" in answer, answer
        self.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode())

    def close(self) -> int:
        return end(self.process)


def text_of(answer: Any) -> Any:
    """The parsed text content of a tools/call answer (a JSON-RPC message)."""
    return json.loads(answer["result"]["content"][0]["text"])


def run_cli(args: Sequence[str], *, timeout: float = 60.0, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(gtm(*args), capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
