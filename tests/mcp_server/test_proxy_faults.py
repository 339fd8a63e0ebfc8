"""Faults of a real server stay contained: an upstream that hangs, crashes, stops or answers garbage
gives an error result (or, under ``fallback``, a flagged simulation) in bounded time, the proxy
keeps serving, and the upstream is restarted on the next call. The upstream is
``faulty_server.py``, which misbehaves on request."""

from __future__ import annotations

import os
import signal

import pytest
from anyio import fail_after
from mcp import Client
from proxy_helpers import body, faulty_command, read_pid

from mcp_server.proxy import open_proxy
from mcp_server.upstream import Upstream, UpstreamError, UpstreamTarget

pytestmark = pytest.mark.anyio


def upstream(tmp_path, **kwargs) -> Upstream:
    options = {"call_timeout": 1.0, "probe_timeout": 1.0, "connect_timeout": 20.0} | kwargs
    unless = options.pop("unless", None)
    return Upstream(UpstreamTarget(command=faulty_command(tmp_path / "pid", unless=unless)), **options)


async def test_a_tool_that_never_answers_times_out_as_an_error_result_and_the_proxy_keeps_serving(tmp_path):
    """`hang` gives an upstream_timeout error after the call timeout; the server still answers
    tools/list, so the session is kept and the next call is real."""
    with fail_after(30):
        async with open_proxy([upstream(tmp_path)], policies="real") as proxy, Client(proxy.server) as client:
            hung = await client.call_tool("hang", {})
            after = await client.call_tool("echo", {"text": "still here"})
    assert hung.is_error and hung.meta["gtm/error_kind"] == "upstream_timeout"
    assert "did not answer hang within 1 s" in body(hung)["error"]["message"]
    assert not after.is_error and body(after) == {"echo": {"text": "still here"}}
    assert proxy.upstreams[0].connects == 1


async def test_an_answer_that_is_not_mcp_is_an_error_result_and_stray_stdout_lines_are_ignored(tmp_path):
    """`garbage` answers with a malformed result: upstream_protocol; `noise` prints a non-JSON line
    before a good answer, which gets through."""
    with fail_after(30):
        async with open_proxy([upstream(tmp_path)], policies="real") as proxy, Client(proxy.server) as client:
            garbage = await client.call_tool("garbage", {})
            noise = await client.call_tool("noise", {"text": "n"})
    assert garbage.is_error and garbage.meta["gtm/error_kind"] == "upstream_protocol"
    assert "not an MCP tool result" in body(garbage)["error"]["message"]
    assert not noise.is_error and body(noise) == {"echo": {"text": "n"}}


async def test_an_upstream_that_crashes_during_a_call_is_restarted_on_the_next_call(tmp_path):
    """`crash` exits the server under the call: upstream_crashed at once; the next call starts a new
    process (a new pid) and is answered by it."""
    pidfile = tmp_path / "pid"
    with fail_after(30):
        async with open_proxy([upstream(tmp_path)], policies="real") as proxy, Client(proxy.server) as client:
            first = read_pid(pidfile)
            crashed = await client.call_tool("crash", {})
            after = await client.call_tool("echo", {"text": "back"})
            second = read_pid(pidfile)
    assert crashed.is_error and crashed.meta["gtm/error_kind"] == "upstream_crashed"
    assert "closed the connection during crash" in body(crashed)["error"]["message"]
    assert not after.is_error and body(after) == {"echo": {"text": "back"}}
    assert first != second and proxy.upstreams[0].connects == 2


async def test_an_upstream_killed_while_idle_is_restarted_before_the_next_call(tmp_path):
    """Killed between calls: the next call reconnects first (or, when the exit was not seen yet,
    fails once as crashed); the call after it is real either way."""
    pidfile = tmp_path / "pid"
    with fail_after(30):
        async with open_proxy([upstream(tmp_path)], policies="real") as proxy, Client(proxy.server) as client:
            assert not (await client.call_tool("echo", {})).is_error
            os.kill(read_pid(pidfile), signal.SIGKILL)
            first = await client.call_tool("echo", {"text": "1"})
            second = await client.call_tool("echo", {"text": "2"})
    assert first.is_error is False or first.meta["gtm/error_kind"] == "upstream_crashed"
    assert not second.is_error and body(second) == {"echo": {"text": "2"}}
    assert proxy.upstreams[0].connects == 2


async def test_a_stopped_upstream_is_taken_for_hung_and_replaced(tmp_path):
    """SIGSTOP: the call times out, tools/list does not answer either, so the process is dropped
    (killed) and the next call runs on a new one."""
    pidfile = tmp_path / "pid"
    with fail_after(60):
        async with open_proxy([upstream(tmp_path, call_timeout=0.5, probe_timeout=0.5)], policies="real") as proxy, Client(proxy.server) as client:
            stopped = read_pid(pidfile)
            os.kill(stopped, signal.SIGSTOP)
            try:
                hung = await client.call_tool("echo", {"text": "1"})
                after = await client.call_tool("echo", {"text": "2"})
            finally:
                try:
                    os.kill(stopped, signal.SIGCONT)
                except ProcessLookupError:
                    pass
    assert hung.meta["gtm/error_kind"] == "upstream_timeout" and "taken for hung" in body(hung)["error"]["message"]
    assert not after.is_error and body(after) == {"echo": {"text": "2"}}
    assert read_pid(pidfile) != stopped


async def test_an_upstream_that_cannot_restart_fails_fast_during_its_back_off_then_recovers(tmp_path):
    """While restarting fails, calls get upstream_unavailable at once (the second without even
    trying, inside the back-off); once the server can start again, a call after the back-off works."""
    import anyio

    stop = tmp_path / "stop"
    up = upstream(tmp_path, unless=stop, backoff=(0.3, 0.3))
    with fail_after(30):
        async with open_proxy([up], policies="real") as proxy, Client(proxy.server) as client:
            stop.touch()
            crashed = await client.call_tool("crash", {})
            refused = await client.call_tool("echo", {})
            waiting = await client.call_tool("echo", {})
            stop.unlink()
            await anyio.sleep(0.4)  # the back-off passes
            back = await client.call_tool("echo", {"text": "back"})
    assert crashed.meta["gtm/error_kind"] == "upstream_crashed"
    assert refused.meta["gtm/error_kind"] == waiting.meta["gtm/error_kind"] == "upstream_unavailable"
    assert "exited or closed its stdout" in body(refused)["error"]["message"]
    assert "next reconnect is in" in body(waiting)["error"]["message"]
    assert not back.is_error and body(back) == {"echo": {"text": "back"}}
    assert proxy.upstreams[0].connects == 3


async def test_fallback_answers_from_the_simulator_when_the_real_tool_gives_no_answer_and_says_why(tmp_path):
    """Under `fallback` a crash, a hang and garbage are simulated answers flagged in _meta
    (gtm/source simulated, gtm/fallback the kind of failure); a good call is real."""
    with fail_after(30):
        async with open_proxy([upstream(tmp_path)], policies="fallback") as proxy, Client(proxy.server) as client:
            results = {name: await client.call_tool(name, {"text": "x"}) for name in ("crash", "hang", "garbage", "echo")}
    for name, kind in (("crash", "crashed"), ("hang", "timeout"), ("garbage", "protocol")):
        assert not results[name].is_error, name
        assert results[name].meta["gtm/source"] == "simulated" and results[name].meta["gtm/fallback"] == kind
        assert results[name].meta["gtm/upstream_error"]
    assert results["echo"].meta["gtm/source"] == "real" and "gtm/fallback" not in results["echo"].meta


async def test_an_upstream_that_does_not_start_is_one_clear_error():
    """A missing program raises UpstreamError naming the command and the fix; nothing is left running."""
    with fail_after(20):
        with pytest.raises(UpstreamError, match="could not start MCP server 'no-such-mcp-server --x'.*installed and on PATH"):
            async with open_proxy([UpstreamTarget(command="no-such-mcp-server --x")]):
                pass
