"""Upstream servers get a minimal environment (issue 15 item 5), checked through a real proxy process.

The proxy fronts ``faulty_server.py``, whose ``env`` tool answers its own environment, as
any client of server-everything's ``get-env`` could.
"""

from __future__ import annotations

import json
import shlex
import sys

import anyio
import pytest
from hostile_helpers import HttpSession, http_server, run_cli
from proxy_helpers import FAULTY_SERVER

from mcp_server.importer import read_server_tools

SECRETS = {"OPENAI_API_KEY": "sk-test-not-a-real-key", "DB_PASSWORD": "hunter2-test", "GTM_PROXY_TOKEN": "proxy-bearer-test"}
UPSTREAM = shlex.join([sys.executable, str(FAULTY_SERVER)])


def _env_tool(tools: list[str]) -> str:
    return next(name for name in tools if name.endswith("env"))


def test_an_upstream_server_sees_no_secret_of_the_proxy_only_what_is_passed():
    """Through the proxy, the upstream's env tool shows PATH and the --upstream-env variables, never a key, a password or the token."""
    env = {**SECRETS, "GTM_TEST_PASSED": "passed-through"}
    args = ["--upstream", UPSTREAM, "--policy", "real", "--token-env", "GTM_PROXY_TOKEN", "--upstream-env", "GTM_TEST_PASSED", "--upstream-env", "GTM_SET=42"]
    with http_server(*args, env=env) as (_, port):
        session = HttpSession(port, headers={"Authorization": f"Bearer {SECRETS['GTM_PROXY_TOKEN']}"})
        _, listed = session.send(b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}')
        name = _env_tool([tool["name"] for tool in listed["result"]["tools"]])
        _, answer = session.call(name, {})
    text = answer["result"]["content"][0]["text"]
    for secret in SECRETS.values():
        assert secret not in text
    seen = json.loads(text)
    assert "PATH" in seen and seen["GTM_TEST_PASSED"] == "passed-through" and seen["GTM_SET"] == "42"
    assert not set(SECRETS) & set(seen)


def test_the_token_variable_cannot_be_passed_to_an_upstream():
    """`--upstream-env` naming the --token-env variable refuses to start, in one line, with a non-zero exit."""
    done = run_cli(
        ["serve", "--transport", "http", "--upstream", UPSTREAM, "--token-env", "GTM_PROXY_TOKEN", "--upstream-env", "GTM_PROXY_TOKEN"],
        env=SECRETS,
        timeout=60,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "bearer token" in done.stderr and "GTM_PROXY_TOKEN" in done.stderr


def test_the_importer_starts_a_server_without_this_process_environment(monkeypatch):
    """read_server_tools (behind `gtm catalog import --mcp-stdio`) hands the server a minimal environment plus ``env``."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    tools = anyio.run(lambda: read_server_tools(command=UPSTREAM, env={"GTM_IMPORT_ONLY": "1"}, timeout=30))
    names = next(tool["description"] for tool in tools if tool["name"] == "env").split(": ", 1)[1].split()
    assert "PATH" in names and "GTM_IMPORT_ONLY" in names
    assert not set(SECRETS) & set(names)


@pytest.mark.parametrize("option", ["1BAD", "BAD-NAME", "=x"])
def test_a_malformed_upstream_env_option_is_one_clear_line(option):
    """`--upstream-env` with no variable name is refused before anything starts."""
    done = run_cli(["serve", "--upstream", UPSTREAM, "--upstream-env", option], timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "NAME or NAME=VALUE" in done.stderr
