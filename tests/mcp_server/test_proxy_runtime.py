"""The proxy while it runs: policies that change without a restart, a real server killed mid-run,
and `gtm serve` in proxy mode (its options and its errors)."""

from __future__ import annotations

import os
import signal
import sys

import pytest
from anyio import fail_after
from click.testing import CliRunner
from mcp import Client, StdioServerParameters
from proxy_helpers import faulty_command, npm_server, pid_command, read_pid

from gtm_core.cli import cli
from mcp_server.policy import PolicyFile
from mcp_server.proxy import open_proxy
from mcp_server.upstream import UpstreamTarget


@pytest.mark.anyio
async def test_policies_change_while_the_proxy_runs_from_the_api_and_from_the_policy_file(tmp_path):
    """set_policies flips a tool from simulated to real at once; an edit of the policy file is seen
    at the next call and comes before the given policies; removing the file restores them."""
    policy_path = tmp_path / "policies.txt"
    target = UpstreamTarget(command=faulty_command(tmp_path / "pid"))
    with fail_after(30):
        async with open_proxy([target], policies="sim", policy_file=PolicyFile(policy_path)) as proxy, Client(proxy.server) as client:

            async def source() -> str:
                return (await client.call_tool("echo", {"text": "x"})).meta["gtm/source"]

            steps = [await source()]
            proxy.set_policies(["real"])
            steps.append(await source())
            policy_path.write_text("echo=sim\n", encoding="utf-8")
            steps.append(await source())
            policy_path.write_text("echo=sim\nreal\n", encoding="utf-8")
            steps.append((await client.call_tool("noise", {})).meta["gtm/source"])
            policy_path.unlink()
            steps.append(await source())
    assert steps == ["simulated", "real", "simulated", "real", "real"]
    assert str(proxy.policies) == "real"


@pytest.mark.anyio
async def test_a_selection_and_the_meta_tools_work_in_front_of_a_real_server_as_in_front_of_a_catalog(tmp_path):
    """--tools keeps the matching upstream tools only, listed as the upstream wrote them; with
    --meta-tools, call_tool reaches the real tool through the same policies."""
    target = UpstreamTarget(command=faulty_command(tmp_path / "pid"))
    with fail_after(30):
        async with open_proxy([target], policies="real", tools=["echo", "no*"]) as proxy, Client(proxy.server) as client:
            listed = (await client.list_tools()).tools
        async with open_proxy([target], policies="real", meta_tools=True) as proxy, Client(proxy.server) as client:
            meta_listed = [t.name for t in (await client.list_tools()).tools]
            found = await client.call_tool("search_tools", {"query": "echo"})
            called = await client.call_tool("call_tool", {"name": "echo", "arguments": {"text": "via meta"}})
    assert [t.name for t in listed] == ["echo", "noise"]
    assert listed[0].input_schema == {"type": "object", "properties": {"text": {"type": "string"}}}
    assert meta_listed == ["search_tools", "call_tool", "episode_snapshot"]
    assert found.structured_content["tools"][0]["name"] == "echo"
    assert called.meta["gtm/source"] == "real" and called.content[0].text == '{"echo": {"text": "via meta"}}'


@pytest.mark.slow
@pytest.mark.anyio
async def test_killing_the_real_server_mid_run_costs_at_most_one_call_and_the_proxy_recovers(tmp_path):
    """server-memory is SIGKILLed after 10 of 20 real calls: every call returns in bounded time, at
    most one is an upstream_crashed error, and the rest are answered by a new server process."""
    pidfile = tmp_path / "memory.pid"
    command = pid_command([str(npm_server("mcp-server-memory"))], pidfile, env={"MEMORY_FILE_PATH": str(tmp_path / "memory.jsonl")})
    results = []
    with fail_after(90):
        async with open_proxy([UpstreamTarget(command=command)], policies="real") as proxy, Client(proxy.server) as client:
            first_pid = read_pid(pidfile)
            for i in range(20):
                if i == 10:
                    os.kill(first_pid, signal.SIGKILL)
                entity = {"name": f"e{i}", "entityType": "step", "observations": []}
                results.append(await client.call_tool("create_entities", {"entities": [entity]}))
            graph = await client.call_tool("read_graph", {})
    errors = [r for r in results if r.is_error]
    assert len(errors) <= 1 and all(r.meta["gtm/error_kind"] == "upstream_crashed" for r in errors)
    assert all(r.meta["gtm/source"] == "real" for r in results)
    assert read_pid(pidfile) != first_pid and proxy.upstreams[0].connects == 2
    names = [e["name"] for e in graph.structured_content["entities"]]  # the memory file outlives the process
    assert names[:10] == [f"e{i}" for i in range(10)] and names[-1] == "e19"


@pytest.mark.slow
@pytest.mark.anyio
async def test_gtm_serve_in_front_of_a_real_server_follows_its_policy_file_without_a_restart(tmp_path):
    """`gtm serve --upstream mcp-server-everything --policy-file F` over stdio: echo is simulated,
    then real once F says so, in the same session."""
    policy_path = tmp_path / "policies.txt"
    policy_path.write_text("echo=sim\n", encoding="utf-8")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "gtm_core", "serve", "--upstream", str(npm_server("mcp-server-everything")), "--policy", "real",
              "--policy-file", str(policy_path), "--log-level", "warning"],
    )  # fmt: skip
    with fail_after(90):
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            before = await client.call_tool("echo", {"message": "hi"})
            total = await client.call_tool("get-sum", {"a": 1, "b": 2})
            policy_path.write_text("echo=real\n", encoding="utf-8")
            after = await client.call_tool("echo", {"message": "hi"})
    assert len(tools) == 13
    assert before.meta["gtm/source"] == "simulated" and total.meta["gtm/source"] == "real"
    assert after.meta["gtm/source"] == "real" and after.content[0].text == "Echo: hi"


def test_gtm_serve_refuses_proxy_options_that_do_not_fit_with_a_clear_message(tmp_path):
    """--catalog with --upstream, --policy without an upstream, and a policy that is not one of the
    forms are usage errors (exit 2) before anything starts."""
    runner = CliRunner()
    mixed = runner.invoke(cli, ["serve", "--upstream", "mcp-server-memory", "--catalog", str(tmp_path)])
    alone = runner.invoke(cli, ["serve", "--policy", "real"])
    bad = runner.invoke(cli, ["serve", "--upstream", "mcp-server-memory", "--policy", "read_*=sometimes"])
    assert mixed.exit_code == alone.exit_code == bad.exit_code == 2
    assert "--catalog and --reload-interval do not apply with --upstream" in mixed.output
    assert "add --upstream or --upstream-url" in alone.output
    assert "unknown policy 'sometimes'" in bad.output and "warmup:N" in bad.output


def test_gtm_serve_names_an_upstream_that_does_not_start():
    result = CliRunner().invoke(cli, ["serve", "--upstream", "no-such-mcp-server --flag"])
    assert result.exit_code == 1
    assert "could not start MCP server 'no-such-mcp-server --flag'" in result.output




@pytest.mark.slow
@pytest.mark.anyio
async def test_a_real_server_over_streamable_http_is_forwarded_to_and_reconnected_after_it_restarts(tmp_path):
    """server-everything over streamable HTTP (--upstream-url): real calls are forwarded; while the
    server is down a call is an upstream error in bounded time; once it is back, calls are real again."""
    import subprocess

    import anyio
    from mcp_helpers import free_port, stop, wait_until_listening

    from mcp_server.upstream import Upstream

    everything = npm_server("mcp-server-everything")
    port = free_port()

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen([str(everything), "streamableHttp"], env={**os.environ, "PORT": str(port)},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        wait_until_listening(process, port, timeout=60)
        return process

    server = start()
    try:
        upstream = Upstream(UpstreamTarget(url=f"http://127.0.0.1:{port}/mcp"), call_timeout=5.0, backoff=(0.2, 0.2))
        with fail_after(90):
            async with open_proxy([upstream], policies="real") as proxy, Client(proxy.server) as client:
                before = await client.call_tool("echo", {"message": "one"})
                stop(server)
                down = await client.call_tool("echo", {"message": "two"})
                server = start()
                await anyio.sleep(0.3)  # the back-off passes
                results = [await client.call_tool("echo", {"message": "three"}) for _ in range(2)]
    finally:
        stop(server)
    assert before.content[0].text == "Echo: one" and upstream.target.key == f"127_0_0_1-{port}"
    assert down.is_error and down.meta["gtm/error_kind"].startswith("upstream_")
    assert results[-1].content[0].text == "Echo: three" and not results[-1].is_error
