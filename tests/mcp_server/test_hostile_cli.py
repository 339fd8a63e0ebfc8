"""CLI failures through the real `gtm` command (issue 15 item 9): one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from hostile_helpers import run_cli

from gtm_core.importers import MAX_FILE_BYTES

DEEP = "[" * 50_000 + "]" * 50_000


def _error_line(done) -> str:
    """The one error line of a failed run (log lines aside); fails on a traceback or more than one line."""
    assert done.returncode != 0, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("gtm serve: ")]
    assert len(lines) == 1, done.stderr[-3000:]
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_serve_on_a_port_in_use_says_so_in_one_line(taken_port):
    line = _error_line(run_cli(["serve", "--transport", "http", "--port", str(taken_port), "--log-level", "warning"]))
    assert line == f"Error: cannot listen on 127.0.0.1:{taken_port}: port {taken_port} is already in use by another process; stop it or choose another --port (0 picks a free one)"


@pytest.mark.parametrize("host", ["999.1.1.1", "no-such-host.invalid"])
def test_serve_with_a_host_that_does_not_resolve_says_so_in_one_line(host):
    line = _error_line(run_cli(["serve", "--transport", "http", "--host", host, "--port", "0", "--log-level", "warning"]))
    assert f"cannot listen on {host}:0: {host!r} is no IP address or name this machine resolves" in line


def test_serve_refuses_to_start_with_a_model_that_does_not_exist():
    """Checked before serving (over stdio it would otherwise wait for a client and fail every call)."""
    line = _error_line(run_cli(["serve", "--model", "/nonexistent", "--log-level", "warning"], timeout=30))
    assert "no model file or folder at /nonexistent" in line


def test_simulate_with_a_model_that_does_not_exist_fails_in_one_line():
    line = _error_line(run_cli(["simulate", "get_current_weather", "--engine", "transformers", "--model", "/nonexistent", "--args", '{"city": "Oslo"}']))
    assert "no model file or folder at /nonexistent" in line


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        pytest.param("{city:", "--args is not valid JSON (Expecting property name enclosed in double quotes at character 1)", id="broken-json"),
        pytest.param(DEEP, "--args is nested too deeply to read", id="nested-50000-deep"),
    ],
)
def test_simulate_with_unreadable_args_fails_in_one_line(arguments, said):
    assert said in _error_line(run_cli(["simulate", "get_current_weather", "--args", arguments]))


@pytest.mark.parametrize("command", [["simulate", "get_current_weather", "--args", "{}"], ["serve", "--log-level", "warning"]], ids=["simulate", "serve"])
def test_a_catalog_that_never_ends_is_read_only_up_to_the_limit(command):
    """--catalog /dev/zero: a bounded read and a clear error, not memory growing without end."""
    line = _error_line(run_cli([*command, "--catalog", "/dev/zero"], timeout=60))
    assert line == f"Error: /dev/zero: over {MAX_FILE_BYTES >> 20} MiB (the limit for one catalog file); split it into several files and pass their folder"
