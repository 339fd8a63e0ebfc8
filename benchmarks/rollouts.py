"""Benchmark rollouts the way RL training runs them: N scripted agents at once, one episode each, a verifier at the end.

Each agent is an episode of 10 calls (8 with --quick at N=256) over the tools of the npm
server-memory (create_entities, create_relations, add_observations, open_nodes, search_nodes,
delete_entities, delete_observations): it builds a small graph whose every name and
observation carries the episode's mark (``ep0007x``), reads it back, removes a scratch entity
and an observation. Then the verifier, a reward written over an ``EpisodeState`` with
``gtm_core.rewards`` (``memory_task_reward``, below), scores the world the episode left. N = 1,
32 and 256 agents run at once, along three paths:

- real:         the real server-memory (a fresh MEMORY_FILE_PATH) behind one
                ``gtm serve --upstream ... --policy real --transport http`` process;
- sim-http:     the same tools (read from the same server) simulated by one
                ``gtm serve --upstream ... --policy sim --transport http`` process;
- sim-verl:     the same tools simulated in this process through ``GTMTool``, the verl
                adapter, called as verl's agent loop calls it (create, execute, release per
                call, the rollout's request id naming the episode, a step reward per call).

Over HTTP each agent opens its episode with ``POST /episodes`` (hidden context: its mark),
keeps one MCP session at ``/mcp/episodes/<id>`` for its calls (the server runs with
``--require-episode``), and closes the episode with ``DELETE`` at the end. The verifier's state
comes from the simulator's snapshot and diff (``GET /episodes/<id>/snapshot`` and ``/diff``,
or the adapter's backend); the real server has no snapshot, so on the real path it is the
agent's part of the real graph, read with ``open_nodes`` after its calls and put in the same
shape (resources ``entity`` by name and ``relation`` by ``from>type>to``, all of it created in
the episode). The real server is one shared graph, so agents only ever name their own
entities; a leak is another episode's mark in any answer an agent gets (it must be 0). That
graph is also one file that server-memory reads, changes and writes back whole on every
call, so concurrent agents lose each other's writes ("Entity with name ... not found"): the
real rows' errors and pass rates at N > 1 are the real server's, and each row keeps its
first error text.

Figures: rollouts/s (N over the wall time of the N rollouts), p50/p99 call latency, leaks,
verifier pass rate (reward 1.0) and mean reward. Then what closing frees: live episodes and
the sim-http server's RSS before and after closing 256 episodes, and, in this process, the
memory tracemalloc sees the 256 episodes hold and what is left once they are closed.
Prints a table and writes benchmarks/results/rollouts.json (or --out). Never asserts timings.

    .venv/bin/python benchmarks/rollouts.py [--sizes 1,32,256] [--quick] [--out PATH]
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import os
import platform
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, redirect_stdout
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anyio
import httpx2
from _shared import stop, write_report
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from gtm_core import Catalog, Simulator
from gtm_core.integrations.episodes import InProcess
from gtm_core.rewards import EpisodeState, score
from mcp_server.importer import read_server_specs

RESULTS = Path(__file__).resolve().parent / "results" / "rollouts.json"
NODE_BIN = Path(sys.prefix) / "node" / "node_modules" / ".bin"
MEMORY_SERVER = NODE_BIN / "mcp-server-memory"
TOKEN_ENV = "GTM_ROLLOUTS_TOKEN"
MARK = re.compile(r"ep\d+x")
PATHS = ("real", "sim-http", "sim-verl")

Call = tuple[str, dict[str, Any]]


def _mark(i: int) -> str:
    return f"ep{i:04d}x"  # the terminator: no mark is part of another (ep1x, ep10x)


def script(mark: str, *, short: bool = False) -> list[Call]:
    """The calls of one agent (10, or 8 when ``short``): every name and observation carries ``mark``."""
    a, b, c = f"{mark}-alice", f"{mark}-oslo", f"{mark}-scratch"
    calls: list[Call] = [
        ("create_entities", {"entities": [{"name": a, "entityType": "person", "observations": [f"{mark} joined"]},
                                          {"name": b, "entityType": "city", "observations": [f"{mark} capital"]}]}),
        ("create_relations", {"relations": [{"from": a, "to": b, "relationType": "lives_in"}]}),
        ("add_observations", {"observations": [{"entityName": a, "contents": [f"{mark} likes tea"]}]}),
        ("open_nodes", {"names": [a, b]}),
        ("search_nodes", {"query": mark}),
        ("create_entities", {"entities": [{"name": c, "entityType": "note", "observations": [f"{mark} draft"]}]}),
        ("add_observations", {"observations": [{"entityName": c, "contents": [f"{mark} temp"]}]}),
        ("delete_entities", {"entityNames": [c]}),
        ("delete_observations", {"deletions": [{"entityName": a, "observations": [f"{mark} joined"]}]}),
        ("open_nodes", {"names": [a, b, c]}),
    ]  # fmt: skip
    return [calls[i] for i in (0, 1, 2, 3, 5, 7, 8, 9)] if short else calls


def memory_task_reward(state: EpisodeState) -> float:
    """The share of the task's five checks that the episode's world passes (1.0: the task is done).

    The episode's mark is in its hidden context. Checks: alice and oslo exist; the scratch entity
    is gone; alice lost "joined" and kept "likes tea"; alice lives_in oslo; every entity created
    in the episode carries the mark (nothing of another episode's).
    """
    mark = str(state.hidden_context.get("mark", ""))
    a, b, c = f"{mark}-alice", f"{mark}-oslo", f"{mark}-scratch"
    entities = state.records("entity")
    alice = entities.get(a, {})
    observations = alice.get("observations", [])
    relations = state.records("relation").values()
    checks = [
        a in entities and b in entities,
        c not in entities,
        f"{mark} joined" not in observations and f"{mark} likes tea" in observations,
        any(r.get("from") == a and r.get("to") == b and r.get("relationType") == "lives_in" for r in relations),
        all(mark in str(created["key"]) for created in state.created("entity")),
    ]
    return sum(checks) / len(checks)


def real_state(episode: str, mark: str, graph: dict[str, Any]) -> EpisodeState:
    """The verifier's state on the real path: what ``open_nodes`` read of the agent's entities, in the snapshot's shape."""
    entities = {e["name"]: e for e in graph.get("entities", [])}
    relations = {f"{r['from']}>{r['relationType']}>{r['to']}": r for r in graph.get("relations", [])}
    resources = {"entity": {"records": entities}, "relation": {"records": relations}}
    created = [{"resource": name, "key": key, "record": record} for name, held in resources.items() for key, record in held["records"].items()]
    return EpisodeState(episode, {"episode": episode, "resources": resources}, {"created": created, "changed": [], "deleted": []}, {"mark": mark})


@dataclass
class Outcome:
    """What one rollout measured."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    leaks: int = 0
    reward: float = 0.0

    def note_error(self, is_error: bool | None, text: str) -> None:
        if is_error:
            self.errors += 1
            self.first_error = self.first_error or text[:300]


def _leaks(text: str, mark: str) -> int:
    return sum(1 for found in MARK.findall(text) if found != mark)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---- over HTTP: one `gtm serve` process -----------------------------------------------------
@dataclass
class Served:
    base: str
    pid: int
    headers: dict[str, str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def serving(policy: str, memory_file: Path, server: Path) -> AsyncIterator[Served]:
    """``gtm serve --upstream server-memory --policy POLICY --transport http --require-episode`` until the block ends."""
    port, token = _free_port(), os.urandom(16).hex()
    env = {**os.environ, TOKEN_ENV: token, "MEMORY_FILE_PATH": str(memory_file)}
    command = [sys.executable, "-m", "gtm_core", "serve", "--transport", "http", "--port", str(port), "--token-env", TOKEN_ENV,
               "--upstream", shlex.quote(str(server)), "--upstream-env", "MEMORY_FILE_PATH", "--policy", policy,
               "--require-episode", "--log-level", "error"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    served = Served(f"http://127.0.0.1:{port}", process.pid, {"Authorization": f"Bearer {token}"})
    try:
        deadline = time.monotonic() + 60
        async with httpx2.AsyncClient(headers=served.headers) as http:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gtm serve --policy {policy} exited with {process.returncode}: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
                try:
                    if (await http.get(served.base + "/episodes")).status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gtm serve --policy {policy} did not listen within 60 s")
                await anyio.sleep(0.1)
        yield served
    finally:
        stop(process)


async def http_rollout(served: Served, policy: str, i: int, short: bool, start: anyio.Event, close: bool = True) -> Outcome:
    mark, episode = _mark(i), f"rollout-{i}"
    outcome = Outcome()
    async with httpx2.AsyncClient(base_url=served.base, headers=served.headers, timeout=300) as http:
        opened = await http.post("/episodes", json={"episode": episode, "hidden_context": {"mark": mark}})
        opened.raise_for_status()
        async with Client(streamable_http_client(f"{served.base}/mcp/episodes/{episode}", http_client=http), mode="auto") as client:
            await start.wait()
            for tool, arguments in script(mark, short=short):
                began = time.perf_counter()
                result = await client.call_tool(tool, arguments)
                outcome.latencies_ms.append((time.perf_counter() - began) * 1000)
                text = "".join(getattr(block, "text", "") for block in result.content)
                outcome.note_error(result.is_error, text)
                outcome.leaks += _leaks(text, mark)
            state: EpisodeState | None = None
            if policy == "real":  # the verifier's read of the real graph (untimed, not one of the agent's calls)
                graph = await client.call_tool("open_nodes", {"names": [f"{mark}-alice", f"{mark}-oslo", f"{mark}-scratch"]})
                outcome.leaks += _leaks(json.dumps(graph.structured_content), mark)
                state = real_state(episode, mark, graph.structured_content or {})
        if state is None:
            snapshot = (await http.get(f"/episodes/{episode}/snapshot")).json()
            diff = (await http.get(f"/episodes/{episode}/diff")).json()
            outcome.leaks += _leaks(json.dumps(snapshot) + json.dumps(diff), mark)
            state = EpisodeState(episode, snapshot, diff, {"mark": mark})
        outcome.reward = score(memory_task_reward, state)
        if close:
            (await http.delete(f"/episodes/{episode}")).raise_for_status()
    return outcome


# ---- in process, through the verl adapter ---------------------------------------------------
async def verl_rollout(tools: dict[str, Any], i: int, short: bool, start: anyio.Event) -> Outcome:
    """One rollout as verl's ToolAgentLoop runs it: per call create, execute (with agent_data), release."""
    mark = _mark(i)
    request_id = f"bench-{i}-{os.urandom(4).hex()}"
    agent_data = SimpleNamespace(request_id=request_id, extra_fields={})
    outcome = Outcome()
    await start.wait()
    calls = script(mark, short=short)
    for n, (name, arguments) in enumerate(calls):
        tool = tools[name]
        began = time.perf_counter()
        instance, _ = await tool.create(create_kwargs={"hidden_context": {"mark": mark}})
        response, _step_reward, metrics = await tool.execute(instance, arguments, agent_data=agent_data)
        if n == len(calls) - 1:
            outcome.reward = await tool.calc_reward(instance)
        await tool.release(instance)
        outcome.latencies_ms.append((time.perf_counter() - began) * 1000)
        outcome.note_error(metrics["gtm_is_error"], response.text or "")
        outcome.leaks += _leaks(response.text or "", mark)
    state = await next(iter(tools.values())).backend.state(f"verl:{request_id}")
    outcome.leaks += _leaks(json.dumps(state.snapshot) + json.dumps(state.diff), mark)
    await next(iter(tools.values())).end_rollout(request_id)
    return outcome


def verl_tools(catalog_path: Path, names: list[str]) -> dict[str, Any]:
    from gtm_core.integrations.verl import GTMTool

    reward = f"{Path(__file__).resolve()}:memory_task_reward"
    with redirect_stdout(io.StringIO()):  # verl's BaseTool prints each tool's schema
        return {name: GTMTool({"catalog": str(catalog_path), "tool": name, "reward": reward, "seed": 0}, None) for name in names}


# ---- running N at once ----------------------------------------------------------------------
async def run_many(n: int, rollout: Callable[[int, anyio.Event], Any]) -> tuple[list[Outcome], float]:
    """N rollouts at once; the clock starts when every one of them is ready to make its first call."""
    outcomes: list[Outcome] = []
    start = anyio.Event()

    async def one(i: int) -> None:
        outcomes.append(await rollout(i, start))

    async with anyio.create_task_group() as group:
        for i in range(n):
            group.start_soon(one, i)
        await anyio.sleep(0.5 + n / 100)  # sessions open (their handshakes are not rollout time)
        began = time.perf_counter()
        start.set()
    return outcomes, time.perf_counter() - began


def _row(path: str, n: int, calls: int, outcomes: list[Outcome], wall: float) -> dict[str, Any]:
    latencies = [x for o in outcomes for x in o.latencies_ms]
    return {
        "path": path, "agents": n, "calls_per_rollout": calls, "calls": len(latencies),
        "rollouts_per_s": round(n / wall, 2), "wall_s": round(wall, 3),
        "p50_ms": round(statistics.median(latencies), 2), "p99_ms": round(_percentile(latencies, 0.99), 2),
        "error_results": sum(o.errors for o in outcomes),
        "first_error": next((o.first_error for o in outcomes if o.first_error), None), "leaks": sum(o.leaks for o in outcomes),
        "verifier_pass_rate": round(sum(o.reward == 1.0 for o in outcomes) / n, 3),
        "mean_reward": round(statistics.mean(o.reward for o in outcomes), 3),
    }  # fmt: skip


_HEADER = f"{'path':<9} {'N':>4} {'calls':>5} {'rollouts/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'leaks':>5} {'pass':>6} {'reward':>6}"


def _print(row: dict[str, Any]) -> None:
    print(f"{row['path']:<9} {row['agents']:>4} {row['calls_per_rollout']:>5} {row['rollouts_per_s']:>10.2f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
          f"{row['error_results']:>6} {row['leaks']:>5} {row['verifier_pass_rate']:>6.0%} {row['mean_reward']:>6.2f}")  # fmt: skip


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


async def http_memory(served: Served, n: int, short: bool) -> dict[str, Any]:
    """Open and run ``n`` episodes on the sim-http server, then close them: live count and server RSS before and after."""
    start = anyio.Event()
    start.set()
    async with anyio.create_task_group() as group:
        for i in range(n):
            group.start_soon(http_rollout, served, "sim", 10_000 + i, short, start, False)
    async with httpx2.AsyncClient(base_url=served.base, headers=served.headers, timeout=300) as http:
        live_open, rss_open = (await http.get("/episodes")).json()["live"], _rss_mb(served.pid)
        for i in range(n):
            (await http.delete(f"/episodes/rollout-{10_000 + i}")).raise_for_status()
        await anyio.sleep(0.5)
        live_closed, rss_closed = (await http.get("/episodes")).json()["live"], _rss_mb(served.pid)
    return {"episodes": n, "live_open": live_open, "live_closed": live_closed, "server_rss_open_mb": round(rss_open, 1), "server_rss_closed_mb": round(rss_closed, 1)}


async def in_process_memory(catalog: Catalog, n: int, short: bool) -> dict[str, Any]:
    """What ``n`` episodes of a Simulator in this process hold (tracemalloc), and what is left once they are closed."""
    gc.collect()
    tracemalloc.start()
    try:
        backend = InProcess(Simulator(catalog, seed=0))
        base = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            mark = _mark(20_000 + i)
            await backend.open(mark, hidden_context={"mark": mark})
            for tool, arguments in script(mark, short=short):
                await backend.call(mark, tool, arguments)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
        live_open = len(backend.simulator.episodes)
        for i in range(n):
            await backend.close(_mark(20_000 + i))
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - base
        live_closed = len(backend.simulator.episodes)
    finally:
        tracemalloc.stop()
    return {"episodes": n, "live_open": live_open, "live_closed": live_closed, "held_open_mb": round(held / 1e6, 2), "held_closed_mb": round(left / 1e6, 2)}


async def run(sizes: list[int], quick: bool, folder: Path, server: Path, catalog: Catalog) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    catalog_path = catalog.save(folder / "memory-tools.jsonl")
    rows: list[dict[str, Any]] = []
    memory: dict[str, Any] = {}
    for policy, path in (("real", "real"), ("sim", "sim-http")):
        async with serving(policy, folder / f"memory-{policy}.jsonl", server) as served:
            for n in sizes:
                short = quick and n >= 256
                outcomes, wall = await run_many(n, lambda i, start, n=n, short=short: http_rollout(served, policy, i + n * 1000, short, start))
                rows.append(_row(path, n, len(script("", short=short)), outcomes, wall))
                _print(rows[-1])
            if policy == "sim":
                memory["sim_http_server"] = await http_memory(served, 256, quick)
    tools = verl_tools(catalog_path, list(catalog.names))
    for n in sizes:
        short = quick and n >= 256
        outcomes, wall = await run_many(n, lambda i, start, n=n, short=short: verl_rollout(tools, i + n * 1000, short, start))
        rows.append(_row("sim-verl", n, len(script("", short=short)), outcomes, wall))
        _print(rows[-1])
    memory["in_process"] = await in_process_memory(catalog, 256, quick)
    return rows, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,32,256", help="comma-separated numbers of concurrent agents (default 1,32,256)")
    parser.add_argument("--quick", action="store_true", help="a small run for a shared machine: 8 calls per rollout at N >= 256")
    parser.add_argument("--server", type=Path, default=MEMORY_SERVER, help=f"the server-memory command (default {MEMORY_SERVER})")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results file (default {RESULTS})")
    options = parser.parse_args()
    try:
        sizes = [int(s) for s in options.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes {options.sizes!r}: give whole numbers separated by commas, like 1,32,256")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: every size must be at least 1")
    if not options.server.exists():
        sys.exit(f"{options.server} is not installed; run .ci/setup (npm install @modelcontextprotocol/server-memory) or give --server")

    for name in ("mcp_server", "mcp", "httpx2", "verl"):
        logging.getLogger(name).setLevel(logging.ERROR)
    load_start = os.getloadavg()
    print(f"schema engine; load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} ({os.cpu_count()} CPUs)")
    print(_HEADER)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        catalog = Catalog(read_server_specs(command=shlex.quote(str(options.server))))  # the tools the simulated paths serve
        rows, memory = anyio.run(run, sizes, options.quick, Path(folder), options.server, catalog)
    load_end = os.getloadavg()
    http, here = memory["sim_http_server"], memory["in_process"]
    print(
        f"\nclosing {http['episodes']} episodes of the sim-http server: live {http['live_open']} -> {http['live_closed']}, server RSS {http['server_rss_open_mb']} -> {http['server_rss_closed_mb']} MB"
    )
    print(f"closing {here['episodes']} episodes in process: live {here['live_open']} -> {here['live_closed']}, traced memory held {here['held_open_mb']} -> {here['held_closed_mb']} MB")
    print(f"load average at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}; took {time.perf_counter() - started:.0f} s")  # fmt: skip

    report = {
        "benchmark": "rollouts",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "mcp": metadata.version("mcp"),
        "verl": metadata.version("verl"),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
        "options": {"sizes": sizes, "quick": options.quick, "engine": "schema"},
        "rows": rows,
        "memory": memory,
    }
    write_report(options.out, report)


if __name__ == "__main__":
    main()
