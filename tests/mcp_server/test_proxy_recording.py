"""Recording real calls (``mcp_server.recording``, ``mcp_server.redact``): chat-format training
records, secrets removed, whole lines only -- also when the proxy is killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from anyio import fail_after
from mcp import Client
from proxy_helpers import alive, faulty_command, npm_server, pid_command, read_pid, records

from gtm_core import ToolSpec
from mcp_server.proxy import open_proxy
from mcp_server.recording import Recorder, call_record, read_records
from mcp_server.redact import REDACTED, is_secret_key, redact, redact_text
from mcp_server.upstream import Upstream, UpstreamTarget

SECRETS = {
    "bearer": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    "openai": "sk-proj-Abcdefghijklmnopqrstuvwxyz012345",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "github": "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB",
    "url": "postgres://bob:hunter2@db.internal:5432/app",
}


def test_secrets_are_redacted_by_key_and_by_value_pattern():
    """Keys naming secrets lose their values whatever they hold; secret-looking strings lose the secret
    part anywhere; counting keys (max_tokens) and ordinary text are kept."""
    value = {
        "password": "hunter2", "API-Key": "k-123", "nested": {"client_secret": {"a": 1}, "Authorization": "Basic Ym9iOmh1bnRlcjI="},
        "max_tokens": 256, "next_page_token": "abc", "author": "Ada", "passenger": "Bob",
        "note": f"use {SECRETS['openai']} or {SECRETS['aws']}", "items": [SECRETS["github"], SECRETS["url"], SECRETS["bearer"]],
    }  # fmt: skip
    clean = redact(value)
    assert clean["password"] == clean["API-Key"] == clean["nested"]["client_secret"] == clean["nested"]["Authorization"] == REDACTED
    assert clean["max_tokens"] == 256 and clean["next_page_token"] == "abc" and clean["author"] == "Ada" and clean["passenger"] == "Bob"
    assert clean["note"] == f"use {REDACTED} or {REDACTED}"
    assert clean["items"] == [REDACTED, f"postgres://bob:{REDACTED}@db.internal:5432/app", f"Authorization: {REDACTED}"]
    assert value["password"] == "hunter2"  # the input is not changed
    assert redact_text("Basic information, tokens and a bearer of news") == "Basic information, tokens and a bearer of news"
    assert [is_secret_key(k) for k in ("x-api-key", "github_token", "tokenizer", "session_id")] == [True, True, False, True]


def test_a_record_is_a_chat_training_example_with_the_call_and_its_real_answer():
    """messages are role/content strings ending with the real answer; extras sit beside them."""
    spec = ToolSpec("login", "Log in.", parameters={"type": "object", "properties": {"user": {"type": "string"}, "password": {"type": "string"}}})
    record = call_record(spec, {"user": "ada", "password": "hunter2"}, {"ok": True, "session_token": "s3cr3t-value"},
                         is_error=False, server="auth", policy="real", latency_ms=1.5)  # fmt: skip
    assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"]
    assert all(isinstance(m["content"], str) for m in record["messages"])
    assert record["messages"][-1]["content"] == json.dumps({"ok": True, "session_token": REDACTED})
    assert "hunter2" not in json.dumps(record) and "s3cr3t" not in json.dumps(record)
    assert record["tool"] == "login" and record["source"] == "real" and record["server"] == "auth" and record["is_error"] is False


def test_a_line_cut_short_before_is_closed_so_it_never_joins_the_next_record(tmp_path):
    path = tmp_path / "record.jsonl"
    path.write_bytes(b'{"messages": [{"role": "us')  # what a crash of the machine mid-write could leave
    with Recorder(path) as recorder:
        recorder.write({"n": 1})
        recorder.write({"n": 2})
    rows, bad = read_records(path)
    assert rows == [{"n": 1}, {"n": 2}] and bad == 1
    assert path.read_bytes().endswith(b"\n")


@pytest.mark.anyio
async def test_recorded_real_calls_hold_no_secret_while_the_agent_gets_the_real_answer(tmp_path):
    """Through the proxy (policy real): the agent reads the real answer, secrets and all; the record
    has none of them, in the arguments, the answer or the rendered prompt. Simulated calls are not recorded."""
    path = tmp_path / "record.jsonl"
    arguments = {"text": f"call me with {SECRETS['openai']}", "password": "hunter2", "db": SECRETS["url"]}
    with fail_after(30), Recorder(path) as recorder:
        upstream = Upstream(UpstreamTarget(command=faulty_command(tmp_path / "pid")))
        async with open_proxy([upstream], policies=["real", "noise=sim"], recorder=recorder) as proxy, Client(proxy.server) as client:
            real = await client.call_tool("echo", arguments, meta={"gtm/episode": "e1"})
            await client.call_tool("noise", {"text": "simulated"}, meta={"gtm/episode": "e1"})
    assert json.loads(real.content[0].text) == {"echo": arguments}
    text = path.read_text(encoding="utf-8")
    for secret in ("hunter2", SECRETS["openai"]):
        assert secret not in text
    rows = records(path)
    assert len(rows) == 1 and rows[0]["tool"] == "echo" and rows[0]["episode"] == "e1" and rows[0]["policy"] == "real"
    assert json.loads(rows[0]["messages"][-1]["content"])["echo"]["db"] == f"postgres://bob:{REDACTED}@db.internal:5432/app"


# ---- the proxy killed while it records ---------------------------------------------------------
def _rpc(process: subprocess.Popen[bytes], message: dict) -> None:
    assert process.stdin is not None
    process.stdin.write((json.dumps(message) + "\n").encode())
    process.stdin.flush()


@pytest.mark.slow
def test_a_recording_survives_the_proxy_being_killed_with_sigkill(tmp_path):
    """`gtm serve --upstream mcp-server-memory --policy real --record F` gets 300 calls at once and
    is SIGKILLed while it records: every line of F is a complete record that parses, the file ends
    with a newline, and the upstream server does not outlive the proxy."""
    memory = npm_server("mcp-server-memory")
    path, pidfile = tmp_path / "record.jsonl", tmp_path / "upstream.pid"
    upstream = pid_command([str(memory)], pidfile, env={"MEMORY_FILE_PATH": str(tmp_path / "memory.jsonl")})
    proxy = subprocess.Popen(
        [sys.executable, "-m", "gtm_core", "serve", "--upstream", upstream, "--policy", "real", "--record", str(path), "--log-level", "warning"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _rpc(proxy, {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                     "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})  # fmt: skip
        _rpc(proxy, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        for i in range(1, 301):
            entity = {"name": f"entity-{i}", "entityType": "thing", "observations": [f"observation {j} of {i} " * 8 for j in range(5)]}
            _rpc(proxy, {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "create_entities", "arguments": {"entities": [entity]}}})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not path.exists() or len(path.read_bytes().splitlines()) < 30):
            assert proxy.poll() is None, "the proxy exited on its own"
            time.sleep(0.01)
        proxy.send_signal(signal.SIGKILL)
        proxy.wait(timeout=10)
        upstream_pid = read_pid(pidfile)
    finally:
        if proxy.poll() is None:
            proxy.kill()
        proxy.wait()
        assert proxy.stdin is not None
        proxy.stdin.close()

    data = path.read_bytes()
    assert data.endswith(b"\n")
    lines = data.decode("utf-8").splitlines()
    assert 30 <= len(lines) < 300  # killed mid-run
    for line in lines:
        record = json.loads(line)  # every line is whole
        assert record["tool"] == "create_entities" and record["source"] == "real"
        assert all(isinstance(m["role"], str) and isinstance(m["content"], str) for m in record["messages"])
    names = [json.loads(json.loads(line)["messages"][-1]["content"])["entities"][0]["name"] for line in lines]
    assert len(set(names)) == len(names)  # no record written twice

    deadline = time.monotonic() + 20  # the upstream sees its stdin close and exits
    while alive(upstream_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(upstream_pid):
        os.kill(upstream_pid, signal.SIGKILL)
        pytest.fail("the upstream server outlived the proxy that started it")
