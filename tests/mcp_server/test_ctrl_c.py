"""Ctrl-C in a real terminal stops every server mode (stdio and HTTP, plain and proxy) within 2 s.

Each test starts `gtm serve` under a pseudo-terminal, as a user's shell would (the server is
the terminal's foreground process, stdin is the terminal), waits until it serves, types ^C
and times how long the process takes to exit.
"""

from __future__ import annotations

import sys
import time

import pexpect
import pytest
from mcp_helpers import free_port
from proxy_helpers import FAULTY_SERVER

GTM = [sys.executable, "-m", "gtm_core"]
STOP_WITHIN_S = 2.0


def _serve_under_a_terminal(args: list[str], ready: str) -> pexpect.spawn:
    child = pexpect.spawn(GTM[0], [*GTM[1:], "serve", *args, "--log-level", "info"], timeout=60, encoding="utf-8", dimensions=(24, 200))
    child.expect(ready)
    return child


def _seconds_to_stop_after_ctrl_c(child: pexpect.spawn) -> float:
    time.sleep(0.3)  # past the start-up log lines: the server waits for input now
    started = time.monotonic()
    child.sendcontrol("c")
    deadline = started + 10.0
    while child.isalive() and time.monotonic() < deadline:
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    if child.isalive():
        child.terminate(force=True)
    return elapsed


MODES = [
    pytest.param([], "exposing", id="stdio"),
    pytest.param(["--transport", "http", "--port", "{port}"], "Uvicorn running|listening|serving", id="http"),
    pytest.param(["--upstream", f"{sys.executable} {FAULTY_SERVER}"], "proxy:", id="proxy-stdio"),
    pytest.param(["--upstream", f"{sys.executable} {FAULTY_SERVER}", "--transport", "http", "--port", "{port}"], "Uvicorn running|listening|serving", id="proxy-http"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "ready"), MODES)
def test_ctrl_c_in_a_terminal_stops_the_server_within_two_seconds(args, ready):
    port = str(free_port())
    child = _serve_under_a_terminal([a.replace("{port}", port) for a in args], ready)
    elapsed = _seconds_to_stop_after_ctrl_c(child)
    output = child.before or ""
    child.close()
    assert elapsed <= STOP_WITHIN_S, f"still running {elapsed:.1f} s after ^C; output: {output[-500:]}"
    assert "Traceback" not in output
