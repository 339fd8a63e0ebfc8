"""Fidelity of tool simulators on a semantic test set: do the answers mean the right thing?

The set (``benchmarks/data/semantic_set.json``) holds this project's own tools, each with
calls in one episode and checks of meaning: arithmetic, unit and currency conversions,
well-known facts, echoed arguments, errors for bad or unknown input, state across calls.
Each of these answers it, side by side in one run, on the same model and decoding (greedy):

    schema          the schema engine alone (no model)
    ours            the Simulator with the llamacpp engine (GTM prompt, world, answer schema
                    grammar, repair, conform, echoes)
    plain           a plain "you are the API" prompt on the same loaded model: the spec, the
                    episode's earlier calls as chat turns, the call; free decoding, then the
                    JSON parsed out (code fences dropped)
    server-ours     the Simulator with the openai engine against llama-cpp-python's server
    server-plain    the plain prompt against that server (--server)
    transformers    the transformers engine on the same GGUF file, then llamacpp on the same
                    calls, for tokens/s side by side (--transformers N calls)

Reported per row: checks passed, steps fully passed, seconds per call (median), generated
tokens per second, and, for ``ours``, the share of raw model texts that are strict JSON and
that conform to the answer schema as decoded. Prints a table and writes
benchmarks/results/fidelity.json (or --out). Never asserts anything.

    .venv/bin/python benchmarks/fidelity.py --models qwen2.5-coder-0.5b [--modes schema,ours,plain]
        [--server] [--transformers 3] [--cases N] [--skip N] [--cache-dir DIR] [--out PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gtm_core import Catalog, ToolSpec
from gtm_core.answers import AnswerError, is_error_answer, parse_answer
from gtm_core.engines.llamacpp import LlamaCppEngine, default_threads
from gtm_core.engines.openai_compat import OpenAIEngine
from gtm_core.fake import conforms
from gtm_core.generation import ChatRequest
from gtm_core.models import locate_model
from gtm_core.prompt import render_call
from gtm_core.simulator import Simulator

HERE = Path(__file__).resolve().parent
SET = HERE / "data" / "semantic_set.json"
RESULTS = HERE / "results" / "fidelity.json"
_REF = re.compile(r"^\$(\d+)\.(.+)$")
PLAIN_ROLE = "You are the API tool described below. Answer each call with only the JSON body of the tool's response."


# ---- the set and its checks -----------------------------------------------------------------
def load_set(path: Path, limit: int | None, skip: int = 0) -> list[dict[str, Any]]:
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"][skip:]
    return cases[:limit] if limit else cases


def _get(value: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


_MISSING = object()


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return abs(got - want) < 1e-9
    if isinstance(want, str) and isinstance(got, str):
        return got.strip().casefold() == want.strip().casefold()
    return bool(got == want)


def check(rule: Mapping[str, Any], is_error: bool, value: Any) -> bool:
    """Whether one check holds for an answer (``value`` is its parsed JSON, None if none)."""
    if "error" in rule:
        return is_error is bool(rule["error"]) and (value is not None or is_error)
    if is_error or value is None:
        return False
    got = _get(value, rule["path"])
    if got is _MISSING:
        return False
    if "equals" in rule:
        return _same(got, rule["equals"])
    if "approx" in rule:
        return isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - rule["approx"]) <= rule["tol"]
    if "contains" in rule:
        return isinstance(got, str) and rule["contains"].casefold() in got.casefold()
    if "has_item" in rule:
        wanted = rule["has_item"]
        return isinstance(got, list) and any(isinstance(i, Mapping) and all(_same(i.get(k), v) for k, v in wanted.items()) for i in got)
    raise ValueError(f"unknown check {rule}")


def _arguments(arguments: Mapping[str, Any], answers: list[Any]) -> dict[str, Any]:
    """Arguments with ``$N.field`` taken from step N's answer (``"(missing)"`` when it has none)."""
    out = {}
    for key, item in arguments.items():
        match = _REF.match(item) if isinstance(item, str) else None
        if match:
            found = _get(answers[int(match.group(1))], match.group(2)) if int(match.group(1)) < len(answers) else _MISSING
            item = "(missing)" if found is _MISSING or found is None else found
        out[key] = item
    return out


# ---- the ways of answering ------------------------------------------------------------------
Answerer = Callable[[str, list[dict[str, Any]], ToolSpec, dict[str, Any]], tuple[bool, Any]]


def simulator_answerer(simulator: Simulator) -> Answerer:
    def answer(episode: str, _history: list[dict[str, Any]], spec: ToolSpec, arguments: dict[str, Any]) -> tuple[bool, Any]:
        result = simulator.simulate(spec.name, arguments, episode=episode)
        return result.is_error, result.structured
    return answer


def plain_messages(spec: ToolSpec, history: list[dict[str, Any]], arguments: Mapping[str, Any]) -> list[dict[str, str]]:
    """The plain prompt: role, spec, the episode's earlier calls as turns, the call."""
    response = spec.response_schema if spec.response_schema is not None else spec.response
    system = "\n".join([PLAIN_ROLE, f"Tool: {spec.name}", f"Description: {spec.description}",
                        f"Parameters (JSON Schema): {json.dumps(spec.input_schema)}", f"Response (JSON Schema): {json.dumps(response)}"])  # fmt: skip
    messages = [{"role": "system", "content": system}]
    for turn in history:
        messages += [{"role": "user", "content": render_call(turn["tool"], turn["arguments"])}, {"role": "assistant", "content": turn["text"]}]
    messages.append({"role": "user", "content": render_call(spec.name, arguments)})
    return messages


def plain_answerer(complete: Callable[[list[dict[str, str]]], str]) -> Answerer:
    def answer(_episode: str, history: list[dict[str, Any]], spec: ToolSpec, arguments: dict[str, Any]) -> tuple[bool, Any]:
        text = complete(plain_messages(spec, history, arguments))
        history.append({"tool": spec.name, "arguments": arguments, "text": text})
        try:
            value = parse_answer(text)
        except AnswerError:
            return False, None
        return is_error_answer(value, spec), value
    return answer


def run_mode(name: str, cases: list[dict[str, Any]], answer: Answerer) -> dict[str, Any]:
    """Every case through one answerer: checks passed, steps fully passed, seconds per call, failures."""
    checks = passed = steps = full = 0
    by_kind: dict[str, list[int]] = {}
    seconds: list[float] = []
    failures: list[dict[str, Any]] = []
    for case in cases:
        specs = {tool["name"]: ToolSpec.from_dict(tool) for tool in case["tools"]}
        answers: list[Any] = []
        history: list[dict[str, Any]] = []
        for index, step in enumerate(case["steps"]):
            arguments = _arguments(step["arguments"], answers)
            started = time.perf_counter()
            is_error, value = answer(f"{name}:{case['name']}", history, specs[step["tool"]], arguments)
            seconds.append(time.perf_counter() - started)
            answers.append(value)
            results = [check(rule, is_error, value) for rule in step["checks"]]
            for rule, ok in zip(step["checks"], results):
                tally = by_kind.setdefault(rule["kind"], [0, 0])
                tally[0] += ok
                tally[1] += 1
                if not ok:
                    failures.append({"case": case["name"], "step": index, "tool": step["tool"], "check": rule, "error": is_error, "answer": value})
            checks += len(results)
            passed += sum(results)
            steps += 1
            full += all(results)
        print(f"  {name}: {case['name']} done ({passed}/{checks} checks so far)", file=sys.stderr, flush=True)
    return {"checks": checks, "passed": passed, "steps": steps, "steps_passed": full,
            "s_per_call_median": round(statistics.median(seconds), 3), "s_per_call_mean": round(statistics.mean(seconds), 3),
            "by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_kind.items())}, "failures": failures}  # fmt: skip


class RecordingLlamaCpp(LlamaCppEngine):
    """The llamacpp engine, keeping each raw completion with the schema it was decoded under."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raw: list[tuple[str, Any]] = []

    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        texts = await super().complete(requests)
        self.raw += [(t, r.json_schema) for t, r in zip(texts, requests)]
        return texts


def raw_validity(raw: list[tuple[str, Any]]) -> dict[str, Any]:
    strict = conform = 0
    for text, schema in raw:
        try:
            value = json.loads(text)
        except ValueError:
            continue
        strict += 1
        conform += schema is None or conforms(value, schema)
    n = len(raw) or 1
    return {"raw_answers": len(raw), "strict_json_share": round(strict / n, 4), "conforms_as_decoded_share": round(conform / n, 4)}


def llama_plain(llama: Any, max_tokens: int) -> Callable[[list[dict[str, str]]], tuple[str]]:
    stats = {"tokens": 0, "seconds": 0.0}

    def complete(messages: list[dict[str, str]]) -> str:
        started = time.perf_counter()
        result = llama.create_chat_completion(messages=messages, temperature=0.0, max_tokens=max_tokens, seed=0)
        stats["seconds"] += time.perf_counter() - started
        stats["tokens"] += result["usage"]["completion_tokens"]
        return result["choices"][0]["message"]["content"] or ""

    complete.stats = stats  # type: ignore[attr-defined]
    return complete  # type: ignore[return-value]


def server_plain(base_url: str, max_tokens: int) -> Callable[[list[dict[str, str]]], str]:
    import httpx

    stats = {"tokens": 0, "seconds": 0.0}

    def complete(messages: list[dict[str, str]]) -> str:
        started = time.perf_counter()
        reply = httpx.post(f"{base_url}/chat/completions", json={"messages": messages, "temperature": 0.0, "max_tokens": max_tokens, "seed": 0}, timeout=600)
        reply.raise_for_status()
        data = reply.json()
        stats["seconds"] += time.perf_counter() - started
        stats["tokens"] += data["usage"]["completion_tokens"]
        return data["choices"][0]["message"]["content"] or ""

    complete.stats = stats  # type: ignore[attr-defined]
    return complete


# ---- the run --------------------------------------------------------------------------------
def _row(model: str, mode: str, result: dict[str, Any], tokens: int | None, seconds: float | None, **extra: Any) -> dict[str, Any]:
    row = {"model": model, "mode": mode, **result, **extra}
    row["tokens_per_s"] = round(tokens / seconds, 1) if tokens and seconds else None
    return row


def run_model(model: str, cases: list[dict[str, Any]], catalog: Catalog, options: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    modes = options.modes
    engine = RecordingLlamaCpp(model, cache_dir=options.cache_dir, max_tokens=options.max_tokens, threads=options.threads)
    if "ours" in modes or "plain" in modes:
        started = time.perf_counter()
        engine.load()
        print(f"{engine.description}: loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if "ours" in modes:
        with Simulator(catalog, engine=engine) as simulator:
            before_t, before_s = engine.tokens_generated, engine.generate_seconds
            result = run_mode("ours", cases, simulator_answerer(simulator))
            rows.append(_row(model, "ours", result, engine.tokens_generated - before_t, engine.generate_seconds - before_s, **raw_validity(engine.raw)))
        engine.load()  # closing the simulator released the model
    if "plain" in modes:
        complete = llama_plain(engine._llama, options.max_tokens)
        result = run_mode("plain", cases, plain_answerer(complete))
        rows.append(_row(model, "plain", result, complete.stats["tokens"], complete.stats["seconds"]))  # type: ignore[attr-defined]
    asyncio.run(engine.aclose())
    if options.server:
        rows += run_server(model, cases, catalog, options)
    if options.transformers:
        rows += run_transformers(model, cases, catalog, options)
    return rows


def run_server(model: str, cases: list[dict[str, Any]], catalog: Catalog, options: argparse.Namespace) -> list[dict[str, Any]]:
    sys.path.append(str(HERE.parent / "tests"))
    from llama_server import LlamaServer  # noqa: E402  (a test helper, found after gtm_core)

    path = Path(locate_model(model, cache_dir=options.cache_dir).location)
    rows = []
    with LlamaServer.start(path, n_threads=options.threads or default_threads(), timeout=300) as server:
        engine = OpenAIEngine(base_url=server.base_url, max_tokens=options.max_tokens, timeout_s=600, concurrency=1)
        with Simulator(catalog, engine=engine) as simulator:
            started = time.perf_counter()
            result = run_mode("server-ours", cases, simulator_answerer(simulator))
            rows.append(_row(model, "server-ours", result, None, None, wall_s=round(time.perf_counter() - started, 1), response_format=engine.format_in_use))
        complete = server_plain(server.base_url, options.max_tokens)
        result = run_mode("server-plain", cases, plain_answerer(complete))
        rows.append(_row(model, "server-plain", result, complete.stats["tokens"], complete.stats["seconds"]))  # type: ignore[attr-defined]
    return rows


def run_transformers(model: str, cases: list[dict[str, Any]], catalog: Catalog, options: argparse.Namespace) -> list[dict[str, Any]]:
    """The first step of N cases through the transformers engine and then the llamacpp engine, on the same GGUF file."""
    from gtm_core.engines.transformers import TransformersEngine

    path = locate_model(model, cache_dir=options.cache_dir).location
    few = [{**case, "steps": case["steps"][:1]} for case in cases if not any(str(v).startswith("$") for v in case["steps"][0]["arguments"].values())]
    few = few[: options.transformers]
    threads = options.threads or default_threads()
    rows = []
    for name, engine in (("transformers", TransformersEngine(path, max_tokens=options.max_tokens, max_batch=1, threads=threads)),
                         ("llamacpp-same-calls", LlamaCppEngine(path, max_tokens=options.max_tokens, threads=threads))):  # fmt: skip
        started = time.perf_counter()
        engine.load()
        load_s = time.perf_counter() - started
        with Simulator(catalog, engine=engine) as simulator:
            result = run_mode(name, few, simulator_answerer(simulator))
        rows.append(_row(model, name, result, engine.tokens_generated, engine.generate_seconds, load_s=round(load_s, 1)))
    return rows


def decode_rates(model: str, options: argparse.Namespace) -> dict[str, Any]:
    """Generation speed alone, on the same GGUF file: a 64-token answer minus a 1-token one, twice per engine."""
    from gtm_core.engines.transformers import TransformersEngine

    path = locate_model(model, cache_dir=options.cache_dir).location
    threads = options.threads or default_threads()
    messages = [{"role": "user", "content": "Write the numbers from 1 to 200 separated by commas."}]
    out: dict[str, Any] = {}
    for name, engine in (("llamacpp", LlamaCppEngine(path, threads=threads)), ("transformers", TransformersEngine(path, threads=threads, max_batch=1))):
        engine.load()
        asyncio.run(engine.complete([ChatRequest(messages=messages, max_tokens=4)]))  # warm up
        rates = []
        for _ in range(2):
            t0, s0 = engine.tokens_generated, engine.generate_seconds
            asyncio.run(engine.complete([ChatRequest(messages=messages, max_tokens=1)]))
            t1, s1 = engine.tokens_generated, engine.generate_seconds
            asyncio.run(engine.complete([ChatRequest(messages=messages, max_tokens=64)]))
            t2, s2 = engine.tokens_generated, engine.generate_seconds
            rates.append(round(((t2 - t1) - (t1 - t0)) / ((s2 - s1) - (s1 - s0)), 1))
        out[name] = rates
        asyncio.run(engine.aclose())
    out["ratio_median"] = round(statistics.median(out["llamacpp"]) / statistics.median(out["transformers"]), 2)
    print(f"decode tokens/s on {model}: llamacpp {out['llamacpp']}, transformers {out['transformers']} ({out['ratio_median']}x)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="qwen2.5-coder-0.5b", help="comma-separated known model names or .gguf files")
    parser.add_argument("--modes", default="schema,ours,plain", help="comma-separated: schema, ours, plain (default all three)")
    parser.add_argument("--server", action="store_true", help="also server-ours and server-plain through llama-cpp-python's server")
    parser.add_argument("--transformers", type=int, default=0, metavar="N", help="also N one-step calls through the transformers engine (tokens/s)")
    parser.add_argument("--cases", type=int, default=None, help="only the first N cases of the set (after --skip)")
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N cases (to run a long set in parts)")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--cache-dir", default=None, help="where known models are installed (default $GTM_CACHE_DIR/models)")
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--out", type=Path, default=RESULTS)
    options = parser.parse_args()
    options.modes = [m.strip() for m in options.modes.split(",") if m.strip()]
    cases = load_set(options.set, options.cases, options.skip)
    catalog = Catalog([ToolSpec.from_dict(tool) for case in cases for tool in case["tools"]])
    report: dict[str, Any] = {"benchmark": "fidelity", "python": platform.python_version(), "cpus": os.cpu_count(),
                              "load_average_start": os.getloadavg(), "cases": len(cases), "max_tokens": options.max_tokens, "rows": []}  # fmt: skip
    if "schema" in options.modes:
        with Simulator(catalog, engine="schema") as simulator:
            report["rows"].append(_row("-", "schema", run_mode("schema", cases, simulator_answerer(simulator)), None, None))
    for model in [m.strip() for m in options.models.split(",") if m.strip()]:
        report["rows"] += run_model(model, cases, catalog, options)
        if options.transformers:
            report.setdefault("decode_tokens_per_s", {})[model] = decode_rates(model, options)
    report["load_average_end"] = os.getloadavg()
    print(f"\n{'model':<20}{'mode':<14}{'checks':>10}{'steps':>9}{'s/call':>8}{'tok/s':>7}  by kind")
    for row in report["rows"]:
        kinds = " ".join(f"{k}={v}" for k, v in row["by_kind"].items())
        print(f"{row['model']:<20}{row['mode']:<14}{row['passed']:>5}/{row['checks']:<4}{row['steps_passed']:>4}/{row['steps']:<4}"
              f"{row['s_per_call_median']:>8.2f}{row['tokens_per_s'] or 0:>7.1f}  {kinds}")  # fmt: skip
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
