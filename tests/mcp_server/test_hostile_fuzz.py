"""Fuzz and load against a real `gtm serve --transport http` process (issue 15, "Done when").

- A fuzz run of 10,000 tools/call over HTTP: random tools of the shipped catalog and of tool
  sets in other naming styles (camelCase, kebab-case, dotted, spaced, over-long names), with
  sampled valid arguments, mutated ones (the four error kinds), junk values (NaN, infinities,
  lone surrogates, huge numbers and strings, deep nesting) and non-object arguments.
  0 crashes (no 5xx, no -32603, no traceback, the server alive after), 0 non-error results
  that break the tool's output schema.
- 200 concurrent episodes: each reads back only the records it created (0 cross-talk).
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from hostile_helpers import ACCEPT, HttpSession, http_server, log
from mcp_helpers import varied_specs

from gtm_core import Catalog, ToolSpec
from gtm_core.catalog import shipped_catalog_path
from gtm_core.convert import spec_from_mcp
from gtm_core.mutate import MUTATION_KINDS, mutate
from gtm_core.sampler import sample_arguments

FUZZ_CALLS = 10_000
THREADS = 8
EPISODES = 200

JUNK: list[Any] = [
    float("nan"), float("inf"), float("-inf"), 1e308, -(2**63), 2**70, 0, -1, "", "\ud800", "a\udfffb", "x" * 20_000,
    None, [], {}, True, "🙂" * 200, "'; DROP TABLE users; --", "../../etc/passwd", "\x00\x01", {"$ref": "#"},
    json.loads("[" * 150 + "]" * 150), [None] * 500,
]  # fmt: skip


def _styled(specs: list[ToolSpec]) -> list[ToolSpec]:
    """The same tools renamed in other naming styles, some parameters too."""
    styles = [
        lambda n: re.sub(r"_(\w)", lambda m: m.group(1).upper(), n),  # camelCase
        lambda n: n.replace("_", "-"),  # kebab-case
        lambda n: n.replace("_", ".", 1),  # dotted namespace
        lambda n: n.replace("_", " ").title(),  # spaced words (not a valid MCP name: the server renames it)
        lambda n: f"{n}_{'x' * 80}",  # over 64 characters
        lambda n: n.upper(),  # UPPER_SNAKE
    ]
    styled = []
    for index, spec in enumerate(specs):
        rename = styles[index % len(styles)]
        data = spec.to_dict()
        data["name"] = rename(spec.name)
        if index % 2:
            properties = data["parameters"].get("properties", {})
            data["parameters"]["properties"] = {rename(k): v for k, v in properties.items()}
            data["required"] = [rename(k) for k in data.get("required", [])]
        styled.append(ToolSpec.from_dict(data))
    return styled


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Any, int, list[dict[str, Any]]]]:
    """A server of the shipped catalog plus styled tool sets; (process, port, every listed tool)."""
    extra = tmp_path_factory.mktemp("fuzz") / "styled.jsonl"
    Catalog(_styled(varied_specs(60, seed=3))).save(extra)
    with http_server("--catalog", str(shipped_catalog_path()), "--catalog", str(extra)) as (process, port):
        session = HttpSession(port)
        tools: list[dict[str, Any]] = []
        cursor = None
        while True:
            _, page = session.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"cursor": cursor} if cursor else {}}).encode())
            tools += page["result"]["tools"]
            cursor = page["result"].get("nextCursor")
            if cursor is None:
                break
        yield process, port, tools


class _Client:
    """One keep-alive HTTP connection in an initialized MCP session."""

    def __init__(self, port: int) -> None:
        self.headers = {**HttpSession(port).headers, "Content-Type": "application/json", "Accept": ACCEPT}
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, body: bytes) -> tuple[int, bytes]:
        for attempt in range(2):
            try:
                self.connection.request("POST", "/mcp", body=body, headers=self.headers)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):  # an idle keep-alive closed
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


def _arguments(rng: random.Random, spec: ToolSpec) -> Any:
    """Valid, mutated, junk-laden or non-object arguments for ``spec``."""
    valid = sample_arguments(spec, rng=rng)
    roll = rng.random()
    if roll < 0.35:
        return valid
    if roll < 0.65:
        mutation = mutate(spec, valid, rng.choice(MUTATION_KINDS), rng)
        return mutation.arguments if mutation is not None else valid
    if roll < 0.92:
        junk = dict(valid)
        keys = list(spec.properties) or ["anything"]
        for _ in range(rng.randint(1, 3)):
            junk[rng.choice(keys)] = rng.choice(JUNK)
        return junk
    return rng.choice(["text", [1, 2], 3, 2.5, True, None, json.loads("{" + '"a":{' * 120 + "}" * 121)])


def _fuzz(port: int, tools: list[dict[str, Any]], worker: int, calls: int, tally: Counter[str], problems: list[str], lock: threading.Lock) -> None:
    rng = random.Random(worker)
    client = _Client(port)
    specs = {tool["name"]: spec_from_mcp(tool) for tool in tools}
    local: Counter[str] = Counter()
    found: list[str] = []
    try:
        _fuzz_calls(client, rng, specs, tools, worker, calls, local, found)
    finally:
        client.close()
    with lock:
        tally.update(local)
        problems.extend(found)


def _fuzz_calls(client: _Client, rng: random.Random, specs: dict[str, ToolSpec], tools: list[dict[str, Any]], worker: int, calls: int, local: Counter[str], found: list[str]) -> None:
    names = list(specs)
    schemas = {t["name"]: t.get("outputSchema") for t in tools}
    for i in range(calls):
        name = rng.choice(names)
        arguments = _arguments(rng, specs[name])
        if rng.random() < 0.02:
            name = rng.choice([name + "_nope", name.upper() + "?", "", "x" * 5000])
        params: dict[str, Any] = {"name": name, "arguments": arguments, "_meta": {"gtm/episode": f"fuzz-{worker}-{rng.randrange(20)}"}}
        body = json.dumps({"jsonrpc": "2.0", "id": f"{worker}-{i}", "method": "tools/call", "params": params}, allow_nan=True).encode()
        status, raw = client.post(body)
        local["calls"] += 1
        text = raw.decode("utf-8", "replace")
        if status >= 500 or "Traceback" in text:
            found.append(f"crash {status} on {name!r}: {text[:300]}")
            continue
        try:
            answer = json.loads(raw)
        except ValueError:
            found.append(f"crash: not JSON ({status}) on {name!r}: {text[:300]}")
            continue
        if "error" in answer:
            local[f"protocol_error {answer['error'].get('code')}"] += 1
            if answer["error"].get("code") == -32603:
                found.append(f"crash -32603 on {name!r}: {answer['error']}")
            continue
        result = answer["result"]
        if result.get("isError"):
            local["error_results"] += 1
            continue
        local["ok_results"] += 1
        schema = schemas.get(name)
        if schema is not None:
            data = result.get("structuredContent")
            if data is None:
                data = json.loads(result["content"][0]["text"])
            broken = [e.message for e in jsonschema.validators.validator_for(schema)(schema).iter_errors(data)]
            if broken:
                found.append(f"schema break on {name!r} with {str(arguments)[:200]}: {broken[:2]}")


@pytest.mark.slow
def test_a_10000_call_fuzz_run_over_http_finds_no_crash_and_no_schema_break(served):
    process, port, tools = served
    assert len(tools) > 400 and any("-" in t["name"] for t in tools) and any(re.search("[a-z][A-Z]", t["name"]) for t in tools)
    tally: Counter[str] = Counter()
    problems: list[str] = []
    lock = threading.Lock()
    threads = [threading.Thread(target=_fuzz, args=(port, tools, w, FUZZ_CALLS // THREADS, tally, problems, lock)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"\nfuzz: {dict(tally)}; problems: {len(problems)}")
    assert tally["calls"] == FUZZ_CALLS
    assert problems == []
    assert tally["ok_results"] > 1000 and tally["error_results"] > 1000  # both paths were exercised
    assert HttpSession(port).call("get_current_weather", {"city": "Oslo"})[1]["result"]["isError"] is False  # alive
    assert process.poll() is None and "Traceback" not in log(process)


def test_200_concurrent_episodes_each_read_back_only_their_own_records(served):
    """Each episode creates orders marked with its own email, reads them back and lists them; no other episode's mark ever shows."""
    _, port, _ = served
    catalog = Catalog.shipped()
    create = catalog.get("create_order")
    created: dict[int, list[str]] = {}
    leaks: list[str] = []
    barrier = threading.Barrier(20)
    lock = threading.Lock()

    def call(client: _Client, episode: int, tool: str, arguments: dict[str, Any]) -> Any:
        params = {"name": tool, "arguments": arguments, "_meta": {"gtm/episode": f"load-{episode}"}}
        status, raw = client.post(json.dumps({"jsonrpc": "2.0", "id": f"{episode}-{tool}-{random.random()}", "method": "tools/call", "params": params}).encode())
        assert status == 200, raw[:300]
        result = json.loads(raw)["result"]
        return result, raw.decode()

    def marks(text: str) -> set[str]:
        return set(re.findall(r"load-ep(\d+)@example\.com", text))

    def worker(index: int) -> None:
        client = _Client(port)
        try:
            work(client, index)
        finally:
            client.close()

    def work(client: _Client, index: int) -> None:
        mine = range(index * (EPISODES // 20), (index + 1) * (EPISODES // 20))
        for step in range(2):
            for episode in mine:
                arguments = sample_arguments(create, rng=episode * 10 + step)
                arguments["customer_email"] = f"load-ep{episode}@example.com"
                result, _ = call(client, episode, "create_order", arguments)
                assert not result["isError"], result
                with lock:
                    created.setdefault(episode, []).append(result["structuredContent"]["order_id"])
        barrier.wait()
        for episode in mine:
            reads = [call(client, episode, "get_order", {"order_id": order_id}) for order_id in created[episode]]
            reads.append(call(client, episode, "list_orders", {"limit": 100}))
            neighbour = created[(episode + 1) % EPISODES][0]
            reads.append(call(client, episode, "get_order", {"order_id": neighbour}))
            seen = set().union(*(marks(raw) for _, raw in reads))
            own = {str(episode)}
            if seen - own or own - marks(reads[0][1]):
                with lock:
                    leaks.append(f"episode {episode} saw {sorted(seen)}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(created) == EPISODES and all(len(ids) == 2 for ids in created.values())
    assert leaks == []
