"""Stage 5, errors: bad calls made from valid ones by the four generators, with checked error answers.

For each tool, ``errors`` examples. Example ``j`` of the tool with index ``i`` asks for the
kind ``MUTATION_KINDS[(i + j) % 4]`` (type error, missing required, excess parameter,
invalid value; the next kind that applies when that one cannot), made by ``gtm_core.mutate``
from valid arguments that the teacher wrote. The Simulator answers the bad call:

- a mutation the schema reveals (``detectable``) is answered by the argument checks, and must
  be reported as its own kind;
- one it cannot reveal (a nonsense value where the schema sets no limit, an extra parameter
  where the schema allows any) is a semantic error, answered by the teacher; it is made only
  when the teacher can answer with an error (a language model), and must be an error.

Either way the message must name the parameter and the problem
(``validation.check_error_message``).

A kind the tool's schema cannot reveal (an invalid value where no parameter has an enum, a
range or a format) is replaced by the next kind; ``kind_unavailable`` in the summary counts
how often each asked kind was replaced.

Output ``errors.jsonl``, one line per example, id ``<tool>#<j>``::

    {"id", "tool", "asked_kind", "kind", "parameter", "detectable", "note", "valid_arguments", "arguments",
     "response", "error_kind", "engine", "checks": {"reported": {...}, "message": {...}},
     "passed", "record": <training record> | null}
"""

from __future__ import annotations

import random
from typing import Any

from ..mutate import MUTATION_KINDS, Mutation, mutate
from ..prompt import training_record
from ..results import ToolCall
from ..spec import ToolSpec
from .calls import CallJob, write_arguments
from .runner import Round, run_stage
from .store import StageFile, item_seed
from .validation import Check, check_error_message
from .workspace import Workspace

__all__ = ["choose_mutation", "errors_summary", "run_errors"]


def choose_mutation(spec: ToolSpec, arguments: dict[str, Any], first: int, rng: random.Random, *, semantic: bool) -> Mutation | None:
    """A mutation of the kind ``MUTATION_KINDS[first]``, else of the next kind that applies.

    Mutations the schema cannot reveal are taken only with ``semantic`` (a teacher that
    answers errors).
    """
    for step in range(len(MUTATION_KINDS)):
        kind = MUTATION_KINDS[(first + step) % len(MUTATION_KINDS)]
        mutation = mutate(spec, arguments, kind, rng)
        if mutation is not None and (mutation.detectable or semantic):
            return mutation
    return None


async def _make(ws: Workspace, sim: Any, batch: list[tuple[int, ToolSpec, int]]) -> list[dict[str, Any]]:
    seed = ws.settings.seed
    ids = [f"{spec.name}#{j}" for _, spec, j in batch]
    jobs = [CallJob(spec, item_seed(seed, "errors", spec.name, j), purpose="a typical use of this tool") for _, spec, j in batch]
    written = await write_arguments(ws.teacher, jobs)
    semantic = ws.engine.answers_errors
    mutations: list[Mutation | None] = []
    for (index, spec, j), w, item_id in zip(batch, written, ids):
        rng = random.Random(item_seed(seed, "mutate", item_id))
        mutations.append(choose_mutation(spec, w.arguments, (index + j) % len(MUTATION_KINDS), rng, semantic=semantic) if w.arguments is not None else None)
    calls = [ToolCall(spec.name, m.arguments, item_id) for (_, spec, _), m, item_id in zip(batch, mutations, ids) if m is not None]
    results = iter(await sim.asimulate_batch(calls)) if calls else iter(())
    ws.engine.raise_if_failed()
    for item_id in ids:
        sim.close_episode(item_id)
    items = []
    for (index, spec, j), w, mutation, item_id in zip(batch, written, mutations, ids):
        asked = MUTATION_KINDS[(index + j) % len(MUTATION_KINDS)].value
        base: dict[str, Any] = {"id": item_id, "tool": spec.name, "asked_kind": asked, "valid_arguments": w.arguments}
        if mutation is None:
            reason = w.problem or ("no error kind applies to this tool" + ("" if semantic else " that its schema reveals (the teacher answers no semantic errors)"))
            items.append({**base, "kind": None, "passed": False, "record": None, "skipped": reason})
            continue
        result = next(results)
        expected = mutation.kind.value if mutation.detectable else "tool_error"
        reported = Check(result.is_error and result.error_kind == expected,
                         [] if result.is_error and result.error_kind == expected else
                         [f"expected an error reported as {expected}, got " + (result.error_kind or "a normal response")])  # fmt: skip
        message = check_error_message(result.structured, mutation.parameter, mutation.kind) if result.is_error else Check(False, ["no error message"])
        passed = reported.passed and message.passed
        response = result.structured if result.structured is not None else result.content
        items.append({
            **base, "kind": mutation.kind.value, "parameter": mutation.parameter, "detectable": mutation.detectable,
            "note": mutation.note, "arguments": mutation.arguments, "response": response, "error_kind": result.error_kind,
            "engine": result.engine, "checks": {"reported": reported.to_dict(), "message": message.to_dict()}, "passed": passed,
            "record": training_record(spec, mutation.arguments, response, is_error=True, scenario="error", stage="errors",
                                      id=item_id, error_kind=mutation.kind.value) if passed else None,
        })  # fmt: skip
    return items


async def run_errors(ws: Workspace) -> None:
    """Make every error example not yet in errors.jsonl (resumable)."""
    ws.guard("seed")
    jobs = [(f"{spec.name}#{j}", (index, spec, j)) for index, spec in enumerate(ws.tools()) for j in range(ws.settings.errors)]
    sim = ws.simulator(ws.tools())

    async def make(batch: list[tuple[int, ToolSpec, int]]) -> list[dict[str, Any]]:
        return await _make(ws, sim, batch)

    await run_stage(ws, "errors", lambda store: [Round("errors", jobs)], make)


def errors_summary(ws: Workspace) -> dict[str, Any]:
    """Counts and pass rates of the error stage, overall and per kind."""
    path = ws.path("errors")
    if not path.exists():
        return {"status": "not run"}
    items = list(StageFile(path))
    made = [i for i in items if i.get("kind")]
    passed = [i for i in made if i["passed"]]
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in MUTATION_KINDS:
        of_kind = [i for i in made if i["kind"] == kind.value]
        ok = sum(1 for i in of_kind if i["passed"])
        by_kind[kind.value] = {"examples": len(of_kind), "passed": ok, "pass_rate": round(ok / len(of_kind), 4) if of_kind else None}
    unavailable: dict[str, int] = {}
    for item in items:
        if item.get("kind") != item.get("asked_kind"):
            unavailable[item["asked_kind"]] = unavailable.get(item["asked_kind"], 0) + 1
    return {
        "examples": len(made),
        "skipped": len(items) - len(made),
        "kind_unavailable": unavailable,
        "passed": len(passed),
        "pass_rate": round(len(passed) / len(made), 4) if made else None,
        "message_pass_rate": round(sum(1 for i in made if i["checks"]["message"]["pass"]) / len(made), 4) if made else None,
        "semantic": sum(1 for i in made if not i["detectable"]),
        "by_kind": by_kind,
    }

