"""The block `gtm serve` prints as it starts: catalog, tools, engine, episodes, how to connect."""

from __future__ import annotations

import json
import subprocess
import sys

from mcp_server.banner import connect_command, startup_banner


def test_the_stdio_block_holds_an_mcpservers_entry_that_starts_the_same_command():
    block = startup_banner(catalog="tools.jsonl", tools=3, engine="schema", transport="stdio", max_episodes=10, idle_seconds=60,
                           argv=["/opt/venv/bin/gtm", "serve", "--catalog", "tools.jsonl"])
    first, engine, episodes, connect = block.splitlines()
    assert first == "gtm serve: 3 tools from tools.jsonl" and engine == "  engine: schema"
    assert "gtm/episode" in episodes and "at most 10" in episodes and "60 s idle" in episodes
    entry = json.loads(connect.split(": ", 1)[1])
    assert entry == {"mcpServers": {"gtm": {"command": "/opt/venv/bin/gtm", "args": ["serve", "--catalog", "tools.jsonl"]}}}


def test_the_http_block_gives_the_url_and_the_token_header():
    block = startup_banner(catalog="the shipped catalog", tools=5, engine="schema", transport="http", url="http://127.0.0.1:8000/mcp",
                           max_episodes=10, idle_seconds=60, token_env="GTM_TOKEN")
    assert block.splitlines()[-1] == "  connect: http://127.0.0.1:8000/mcp  (header Authorization: Bearer $GTM_TOKEN)"


def test_a_server_started_as_python_dash_m_is_connected_the_same_way():
    assert connect_command(["/x/gtm_core/__main__.py", "serve"]) == [sys.executable, "-m", "gtm_core", "serve"]


def test_gtm_serve_prints_the_block_on_stderr_and_not_at_log_level_warning():
    def stderr(*extra):
        done = subprocess.run([sys.executable, "-m", "gtm_core", "serve", *extra], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        return done.stdout, done.stderr

    out, err = stderr()
    assert out == "" and "tools from the shipped catalog" in err and '"mcpServers"' in err
    assert "tools from the shipped catalog" not in stderr("--log-level", "warning")[1]
