"""How fast `gtm scope check` answers: one tool in a new process, 1,000 tools in one process,
and `gtm scope serve` answering one tool at a time.

Each row runs the command as a user would (a new Python process, the index found as
`gtm scope check` finds it, or --index) and records its wall time and peak memory (the
child's maximum resident set). The 1,000 tools are the shipped catalog's, then the public
market's where GTM_DATA_DIR has it (written to a temporary file, one "name: description" a
line). `serve` is started once; after it says it is ready, tools are sent one line at a time
and each answer timed.

``--before-code DIR --before-index FILE`` also times a check of another checkout of the
toolkit (e.g. ``git archive <commit> | tar -x -C DIR``) with its own index, for a before/after
table.

    .venv/bin/python benchmarks/scope_check.py [--index FILE] [--repeats 3] [--serve-calls 200]
        [--before-code DIR --before-index FILE]

Prints a table and writes benchmarks/results/scope_check.json. Never asserts timings.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "scope_check.json"
QUERY = "get_weather: Current weather for a city"


def _timed(command: list[str], *, cwd: Path = ROOT) -> dict[str, float]:
    """Wall seconds and peak resident MiB of one child process (which must succeed)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    err = child.stderr.read().decode(errors="replace")
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err}")
    return {"seconds": round(wall, 3), "peak_mib": round(usage.ru_maxrss / 1024, 1)}


def _thousand_tools(path: Path) -> int:
    from gtm_core import Catalog
    from gtm_core.data import MARKET, data_file

    lines = [f"{spec.name}: {' '.join(spec.description.split())}" for spec in Catalog.shipped()]
    market = data_file(MARKET)
    if market is not None:
        with gzip.open(market, "rt", encoding="utf-8") as fh:
            for line in fh:
                if len(lines) >= 1000:
                    break
                row = json.loads(line)
                lines.append(f"{row['tool']}: {' '.join(str(row.get('description') or '').split())}")
    while len(lines) < 1000:
        lines += lines[: 1000 - len(lines)]
    path.write_text("\n".join(lines[:1000]) + "\n", encoding="utf-8")
    return len(lines[:1000])


def _serve(index: list[str], calls: int) -> dict[str, float]:
    from gtm_core import Catalog

    tools = [f"{spec.name}: {' '.join(spec.description.split())}" for spec in Catalog.shipped()]
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "gtm_core", "scope", "serve", *index], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    assert server.stdin is not None and server.stdout is not None and server.stderr is not None
    ready = server.stderr.readline()
    if "ready" not in ready:
        raise SystemExit(f"gtm scope serve did not start: {ready}{server.stderr.read()}")
    start_s = time.perf_counter() - started
    latencies = []
    for i in range(calls):
        t = time.perf_counter()
        server.stdin.write(tools[i % len(tools)] + "\n")
        server.stdin.flush()
        answer = json.loads(server.stdout.readline())
        latencies.append((time.perf_counter() - t) * 1000)
        assert "verdict" in answer, answer
    server.stdin.close()
    server.wait(timeout=30)
    latencies.sort()
    return {"start_seconds": round(start_s, 2), "calls": calls, "median_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1), "max_ms": round(latencies[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", default=None, help="index file (default: as gtm scope check finds it)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--serve-calls", type=int, default=200)
    parser.add_argument("--before-code", type=Path, default=None, help="another checkout to time (its own code, this Python)")
    parser.add_argument("--before-index", type=Path, default=None, help="the index that checkout reads")
    args = parser.parse_args()
    index = ["--index", args.index] if args.index else []
    check = [sys.executable, "-m", "gtm_core", "scope", "check"]
    rows: dict[str, object] = {}
    rows["one tool, new process"] = [_timed([*check, QUERY, *index]) for _ in range(args.repeats)]
    with tempfile.TemporaryDirectory() as tmp:
        queries = Path(tmp) / "tools.txt"
        n = _thousand_tools(queries)
        rows[f"{n} tools, one process"] = [_timed([*check, "--file", str(queries), "--json", *index])]
    rows["serve"] = _serve(index, args.serve_calls)
    if args.before_code is not None:
        before = [*check, QUERY, "--index", str(args.before_index)]
        rows["before: one tool, new process"] = [_timed(before, cwd=args.before_code) for _ in range(args.repeats)]
    print("| what | seconds | peak memory (MiB) |")
    print("|---|---|---|")
    for what, runs in rows.items():
        if what == "serve":
            continue
        assert isinstance(runs, list)
        best = min(runs, key=lambda r: r["seconds"])
        print(f"| {what} (best of {len(runs)}) | {best['seconds']:.2f} | {best['peak_mib']:.0f} |")
    serve = rows["serve"]
    assert isinstance(serve, dict)
    print(f"\ngtm scope serve: ready in {serve['start_seconds']} s; {serve['calls']} tools one at a time: "
          f"median {serve['median_ms']} ms, p95 {serve['p95_ms']} ms, max {serve['max_ms']} ms")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": {"python": platform.python_version(), "cpus": os.cpu_count()}, "results": rows}, indent=2) + "\n")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
