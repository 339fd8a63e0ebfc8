"""The MCP client configuration shown in the README is valid JSON and starts a working server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from anyio import fail_after
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[2]


def _config() -> dict:
    blocks = re.findall(r"```json\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    configs = [json.loads(block) for block in blocks if "mcpServers" in block]
    assert len(configs) == 1, "the README shows one mcpServers configuration"
    return configs[0]


def test_the_readme_client_configuration_is_valid_json_for_gtm_serve():
    """{"mcpServers": {"gtm": {"command": ..., "args": ["serve", ...]}}}."""
    server = _config()["mcpServers"]["gtm"]
    assert server["command"].endswith("/gtm") and server["args"][0] == "serve"


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_readme_client_configuration_starts_a_server_that_lists_tools():
    """Its command (relative to the checkout) and args start `gtm serve`, which answers tools/list."""
    server = _config()["mcpServers"]["gtm"]
    command = ROOT / server["command"]
    if not command.exists():
        pytest.skip(f"{command} does not exist: this checkout has no .venv")
    with fail_after(60):
        async with Client(StdioServerParameters(command=str(command), args=[*server["args"], "--log-level", "warning"], cwd=ROOT)) as client:
            page = await client.list_tools()
    assert len(page.tools) == 50 and page.next_cursor
