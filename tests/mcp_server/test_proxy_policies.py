"""Each routing policy end to end, through the SDK's Client, in front of real MCP servers we did not
write (npm: server-filesystem on a temporary folder, server-memory, server-everything)."""

from __future__ import annotations

import json
import os
import signal

import pytest
from anyio import fail_after
from click.testing import CliRunner
from mcp import Client
from proxy_helpers import npm_server, pid_command, read_pid, records

from gtm_core.cli import cli
from mcp_server.proxy import open_proxy
from mcp_server.recording import Recorder
from mcp_server.redact import REDACTED
from mcp_server.upstream import Upstream, UpstreamTarget

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def filesystem(root) -> UpstreamTarget:
    return UpstreamTarget(command=f"{npm_server('mcp-server-filesystem')} {root}")


def memory(tmp_path, name: str = "memory", **kwargs) -> str:
    pidfile = tmp_path / f"{name}.pid"
    return pid_command([str(npm_server("mcp-server-memory"))], pidfile, env={"MEMORY_FILE_PATH": str(tmp_path / f"{name}.jsonl")}, **kwargs)


async def test_sim_never_reaches_the_real_server_and_answers_from_its_own_schemas(tmp_path):
    """Under `sim` write_file answers (in the shape of the server's outputSchema) but no file appears."""
    root = tmp_path / "files"
    root.mkdir()
    with fail_after(60):
        async with open_proxy([filesystem(root)], policies="sim") as proxy, Client(proxy.server) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            result = await client.call_tool("write_file", {"path": str(root / "a.txt"), "content": "hello"})
    assert len(tools) == 14 and tools["write_file"].output_schema is not None
    assert not result.is_error and result.meta["gtm/source"] == "simulated" and result.meta["gtm/policy"] == "sim"
    assert set(result.structured_content) == set(tools["write_file"].output_schema["properties"])
    assert list(root.iterdir()) == []


async def test_real_forwards_every_call_to_the_real_server(tmp_path, era):
    """Under `real` write_file writes the file and read_text_file reads it back; the real tool's own
    error (a path outside the allowed folder) comes back as its error result."""
    root = tmp_path / "files"
    root.mkdir()
    with fail_after(60):
        async with open_proxy([filesystem(root)], policies="real") as proxy, Client(proxy.server, mode=era) as client:
            wrote = await client.call_tool("write_file", {"path": str(root / "a.txt"), "content": "hello"})
            read = await client.call_tool("read_text_file", {"path": str(root / "a.txt")})
            outside = await client.call_tool("read_text_file", {"path": "/etc/hostname"})
    assert (root / "a.txt").read_text(encoding="utf-8") == "hello"
    assert not wrote.is_error and wrote.meta["gtm/source"] == "real" and wrote.meta["gtm/upstream"] == "filesystem"
    assert read.structured_content == {"content": "hello"} and read.meta["gtm/latency_ms"] > 0
    assert outside.is_error and outside.meta["gtm/source"] == "real" and "outside allowed directories" in outside.content[0].text


async def test_warm_up_simulates_the_first_n_calls_of_a_tool_then_forwards_and_records_only_real_ones(tmp_path):
    """warmup:2 on server-memory: calls 1-2 of create_entities are simulated (the real graph stays
    empty), calls 3-4 are real; read_graph, counted on its own, is simulated; two training records."""
    path = tmp_path / "record.jsonl"
    with fail_after(60), Recorder(path) as recorder:
        async with open_proxy([UpstreamTarget(command=memory(tmp_path))], policies=["read_graph=sim", "warmup:2"], recorder=recorder) as proxy:
            async with Client(proxy.server) as client:
                sources = []
                for i in range(4):
                    entity = {"name": f"e{i}", "entityType": "person", "observations": ["likes tea"]}
                    result = await client.call_tool("create_entities", {"entities": [entity]}, meta={"gtm/episode": "run-1"})
                    sources.append(result.meta["gtm/source"])
                graph = await client.call_tool("read_graph", {}, meta={"gtm/episode": "run-1"})
            real_graph = await proxy.upstreams[0].call("read_graph", {})
    assert sources == ["simulated", "simulated", "real", "real"]
    assert graph.meta["gtm/source"] == "simulated"
    assert [e["name"] for e in real_graph.structured_content["entities"]] == ["e2", "e3"]
    rows = records(path)
    assert [r["policy"] for r in rows] == ["warmup:2", "warmup:2"] and all(r["route"] == "real" for r in rows)
    last_user = rows[-1]["messages"][-2]["content"]
    assert last_user.startswith("Call: create_entities") and '"e3"' in last_user
    assert sum(m["role"] == "assistant" for m in rows[-1]["messages"]) == 4  # three earlier calls of the episode, then the answer


async def test_warm_up_by_training_step_follows_the_step_the_caller_sends(tmp_path):
    """warmup:3/step: calls at steps 0-2 are simulated, calls from step 3 on are real."""
    with fail_after(60):
        async with open_proxy([UpstreamTarget(command=memory(tmp_path))], policies="warmup:3/step") as proxy, Client(proxy.server) as client:
            sources = [(await client.call_tool("read_graph", {}, meta={"gtm/step": step})).meta["gtm/source"] for step in (0, 2, 3, 1, 9)]
    assert sources == ["simulated", "simulated", "real", "simulated", "real"]


async def test_fallback_simulates_when_the_real_server_is_down_and_flags_it(tmp_path):
    """server-memory killed and unable to restart: under `fallback` the call is answered by the
    simulator with gtm/fallback; under `real` the same call is an upstream_unavailable error."""
    stop = tmp_path / "stop"
    with fail_after(60):
        upstream = Upstream(UpstreamTarget(command=memory(tmp_path, unless=stop)), backoff=(30.0, 30.0))
        async with open_proxy([upstream], policies=["search_nodes=real", "fallback"]) as proxy, Client(proxy.server) as client:
            before = await client.call_tool("read_graph", {})
            stop.touch()
            os.kill(read_pid(tmp_path / "memory.pid"), signal.SIGKILL)
            fell_back = [await client.call_tool("read_graph", {}) for _ in range(2)]
            failed = await client.call_tool("search_nodes", {"query": "x"})
    assert before.meta["gtm/source"] == "real"
    for result in fell_back:
        assert not result.is_error and result.meta["gtm/source"] == "simulated"
        assert result.meta["gtm/fallback"] in ("crashed", "unavailable")
        assert set(result.structured_content) == {"entities", "relations"}
    assert fell_back[1].meta["gtm/fallback"] == "unavailable"
    assert failed.is_error and failed.meta["gtm/error_kind"] == "upstream_unavailable"


async def test_shadow_returns_the_real_answer_records_the_simulated_one_and_the_report_compares_them(tmp_path):
    """Under `shadow` the agent reads server-everything's real answers; the records hold the simulated
    ones beside them, and `gtm proxy report` counts how they agree."""
    path = tmp_path / "record.jsonl"
    with fail_after(60), Recorder(path) as recorder:
        target = UpstreamTarget(command=str(npm_server("mcp-server-everything")))
        async with open_proxy([target], policies="shadow", recorder=recorder) as proxy, Client(proxy.server) as client:
            echo = await client.call_tool("echo", {"message": "hi"})
            total = await client.call_tool("get-sum", {"a": 2, "b": 3})
            weather = await client.call_tool("get-structured-content", {"location": "New York"})
    assert echo.content[0].text == "Echo: hi" and echo.meta["gtm/source"] == "real"
    assert "5" in total.content[0].text
    assert weather.meta["gtm/shadow"]["format"] is True and weather.meta["gtm/shadow"]["same_fields"] is True
    rows = records(path)
    assert [r["tool"] for r in rows] == ["echo", "get-sum", "get-structured-content"]
    assert all(isinstance(r["simulated"]["content"], str) and r["simulated"]["engine"] == "schema" for r in rows)

    result = CliRunner().invoke(cli, ["proxy", "report", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = {row["tool"]: row for row in json.loads(result.output)["tools"]}
    assert report["get-structured-content"] == {
        "tool": "get-structured-content", "servers": ["everything"], "real_calls": 1, "shadowed": 1, "format_agree": 1.0,
        "object_pairs": 1, "same_fields": 1.0, "fields_jaccard": 1.0, "errors_agree": 1.0,
    }  # fmt: skip
    assert report["echo"]["format_agree"] == 0.0  # real text "Echo: hi", simulated JSON
    table = CliRunner().invoke(cli, ["proxy", "report", str(path)])
    assert table.exit_code == 0 and "get-structured-content" in table.output and "3 records, 3 shadowed" in table.output


async def test_tools_two_servers_share_get_a_server_prefix_and_reach_their_own_server(tmp_path):
    """Two server-memory instances: every tool is exposed as memory__X and memory2__X; an entity
    created through one is in that server's graph only."""
    targets = [UpstreamTarget(command=memory(tmp_path, "a"), key="memory"), UpstreamTarget(command=memory(tmp_path, "b"), key="memory")]
    with fail_after(60):
        async with open_proxy(targets, policies="real") as proxy, Client(proxy.server) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            await client.call_tool("memory__create_entities", {"entities": [{"name": "only-a", "entityType": "x", "observations": []}]})
            graph_a = await client.call_tool("memory__read_graph", {})
            graph_b = await client.call_tool("memory2__read_graph", {})
    assert len(names) == 18 and {"memory__read_graph", "memory2__read_graph"} <= names
    assert [e["name"] for e in graph_a.structured_content["entities"]] == ["only-a"]
    assert graph_b.structured_content["entities"] == []


async def test_secrets_a_real_server_returns_are_not_recorded(tmp_path, monkeypatch):
    """server-everything's get-env returns its environment, which holds what the proxy passed it
    (--upstream-env): the agent sees it, the record keeps the variable but not its secret value."""
    secrets = {"PAYMENTS_API_KEY": "pay-live-0123456789abcdef", "BUILD_NOTE": "uses sk-abcdefghijklmnopqrstuvwx for tests"}
    path = tmp_path / "record.jsonl"
    with fail_after(60), Recorder(path) as recorder:
        target = UpstreamTarget(command=str(npm_server("mcp-server-everything")), env=secrets)
        async with open_proxy([target], policies="real", recorder=recorder) as proxy, Client(proxy.server) as client:
            env = await client.call_tool("get-env", {})
    assert "pay-live-0123456789abcdef" in env.content[0].text
    text = path.read_text(encoding="utf-8")
    assert "pay-live-0123456789abcdef" not in text and "sk-abcdefghijklmnopqrstuvwx" not in text
    answer = json.loads(records(path)[0]["messages"][-1]["content"])
    assert answer["PAYMENTS_API_KEY"] == REDACTED and answer["BUILD_NOTE"] == f"uses {REDACTED} for tests"
