"""`gtm serve --transport http`: one server process on 127.0.0.1 with a bearer token, checked from outside.

The server is started once for the module (its start-up dominates the time); each test
talks to it with the SDK's streamable HTTP client or with plain HTTP requests.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
from anyio import fail_after
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_helpers import ERAS, free_port, stop, wait_until_listening

pytestmark = pytest.mark.slow

TOKEN = "s3cret-token-for-tests"
MAX_REQUEST_BYTES = 64 * 1024


@dataclass(frozen=True)
class _Server:
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    port = free_port()
    command = [
        sys.executable, "-m", "gtm_core", "serve", "--transport", "http", "--port", str(port),
        "--token-env", "GTM_TEST_TOKEN", "--max-request-bytes", str(MAX_REQUEST_BYTES), "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, "GTM_TEST_TOKEN": TOKEN}
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_listening(process, port)
        yield _Server(port)
    finally:
        stop(process)


def _post(server: _Server, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        base = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        connection.request("POST", "/mcp", body=body, headers={**base, **headers})
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(payload)
    except ValueError:
        return response.status, {"raw": payload.decode("utf-8", "replace")}


_PING = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()


def test_requests_without_the_bearer_token_get_401(server):
    """No Authorization header, or a wrong token: 401 with a JSON body and a WWW-Authenticate challenge."""
    status, body = _post(server, _PING, {})
    assert status == 401 and "Bearer" in body["error"]["message"]
    status, _ = _post(server, _PING, {"Authorization": "Bearer wrong"})
    assert status == 401


def test_a_foreign_host_header_is_refused_as_dns_rebinding(server):
    """Host: evil.example (a rebinding attack) gets 421 even with the right token; an evil Origin gets 403."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, _ = _post(server, _PING, {**auth, "Host": f"evil.example:{server.port}"})
    assert status == 421
    status, _ = _post(server, _PING, {**auth, "Origin": "http://evil.example"})
    assert status == 403


def test_a_body_over_the_request_limit_gets_413_with_a_json_message(server):
    """A body over --max-request-bytes is refused before the MCP layer reads it, saying the limit."""
    big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x", "arguments": {"a": "x" * MAX_REQUEST_BYTES}}})
    status, body = _post(server, big.encode(), {"Authorization": f"Bearer {TOKEN}"})
    assert status == 413
    assert str(MAX_REQUEST_BYTES) in body["error"]["message"] and "--max-request-bytes" in body["error"]["message"]


@pytest.mark.anyio
@pytest.mark.parametrize("era", ERAS)
async def test_calls_over_http_take_their_episode_from_the_x_gtm_episode_header(server, era):
    """With the token, the SDK client lists and calls; X-GTM-Episode names the episode, else the session does."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with fail_after(20):
        async with httpx2.AsyncClient(headers={**auth, "X-GTM-Episode": "http-ep"}) as http:
            async with Client(streamable_http_client(server.url, http_client=http), mode=era) as client:
                tools = (await client.list_tools()).tools
                tagged = await client.call_tool("get_current_weather", {"city": "Oslo"})
                bad = await client.call_tool("get_current_weather", {})
        async with httpx2.AsyncClient(headers=auth) as http:
            async with Client(streamable_http_client(server.url, http_client=http), mode=era) as client:
                untagged = await client.call_tool("get_current_weather", {"city": "Oslo"})
    assert len(tools) == 50
    assert not tagged.is_error and tagged.meta["gtm/episode"] == "http-ep"
    assert bad.is_error and bad.meta["gtm/error_kind"] == "missing_required"
    if era == "legacy":  # the handshake era has a transport session to key on
        assert untagged.meta["gtm/episode"].startswith("mcp-session:")
    else:  # the 2026-07-28 era has none: the process episode
        assert untagged.meta["gtm/episode"].startswith("process:")


@pytest.mark.anyio
@pytest.mark.parametrize("era", ERAS)
async def test_listing_again_gives_the_same_pages_and_bad_cursors_still_fail(server, era):
    """Repeated tools/list pages (served from the finished wire form) equal the first; a bad cursor stays an error."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with fail_after(30):
        async with httpx2.AsyncClient(headers=auth) as http:
            async with Client(streamable_http_client(server.url, http_client=http), mode=era) as client:
                rounds = []
                for _ in range(3):
                    pages, cursor = [], None
                    while True:
                        page = await client.list_tools(cursor=cursor, cache_mode="bypass")
                        pages.append(page.model_dump(by_alias=True, exclude_none=True))
                        cursor = page.next_cursor
                        if cursor is None:
                            break
                    rounds.append(pages)
                for _ in range(2):
                    with pytest.raises(MCPError):
                        await client.list_tools(cursor="not-a-cursor", cache_mode="bypass")
    assert rounds[0] == rounds[1] == rounds[2]
    assert len(rounds[0]) > 1


def test_the_rebinding_allow_list_names_the_bound_address_and_loopback_aliases():
    """127.0.0.1:8000 allows its loopback aliases on that port; another address adds itself; port 0 allows any port."""
    from mcp_server.http import _security, is_loopback

    local = _security("127.0.0.1", 8000, [])
    assert local.enable_dns_rebinding_protection and "localhost:8000" in local.allowed_hosts
    assert "http://127.0.0.1:8000" in local.allowed_origins
    wide = _security("10.1.2.3", 9000, ["gtm.internal:9000"])
    assert {"10.1.2.3:9000", "127.0.0.1:9000", "gtm.internal:9000"} <= set(wide.allowed_hosts)
    assert _security("127.0.0.1", 0, []).allowed_hosts[0] == "127.0.0.1:*"
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("0.0.0.0")
