"""Benchmark replicas: calls/s and p50/p99 through HAProxy for 1, 2 and 4 `gtm serve` replicas on a shared Redis.

Schema engine, the shipped catalog, ``--episodes`` concurrent episodes (default 1,000) that
each create a ticket and read it back (through any replica), ``--concurrency`` requests in
flight. Also one replica with in-memory episodes, so the table shows what the Redis store
costs, and each replica's memory (RSS) after its run. Needs redis-server and haproxy
(``apt-get install redis-server haproxy``). Prints a table and writes
benchmarks/results/scale.json (or --out). Never asserts timings. On a small shared machine
the replicas compete with the client, HAProxy and Redis for the same cores: the figures say
how the pieces cost, not how a cluster of machines scales.

    .venv/bin/python benchmarks/scale.py [--episodes 1000] [--concurrency 64] [--replicas 1,2,4] [--out PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _shared import stop

RESULTS = Path(__file__).resolve().parent / "results" / "scale.json"
TICKET = {"subject": "Printer on fire", "description": "It is on fire.", "requester_email": "a@example.com"}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listened on port {port} within {timeout} s")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _balancer(folder: Path, ports: list[int]) -> tuple[subprocess.Popen[bytes], int]:
    listen = _port()
    lines = ["defaults", "    mode http", "    timeout connect 2s", "    timeout client 60s", "    timeout server 60s",
             "frontend mcp", f"    bind 127.0.0.1:{listen}", "    default_backend gtm", "backend gtm", "    balance roundrobin",
             "    http-request set-header Host 127.0.0.1"] + [f"    server r{i} 127.0.0.1:{p}" for i, p in enumerate(ports)]  # fmt: skip
    config = folder / f"haproxy-{listen}.cfg"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    process = subprocess.Popen([str(shutil.which("haproxy")), "-f", str(config), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(listen, process)
    return process, listen


async def _load(port: int, episodes: int, concurrency: int, tag: str) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    gate = asyncio.Semaphore(concurrency)
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:  # fmt: skip

        async def call(name: str, arguments: dict[str, object], episode: str) -> dict[str, object] | None:
            nonlocal errors
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments, "_meta": {"gtm/episode": episode}}}
            async with gate:
                started = time.perf_counter()
                response = await client.post("/mcp", json=body)
                latencies.append(time.perf_counter() - started)
            result = response.json().get("result") if response.status_code == 200 else None
            if result is None or result.get("isError"):
                errors += 1
                return None
            return result

        async def episode(n: int) -> None:
            created = await call("create_support_ticket", TICKET, f"{tag}-{n}")
            if created is not None:
                ticket = json.loads(created["content"][0]["text"])["support_ticket_id"]  # type: ignore[index]
                await call("get_support_ticket", {"support_ticket_id": ticket}, f"{tag}-{n}")

        started = time.perf_counter()
        await asyncio.gather(*(episode(n) for n in range(episodes)))
        wall = time.perf_counter() - started
    latencies.sort()
    return {"calls": len(latencies), "errors": errors, "calls_per_s": len(latencies) / wall,
            "p50_ms": latencies[len(latencies) // 2] * 1000, "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000}  # fmt: skip


def _run(folder: Path, replicas: int, store: str, args: argparse.Namespace) -> dict[str, object]:
    ports = [_port() for _ in range(replicas)]
    processes = [subprocess.Popen([sys.executable, "-m", "gtm_core", "serve", "--transport", "http", "--port", str(p), "--episodes", store,
                                   "--stateless-http", "--allowed-host", "127.0.0.1", "--log-level", "warning"], stdout=subprocess.DEVNULL) for p in ports]  # fmt: skip
    for port, process in zip(ports, processes):
        _wait(port, process)
    balancer, listen = _balancer(folder, ports)
    try:
        asyncio.run(_load(listen, min(50, args.episodes), args.concurrency, f"warm{replicas}{store[:5]}"))  # imports, first-call memos
        row = asyncio.run(_load(listen, args.episodes, args.concurrency, f"run{replicas}{store[:5]}"))
        rss = [_rss_mib(p.pid) for p in processes]
    finally:
        for process in [balancer, *processes]:
            stop(process)
    return {"replicas": replicas, "episodes": "redis" if store.startswith("redis") else store, **row, "rss_mib_per_replica": max(rss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=1000, help="concurrent episodes (two calls each)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument("--replicas", default="1,2,4", help="replica counts to measure, comma-separated")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    for binary in ("redis-server", "haproxy"):
        if shutil.which(binary) is None:
            raise SystemExit(f"{binary} not found: apt-get install redis-server haproxy")
    counts = [int(c) for c in args.replicas.split(",")]
    with tempfile.TemporaryDirectory(prefix="gtm-scale-") as tmp:
        folder = Path(tmp)
        redis_port = _port()
        redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp],
                                 stdout=subprocess.DEVNULL)  # fmt: skip
        _wait(redis_port, redis)
        try:
            url = f"redis://127.0.0.1:{redis_port}/0"
            rows = [_run(folder, 1, "memory", args)] + [_run(folder, n, url, args) for n in counts]
        finally:
            redis.terminate()
            redis.wait(10)
    memory = rows[0]["calls_per_s"]
    one_redis = next(r for r in rows[1:] if r["replicas"] == 1) if 1 in counts else rows[1]
    for row in rows:
        row["vs_memory_1"] = row["calls_per_s"] / memory  # type: ignore[operator]
        row["vs_redis_1"] = row["calls_per_s"] / one_redis["calls_per_s"]  # type: ignore[operator]
    print(f"{os.cpu_count()} CPUs here, load average {os.getloadavg()[0]:.1f}: replicas, HAProxy, Redis and the client share them.")
    print(f"{'replicas':>8} {'episodes':>8} {'calls':>6} {'err':>4} {'calls/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'RSS MiB':>8} {'vs mem1':>7} {'vs redis1':>9}")
    for r in rows:
        print(f"{r['replicas']:>8} {r['episodes']:>8} {r['calls']:>6} {r['errors']:>4} {r['calls_per_s']:>8.0f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
              f"{r['rss_mib_per_replica']:>8.0f} {r['vs_memory_1']:>7.2f} {r['vs_redis_1']:>9.2f}")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"cpus": os.cpu_count(), "load_average": os.getloadavg()[0], "episodes": args.episodes, "concurrency": args.concurrency, "rows": rows}
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
