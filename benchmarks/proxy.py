"""Benchmark the proxy of `gtm serve --upstream`: call latency simulated, real, and real through the proxy.

Servers: the npm reference servers server-memory and server-everything (installed by .ci/setup
under .venv/node). Per server, the same plan of calls (memory: search_nodes, open_nodes and
read_graph over a small seeded graph; everything: echo and get-sum) is timed, sequentially,
one call in flight, with every row's session open at once and the rows taking turns in blocks
of 20 calls, so a change in the machine's load hits every row alike:

- direct:     the SDK client talks to the server itself over stdio (the real tool, no proxy);
- in-process: the SDK's in-memory client talks to a ProxyServer in this process, which talks to
              the server over stdio -- policies sim, real, real with --record (the record is
              written after the answer, in the recorder's thread; the row waits for it
              untimed, so it does not slow the other rows), and shadow;
- stdio:      the client starts `gtm serve --upstream SERVER --policy P` and talks to it over
              stdio (two stdio hops for a real call: the way an agent uses the proxy).

The overhead of the proxy is its real row minus the direct row (p50 and p90). Ten calls warm
each session up first (the SDK compiles schemas on its first call). Calls of one episode come
in tens (`_meta gtm/episode`), so recorded prompts carry some history. Prints a table and
writes benchmarks/results/proxy.json (or --out). Never asserts timings.

    .venv/bin/python benchmarks/proxy.py [--calls 200] [--servers memory,everything] [--quick] [--out PATH]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio
from _shared import write_report
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from mcp_server.proxy import open_proxy
from mcp_server.recording import Recorder
from mcp_server.upstream import UpstreamTarget

RESULTS = Path(__file__).resolve().parent / "results" / "proxy.json"
NODE_BIN = Path(sys.prefix) / "node" / "node_modules" / ".bin"
WARMUP_CALLS = 10
EPISODE_CALLS = 10
BLOCK_CALLS = 20
_DEVNULL = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process

Call = tuple[str, dict[str, Any]]


def _memory_plan(i: int) -> Call:
    name = ["alice", "bob", "carol"][i % 3]
    return [("search_nodes", {"query": name}), ("open_nodes", {"names": [name]}), ("read_graph", {})][i % 3]


def _everything_plan(i: int) -> Call:
    return ("echo", {"message": f"hello {i}"}) if i % 2 == 0 else ("get-sum", {"a": i, "b": 2})


SERVERS: dict[str, tuple[str, Callable[[int], Call]]] = {
    "memory": ("mcp-server-memory", _memory_plan),
    "everything": ("mcp-server-everything", _everything_plan),
}
SEED_ENTITIES = [
    {"name": name, "entityType": "person", "observations": [f"{name} likes {thing}", f"{name} lives in {city}"]}
    for name, thing, city in (("alice", "tea", "Oslo"), ("bob", "chess", "Lima"), ("carol", "jazz", "Pune"))
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Session:
    """One way of calling the tools (a row of the table) and what it measured."""

    def __init__(self, path: str, policy: str, client: Client, recorder: Recorder | None = None) -> None:
        self.path, self.policy, self.client, self.recorder = path, policy, client, recorder
        self.latencies: list[float] = []
        self.errors = 0
        self.sources: dict[str, int] = {}

    async def call(self, call: Call, episode: str, *, timed: bool) -> None:
        name, arguments = call
        started = time.perf_counter()
        result = await self.client.call_tool(name, arguments, meta={"gtm/episode": episode})
        elapsed = (time.perf_counter() - started) * 1000.0
        if self.recorder is not None:
            self.recorder.drain()  # untimed: the record is written before the next row's call, not during it
        if not timed:
            return
        self.latencies.append(elapsed)
        self.errors += bool(result.is_error)
        source = (result.meta or {}).get("gtm/source", "real")
        self.sources[source] = self.sources.get(source, 0) + 1


async def _measure(sessions: list[_Session], plan: Callable[[int], Call], calls: int) -> None:
    """Warm every session up, then time ``calls`` sequential calls each, in blocks of BLOCK_CALLS
    that the sessions take in turn (so a change in the machine's load hits every row alike,
    while each block keeps its processes busy as a real run would)."""
    for i in range(WARMUP_CALLS):
        for session in sessions:
            await session.call(plan(i), "warm-up", timed=False)
    for start in range(0, calls, BLOCK_CALLS):
        for session in sessions:
            await session.call(plan(start), "warm-up", timed=False)  # wakes the session's processes up
            for i in range(start, min(calls, start + BLOCK_CALLS)):
                await session.call(plan(i), f"bench-{i // EPISODE_CALLS}", timed=True)


def _row(server: str, path: str, policy: str, latencies: list[float], errors: int, sources: dict[str, int]) -> dict[str, Any]:
    return {
        "server": server,
        "path": path,
        "policy": policy,
        "calls": len(latencies),
        "p50_ms": round(statistics.median(latencies), 3),
        "p90_ms": round(_percentile(latencies, 0.9), 3),
        "mean_ms": round(statistics.mean(latencies), 3),
        "error_results": errors,
        "sources": sources,
    }


def _direct(command: str) -> Client:
    """A client of the server itself over stdio (its start-up banner on stderr dropped)."""
    params = StdioServerParameters(command=command, env=dict(os.environ))  # MEMORY_FILE_PATH included
    return Client(stdio_client(params, errlog=_DEVNULL))  # type: ignore[arg-type]


async def _seed(command: str) -> None:
    """Give server-memory's graph a few entities (the memory file outlives each process)."""
    async with _direct(command) as client:
        graph = await client.call_tool("read_graph", {})
        if not (graph.structured_content or {}).get("entities"):
            await client.call_tool("create_entities", {"entities": SEED_ENTITIES})


async def _bench_server(server: str, calls: int, folder: Path, rows: list[dict[str, Any]]) -> None:
    program, plan = SERVERS[server]
    command = str(NODE_BIN / program)
    if server == "memory":
        await _seed(command)
    async with AsyncExitStack() as stack:
        sessions = [_Session("direct", "-", await stack.enter_async_context(_direct(command)))]
        for policy, record in (("sim", False), ("real", False), ("real", True), ("shadow", False)):
            recorder = stack.enter_context(Recorder(folder / f"{server}-{policy}.jsonl")) if record else None
            proxy = await stack.enter_async_context(open_proxy([UpstreamTarget(command=command)], policies=policy, recorder=recorder))
            client = await stack.enter_async_context(Client(proxy.server))
            sessions.append(_Session("in-process", policy + (" +record" if record else ""), client, recorder))
        for policy in ("sim", "real"):
            args = ["-m", "gtm_core", "serve", "--upstream", shlex.quote(command), "--policy", policy, "--log-level", "error"]
            params = StdioServerParameters(command=sys.executable, args=args, env=dict(os.environ))  # passed on to the upstream
            client = await stack.enter_async_context(Client(params))
            sessions.append(_Session("stdio", policy, client))
        await _measure(sessions, plan, calls)
    for session in sessions:
        rows.append(_row(server, session.path, session.policy, session.latencies, session.errors, session.sources))
        _print(rows[-1])


_HEADER = f"{'server':<11} {'path':<11} {'policy':<13} {'p50 ms':>8} {'p90 ms':>8} {'mean ms':>8} {'errors':>6}  answered by"


def _print(row: dict[str, Any]) -> None:
    sources = ", ".join(f"{k} {v}" for k, v in sorted(row["sources"].items()))
    print(f"{row['server']:<11} {row['path']:<11} {row['policy']:<13} {row['p50_ms']:>8.2f} {row['p90_ms']:>8.2f} {row['mean_ms']:>8.2f} {row['error_results']:>6}  {sources}")


def _overheads(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Proxy real rows minus the direct row of the same server."""
    out = []
    for row in rows:
        if row["path"] == "direct" or not row["policy"].startswith(("real", "shadow")):
            continue
        direct = next(r for r in rows if r["server"] == row["server"] and r["path"] == "direct")
        out.append({
            "server": row["server"], "path": row["path"], "policy": row["policy"],
            "overhead_p50_ms": round(row["p50_ms"] - direct["p50_ms"], 3), "overhead_p90_ms": round(row["p90_ms"] - direct["p90_ms"], 3),
        })  # fmt: skip
    return out


async def run(servers: list[str], calls: int, folder: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for server in servers:
        await _bench_server(server, calls, folder, rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="timed sequential calls per row (default 200)")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated, of {', '.join(SERVERS)} (default all)")
    parser.add_argument("--quick", action="store_true", help="a small smoke run: --calls 20")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results file (default {RESULTS})")
    options = parser.parse_args()
    if options.quick:
        options.calls = min(options.calls, 20)
    servers = [s.strip() for s in options.servers.split(",") if s.strip()]
    unknown = sorted(set(servers) - set(SERVERS))
    if unknown or not servers:
        parser.error(f"--servers: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(SERVERS)}")
    if options.calls < 1:
        parser.error("--calls must be at least 1")
    missing = [SERVERS[s][0] for s in servers if not (NODE_BIN / SERVERS[s][0]).exists()]
    if missing:
        sys.exit(f"not installed under {NODE_BIN}: {', '.join(missing)}; run .ci/setup (npm install @modelcontextprotocol/server-*)")

    logging.getLogger("mcp_server").setLevel(logging.ERROR)
    logging.getLogger("mcp").setLevel(logging.ERROR)
    load_start = os.getloadavg()
    print(f"schema engine; {options.calls} timed calls per row after {WARMUP_CALLS} warm-up calls; "
          f"load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} ({os.cpu_count()} CPUs)")  # fmt: skip
    print(_HEADER)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MEMORY_FILE_PATH"] = str(Path(folder) / "memory.jsonl")  # every server-memory process (direct or behind the proxy) shares it
        rows = anyio.run(run, servers, options.calls, Path(folder))
    load_end = os.getloadavg()
    overheads = _overheads(rows)
    print("\nproxy overhead (proxy real minus direct):")
    for o in overheads:
        print(f"  {o['server']:<11} {o['path']:<11} {o['policy']:<13} p50 {o['overhead_p50_ms']:+.2f} ms   p90 {o['overhead_p90_ms']:+.2f} ms")
    print(f"load average at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}; took {time.perf_counter() - started:.0f} s")

    report = {
        "benchmark": "proxy",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "mcp": metadata.version("mcp"),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
        "options": {"calls": options.calls, "servers": servers, "warmup_calls": WARMUP_CALLS, "episode_calls": EPISODE_CALLS, "block_calls": BLOCK_CALLS},
        "rows": rows,
        "overheads": overheads,
    }
    write_report(options.out, report)


if __name__ == "__main__":
    main()
