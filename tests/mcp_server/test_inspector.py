"""A real third-party client, the MCP Inspector CLI (npm), against `gtm serve` over stdio and HTTP.

Also the "stand in for an existing server" path end to end: `gtm catalog import
--mcp-stdio` reads a reference server we did not write, and `gtm serve` then answers the
Inspector in its place. `.ci/setup` installs the npm packages into .venv/node.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp_helpers import free_port, stop, wait_until_listening

from gtm_core import Catalog

pytestmark = pytest.mark.slow

NODE_BIN = Path(sys.prefix) / "node" / "node_modules" / ".bin"
INSPECTOR = NODE_BIN / "mcp-inspector"
MEMORY_SERVER = NODE_BIN / "mcp-server-memory"
GTM = [sys.executable, "-m", "gtm_core"]

if not INSPECTOR.exists():
    pytest.skip(f"the MCP Inspector is not installed at {INSPECTOR}; run .ci/setup", allow_module_level=True)


TOOL_IS_ERROR = 5  # the Inspector's exit status when a tools/call result has isError: true


def inspector(target: list[str], *options: str, expect_tool_error: bool = False) -> dict:
    """Run the Inspector CLI on a server (a command or a URL) and return its one JSON answer."""
    out = subprocess.run(
        [str(INSPECTOR), "--cli", "--format", "json", "-q", *options, "--", *target],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    expected = TOOL_IS_ERROR if expect_tool_error else 0
    assert out.returncode == expected, f"inspector exited {out.returncode}: {out.stderr[-2000:]}"
    return json.loads(out.stdout)


def test_the_inspector_lists_every_tool_of_the_shipped_catalog_over_stdio():
    """The Inspector follows the cursor through every page and sees each tool with its schemas."""
    answer = inspector([*GTM, "serve", "--first-page-size", "20", "--page-size", "100"], "--method", "tools/list")
    tools = answer["result"]["tools"]
    assert [t["name"] for t in tools] == Catalog.shipped().names
    weather = next(t for t in tools if t["name"] == "get_current_weather")
    assert weather["inputSchema"]["required"] == ["city"] and "outputSchema" in weather


def test_the_inspector_gets_a_simulated_answer_and_a_flagged_error_over_stdio():
    answer = inspector([*GTM, "serve"], "--method", "tools/call", "--tool-name", "get_current_weather", "--tool-arg", "city=Lisbon")
    result = answer["result"]
    assert result.get("isError") in (None, False)
    assert result["structuredContent"]["city"] == "Lisbon"
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]
    bad = inspector(
        [*GTM, "serve"], "--method", "tools/call", "--tool-name", "get_current_weather", "--tool-arg", "units=kelvin", expect_tool_error=True
    )["result"]
    assert bad["isError"] is True and "city" in bad["content"][0]["text"]


@pytest.fixture(scope="module")
def http_server():
    port = free_port()
    process = subprocess.Popen([*GTM, "serve", "--transport", "http", "--port", str(port), "--log-level", "warning"], stderr=subprocess.PIPE)
    try:
        wait_until_listening(process, port)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(process)


def test_the_inspector_lists_and_calls_over_streamable_http(http_server):
    tools = inspector([http_server], "--method", "tools/list")["result"]["tools"]
    assert len(tools) == len(Catalog.shipped())
    answer = inspector([http_server], "--method", "tools/call", "--tool-name", "get_current_weather", "--tool-arg", "city=Oslo")
    assert answer["result"]["structuredContent"]["city"] == "Oslo"


def test_an_existing_server_is_imported_then_simulated_in_its_place(tmp_path):
    """server-memory's tools, read over MCP, are served by gtm serve and answer the Inspector."""
    if not MEMORY_SERVER.exists():
        pytest.skip(f"{MEMORY_SERVER} is not installed; run .ci/setup")
    catalog = tmp_path / "memory.jsonl"
    env = {**os.environ, "MEMORY_FILE_PATH": str(tmp_path / "memory.json")}
    imported = subprocess.run(
        [*GTM, "catalog", "import", "--mcp-stdio", str(MEMORY_SERVER), "-o", str(catalog)],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    names = Catalog.load(catalog).names
    assert "create_entities" in names and "read_graph" in names

    listed = inspector([*GTM, "serve", "--catalog", str(catalog)], "--method", "tools/list")["result"]["tools"]
    assert sorted(t["name"] for t in listed) == sorted(names)
    answer = inspector(
        [*GTM, "serve", "--catalog", str(catalog)], "--method", "tools/call", "--tool-name", "create_entities",
        "--tool-arg", 'entities=[{"name": "Ada", "entityType": "person", "observations": ["writes programs"]}]',
    )["result"]  # fmt: skip
    assert answer.get("isError") in (None, False), answer
    assert answer["content"][0]["type"] == "text" and answer["content"][0]["text"]
