"""The state-transition benchmark: scripted episodes over small tool sets, checked on every step.

Each tool set in benchmarks/state_sets/*.json is a catalog written for this benchmark (its own
domain and naming style), the operation each tool is meant to have, and scripted episodes:

    {"name": "...", "style": "camelCase", "domain": "...",
     "tools": [<ToolSpec dicts>],
     "expect": {"createLoan": "create", "getWeather": "none", ...},
     "episodes": [{"name": "...", "seed": {...}, "unknown_keys": "auto", "steps": [
         {"as": "a", "call": "createLoan", "arguments": {"title": "Dune"}, "expect": {"title": "Dune", "status": "active"}},
         {"call": "getLoan", "arguments": {"loanId": "$a.loanId"}, "expect": {"title": "Dune"}},
         {"call": "getLoan", "arguments": {"loanId": "L-404"}, "error": "not_found"},
         {"world": {"loan": {"count": 1, "$a.loanId": {"status": "returned"}}}}]}]}

A step's checks: no error (or the ``error`` kind it names), every ``expect`` path equal to its
value (``a.b``, ``items[*].id`` for the list of ids, ``items#`` for the length; a value
``"$label.path"`` is taken from an earlier step's answer), and ``world``: the episode's
snapshot holds ``count`` records of a resource and the record of a key has the fields given
(names matched across naming styles). Arguments may refer to earlier answers the same way.

Prints, per naming style, the share of steps whose checks all pass and the share of the
tools with a CRUD or state meaning that the resource model places with the meant operation;
writes benchmarks/results/state.json (or --out). Never asserts.

    .venv/bin/python benchmarks/state.py [--sets DIR] [--engine schema] [--out PATH] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gtm_core import Catalog, Simulator, ToolSpec
from gtm_core.resources.naming import field_key

SETS = Path(__file__).resolve().parent / "state_sets"
RESULTS = Path(__file__).resolve().parent / "results" / "state.json"
_MISSING = object()
_PATH = re.compile(r"([^.\[\]#]+)|\[\*\]|#")


def load_sets(folder: Path) -> list[dict[str, Any]]:
    """The tool sets of a folder, by file name; a clear error for a malformed one."""
    sets = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for name in ("name", "style", "tools", "expect", "episodes"):
            if name not in data:
                raise ValueError(f"{path}: a tool set needs {name!r}")
        data["file"] = path.name
        sets.append(data)
    if not sets:
        raise ValueError(f"no tool sets (*.json) in {folder}")
    return sets


def pick(value: Any, path: str) -> Any:
    """The value at ``path`` in an answer: ``a.b``, ``items[*].id`` (a list), ``items#`` (a length);
    field names match across naming styles (``ticketId`` finds ``ticket_id``)."""
    current: list[Any] = [value]
    spread = False
    for match in _PATH.finditer(path):
        token = match.group(0)
        if token == "[*]":
            current = [i for c in current if isinstance(c, list) for i in c]
            spread = True
        elif token == "#":
            current = [len(c) if isinstance(c, (list, dict)) else _MISSING for c in current]
        else:
            current = [_field(c, token) for c in current]
    if spread:
        return [c for c in current if c is not _MISSING]
    return current[0] if current else _MISSING


def _field(value: Any, name: str) -> Any:
    if not isinstance(value, Mapping):
        return _MISSING
    if name in value:
        return value[name]
    wanted = field_key(name)
    return next((v for k, v in value.items() if field_key(k) == wanted), _MISSING)


def resolve(value: Any, answers: Mapping[str, Any]) -> Any:
    """``"$label.path"`` replaced by the value at ``path`` of the answer labelled ``label``."""
    if isinstance(value, str) and value.startswith("$") and "." in value:
        label, path = value[1:].split(".", 1)
        if label not in answers:
            raise ValueError(f"{value!r} refers to step {label!r}, which no earlier step is labelled ('as')")
        return pick(answers[label], path)
    if isinstance(value, list):
        return [resolve(v, answers) for v in value]
    if isinstance(value, dict):
        return {resolve(k, answers) if isinstance(k, str) else k: resolve(v, answers) for k, v in value.items()}
    return value


def run_episode(sim: Simulator, episode: Mapping[str, Any], episode_id: str) -> list[dict[str, Any]]:
    """Run one scripted episode; per step: the call, its checks and the failures."""
    sim.reset_episode(episode_id, seed=episode.get("seed"), unknown_keys=episode.get("unknown_keys"))
    answers: dict[str, Any] = {}
    out = []
    for index, step in enumerate(episode["steps"]):
        failures: list[str] = []
        checks = 0
        if "call" in step:
            arguments = resolve(step.get("arguments", {}), answers)
            result = sim.simulate(step["call"], arguments, episode=episode_id)
            answer = result.structured
            checks += 1
            wanted_error = step.get("error")
            if wanted_error is None and result.is_error:
                failures.append(f"answered with an error ({result.error_kind}): {result.content[:160]}")
            elif wanted_error is not None and result.error_kind != wanted_error:
                failures.append(f"wanted a {wanted_error} error, got {result.error_kind or 'no error'}: {result.content[:120]}")
            if "as" in step:
                answers[step["as"]] = answer
            for path, want in resolve(step.get("expect", {}), answers).items():
                checks += 1
                have = pick(answer, path)
                if not _same(have, want):
                    failures.append(f"{path}: wanted {want!r}, got {'(missing)' if have is _MISSING else repr(have)[:120]}")
        if "world" in step:
            snapshot = sim.episode(episode_id).snapshot()["resources"]
            for resource, wants in resolve(step["world"], answers).items():
                records = snapshot.get(resource, {}).get("records", {})
                for key, want in wants.items():
                    checks += 1
                    if key == "count":
                        if len(records) != want:
                            failures.append(f"world {resource}: wanted {want} records, holds {len(records)}")
                        continue
                    record = records.get(str(key))
                    if record is None:
                        failures.append(f"world {resource}: no record {key!r} (holds {sorted(records)[:5]})")
                        continue
                    for name, value in want.items():
                        have = _field(record, name)
                        if not _same(have, value):
                            failures.append(f"world {resource} {key}: {name} wanted {value!r}, got {'(missing)' if have is _MISSING else repr(have)}")
        out.append({"step": index, "call": step.get("call", "(world)"), "checks": checks, "failures": failures})
    return out


def _same(have: Any, want: Any) -> bool:
    if isinstance(want, list) and isinstance(have, list):
        return sorted(map(json.dumps, have)) == sorted(map(json.dumps, want))
    return bool(have == want)


def placement(sim: Simulator, expect: Mapping[str, str]) -> dict[str, Any]:
    """The tools meant to have a CRUD or state operation that the model gives that operation."""
    model = sim.resource_model
    unplaced = {u.tool: u.reason for u in model.unplaced}
    meant = {tool: kind for tool, kind in expect.items() if kind != "none"}
    right, wrong = [], []
    for tool, kind in meant.items():
        operation = model.operation(tool)
        if operation is not None and operation.kind == kind:
            right.append(tool)
        else:
            got = f"{operation.kind} of {operation.resource}" if operation is not None else f"unplaced: {unplaced.get(tool, 'no resource verb in its name')}"
            wrong.append({"tool": tool, "meant": kind, "got": got})
    extra = [t for t, kind in expect.items() if kind == "none" and model.operation(t) is not None]
    return {"meant": len(meant), "placed": len(right), "wrong": wrong, "placed_but_none": extra}


def run_set(tool_set: Mapping[str, Any], engine: str = "schema") -> dict[str, Any]:
    """Every episode of one tool set, and its placement."""
    specs = [ToolSpec.from_dict(t) for t in tool_set["tools"]]
    names = {s.name for s in specs}
    missing = sorted(set(tool_set["expect"]) ^ names)
    if missing:
        raise ValueError(f"{tool_set['file']}: 'expect' and 'tools' disagree on {missing}")
    sim = Simulator(Catalog(specs), engine=engine, seed=0)
    steps = []
    for number, episode in enumerate(tool_set["episodes"]):
        label = episode.get("name", str(number))
        try:
            done = run_episode(sim, episode, f"{tool_set['name']}-{number}")
        except ValueError as exc:  # a seed the model cannot take: every step of the episode fails
            done = [{"step": i, "call": s.get("call", "(world)"), "checks": 1, "failures": [f"episode not run: {exc}"]} for i, s in enumerate(episode["steps"])]
        steps.extend({"episode": label, **step} for step in done)
    return {"name": tool_set["name"], "style": tool_set["style"], "domain": tool_set.get("domain", ""), "steps": steps,
            "placement": placement(sim, tool_set["expect"])}  # fmt: skip


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for result in results:
        for style in (result["style"], "all"):
            row = rows[style]
            row["sets"] += 1
            row["steps"] += len(result["steps"])
            row["steps_passed"] += sum(1 for s in result["steps"] if not s["failures"])
            row["checks"] += sum(s["checks"] for s in result["steps"])
            row["checks_failed"] += sum(len(s["failures"]) for s in result["steps"])
            row["tools_meant"] += result["placement"]["meant"]
            row["tools_placed"] += result["placement"]["placed"]
    order = sorted((s for s in rows if s != "all"), key=str.lower) + ["all"]
    return [{"style": s, **rows[s], "step_share": rows[s]["steps_passed"] / max(1, rows[s]["steps"]),
             "placed_share": rows[s]["tools_placed"] / max(1, rows[s]["tools_meant"])} for s in order]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=Path, default=SETS, help=f"folder of tool sets (default {SETS})")
    parser.add_argument("--engine", default="schema", help="engine name (default schema)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON results file (default {RESULTS})")
    parser.add_argument("--verbose", action="store_true", help="print every failed check and misplaced tool")
    options = parser.parse_args()
    try:
        sets = load_sets(options.sets)
    except (OSError, ValueError) as exc:
        sys.exit(f"state benchmark: {exc}")
    results = [run_set(s, options.engine) for s in sets]
    rows = summarise(results)
    print(f"state benchmark, engine {options.engine}: {len(sets)} tool sets, {rows[-1]['steps']} steps")
    print(f"{'naming style':<24}{'sets':>6}{'steps':>7}{'steps ok':>10}{'checks':>8}{'failed':>8}{'meant':>7}{'placed':>8}")
    for r in rows:
        print(f"{r['style']:<24}{r['sets']:>6}{r['steps']:>7}{r['step_share']:>10.1%}{r['checks']:>8}{r['checks_failed']:>8}"
              f"{r['tools_meant']:>7}{r['placed_share']:>8.1%}")  # fmt: skip
    for result in results:
        failed = [s for s in result["steps"] if s["failures"]]
        misplaced = result["placement"]["wrong"] + [{"tool": t, "meant": "none", "got": "placed"} for t in result["placement"]["placed_but_none"]]
        if options.verbose or failed or misplaced:
            for step in failed[: None if options.verbose else 3]:
                print(f"  {result['name']} / {step['episode']} step {step['step']} {step['call']}: {'; '.join(step['failures'])}")
            for tool in misplaced:
                print(f"  {result['name']}: {tool['tool']} meant {tool['meant']}, {tool['got']}")
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps({"benchmark": "state", "engine": options.engine, "rows": rows, "sets": results}, indent=1), encoding="utf-8")
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
