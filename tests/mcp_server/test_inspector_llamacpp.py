"""`gtm serve --engine llamacpp --model qwen2.5-coder-0.5b` answers the MCP Inspector CLI over stdio and HTTP.

The model is the one .ci/setup installs with `gtm models install` into .venv/gtm-cache; the
server finds it by name through GTM_CACHE_DIR. Answers come from the model, in process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp_helpers import free_port, stop, wait_until_listening

pytestmark = pytest.mark.slow

INSPECTOR = Path(sys.prefix) / "node" / "node_modules" / ".bin" / "mcp-inspector"
GTM = [sys.executable, "-m", "gtm_core"]
SERVE = [*GTM, "serve", "--engine", "llamacpp", "--model", "qwen2.5-coder-0.5b", "--engine-option", "max_tokens=96"]

if not INSPECTOR.exists():
    pytest.skip(f"the MCP Inspector is not installed at {INSPECTOR}; run .ci/setup", allow_module_level=True)
if importlib.util.find_spec("llama_cpp") is None:
    pytest.skip("llama-cpp-python is not installed: run .ci/setup", allow_module_level=True)


@pytest.fixture(scope="module")
def env(qwen05_gguf) -> dict[str, str]:
    """The environment whose GTM_CACHE_DIR holds the installed 0.5B model."""
    return {**os.environ, "GTM_CACHE_DIR": str(qwen05_gguf.parent.parent)}


def _inspect(target: list[str], env: dict[str, str], *options: str) -> dict:
    out = subprocess.run([str(INSPECTOR), "--cli", "--format", "json", "-q", *options, "--", *target],
                         capture_output=True, text=True, timeout=300, check=False, env=env)  # fmt: skip
    assert out.returncode == 0, f"inspector exited {out.returncode}: {out.stderr[-2000:]}"
    return json.loads(out.stdout)


def _call_weather(target: list[str], env: dict[str, str], city: str) -> dict:
    # the Inspector hands a stdio server only a few safe variables: pass the cache on with -e
    return _inspect(target, env, "-e", f"GTM_CACHE_DIR={env['GTM_CACHE_DIR']}", "--method", "tools/call",
                    "--tool-name", "get_current_weather", "--tool-arg", f"city={city}")["result"]  # fmt: skip


def test_the_inspector_gets_a_model_answer_over_stdio(env):
    """A valid call is answered by the model (not an error, not the fallback) with the city echoed."""
    result = _call_weather(SERVE, env, "Lisbon")
    assert result.get("isError") in (None, False), result
    assert result["structuredContent"]["city"] == "Lisbon"
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]
    assert result["_meta"]["gtm/engine"] == "llamacpp" and "gtm/fallback" not in result["_meta"]


def test_the_inspector_gets_a_model_answer_over_streamable_http(env):
    port = free_port()
    process = subprocess.Popen([*SERVE, "--transport", "http", "--port", str(port), "--log-level", "warning"], stderr=subprocess.PIPE, env=env)
    try:
        wait_until_listening(process, port)
        result = _call_weather([f"http://127.0.0.1:{port}/mcp"], env, "Oslo")
        assert result.get("isError") in (None, False), result
        assert result["structuredContent"]["city"] == "Oslo"
    finally:
        stop(process)
