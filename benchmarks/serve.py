"""Benchmark `gtm serve`: list every page of the ~10,000 training APIs, call latency, calls/s.

Catalog: the public training APIs (GTM_DATA_DIR; the server skips duplicate names and
sanitizes illegal ones, so it lists fewer tools than the file holds: the table reports what
was listed), or `--generated N` varied specs. Transports: in-process (the SDK's in-memory
`Client(server)`), stdio (a `python -m gtm_core serve` subprocess) and streamable HTTP (a
`gtm serve --transport http` subprocess on 127.0.0.1), each in both protocol eras (the
2025-11-25 handshake and 2026-07-28), a fresh server per transport and era.

Per row: the time to list all pages (median of --rounds runs; the client's response cache
bypassed), sequential call latency p50/p95 over --calls different tools with sampled valid
arguments (a first, "cold" pass compiles each tool's checks; the p50/p95 columns are the
second, warm pass), and calls/s with 1, 10 and 100 calls in flight: that many workers over
ONE client session. `--http-clients` adds rows for HTTP with 10 and 100 separate clients
(one session each). Prints a table and writes benchmarks/results/serve.json (or --out).
Never asserts timings.

    .venv/bin/python benchmarks/serve.py [--calls 500] [--rounds 3] [--transports in-process,stdio,http]
                                         [--generated N] [--http-clients] [--quick] [--out PATH]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio
from _shared import stop, write_report
from mcp import Client, StdioServerParameters

from gtm_core import Catalog, ToolSpec
from gtm_core.data import TRAINING_APIS, data_file
from gtm_core.sampler import sample_arguments
from mcp_server import GTMServer

RESULTS = Path(__file__).resolve().parent / "results" / "serve.json"
ERAS = {"2025-11-25": "legacy", "2026-07-28": "auto"}  # as tests/mcp_server/mcp_helpers.py: LEGACY, MODERN
TRANSPORTS = ("in-process", "stdio", "http")
CONCURRENCY = (1, 10, 100)
SERVER_START_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Call:
    name: str  # the exposed (MCP) name
    arguments: dict[str, Any]
    episode: str


# ---- the catalog -----------------------------------------------------------------------------
def _generated_specs(count: int, seed: int = 0) -> list[ToolSpec]:
    """``count`` specs with varied parameter and response schemas (as tests/mcp_server/mcp_helpers.varied_specs)."""
    rng = random.Random(seed)
    verbs = ["get", "list", "create", "update", "search", "convert", "check", "send"]
    nouns = ["invoice", "flight", "weather", "stock", "recipe", "ticket", "playlist", "sensor", "user", "route"]
    kinds: list[dict[str, Any]] = [
        {"type": "string", "minLength": 1}, {"type": "string", "enum": ["low", "medium", "high"]},
        {"type": "integer", "minimum": 0, "maximum": 1000}, {"type": "number"}, {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}, "maxItems": 5}, {"type": "string", "format": "date"},
        {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}, "required": ["lat"]},
    ]  # fmt: skip
    specs = []
    for i in range(count):
        verb, noun = rng.choice(verbs), rng.choice(nouns)
        properties = {f"p{j}_{noun}": dict(rng.choice(kinds)) for j in range(rng.randint(0, 5))}
        required = [p for p in properties if rng.random() < 0.4]
        response: Any = (
            {"type": "object", "properties": {"id": {"type": "string"}, "value": {"type": "number"}}, "required": ["id"]}
            if i % 3 == 0
            else (f"The {noun} as text." if i % 3 == 1 else None)
        )
        specs.append(
            ToolSpec(f"{verb}_{noun}_{i:05d}", f"{verb.title()} a {noun} (tool {i}).", field=f"Field{i % 12}",
                     parameters={"type": "object", "properties": properties}, required=required, response=response)
        )  # fmt: skip
    return specs


def _catalog(generated: int | None, folder: Path) -> tuple[Catalog, Path, str]:
    """The catalog, the file the subprocess servers read, and a label for it."""
    if generated is not None:
        catalog = Catalog(_generated_specs(generated))
        return catalog, catalog.save(folder / "generated.jsonl"), f"generated ({generated} specs)"
    path = data_file(TRAINING_APIS)
    if path is None:
        sys.exit(f"public data not found: set GTM_DATA_DIR (looked for {TRAINING_APIS}), or use --generated N")
    return Catalog.load(path), path, f"training APIs ({path})"


# ---- measuring -------------------------------------------------------------------------------
def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _list_all(client: Client) -> tuple[float, list[Any], int]:
    """Seconds to read every tools/list page (the response cache bypassed), the tools, the pages."""
    started = time.perf_counter()
    tools: list[Any] = []
    cursor, pages = None, 0
    while True:
        page = await client.list_tools(cursor=cursor, cache_mode="bypass")
        tools += page.tools
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return time.perf_counter() - started, tools, pages


def _plan(tools: list[Any], catalog: Catalog, count: int, seed: int) -> list[Call]:
    """``count`` calls to different listed tools (cycling when there are fewer), with sampled valid arguments.

    A sanitized tool's original name is its ``_meta["gtm/original_name"]``; the server keeps the
    first tool of a name, so the first spec of that name is the one it simulates.
    """
    first: dict[str, ToolSpec] = {}
    for spec in catalog:
        first.setdefault(spec.name, spec)
    chosen = random.Random(seed).sample(tools, min(count, len(tools)))
    calls = []
    for i in range(count):
        tool = chosen[i % len(chosen)]
        spec = first[(tool.meta or {}).get("gtm/original_name", tool.name)]
        calls.append(Call(tool.name, sample_arguments(spec, rng=i), f"bench-{i % 64}"))
    return calls


async def _call(client: Client, call: Call) -> tuple[float, bool]:
    started = time.perf_counter()
    result = await client.call_tool(call.name, call.arguments, meta={"gtm/episode": call.episode})
    return (time.perf_counter() - started) * 1000.0, result.is_error


async def _sequential(client: Client, plan: list[Call]) -> tuple[list[float], int]:
    latencies, errors = [], 0
    for call in plan:
        elapsed, is_error = await _call(client, call)
        latencies.append(elapsed)
        errors += is_error
    return latencies, errors


async def _concurrent(clients: list[Client], plan: list[Call], workers: int, total: int) -> dict[str, float]:
    """``total`` calls by ``workers`` tasks, each keeping one call in flight, spread over ``clients``."""
    latencies: list[float] = []
    next_index = iter(range(total))

    async def worker(client: Client) -> None:
        for i in next_index:  # shared: each index is taken by one worker
            latencies.append((await _call(client, plan[i % len(plan)]))[0])

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for w in range(workers):
            tg.start_soon(worker, clients[w % len(clients)])
    elapsed = time.perf_counter() - started
    return {"calls_per_s": round(total / elapsed, 1), "p50_ms": round(_percentile(latencies, 0.5), 2), "p95_ms": round(_percentile(latencies, 0.95), 2)}


class Bench:
    def __init__(self, catalog: Catalog, options: argparse.Namespace) -> None:
        self.catalog = catalog
        self.options = options
        self.plan: list[Call] | None = None  # built from the first complete listing, then reused
        self.rows: list[dict[str, Any]] = []

    async def session(self, transport: str, era: str, client: Client) -> dict[str, Any]:
        """One row: listing, sequential latency (cold, then warm) and calls/s at each concurrency."""
        options = self.options
        listings = [await _list_all(client) for _ in range(options.rounds)]  # also primes the client's output schemas
        _, tools, pages = listings[-1]
        if self.plan is None:
            self.plan = _plan(tools, self.catalog, options.calls, options.seed)
        cold, errors = await _sequential(client, self.plan)
        warm, _ = await _sequential(client, self.plan)
        row: dict[str, Any] = {
            "transport": transport,
            "era": era,
            "clients": 1,
            "tools_listed": len(tools),
            "distinct_names": len({t.name for t in tools}),
            "pages": pages,
            "list_all_s": round(statistics.median(t for t, _, _ in listings), 3),
            "list_all_runs_s": [round(t, 3) for t, _, _ in listings],
            "calls": len(warm),
            "distinct_tools_called": len({c.name for c in self.plan}),
            "error_results": errors,
            "cold_p50_ms": round(_percentile(cold, 0.5), 2),
            "call_p50_ms": round(_percentile(warm, 0.5), 2),
            "call_p95_ms": round(_percentile(warm, 0.95), 2),
            "concurrency": {},
        }
        for level in CONCURRENCY:
            row["concurrency"][str(level)] = await _concurrent([client], self.plan, level, options.calls)
        return row

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        _print_row(row)


# ---- transports ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def _http_server(serve: list[str]) -> AsyncIterator[str]:
    """A `gtm serve --transport http` subprocess on a free port; yields its URL once it listens."""
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([*serve, "--transport", "http", "--port", str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    sys.exit(f"gtm serve --transport http exited with {process.returncode}: {log.read().decode(errors='replace')[-2000:]}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit(f"gtm serve --transport http did not listen on port {port} within {SERVER_START_TIMEOUT_S:.0f} s")
                    await anyio.sleep(0.1)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            stop(process, timeout=10)


async def _separate_clients(bench: Bench, url: str, era: str, mode: str) -> dict[str, Any]:
    """HTTP with N separate clients (one session each), one call in flight per client.

    Each client lists the first page only (listing every page per client would dominate), so
    the calls go to first-page tools: the SDK client checks results against output schemas it
    has listed and would otherwise re-list page 1 before every call.
    """
    row: dict[str, Any] = {"transport": "http", "era": era, "clients": "N", "concurrency": {}}
    for level in CONCURRENCY[1:]:
        async with Client(url, mode=mode) as probe:
            first_page = (await probe.list_tools(cache_mode="bypass")).tools
        plan = _plan(first_page, bench.catalog, bench.options.calls, bench.options.seed)
        async with AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(Client(url, mode=mode)) for _ in range(level)]
            for client in clients:
                await client.list_tools(cache_mode="bypass")
            await _concurrent(clients, plan, level, level)  # warm each connection once
            row["concurrency"][str(level)] = await _concurrent(clients, plan, level, bench.options.calls)
    return row


async def run(bench: Bench, catalog_path: Path, transports: list[str]) -> None:
    serve = [sys.executable, "-m", "gtm_core", "serve", "--catalog", str(catalog_path), "--log-level", "error"]
    for transport in transports:
        for era, mode in ERAS.items():
            if transport == "in-process":
                gtm = GTMServer(bench.catalog)
                try:
                    async with Client(gtm.server, mode=mode) as client:
                        bench.add(await bench.session(transport, era, client))
                finally:
                    gtm.close()
            elif transport == "stdio":
                async with Client(StdioServerParameters(command=serve[0], args=serve[1:]), mode=mode) as client:
                    bench.add(await bench.session(transport, era, client))
            else:
                async with _http_server(serve) as url:
                    async with Client(url, mode=mode) as client:
                        bench.add(await bench.session(transport, era, client))
                    if bench.options.http_clients:
                        bench.add(await _separate_clients(bench, url, era, mode))


# ---- output ----------------------------------------------------------------------------------
_HEADER = (
    f"{'transport':<11}{'era':<12}{'clients':>8}{'tools':>7}{'pages':>6}{'list s':>8}{'cold p50':>9}"
    f"{'p50 ms':>8}{'p95 ms':>8}{'c=1 /s':>8}{'c=10 /s':>9}{'c=100 /s':>9}{'errors':>7}"
)


def _print_row(row: dict[str, Any]) -> None:
    def get(key: str, fmt: str) -> str:
        return format(row[key], fmt) if key in row else "-"

    rates = [format(row["concurrency"][str(c)]["calls_per_s"], ".0f") if str(c) in row["concurrency"] else "-" for c in CONCURRENCY]
    print(
        f"{row['transport']:<11}{row['era']:<12}{row['clients']!s:>8}{get('tools_listed', 'd'):>7}{get('pages', 'd'):>6}"
        f"{get('list_all_s', '.3f'):>8}{get('cold_p50_ms', '.2f'):>9}{get('call_p50_ms', '.2f'):>8}{get('call_p95_ms', '.2f'):>8}"
        f"{rates[0]:>8}{rates[1]:>9}{rates[2]:>9}{get('error_results', 'd'):>7}",
        flush=True,
    )


class _LoadSampler:
    """The 1-minute load average every few seconds while the benchmark runs."""

    def __init__(self, every: float = 5.0) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> _LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=500, help="sequential calls (to this many different tools) and calls per concurrency level (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="listings of all pages per row; the median is reported (default 3)")
    parser.add_argument("--transports", default=",".join(TRANSPORTS), help=f"comma-separated, of {', '.join(TRANSPORTS)} (default all)")
    parser.add_argument("--generated", type=int, default=None, metavar="N", help="serve N generated specs instead of the training APIs")
    parser.add_argument("--http-clients", action="store_true", help="also measure HTTP with 10 and 100 separate clients")
    parser.add_argument("--quick", action="store_true", help="a small smoke run: --calls 100 --rounds 1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results file (default {RESULTS})")
    options = parser.parse_args()
    if options.quick:
        options.calls, options.rounds = min(options.calls, 100), 1
    transports = [t.strip() for t in options.transports.split(",") if t.strip()]
    unknown = sorted(set(transports) - set(TRANSPORTS))
    if unknown or not transports:
        parser.error(f"--transports: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(TRANSPORTS)}")
    if options.calls < 1 or options.rounds < 1:
        parser.error("--calls and --rounds must be at least 1")

    logging.getLogger("mcp_server").setLevel(logging.ERROR)  # in-process as the subprocesses' --log-level error
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        catalog, catalog_path, label = _catalog(options.generated, Path(folder))
        print(f"catalog: {label}, {len(catalog)} specs; schema engine; load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f} ({os.cpu_count()} CPUs)")
        print(_HEADER)
        bench = Bench(catalog, options)
        started = time.perf_counter()
        with _LoadSampler() as load:
            anyio.run(run, bench, catalog_path, transports)
    load_end = os.getloadavg()
    print(
        "list s: median of all-pages listings; cold p50: first call of each tool; p50/p95: sequential, warm; "
        "c=N /s: calls/s with N calls in flight over one client session (clients N: N separate HTTP clients)"
    )
    during = load.samples or [load_end[0]]
    print(f"load average (1 min) during the run: mean {statistics.mean(during):.2f}, max {max(during):.2f}; took {time.perf_counter() - started:.0f} s")

    options.out.parent.mkdir(parents=True, exist_ok=True)
    listed = next((r["tools_listed"] for r in bench.rows if "tools_listed" in r), None)
    report = {
        "benchmark": "serve",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "mcp": metadata.version("mcp"),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in load_end],
        "load_average_during": {"mean_1min": round(statistics.mean(during), 2), "max_1min": round(max(during), 2), "samples": len(during)},
        "catalog": label,
        "catalog_specs": len(catalog),
        "tools": listed,
        "options": {"calls": options.calls, "rounds": options.rounds, "transports": transports, "http_clients": options.http_clients, "seed": options.seed},
        "concurrency_mode": "N worker tasks over one client session (rows with clients 'N': N separate HTTP clients, one worker each)",
        "rows": bench.rows,
    }
    write_report(options.out, report)


if __name__ == "__main__":
    main()
