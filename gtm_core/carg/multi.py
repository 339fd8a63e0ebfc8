"""Stage 4, multi-turn episodes: related tools called in one Simulator episode, the last call checked.

Groups of related tools come from ``association`` (greedy search over embeddings, above a
coherence threshold, up to ``max_turns`` tools). In each episode the tools are called in
turn — creates first, deletes last, the rest in the order found — in one Simulator episode,
so every call sees the ones before it (the prompt's history, the entity world). Arguments
come from the teacher, who reads the earlier calls; with the schema engine they are sampled
and the values earlier calls returned are carried over (``calls.link_arguments``).

An episode passes when every turn passes the single-turn checks (format, contradiction and
the deterministic coherence checks) and the final call is consistent with the history
(``validation.check_consistency``; and the judge, where one is given). Each turn of a
passing episode is a training record with its history.

Output ``multi.jsonl``, one line per episode, id ``episode-<k>``::

    {"id", "tools", "similarities", "coherence", "turns": [{"tool", "arguments", "response",
     "is_error", "error_kind", "engine", "fallback", "writer", "entity"}],
     "checks": {"turns": {...}, "consistency": {...}, "judge": {...} | null},
     "passed", "records": [<training record per turn>]}
"""

from __future__ import annotations

from typing import Any

from ..prompt import training_record
from ..results import ToolCall
from ..spec import ToolSpec
from ..world import entity_operation
from .association import DEFAULT_COHERENCE, Group, make_embedder, plan_groups, resolve_embedder, tool_vectors
from .calls import CallJob, write_arguments
from .judging import coherence_item, judge_coherence
from .runner import Round, run_stage
from .store import StageFile, item_seed
from .validation import Check, check_coherence, check_consistency, check_contradictions, check_format
from .workspace import Workspace

__all__ = ["coherence_threshold", "embedder_name", "episode_order", "multi_summary", "plan_episodes", "run_multi"]

_RANK = {"create": 0, "delete": 2}


def episode_order(specs: list[ToolSpec]) -> list[ToolSpec]:
    """Creates first, deletes last, the rest in the order given."""
    def rank(spec: ToolSpec) -> int:
        operation = entity_operation(spec)
        return _RANK.get(operation.kind, 1) if operation else 1

    return sorted(specs, key=rank)


def embedder_name(ws: Workspace) -> str:
    """The embedder of this run (``auto`` resolved), remembered on the workspace."""
    if ws.embedder_name is None:
        if ws.embedder is not None:  # an embedder handed in (tests, notebooks)
            ws.embedder_name = "tfidf" if getattr(ws.embedder, "model_id", None) == "tfidf" else "minilm"
        else:
            ws.embedder_name = resolve_embedder(ws.settings.embedder)
    return ws.embedder_name


def coherence_threshold(ws: Workspace) -> float:
    return ws.settings.coherence if ws.settings.coherence is not None else DEFAULT_COHERENCE[embedder_name(ws)]


def plan_episodes(ws: Workspace) -> list[Group]:
    """The groups of tools of this run's episodes, in episode order (the same on every run)."""
    tools = list(ws.tools())
    if ws.settings.multi == 0 or len(tools) < 2:
        return []
    if ws.embedder is None:
        ws.embedder = make_embedder(embedder_name(ws), progress=ws.progress)
    vectors = tool_vectors(tools, ws.embedder)
    return plan_groups(vectors, ws.settings.multi, threshold=coherence_threshold(ws),
                       max_size=ws.settings.max_turns, seed=item_seed(ws.settings.seed, "episodes"))  # fmt: skip


async def _play(ws: Workspace, sim: Any, batch: list[tuple[int, Group]]) -> list[dict[str, Any]]:
    tools = ws.tools()
    specs = list(tools)
    seed = ws.settings.seed
    episodes = []
    for k, group in batch:
        ordered = episode_order([specs[i] for i in group.tools])
        episodes.append({"k": k, "id": f"episode-{k}", "group": group, "specs": ordered, "turns": [], "histories": [], "entities": []})
    for turn in range(max(len(e["specs"]) for e in episodes)):
        active = [e for e in episodes if turn < len(e["specs"])]
        purposes = [f"step {turn + 1} of {len(e['specs'])} of one task that uses {', '.join(s.name for s in e['specs'])}" for e in active]
        histories = [tuple(sim.episode(e["id"]).history) for e in active]
        jobs = [CallJob(e["specs"][turn], item_seed(seed, "multi", e["k"], turn), purpose=p, history=h)
                for e, p, h in zip(active, purposes, histories)]  # fmt: skip
        written = await write_arguments(ws.teacher, jobs, catalog=tools)
        calls, entities = [], []
        for e, w in zip(active, written):
            spec = e["specs"][turn]
            arguments = w.arguments if w.arguments is not None else {}
            operation = sim.resource_model.operation(spec.name)
            entity = None
            if operation is not None and operation.kind != "create" and operation.key_parameter:
                entity = sim.episode(e["id"]).world.lookup(operation, arguments)[1]
            entities.append(entity)
            calls.append(ToolCall(spec.name, arguments, e["id"]))
        results = await sim.asimulate_batch(calls)
        ws.engine.raise_if_failed()
        for e, w, call, result, history, entity in zip(active, written, calls, results, histories, entities):
            e["histories"].append(history)
            e["entities"].append(entity)
            e["turns"].append({
                "tool": call.tool, "arguments": call.arguments,
                "response": result.structured if result.structured is not None else result.content,
                "is_json": result.structured is not None,
                "is_error": result.is_error, "error_kind": result.error_kind, "engine": result.engine, "fallback": result.fallback,
                "writer": {"by": w.by, "fallback": w.fallback, "problem": w.problem}, "entity": entity,
            })  # fmt: skip
    for e in episodes:
        sim.close_episode(e["id"])
    judge_cases = []
    for e in episodes:
        problems = []
        for index, (spec, turn) in enumerate(zip(e["specs"], e["turns"])):
            if turn["is_error"]:
                problems.append(f"turn {index} ({spec.name}) was answered with an error ({turn['error_kind']})")
                continue
            for check in (check_format(spec, turn["arguments"], turn["response"], is_json=turn["is_json"]),
                          check_contradictions(spec, turn["arguments"]),
                          check_coherence(spec, turn["arguments"], turn["response"])):  # fmt: skip
                problems += [f"turn {index} ({spec.name}): {p}" for p in check.problems]
        final, spec = e["turns"][-1], e["specs"][-1]
        e["checks"] = {
            "turns": Check(not problems, problems),
            "consistency": check_consistency(spec, final["arguments"], final["response"], e["histories"][-1],
                                             entity=e["entities"][-1], is_error=final["is_error"]),
            "judge": None,
        }  # fmt: skip
        if ws.judge is not None and not problems:
            judge_cases.append((e, coherence_item(spec, final["arguments"], final["response"], e["histories"][-1])))
    if judge_cases:
        verdicts = await judge_coherence(ws.judge, [case for _, case in judge_cases])  # type: ignore[arg-type]
        for (e, _), verdict in zip(judge_cases, verdicts):
            e["checks"]["judge"] = (Check(verdict.passed, [] if verdict.passed else [verdict.reason or "the judge failed it"], "judge")
                                    if verdict is not None else Check(True, [], "none (the judge gave no usable verdict)"))  # fmt: skip
    items = []
    for e in episodes:
        checks = e["checks"]
        passed = all(c.passed for c in checks.values() if c is not None)
        records = []
        if passed:
            for index, (spec, turn, history, entity) in enumerate(zip(e["specs"], e["turns"], e["histories"], e["entities"])):
                records.append(training_record(spec, turn["arguments"], turn["response"], history=history, entity=entity,
                                               scenario="multi", stage="multi", id=f"{e['id']}/{index}", episode=e["id"], turn=index))  # fmt: skip
        items.append({
            "id": e["id"], "tools": [s.name for s in e["specs"]], "found_order": [specs[i].name for i in e["group"].tools],
            "similarities": list(e["group"].similarities), "coherence": e["group"].coherence,
            "turns": [{k: v for k, v in t.items() if k != "is_json"} for t in e["turns"]],
            "checks": {name: c.to_dict() if c is not None else None for name, c in checks.items()},
            "passed": passed, "records": records,
        })  # fmt: skip
    return items


async def run_multi(ws: Workspace) -> None:
    """Play every planned episode not yet in multi.jsonl (resumable)."""
    ws.guard("seed", "max_turns", judge=True, embedder=embedder_name(ws), coherence=coherence_threshold(ws))
    groups = plan_episodes(ws)
    ws.planned_episodes = len(groups)
    jobs = [(f"episode-{k}", (k, group)) for k, group in enumerate(groups)]
    sim = ws.simulator(ws.tools())

    async def play(batch: list[tuple[int, Group]]) -> list[dict[str, Any]]:
        return await _play(ws, sim, batch)

    await run_stage(ws, "multi", lambda store: [Round("multi", jobs)], play)


def multi_summary(ws: Workspace) -> dict[str, Any]:
    """Counts and pass rates of the multi-turn stage."""
    path = ws.path("multi")
    if not path.exists():
        return {"status": "not run"}
    items = list(StageFile(path))
    passed = [i for i in items if i["passed"]]
    judged = [i for i in items if i["checks"].get("judge")]
    out: dict[str, Any] = {
        "episodes": len(items),
        "asked": ws.settings.multi,
        "passed": len(passed),
        "pass_rate": round(len(passed) / len(items), 4) if items else None,
        "turns_pass_rate": _rate(items, lambda i: i["checks"]["turns"]["pass"]),
        "consistency_pass_rate": _rate(items, lambda i: i["checks"]["consistency"]["pass"]),
        "mean_turns": round(sum(len(i["tools"]) for i in items) / len(items), 2) if items else None,
        "mean_coherence": round(sum(i["coherence"] for i in items) / len(items), 4) if items else None,
        "records": sum(len(i["records"]) for i in items),
        "embedder": ws.embedder_name or resolve_embedder(ws.settings.embedder),
        "coherence_threshold": coherence_threshold(ws),
        "consistency_by": f"deterministic checks + judge: {ws.judge.description}" if ws.judge is not None else "deterministic checks (no judge given)",
    }
    if judged:
        out["judge_pass_rate"] = _rate(judged, lambda i: i["checks"]["judge"]["pass"])
    planned = ws.planned_episodes
    if planned is not None and planned < ws.settings.multi:
        out["note"] = f"only {planned} groups of related tools reach the coherence threshold {coherence_threshold(ws)}"
    return out


def _rate(items: list[dict[str, Any]], test: Any) -> float | None:
    return round(sum(1 for i in items if test(i)) / len(items), 4) if items else None
