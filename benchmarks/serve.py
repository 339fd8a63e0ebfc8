"""Benchmark `gtm serve`: listing every page of a 10,000-tool catalog, and call latency.

In-process (the SDK's in-memory Client), over stdio (a `gtm serve` subprocess) and over
streamable HTTP (a `gtm serve --transport http` subprocess on 127.0.0.1), in the handshake
era (2025-11-25) and the 2026-07-28 era. Calls use the schema engine with valid arguments.
Prints a table and writes benchmarks/results/serve.json. Never asserts timings.

    .venv/bin/python benchmarks/serve.py [--tools 10000] [--calls 300]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from gtm_core import Catalog, ToolSpec
from mcp_server import GTMServer

RESULTS = Path(__file__).resolve().parent / "results" / "serve.json"
ERAS = {"2025-11-25": "legacy", "2026-07-28": "auto"}


def _specs(count: int, seed: int = 0) -> list[ToolSpec]:
    rng = random.Random(seed)
    kinds: list[dict[str, Any]] = [
        {"type": "string"}, {"type": "integer", "minimum": 0}, {"type": "number"}, {"type": "boolean"},
        {"type": "string", "enum": ["a", "b", "c"]}, {"type": "array", "items": {"type": "string"}},
    ]  # fmt: skip
    specs = []
    for i in range(count):
        properties = {f"p{j}": dict(rng.choice(kinds)) for j in range(rng.randint(1, 5))}
        response = {"type": "object", "properties": {"id": {"type": "string"}, "value": {"type": "number"}}} if i % 2 else None
        specs.append(ToolSpec(f"tool_{i:05d}", f"Tool number {i}.", parameters={"type": "object", "properties": properties}, response=response))
    return specs


async def _measure(client: Client, calls: int) -> dict[str, float]:
    started = time.perf_counter()
    cursor, pages, tools = None, 0, 0
    while True:
        page = await client.list_tools(cursor=cursor)
        pages, tools, cursor = pages + 1, tools + len(page.tools), page.next_cursor
        if cursor is None:
            break
    listing = time.perf_counter() - started
    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        await client.call_tool("tool_00001", {}, meta={"gtm/episode": f"bench-{i}"})
        latencies.append((time.perf_counter() - started) * 1000.0)
    return {"tools": tools, "pages": pages, "list_all_s": round(listing, 3), "call_p50_ms": round(statistics.median(latencies), 2)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _run(name: str, make_client: Callable[[str], Any], calls: int, rows: list[dict[str, Any]]) -> None:
    for era, mode in ERAS.items():
        async with make_client(mode) as client:
            row = {"transport": name, "era": era, **await _measure(client, calls)}
        rows.append(row)
        print(f"{row['transport']:10} {row['era']:11} {row['tools']:>7} {row['pages']:>6} {row['list_all_s']:>10.3f} {row['call_p50_ms']:>12.2f}")


async def main(tool_count: int, calls: int) -> list[dict[str, Any]]:
    specs = _specs(tool_count)
    rows: list[dict[str, Any]] = []
    print(f"{'transport':10} {'era':11} {'tools':>7} {'pages':>6} {'list all s':>10} {'call p50 ms':>12}")
    gtm = GTMServer(Catalog(specs))
    await _run("in-memory", lambda mode: Client(gtm.server, mode=mode), calls, rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Catalog(specs).save(Path(folder) / "tools.jsonl")
        serve = [sys.executable, "-m", "gtm_core", "serve", "--catalog", str(path), "--log-level", "warning"]
        await _run("stdio", lambda mode: Client(StdioServerParameters(command=serve[0], args=serve[1:]), mode=mode), calls, rows)
        port = _free_port()
        process = subprocess.Popen([*serve, "--transport", "http", "--port", str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        try:
            for _ in range(600):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    await anyio.sleep(0.1)
            await _run("http", lambda mode: Client(f"http://127.0.0.1:{port}/mcp", mode=mode), calls, rows)
        finally:
            process.terminate()
            process.wait(timeout=10)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=300)
    options = parser.parse_args()
    results = anyio.run(main, options.tools, options.calls)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "machine": platform.machine(), "processor": platform.processor()}
    RESULTS.write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
