"""Benchmark the Python API: calls per second and p50/p99 latency with the schema engine.

Over at least 5,000 different tools of the public training APIs (GTM_DATA_DIR), with
sampled valid arguments and argument checks on: one call at a time, then in batches.
Prints a table and writes benchmarks/results/simulate.json (or --out). Never asserts timings.

    .venv/bin/python benchmarks/simulate.py [--tools 6000] [--batch 256] [--rounds 2] [--out PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

from gtm_core import Catalog
from gtm_core.data import TRAINING_APIS, data_file
from gtm_core.results import ToolCall
from gtm_core.sampler import sample_arguments
from gtm_core.simulator import Simulator
from gtm_core.validate import validate_spec

RESULTS = Path(__file__).resolve().parent / "results" / "simulate.json"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _calls(tools: int, seed: int) -> tuple[list[ToolCall], Catalog]:
    path = data_file(TRAINING_APIS)
    if path is None:
        sys.exit(f"public data not found: set GTM_DATA_DIR (looked for {TRAINING_APIS})")
    catalog = Catalog.load(path)
    seen: set[str] = set()
    specs = []
    for spec in catalog:  # different tools with usable schemas
        if spec.name in seen or any(p.severity == "error" and "schema" in p.code for p in validate_spec(spec)):
            continue
        seen.add(spec.name)
        specs.append(spec)
    rng = random.Random(seed)
    chosen = rng.sample(specs, min(tools, len(specs)))
    return [ToolCall(s.name, sample_arguments(s, rng=rng), f"episode-{i % 64}") for i, s in enumerate(chosen)], Catalog(specs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tools", type=int, default=6000, help="different tools to call (default 6000)")
    parser.add_argument("--batch", type=int, default=256, help="calls per batch (default 256)")
    parser.add_argument("--rounds", type=int, default=2, help="warm passes over the calls (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results file (default {RESULTS})")
    options = parser.parse_args()

    calls, catalog = _calls(options.tools, options.seed)
    rows = []

    # The first call of a tool compiles its checks (cold); later calls reuse them (warm).
    sim = Simulator(catalog, seed=options.seed)
    for label, rounds in (("single call, cold", 1), ("single call, warm", options.rounds)):
        latencies: list[float] = []
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(rounds):
            for call in calls:
                t0 = time.perf_counter()
                sim.simulate(call)
                latencies.append((time.perf_counter() - t0) * 1000)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rows.append((label, len(latencies), len(latencies) / elapsed, _percentile(latencies, 0.5), _percentile(latencies, 0.99), cpu * 1000 / len(latencies)))

    def batched(run_batch) -> tuple:
        sim = Simulator(catalog, seed=options.seed)
        per_call: list[float] = []
        total = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(options.rounds):
            for i in range(0, len(calls), options.batch):
                chunk = calls[i : i + options.batch]
                t0 = time.perf_counter()
                run_batch(sim, chunk)
                per_call.append((time.perf_counter() - t0) * 1000 / len(chunk))
                total += len(chunk)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        return total, total / elapsed, _percentile(per_call, 0.5), _percentile(per_call, 0.99), cpu * 1000 / total

    rows.append((f"simulate_batch({options.batch})", *batched(lambda s, c: s.simulate_batch(c))))
    rows.append((f"asimulate_batch({options.batch})", *batched(lambda s, c: asyncio.run(s.asimulate_batch(c)))))

    errors = sum(1 for r in Simulator(catalog, seed=options.seed).simulate_batch(calls) if r.is_error)
    print(f"schema engine, checks on, {len(calls)} different tools, {options.rounds} rounds; {errors} calls answered with an error")
    print(f"{'mode':<24}{'calls':>8}{'calls/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'cpu ms':>9}")
    for name, count, rate, p50, p99, cpu_ms in rows:
        print(f"{name:<24}{count:>8}{rate:>10.0f}{p50:>9.3f}{p99:>9.3f}{cpu_ms:>9.3f}")
    print("(batched rows: latency is per call, the batch's time divided by its size; cpu ms: this process's CPU time")
    print(" per call, which a busy machine disturbs far less than the wall-clock columns: compare trees by it)")
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(
        json.dumps(
            {
                "benchmark": "simulate",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "tools": len(calls),
                "load_average": list(os.getloadavg()),
                "rows": [dict(zip(("mode", "calls", "calls_per_s", "p50_ms", "p99_ms", "cpu_ms_per_call"), row)) for row in rows],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
