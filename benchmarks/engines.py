"""Benchmark the language-model path on the embedded model: speed with and without dynamic
batching, and how many answers parse and conform with and without constrained decoding.

1. Throughput: calls through ``Simulator.asimulate`` at concurrency 1, 8 and 32, with dynamic
   batching off (``max_batch=1``) and on (``max_batch=32``): calls/s and generated tokens/s.
2. Quality: one call to each of ``--tools`` tools of the public training APIs (their own
   response schemas, sampled valid arguments), decoded constrained and unconstrained. For the
   model's raw text: the share that is strict JSON, that parses after repair, that conforms to
   what was asked (the response schema or an error object) as it came, and that is usable
   after repair and conforming (what the engine returns without falling back).

Prints tables and writes benchmarks/results/engines.json (or --out). Never asserts timings.

    .venv/bin/python benchmarks/engines.py [--tools 200] [--max-tokens 128] [--skip-throughput] [--out PATH]
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
from typing import Any

from gtm_core import Catalog, ToolSpec
from gtm_core.answers import AnswerError, answer_schema, is_error_answer, parse_answer
from gtm_core.data import TRAINING_APIS, data_file
from gtm_core.engines.transformers import TransformersEngine
from gtm_core.fake import conforms
from gtm_core.generation import GenerationRequest
from gtm_core.results import ToolCall
from gtm_core.sampler import sample_arguments
from gtm_core.simulator import Simulator
from gtm_core.validate import validate_spec

RESULTS = Path(__file__).resolve().parent / "results" / "engines.json"


def _tools(count: int, seed: int) -> list[ToolSpec]:
    """Different training tools whose response is an object schema with properties."""
    path = data_file(TRAINING_APIS)
    if path is None:
        sys.exit(f"public data not found: set GTM_DATA_DIR (looked for {TRAINING_APIS})")
    seen: set[str] = set()
    usable = []
    for spec in Catalog.load(path):
        schema = spec.response_schema
        if spec.name in seen or not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict) or not schema["properties"]:
            continue
        if any(p.severity == "error" for p in validate_spec(spec)):
            continue
        seen.add(spec.name)
        usable.append(spec)
    return random.Random(seed).sample(usable, min(count, len(usable)))


async def _throughput(engine: TransformersEngine, specs: list[ToolSpec], concurrency: int, calls: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    plan = [ToolCall(s.name, sample_arguments(s, rng=rng), f"bench-{i}") for i, s in enumerate(rng.choices(specs, k=calls))]
    sim = Simulator(specs, engine=engine, seed=seed)
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(call: ToolCall) -> None:
        async with gate:
            started = time.perf_counter()
            await sim.asimulate(call)
            latencies.append(time.perf_counter() - started)

    tokens, batches = engine.tokens_generated, engine.batcher_stats.batches
    started = time.perf_counter()
    await asyncio.gather(*(one(call) for call in plan))
    elapsed = time.perf_counter() - started
    made = engine.batcher_stats.batches - batches
    latencies.sort()
    return {
        "concurrency": concurrency,
        "batching": engine.max_batch > 1,
        "calls": calls,
        "seconds": round(elapsed, 2),
        "calls_per_s": round(calls / elapsed, 3),
        "tokens_per_s": round((engine.tokens_generated - tokens) / elapsed, 1),
        "p50_s": round(latencies[len(latencies) // 2], 2),
        "mean_batch": round(calls / made, 2) if made else None,
    }


def _quality(engine: TransformersEngine, specs: list[ToolSpec], seed: int, batch: int) -> dict[str, Any]:
    rng = random.Random(seed)
    requests = [GenerationRequest(s, sample_arguments(s, rng=rng), seed=seed + i) for i, s in enumerate(specs)]
    counts = {"strict_json": 0, "parsed_after_repair": 0, "conforms_as_decoded": 0, "usable": 0, "error_answers": 0}
    started = time.perf_counter()
    for first in range(0, len(requests), batch):
        chunk = requests[first : first + batch]
        texts = asyncio.run(engine.complete([engine.chat_request(r) for r in chunk]))
        for request, text in zip(chunk, texts):
            try:
                json.loads(text)
                counts["strict_json"] += 1
            except ValueError:
                pass
            try:
                value = parse_answer(text)
            except AnswerError:
                continue
            counts["parsed_after_repair"] += 1
            counts["usable"] += 1  # conform_answer makes any parsed answer valid (or it is an error object)
            counts["error_answers"] += is_error_answer(value, request.spec)
            counts["conforms_as_decoded"] += conforms(value, answer_schema(request.spec))
        print(f"  {engine.constrain and 'constrained' or 'unconstrained'}: {first + len(chunk)}/{len(requests)}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    n = len(requests)
    return {"constrained": engine.constrain, "tools": n, "seconds": round(elapsed, 1),
            **{k: v for k, v in counts.items()}, **{f"{k}_share": round(v / n, 4) for k, v in counts.items()}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tools", type=int, default=200, help="tools for the quality part (default 200)")
    parser.add_argument("--max-tokens", type=int, default=128, help="longest answer in tokens (default 128)")
    parser.add_argument("--calls-per-worker", type=int, default=2, help="throughput: calls per concurrent worker, at least 8 in all (default 2)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results file (default {RESULTS})")
    options = parser.parse_args()

    specs = _tools(max(options.tools, 64), options.seed)
    result: dict[str, Any] = {"benchmark": "engines", "python": platform.python_version(), "machine": platform.machine(),
                              "cpus": os.cpu_count(), "load_average": os.getloadavg()[0], "max_tokens": options.max_tokens}  # fmt: skip
    engines = {batching: TransformersEngine(max_batch=32 if batching else 1, max_tokens=options.max_tokens) for batching in (True, False)}
    started = time.perf_counter()
    engines[True].load()
    result["load_s"] = round(time.perf_counter() - started, 1)
    result["engine"] = engines[True].description
    print(f"{result['engine']}: loaded in {result['load_s']} s")

    if not options.skip_throughput:
        engines[False].load()
        rows = []
        for concurrency in (1, 8, 32):
            for batching in ((True,) if concurrency == 1 else (False, True)):
                calls = max(8, options.calls_per_worker * concurrency)
                row = asyncio.run(_throughput(engines[batching], specs, concurrency, calls, options.seed))
                rows.append(row)
                print(f"  c={concurrency} batching={'on' if batching else 'off'}: {row['calls_per_s']} calls/s", file=sys.stderr)
        result["throughput"] = rows
        print(f"\n{'concurrency':>11}{'batching':>10}{'calls':>7}{'calls/s':>9}{'tokens/s':>10}{'p50 s':>8}{'batch':>7}")
        for row in rows:
            print(f"{row['concurrency']:>11}{'on' if row['batching'] else 'off':>10}{row['calls']:>7}{row['calls_per_s']:>9.3f}"
                  f"{row['tokens_per_s']:>10.1f}{row['p50_s']:>8.2f}{row['mean_batch'] or 0:>7.1f}")  # fmt: skip
        by = {(r["concurrency"], r["batching"]): r["calls_per_s"] for r in rows}
        result["batching_speedup_c8"] = round(by[(8, True)] / by[(8, False)], 2)
        print(f"dynamic batching at concurrency 8: {result['batching_speedup_c8']}x the calls/s of one at a time")

    if not options.skip_quality:
        quality_specs = specs[: options.tools]
        rows = []
        for constrain in (True, False):
            engine = TransformersEngine(max_batch=32, max_tokens=options.max_tokens, constrain=constrain)
            engine.load()
            rows.append(_quality(engine, quality_specs, options.seed, 32))
            asyncio.run(engine.aclose())
        result["quality"] = rows
        print(f"\n{'decoding':<14}{'tools':>6}{'strict JSON':>12}{'parsed':>8}{'conforms':>10}{'usable':>8}{'errors':>8}")
        for row in rows:
            print(f"{'constrained' if row['constrained'] else 'unconstrained':<14}{row['tools']:>6}{row['strict_json_share']:>12.1%}"
                  f"{row['parsed_after_repair_share']:>8.1%}{row['conforms_as_decoded_share']:>10.1%}{row['usable_share']:>8.1%}"
                  f"{row['error_answers_share']:>8.1%}")  # fmt: skip
        print("(conforms: the raw answer is valid against the response schema or an error object; usable: after repair and conforming)")

    for engine in engines.values():
        asyncio.run(engine.aclose())
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
