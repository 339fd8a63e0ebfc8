"""Sim vs real: scripted writes then reads against the npm reference servers and their simulated twins.

For each server (server-memory, server-filesystem, installed under .venv/node by .ci/setup) the
same script of calls runs twice: against the real server over stdio (MEMORY_FILE_PATH and the
allowed directory are fresh temporary ones), and against its twin, the server's own tools read
with ``mcp_server.importer.import_server`` into a Catalog and simulated by the schema engine in
one episode. The writes are not compared (their answers are messages); every read is, and the
figure is the share of reads whose two answers agree on what matters, by the read's *view*:

- ``graph`` (memory: read_graph, search_nodes, open_nodes): the set of entities, each as (name,
  entityType, the set of its observations), and the set of relations as (from, relationType,
  to). Order and formatting are ignored; an error answer is the view ``error``.
- ``content`` (filesystem: read_file): the file's text, exactly; or ``error`` (a missing file).
- ``entries`` (filesystem: list_directory): the set of entry names of the directory. A line's
  name is its last path segment once a leading ``[TAG]`` (``[FILE]``, ``[DIR]``) and a trailing
  ``/`` are taken off; which entries are folders is not compared (the simulated listing marks
  them with ``/``, the real one with ``[DIR]``); or ``error``.
- ``exists`` (filesystem: get_file_info): only whether the call succeeded (the path exists):
  the real answer's size and times are not modelled by the world, so they are not compared.

The twin runs twice. With the world rule ``closed`` (the headline figure): the real servers
start empty (a fresh memory file, an empty directory), and ``closed`` is the rule that says the
world holds only what the episode made, as they do. With the default ``auto`` rule: before the
episode has made records of a resource, an unknown key or an empty list gets the engine's
plausible records (remembered from then on, ``gtm_core.resources.world``), which an empty real
server does not have, so the reads before the first write (and lists that still hold what they
invented) disagree by design.

Paths in the filesystem script are under the real server's allowed directory (a temporary one),
and the same paths go to the twin. Prints a table per server (reads, agreeing, share) and each
disagreeing read with both views; writes benchmarks/results/state_real.json (or --out). Never
asserts.

    .venv/bin/python benchmarks/state_real.py [--servers memory,filesystem] [--out PATH] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from gtm_core import Catalog, Simulator
from mcp_server.importer import import_server

NODE_BIN = Path(sys.prefix) / "node" / "node_modules" / ".bin"
RESULTS = Path(__file__).resolve().parent / "results" / "state_real.json"
_TAG = re.compile(r"^\s*\[[^\]]*\]\s*")

Step = dict[str, Any]  # {"call": tool, "arguments": {...}, "view": None (a write) or a view name}


def memory_script() -> list[Step]:
    """Writes and reads over server-memory's knowledge graph (every write kind, reads after each)."""
    people = [{"name": "Ada", "entityType": "person", "observations": ["likes tea"]},
              {"name": "Bob", "entityType": "person", "observations": []},
              {"name": "Lisbon", "entityType": "city", "observations": ["sunny", "on the Tagus"]}]  # fmt: skip
    return [
        _read("read_graph", {}, "graph"),
        _write("create_entities", {"entities": people}),
        _read("read_graph", {}, "graph"),
        _read("open_nodes", {"names": ["Ada"]}, "graph"),
        _read("open_nodes", {"names": ["Ada", "Lisbon", "Nobody"]}, "graph"),
        _write("add_observations", {"observations": [{"entityName": "Ada", "contents": ["writes code", "likes tea"]}]}),
        _read("open_nodes", {"names": ["Ada"]}, "graph"),
        _read("search_nodes", {"query": "code"}, "graph"),
        _write("create_relations", {"relations": [{"from": "Ada", "to": "Bob", "relationType": "knows"},
                                                  {"from": "Ada", "to": "Lisbon", "relationType": "lives_in"}]}),  # fmt: skip
        _read("read_graph", {}, "graph"),
        _read("open_nodes", {"names": ["Bob"]}, "graph"),
        _read("search_nodes", {"query": "tagus"}, "graph"),
        _write("delete_observations", {"deletions": [{"entityName": "Ada", "observations": ["likes tea"]}]}),
        _read("open_nodes", {"names": ["Ada"]}, "graph"),
        _read("search_nodes", {"query": "tea"}, "graph"),
        _write("delete_entities", {"entityNames": ["Bob"]}),
        _read("read_graph", {}, "graph"),
        _read("open_nodes", {"names": ["Bob"]}, "graph"),
        _write("create_entities", {"entities": [{"name": "Cleo", "entityType": "person", "observations": ["plays chess"]}]}),
        _write("add_observations", {"observations": [{"entityName": "Cleo", "contents": ["lives in Lisbon"]}]}),
        _read("search_nodes", {"query": "lisbon"}, "graph"),
        _read("search_nodes", {"query": "person"}, "graph"),
        _read("read_graph", {}, "graph"),
    ]


def filesystem_script(root: str) -> list[Step]:
    """Writes and reads over server-filesystem under ``root`` (its allowed directory)."""
    a, b, c, sub = f"{root}/a.txt", f"{root}/sub/b.txt", f"{root}/c.txt", f"{root}/sub"
    return [
        _read("list_directory", {"path": root}, "entries"),
        _read("read_file", {"path": a}, "content"),
        _write("write_file", {"path": a, "content": "hello world\nsecond line\n"}),
        _read("read_file", {"path": a}, "content"),
        _read("get_file_info", {"path": a}, "exists"),
        _read("list_directory", {"path": root}, "entries"),
        _write("create_directory", {"path": sub}),
        _read("list_directory", {"path": root}, "entries"),
        _read("list_directory", {"path": sub}, "entries"),
        _write("write_file", {"path": b, "content": "bee"}),
        _read("list_directory", {"path": sub}, "entries"),
        _read("read_file", {"path": b}, "content"),
        _write("edit_file", {"path": a, "edits": [{"oldText": "world", "newText": "there"}]}),
        _read("read_file", {"path": a}, "content"),
        _write("write_file", {"path": b, "content": "bee, rewritten"}),
        _read("read_file", {"path": b}, "content"),
        _write("move_file", {"source": a, "destination": c}),
        _read("read_file", {"path": a}, "content"),
        _read("read_file", {"path": c}, "content"),
        _read("get_file_info", {"path": a}, "exists"),
        _read("get_file_info", {"path": c}, "exists"),
        _read("list_directory", {"path": root}, "entries"),
        _read("get_file_info", {"path": f"{root}/never.txt"}, "exists"),
    ]


def _write(call: str, arguments: dict[str, Any]) -> Step:
    return {"call": call, "arguments": arguments, "view": None}


def _read(call: str, arguments: dict[str, Any], view: str) -> Step:
    return {"call": call, "arguments": arguments, "view": view}


# ---- views: what a read's answer says, formatting taken off ------------------------------
def _answer_json(structured: Any, text: str) -> Any:
    if isinstance(structured, dict):
        return structured
    try:
        return json.loads(text)
    except ValueError:
        return None


def view_of(view: str, is_error: bool, structured: Any, text: str) -> Any:
    """The comparable content of one read's answer (see the module docstring)."""
    if is_error:
        return "error"
    data = _answer_json(structured, text)
    if view == "exists":
        return "exists"
    if view == "graph":
        data = data if isinstance(data, dict) else {}
        entities = sorted((e.get("name"), e.get("entityType"), tuple(sorted(e.get("observations") or [])))
                          for e in data.get("entities") or [] if isinstance(e, dict))  # fmt: skip
        relations = sorted((r.get("from"), r.get("relationType"), r.get("to")) for r in data.get("relations") or [] if isinstance(r, dict))
        return {"entities": entities, "relations": relations}
    body = data.get("content") if isinstance(data, dict) and isinstance(data.get("content"), str) else text
    if view == "content":
        return body
    if view == "entries":
        names = {_TAG.sub("", line).strip().rstrip("/").rpartition("/")[2] for line in body.splitlines()}
        return sorted(n for n in names if n)
    raise ValueError(f"unknown view {view!r}")


# ---- running -----------------------------------------------------------------------------
async def _run_real(argv: list[str], env: dict[str, str], steps: list[Step]) -> list[Any]:
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    views = []
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet)) as client:  # type: ignore[arg-type]
            for step in steps:
                result = await client.call_tool(step["call"], step["arguments"])
                text = "\n".join(getattr(c, "text", "") for c in result.content)
                if step["view"] is not None:
                    views.append(view_of(step["view"], bool(result.is_error), result.structured_content, text))
    return views


def _run_sim(command: str, env: dict[str, str], steps: list[Step], rule: str) -> list[Any]:
    imported = import_server(command=command, env=env)
    if imported.problems:
        raise SystemExit(f"{command}: tools that could not be imported: {imported.problems}")
    sim = Simulator(Catalog(imported.specs), unknown_keys=rule)
    episode = sim.open_episode("sim-vs-real").id
    views = []
    for step in steps:
        result = sim.simulate(step["call"], step["arguments"], episode=episode)
        if step["view"] is not None:
            views.append(view_of(step["view"], result.is_error, result.structured, result.content))
    return views


def run_server(server: str, folder: Path, rule: str = "closed") -> dict[str, Any]:
    """Run one server's script against the real server and its twin (world rule ``rule``); the comparison row."""
    env = dict(os.environ)
    if server == "memory":
        env["MEMORY_FILE_PATH"] = str(folder / "memory.jsonl")
        argv, steps = [str(NODE_BIN / "mcp-server-memory")], memory_script()
    else:
        root = folder / "files"
        root.mkdir()
        real_root = str(root.resolve())
        argv, steps = [str(NODE_BIN / "mcp-server-filesystem"), real_root], filesystem_script(real_root)
    command = shlex.join(argv)
    twin = _run_sim(command, env, steps, rule)  # the twin is read first: reading the tools writes nothing
    real = anyio.run(_run_real, argv, env, steps)
    reads = [s for s in steps if s["view"] is not None]
    rows = []
    for index, (step, sim_view, real_view) in enumerate(zip(reads, twin, real, strict=True)):
        rows.append({"read": index, "call": step["call"], "arguments": step["arguments"], "view": step["view"],
                     "agree": sim_view == real_view, "sim": sim_view, "real": real_view})  # fmt: skip
    agree = sum(r["agree"] for r in rows)
    result = {"server": server, "unknown_keys": rule, "reads": len(rows), "agree": agree, "share": round(agree / len(rows), 4) if rows else 1.0,
            "writes": len(steps) - len(rows), "disagreements": [r for r in rows if not r["agree"]], "rows": rows}  # fmt: skip
    text = json.dumps(result).replace(str(folder.resolve()), "<tmp>").replace(str(folder), "<tmp>")
    return dict(json.loads(text))  # the temporary folder's name says nothing: <tmp> in its place


SERVERS: dict[str, Callable[..., Any]] = {"memory": memory_script, "filesystem": filesystem_script}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated, of {', '.join(SERVERS)} (default all)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results file (default {RESULTS})")
    parser.add_argument("--verbose", action="store_true", help="print every read with both views")
    options = parser.parse_args()
    servers = [s.strip() for s in options.servers.split(",") if s.strip()]
    unknown = sorted(set(servers) - set(SERVERS))
    if unknown or not servers:
        parser.error(f"--servers: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(SERVERS)}")
    programs = {"memory": "mcp-server-memory", "filesystem": "mcp-server-filesystem"}
    missing = [programs[s] for s in servers if not (NODE_BIN / programs[s]).exists()]
    if missing:
        sys.exit(f"not installed under {NODE_BIN}: {', '.join(missing)}; run .ci/setup (npm install @modelcontextprotocol/server-*)")
    results = []
    print(f"{'server':<11} {'world rule':<10} {'reads':>5} {'agree':>5} {'share':>7}")
    for server in servers:
        for rule in ("closed", "auto"):
            with tempfile.TemporaryDirectory() as folder:
                row = run_server(server, Path(folder), rule)
            results.append(row)
            print(f"{server:<11} {rule:<10} {row['reads']:>5} {row['agree']:>5} {row['share']:>7.1%}")
            for r in row["rows"] if options.verbose else row["disagreements"]:
                mark = "ok  " if r["agree"] else "DIFF"
                print(f"  {mark} #{r['read']} {r['call']} {json.dumps(r['arguments'])[:70]}\n       sim:  {json.dumps(r['sim'])[:200]}\n       real: {json.dumps(r['real'])[:200]}")
    for row in results:  # the disagreements say enough; every read is printed with --verbose
        row.pop("rows")
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps({"benchmark": "state_real", "engine": "schema", "servers": results}, indent=2, default=list) + "\n", encoding="utf-8")
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
