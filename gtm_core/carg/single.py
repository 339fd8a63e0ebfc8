"""Stage 3, single-turn input/output: a call per example, answered by the teacher, checked at three levels.

For each tool, ``single`` examples: arguments from the teacher (``calls.write_arguments``),
the response from the teacher playing the tool through the Simulator (so the argument
checks and the episode world apply), then the three levels of ``validation``: format,
contradiction, coherence (the judge where one is given, else the deterministic checks).

Regeneration: after a round, the tools whose pass rate is below ``regen_below`` get their
failed examples made again (a new attempt, told what was wrong), up to ``max_attempts``
attempts in all. The last attempt of each example is the one that counts.

Output ``single.jsonl``, one line per attempt, id ``<tool>#<k>@<attempt>``::

    {"id", "tool", "k", "attempt", "arguments", "response", "is_error", "error_kind",
     "engine", "fallback", "writer": {...}, "levels": {"format": {"pass", "problems", "by"},
     "contradiction": {...}, "coherence": {...}}, "passed", "record": <training record> | null}
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from ..evaluation.judge import JudgeItem
from ..prompt import training_record
from ..results import ToolCall
from ..spec import ToolSpec
from .calls import CallJob, write_arguments
from .judging import coherence_item, judge_coherence
from .runner import Round, run_stage
from .store import StageFile, item_seed
from .validation import Check, check_coherence, check_contradictions, check_format
from .workspace import Workspace

__all__ = ["LEVELS", "final_items", "run_single", "single_summary"]

LEVELS = ("format", "contradiction", "coherence")


def _id(tool: str, k: int, attempt: int) -> str:
    return f"{tool}#{k}@{attempt}"


def final_items(store: StageFile, *, before: int | None = None) -> dict[tuple[str, int], dict[str, Any]]:
    """The latest attempt of each (tool, k) made so far (only attempts below ``before`` when given)."""
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    for item in store:
        if before is not None and item["attempt"] >= before:
            continue
        key = (item["tool"], item["k"])
        if key not in latest or latest[key]["attempt"] < item["attempt"]:
            latest[key] = item
    return latest


def _round_todo(ws: Workspace, store: StageFile, tools: Sequence[ToolSpec], attempt: int) -> list[tuple[ToolSpec, int, str]]:
    """The (tool, k, what was wrong) to make in round ``attempt``, from the rounds before it."""
    count = ws.settings.single
    if count == 0:
        return []
    if attempt == 0:
        return [(spec, k, "") for spec in tools for k in range(count)]
    latest = final_items(store, before=attempt)
    todo = []
    for spec in tools:
        items = [latest.get((spec.name, k)) for k in range(count)]
        if any(i is None for i in items):
            continue  # not made yet (a tool added to the catalog later): round 0 makes it
        rate = sum(1 for i in items if i["passed"]) / count
        if rate >= ws.settings.regen_below:
            continue
        for k, item in enumerate(items):
            if not item["passed"] and item["attempt"] == attempt - 1:
                todo.append((spec, k, _what_was_wrong(item)))
    return todo


def _what_was_wrong(item: dict[str, Any]) -> str:
    problems = [p for level in LEVELS for p in item["levels"].get(level, {}).get("problems", [])]
    if item.get("writer", {}).get("problem"):
        problems.insert(0, item["writer"]["problem"])
    return "; ".join(problems)[:400]


class _Job(NamedTuple):
    """One single-turn example to make: attempt ``attempt`` of example ``k`` of ``spec``."""

    spec: ToolSpec
    k: int
    attempt: int
    avoid: str  # what was wrong with the attempt before ("" on the first)


async def _make(ws: Workspace, sim: Any, batch: list[_Job]) -> list[dict[str, Any]]:
    seed = ws.settings.seed
    jobs = [CallJob(j.spec, item_seed(seed, "single", j.spec.name, j.k, j.attempt), purpose="a typical use of this tool", attempt=j.attempt, avoid=j.avoid)
            for j in batch]  # fmt: skip
    written = await write_arguments(ws.teacher, jobs)
    ids = [_id(j.spec.name, j.k, j.attempt) for j in batch]
    calls = [ToolCall(j.spec.name, w.arguments if w.arguments is not None else {}, item_id) for j, w, item_id in zip(batch, written, ids)]
    results = await sim.asimulate_batch(calls)
    ws.engine.raise_if_failed()
    for item_id in ids:
        sim.close_episode(item_id)
    items = []
    judge_cases: list[tuple[int, JudgeItem]] = []
    for index, ((spec, k, attempt, _), w, result, item_id) in enumerate(zip(batch, written, results, ids)):
        arguments = w.arguments if w.arguments is not None else {}
        response = result.structured if result.structured is not None else result.content
        levels: dict[str, Check] = {}
        if w.arguments is None:
            levels["format"] = Check(False, [f"arguments: {w.problem}"])
        else:
            levels["format"] = check_format(spec, arguments, response, is_json=result.structured is not None)
        levels["contradiction"] = check_contradictions(spec, arguments)
        levels["coherence"] = check_coherence(spec, arguments, response, is_error=result.is_error)
        if ws.judge is not None and levels["format"].passed and levels["contradiction"].passed and not result.is_error:
            judge_cases.append((index, coherence_item(spec, arguments, response)))
        items.append({
            "id": item_id, "tool": spec.name, "k": k, "attempt": attempt,
            "arguments": arguments, "response": response, "is_error": result.is_error, "error_kind": result.error_kind,
            "engine": result.engine, "fallback": result.fallback,
            "writer": {"by": w.by, "fallback": w.fallback, "problem": w.problem},
            "levels": levels,
        })  # fmt: skip
    if judge_cases:
        verdicts = await judge_coherence(ws.judge, [case for _, case in judge_cases])  # type: ignore[arg-type]
        for (index, _), verdict in zip(judge_cases, verdicts):
            levels = items[index]["levels"]
            if verdict is None:
                levels["coherence"].by = "deterministic (the judge gave no usable verdict)"
            else:
                levels["coherence"] = Check(verdict.passed, [] if verdict.passed else [verdict.reason or "the judge failed it"], "judge")
    for item, job in zip(items, batch):
        spec = job.spec
        levels = item["levels"]
        item["passed"] = all(levels[name].passed for name in LEVELS)
        item["levels"] = {name: levels[name].to_dict() for name in LEVELS}
        item["record"] = (
            training_record(spec, item["arguments"], item["response"], scenario="single", stage="single", id=item["id"])
            if item["passed"] else None
        )  # fmt: skip
    return items


async def run_single(ws: Workspace) -> None:
    """Make every single-turn example not yet in single.jsonl, with regeneration rounds (resumable)."""
    ws.guard("seed", "regen_below", "max_attempts", judge=True)
    tools = list(ws.tools())
    sim = ws.simulator(ws.tools())

    def rounds(store: StageFile) -> Iterator[Round[_Job]]:
        for attempt in range(ws.settings.max_attempts):  # each round reads the ones before it from the store
            jobs = [(_id(spec.name, k, attempt), _Job(spec, k, attempt, avoid)) for spec, k, avoid in _round_todo(ws, store, tools, attempt)]
            yield Round("single" if attempt == 0 else f"single (regeneration {attempt})", jobs)

    async def make(batch: list[_Job]) -> list[dict[str, Any]]:
        return await _make(ws, sim, batch)

    await run_stage(ws, "single", rounds, make)


def single_summary(ws: Workspace) -> dict[str, Any]:
    """Pass rates of the single-turn stage: per level on first attempts, and after regeneration."""
    path = ws.path("single")
    if not path.exists():
        return {"status": "not run"}
    store = StageFile(path)
    first = [i for i in store if i["attempt"] == 0]
    final = list(final_items(store).values())
    passed = sum(1 for i in final if i["passed"])
    judged = sum(1 for i in store if i["levels"]["coherence"]["by"] == "judge")
    unusable = sum(1 for i in store if "no usable verdict" in i["levels"]["coherence"]["by"])
    by_tool: dict[str, list[bool]] = {}
    for item in final:
        by_tool.setdefault(item["tool"], []).append(item["passed"])
    return {
        "examples": len(final),
        "passed": passed,
        "pass_rate": round(passed / len(final), 4) if final else None,
        "first_attempt": {
            "examples": len(first),
            "pass_rate": _rate(first, lambda i: i["passed"]),
            **{f"{level}_pass_rate": _rate(first, lambda i, level=level: i["levels"][level]["pass"]) for level in LEVELS},
        },
        "regenerated": len(store) - len(first),
        "tools_below_threshold": sum(1 for flags in by_tool.values() if sum(flags) / len(flags) < ws.settings.regen_below),
        "coherence_by": f"judge: {ws.judge.description}" if ws.judge is not None else "deterministic checks (no judge given)",
        "judged": judged,
        "judge_unusable": unusable,
        "fallbacks": sum(1 for i in store if i.get("fallback")),
    }


def _rate(items: list[dict[str, Any]], test: Any) -> float | None:
    return round(sum(1 for i in items if test(i)) / len(items), 4) if items else None
