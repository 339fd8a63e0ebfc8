"""Small HTTP items of issue 15 (item 11) against a real `gtm serve` process: --port 0, the bearer scheme, a 1 MB tool name."""

from __future__ import annotations

import re
import subprocess
import tempfile
import time

from hostile_helpers import HttpSession, end, gtm, http_server, log, post, text_of
from mcp_helpers import wait_until_listening

TOKEN = "s3cret-token"
_PING = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'


def test_port_0_logs_the_bound_port_and_host_checks_match_that_port_exactly():
    """The log names the real port; Host and Origin must name it exactly (a longer port with it as a prefix is refused)."""
    with tempfile.NamedTemporaryFile(prefix="gtm-serve-", suffix=".log") as stderr:
        process = subprocess.Popen(gtm("serve", "--transport", "http", "--port", "0", "--log-level", "info"), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        process.log_path = stderr.name  # type: ignore[attr-defined]
        try:
            deadline = time.monotonic() + 60
            while not (found := re.search(r"serving MCP over streamable HTTP at http://127\.0\.0\.1:(\d+)/mcp", log(process))):
                assert process.poll() is None and time.monotonic() < deadline, log(process)
                time.sleep(0.1)
            port = int(found.group(1))
            assert port != 0
            wait_until_listening(process, port)
            session = HttpSession(port)
            _, answer = session.call("get_current_weather", {"city": "Oslo"})
            assert answer["result"]["isError"] is False
            assert post(port, _PING, {**session.headers, "Host": f"localhost:{port}"})[0] == 200
            assert post(port, _PING, {**session.headers, "Host": f"127.0.0.1:{port}1"})[0] == 421
            assert post(port, _PING, {**session.headers, "Host": "127.0.0.1:1"})[0] == 421
            assert post(port, _PING, {**session.headers, "Origin": f"http://127.0.0.1:{port}"})[0] == 200
            assert post(port, _PING, {**session.headers, "Origin": f"http://127.0.0.1:{port}9"})[0] == 403
            assert ":0/" not in log(process)
        finally:
            end(process)


def test_the_bearer_scheme_is_accepted_in_any_case_and_a_wrong_token_still_is_not():
    with http_server("--token-env", "GTM_HOSTILE_TOKEN", env={"GTM_HOSTILE_TOKEN": TOKEN}) as (_, port):
        for scheme in ("Bearer", "bearer", "BEARER", "bEaReR"):
            assert HttpSession(port, {"Authorization": f"{scheme} {TOKEN}"}).call("get_current_weather", {"city": "Oslo"})[0] == 200
        for header in (f"Basic {TOKEN}", "bearer wrong", f"bearer{TOKEN}", TOKEN, f"Token {TOKEN}"):
            assert post(port, _PING, {"Authorization": header})[0] == 401, header


def test_a_1_mb_tool_name_is_cut_in_the_error_and_answered_quickly():
    """The unknown_tool error names the start and length of the name, not the whole MB, and the closest-name search is skipped."""
    name = "get_current_weather" + "x" * 1_000_000
    with http_server("--max-request-bytes", "4000000") as (_, port):
        session = HttpSession(port)
        session.call("get_current_weathr", {})  # warm
        started = time.perf_counter()
        status, answer = session.call(name, {"city": "Oslo"})
        took = time.perf_counter() - started
        _, near = session.call("get_current_weathr", {})
    assert status == 200 and answer["result"]["isError"] is True
    error = text_of(answer)["error"]
    assert error["type"] == "unknown_tool" and len(error["message"]) < 400
    assert "(1000019 characters)" in error["message"] and error["tool"].startswith("get_current_weather")
    assert len(str(answer)) < 2000
    assert took < 5, took  # generous for a loaded machine: the search itself is skipped (see gtm_core.catalog.closest_names)
    assert "get_current_weather" in text_of(near)["error"]["suggestions"]  # short names still get suggestions
