"""The test cases of an evaluation, drawn reproducibly from a catalog.

``build_plan(catalog, n, seed=...)`` picks ``n`` held-out tools and, for each of them:

- a **single-turn** case: one valid call (``gtm_core.sampler``);
- a **multi-turn** episode of two or three calls around the tool: a tool whose response has
  a field named like one of this tool's parameters comes before it, and a tool that takes
  one of this tool's response fields as a parameter comes after it, so values (ids first)
  flow from one answer into the next call's arguments; a tool of the same field stands in
  where nothing links, and failing that the same call is repeated;
- an **error** case: one mutated bad call (``gtm_core.mutate``) that the schema alone
  reveals, the four kinds taken in turn; plus, where the catalog has a delete tool for the
  entity a tool reads or changes, a call on an id that the episode deleted just before.

Everything depends only on the catalog, ``n`` and ``seed``: the same plan, call for call,
for every engine compared. Which values flow in an episode depends on the answers, so
arguments are completed when the episode runs (``flow_arguments``).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Catalog
from ..checks import check_arguments
from ..mutate import MUTATION_KINDS, mutate
from ..sampler import sample_arguments
from ..spec import ToolSpec
from ..world import entity_operation
from .metrics import Flow

__all__ = ["EpisodePlan", "ErrorCase", "EvalPlan", "SingleCase", "build_plan", "flow_arguments", "select_tools"]

SAMPLE_TRIES = 3
MAX_CANDIDATES = 200  # partners considered per link
# Field names too generic to link two tools (every kind of tool has a "status" or "data").
GENERIC_FIELDS = frozenset(
    ["success", "message", "messages", "data", "status", "error", "errors", "text", "value", "values", "info",
     "code", "result", "results", "response", "output", "limit", "offset", "page", "format", "type", "description",
     "details", "count", "total", "items", "content", "body", "options", "metadata", "timestamp", "verbose"]
)  # fmt: skip


@dataclass(frozen=True)
class SingleCase:
    """One valid call of a held-out tool."""

    tool: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ErrorCase:
    """A bad call that should come back as an error; ``setup`` calls run first in the same episode."""

    tool: str
    arguments: dict[str, Any]
    kind: str
    note: str
    setup: tuple[tuple[str, dict[str, Any]], ...] = ()


@dataclass(frozen=True)
class EpisodePlan:
    """The calls of one multi-turn episode, with arguments sampled before any value flows in."""

    anchor: str
    tools: tuple[str, ...]
    arguments: tuple[dict[str, Any], ...]
    link: str  # how the tools are related: "flow", "field" or "repeat"


@dataclass(frozen=True)
class EvalPlan:
    """Everything an evaluation runs, the same for every engine."""

    seed: int
    tools: tuple[ToolSpec, ...]  # the held-out tools
    specs: dict[str, ToolSpec] = field(repr=False)  # every tool a case calls (partners included)
    single: tuple[SingleCase, ...] = ()
    multi: tuple[EpisodePlan, ...] = ()
    error: tuple[ErrorCase, ...] = ()

    @property
    def catalog(self) -> Catalog:
        return Catalog(self.specs.values())


def _rng(seed: int, purpose: str, name: str) -> random.Random:
    return random.Random(f"{seed}:{purpose}:{name}")


def valid_arguments(spec: ToolSpec, seed: int, purpose: str) -> dict[str, Any] | None:
    """Arguments the argument checks accept, or None when sampling fails ``SAMPLE_TRIES`` times."""
    rng = _rng(seed, purpose, spec.name)
    for _ in range(SAMPLE_TRIES):
        arguments = sample_arguments(spec, rng=rng)
        if not check_arguments(spec, arguments):
            return arguments
    return None


def select_tools(catalog: Catalog | Iterable[ToolSpec], n: int, *, seed: int = 0, exclude: Iterable[str] = ()) -> list[ToolSpec]:
    """``n`` tools drawn reproducibly: unique names, not in ``exclude``, with arguments that can be sampled."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"The 'n' option of gtm eval must be a positive integer (tools to evaluate). Got {n!r} instead.")
    tools = list(catalog)
    counts = Counter(spec.name for spec in tools)
    banned = set(exclude)
    order = list(range(len(tools)))
    random.Random(seed).shuffle(order)
    chosen: list[ToolSpec] = []
    for index in order:
        spec = tools[index]
        if counts[spec.name] > 1 or spec.name in banned:
            continue
        if valid_arguments(spec, seed, "single") is None:
            continue
        chosen.append(spec)
        if len(chosen) == n:
            break
    return chosen


def _response_fields(spec: ToolSpec) -> list[str]:
    schema = spec.response_schema
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return list(properties) if isinstance(properties, dict) else []


def _id_like(name: str) -> bool:
    return name.lower() in ("id", "uuid") or name.lower().endswith(("_id", "-id")) or name.endswith(("Id", "ID"))


class _Links:
    """Which tools produce (in their response) and consume (as a parameter) each field name."""

    def __init__(self, tools: Sequence[ToolSpec]) -> None:
        self.tools = tools
        self.produces: dict[str, list[int]] = defaultdict(list)
        self.consumes: dict[str, list[int]] = defaultdict(list)
        self.by_field: dict[str, list[int]] = defaultdict(list)
        self.kinds: list[str | None] = []
        for index, spec in enumerate(tools):
            operation = entity_operation(spec)
            self.kinds.append(operation.kind if operation else None)
            for name in _response_fields(spec):
                self.produces[name].append(index)
            for name in spec.properties:
                self.consumes[name].append(index)
            if spec.field:
                self.by_field[spec.field.lower()].append(index)

    def partner(self, anchor: ToolSpec, names: Iterable[str], table: dict[str, list[int]], rng: random.Random, *, before: bool) -> ToolSpec | None:
        """The best tool linked to ``anchor`` through one of ``names``: id-like names first, then the same field.

        A tool that comes ``before`` the anchor is never a delete (the ids it answers with are gone),
        and a create is preferred (the ids it answers with are new).
        """
        scored: dict[int, int] = {}
        for name in names:
            if name.lower() in GENERIC_FIELDS:
                continue
            for index in table.get(name, ())[:MAX_CANDIDATES]:
                spec = self.tools[index]
                if spec.name == anchor.name:
                    continue
                kind = self.kinds[index]
                if before and kind == "delete":
                    continue
                score = 4 * _id_like(name) + 2 * (before and kind == "create") + (spec.field is not None and spec.field == anchor.field)
                scored[index] = max(scored.get(index, -1), score)
        if not scored:
            return None
        best = max(scored.values())
        return self.tools[rng.choice(sorted(i for i, s in scored.items() if s == best))]

    def same_field(self, anchor: ToolSpec, rng: random.Random) -> ToolSpec | None:
        if not anchor.field:
            return None
        others = [i for i in self.by_field.get(anchor.field.lower(), ()) if self.tools[i].name != anchor.name]
        return self.tools[rng.choice(others)] if others else None


def _episode(anchor: ToolSpec, links: _Links, seed: int) -> tuple[list[ToolSpec], str]:
    rng = _rng(seed, "episode", anchor.name)
    before = links.partner(anchor, anchor.properties, links.produces, rng, before=True)
    after = links.partner(anchor, _response_fields(anchor), links.consumes, rng, before=False)
    if before is not None or after is not None:
        return [t for t in (before, anchor, after) if t is not None], "flow"
    other = links.same_field(anchor, rng)
    if other is not None:
        return [anchor, other], "field"
    return [anchor, anchor], "repeat"


def _error_case(spec: ToolSpec, arguments: dict[str, Any], position: int, seed: int) -> ErrorCase | None:
    rng = _rng(seed, "error", spec.name)
    kinds = list(MUTATION_KINDS[position % len(MUTATION_KINDS):]) + list(MUTATION_KINDS[: position % len(MUTATION_KINDS)])
    for kind in kinds:
        mutation = mutate(spec, arguments, kind, rng)
        if mutation is not None and mutation.detectable:
            return ErrorCase(spec.name, mutation.arguments, mutation.kind.value, mutation.note)
    return None


def _deleted_case(spec: ToolSpec, arguments: dict[str, Any], deleters: Mapping[str, ToolSpec], seed: int) -> ErrorCase | None:
    """A call on an id that a delete call of the same episode removed just before."""
    operation = entity_operation(spec)
    if operation is None or operation.kind not in ("get", "update", "delete") or operation.id_parameter not in arguments:
        return None
    deleter = deleters.get(operation.entity)
    if deleter is None:
        return None
    delete_op = entity_operation(deleter)
    delete_arguments = valid_arguments(deleter, seed, "delete")
    if delete_op is None or delete_op.id_parameter is None or delete_arguments is None:
        return None
    delete_arguments[delete_op.id_parameter] = arguments[operation.id_parameter]
    if check_arguments(deleter, delete_arguments):
        return None
    note = f"{operation.id_parameter}={arguments[operation.id_parameter]!r} was deleted by {deleter.name} just before"
    return ErrorCase(spec.name, dict(arguments), "not_found", note, setup=((deleter.name, delete_arguments),))


def build_plan(catalog: Catalog | Iterable[ToolSpec], n: int, *, seed: int = 0, exclude: Iterable[str] = ()) -> EvalPlan:
    """The cases of an evaluation on ``n`` held-out tools of ``catalog`` (see the module's docstring)."""
    tools = list(catalog)
    counts = Counter(spec.name for spec in tools)
    unique = [spec for spec in tools if counts[spec.name] == 1]
    held_out = select_tools(unique, n, seed=seed, exclude=exclude)
    by_name = {spec.name: spec for spec in unique}
    links = _Links(unique)
    deleters: dict[str, ToolSpec] = {}
    for spec in unique:
        operation = entity_operation(spec)
        if operation is not None and operation.kind == "delete" and operation.id_parameter:
            deleters.setdefault(operation.entity, spec)
    specs: dict[str, ToolSpec] = {}
    single, multi, error = [], [], []
    for position, spec in enumerate(held_out):
        specs[spec.name] = spec
        arguments = valid_arguments(spec, seed, "single")
        assert arguments is not None  # select_tools kept only tools that have some
        single.append(SingleCase(spec.name, arguments))
        members, link = _episode(spec, links, seed)
        episode_arguments = []
        for turn, member in enumerate(members):
            drawn = valid_arguments(member, seed, f"multi:{spec.name}:{turn}") if link != "repeat" or turn == 0 else episode_arguments[0]
            if drawn is None:
                break
            episode_arguments.append(drawn)
            specs[member.name] = member
        else:
            multi.append(EpisodePlan(spec.name, tuple(m.name for m in members), tuple(episode_arguments), link))
        for case in (_error_case(spec, arguments, position, seed), _deleted_case(spec, arguments, deleters, seed)):
            if case is not None:
                error.append(case)
                for name, _ in case.setup:
                    specs[name] = by_name[name]
    return EvalPlan(seed=seed, tools=tuple(held_out), specs=specs, single=tuple(single), multi=tuple(multi), error=tuple(error))


def flow_arguments(spec: ToolSpec, arguments: Mapping[str, Any], earlier: Sequence[Any], turn: int) -> tuple[dict[str, Any], list[Flow]]:
    """The call's arguments with values from earlier answers where a parameter has the same name.

    ``earlier`` holds the parsed answers of the episode so far (None for errors); the most
    recent answer that has the field wins. A value is only taken where the call stays valid.
    """
    out = dict(arguments)
    flows: list[Flow] = []
    for name in spec.properties:
        for source in range(len(earlier) - 1, -1, -1):
            answer = earlier[source]
            if not isinstance(answer, dict) or name not in answer:
                continue
            value = answer[name]
            if isinstance(value, (dict, list)) or value is None:
                break
            trial = {**out, name: value}
            if not check_arguments(spec, trial):
                out = trial
                flows.append(Flow(turn=turn, parameter=name, value=value, source_turn=source))
            break
    return out, flows
