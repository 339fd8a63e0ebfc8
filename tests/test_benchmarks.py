"""Smoke runs of the benchmark scripts: they run to the end and write their JSON (timings are never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _run(script: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True, timeout=timeout, cwd=BENCHMARKS.parent)


def test_the_serve_benchmark_runs_quickly_over_every_transport_and_writes_its_json(tmp_path):
    """--quick --generated 300: in-process, stdio and HTTP in both eras, every tool listed, no error results."""
    out = tmp_path / "serve.json"
    done = _run("serve.py", "--quick", "--generated", "300", "--out", str(out), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = report["rows"]
    assert {(r["transport"], r["era"]) for r in rows} == {(t, e) for t in ("in-process", "stdio", "http") for e in ("2025-11-25", "2026-07-28")}
    assert all(r["tools_listed"] == 300 and r["error_results"] == 0 for r in rows)
    assert all(set(r["concurrency"]) == {"1", "10", "100"} for r in rows)
    assert report["tools"] == 300 and len(report["load_average_start"]) == 3


@pytest.mark.data
def test_the_simulate_benchmark_runs_one_small_round_and_writes_its_json(tmp_path, training_apis_path):
    """--tools 200 --rounds 1 over the public training APIs."""
    out = tmp_path / "simulate.json"
    done = _run("simulate.py", "--tools", "200", "--rounds", "1", "--out", str(out), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["benchmark"] == "simulate" and report["tools"] == 200 and report["rows"]


def test_the_proxy_benchmark_runs_quickly_on_both_npm_servers_and_writes_its_json(tmp_path):
    """--quick: direct, in-process (sim, real, real +record, shadow) and stdio rows for server-memory and
    server-everything, every call answered without an error result, by the source its policy says."""
    if not (Path(sys.prefix) / "node" / "node_modules" / ".bin" / "mcp-server-memory").exists():
        pytest.skip("the npm reference servers are not installed; run .ci/setup")
    out = tmp_path / "proxy.json"
    done = _run("proxy.py", "--quick", "--out", str(out), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = report["rows"]
    assert len(rows) == 14 and all(r["calls"] == 20 and r["error_results"] == 0 for r in rows)
    assert all(r["sources"] == {"simulated": 20} for r in rows if r["policy"] == "sim")
    assert all(r["sources"] == {"real": 20} for r in rows if r["policy"] != "sim")
    assert {(o["server"], o["path"], o["policy"]) for o in report["overheads"]} >= {("memory", "stdio", "real"), ("everything", "in-process", "real")}


def test_the_rollout_benchmark_runs_small_rollouts_on_every_path_with_no_leaks_and_writes_its_json(tmp_path):
    """--sizes 1,2 --quick: real (server-memory behind the proxy), sim-http and sim-verl rows, no cross-episode leak,
    and closing the 256 episodes of the memory measurement leaves none live."""
    if not (Path(sys.prefix) / "node" / "node_modules" / ".bin" / "mcp-server-memory").exists():
        pytest.skip("the npm server-memory is not installed; run .ci/setup")
    out = tmp_path / "rollouts.json"
    done = _run("rollouts.py", "--sizes", "1,2", "--quick", "--out", str(out), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = report["rows"]
    assert {(r["path"], r["agents"]) for r in rows} == {(p, n) for p in ("real", "sim-http", "sim-verl") for n in (1, 2)}
    assert all(r["leaks"] == 0 and r["calls"] == r["agents"] * r["calls_per_rollout"] for r in rows)
    assert report["memory"]["sim_http_server"]["live_closed"] == 0 and report["memory"]["in_process"]["live_closed"] == 0
    assert len(report["load_average_start"]) == 3


def test_the_scale_benchmark_runs_small_and_writes_its_json(tmp_path):
    """--episodes 20 --replicas 1,2: a row for in-memory and each replica count, every call answered."""
    import shutil

    if shutil.which("redis-server") is None or shutil.which("haproxy") is None:
        pytest.skip("redis-server or haproxy not found: apt-get install redis-server haproxy (or run .ci/setup)")
    out = tmp_path / "scale.json"
    done = _run("scale.py", "--episodes", "20", "--concurrency", "8", "--replicas", "1,2", "--out", str(out), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert [(r["replicas"], r["episodes"]) for r in rows] == [(1, "memory"), (1, "redis"), (2, "redis")]
    assert all(r["calls"] == 40 and r["errors"] == 0 for r in rows)


def test_the_fidelity_benchmark_scores_the_schema_engine_on_the_semantic_set_and_writes_its_json(tmp_path):
    """--modes schema: every case of the semantic set runs; echoes and state are right, computed meaning is not."""
    out = tmp_path / "fidelity.json"
    done = _run("fidelity.py", "--modes", "schema", "--models", "", "--out", str(out), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [row] = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert row["mode"] == "schema" and row["checks"] >= 80 and row["steps"] >= 50
    assert row["by_kind"]["state"].split("/")[0] == row["by_kind"]["state"].split("/")[1]  # the world keeps state exactly
    assert int(row["by_kind"]["arithmetic"].split("/")[0]) <= 2  # no model, no arithmetic
