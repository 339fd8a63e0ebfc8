"""The world's part in one call: refuse what the world rules out, merge what it knows.

``gate`` runs before the engine: a call on a deleted key, or on an unknown key where the
world rule is closed, is answered with the tool's ``not_found`` error; otherwise it returns
the record the engine should answer about. ``merge`` runs after the engine (any engine) and
makes the answer agree with the world. ``seed_world`` starts an episode with records.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .. import error_bodies
from ..spec import ToolSpec
from .model import Operation, ResourceModel
from .world import EntityWorld

__all__ = ["SEED_CONTEXT_KEY", "gate", "merge", "not_found_body", "seed_world"]

SEED_CONTEXT_KEY = "gtm/seed"
"""The hidden-context key whose value seeds an episode: ``{"order": [{"order_id": "A"}, ...]}``."""

_ONE_RECORD = frozenset(["read", "update", "transition", "delete", "move", "add_items", "remove_items"])


def gate(world: EntityWorld, spec: ToolSpec, operation: Operation, arguments: Mapping[str, Any], rule: str,
         *, record_wanted: bool = True) -> tuple[dict[str, Any] | None, Any]:  # fmt: skip
    """(an error body when the world rules the call out, else None; a copy of the record the
    call is about, or None when not ``record_wanted``)."""
    if operation.kind not in _ONE_RECORD or operation.key_parameter is None:
        return None, None
    key, record, deleted = world.lookup(operation, arguments, copied=record_wanted)
    if key is None:
        return None, None
    if deleted:
        return not_found_body(spec, operation, key, "it was deleted earlier in this episode"), None
    if record is None and world.rule(operation.resource, rule) == "closed":
        return not_found_body(spec, operation, key, "this episode never created it and was not seeded with it"), None
    return None, record if record_wanted else None


def merge(world: EntityWorld, model: ResourceModel, spec: ToolSpec, operation: Operation, arguments: Mapping[str, Any], answer: Any, rule: str) -> Any:
    """The answer made consistent with the world, the world updated by the call (``answer``
    is changed in place: pass one the caller may give away)."""
    resource = model.resources.get(operation.resource)
    if resource is None:
        return answer
    bounds = _array_bounds(spec)
    original = copy.deepcopy(answer) if bounds else None
    merged = world.apply(operation, resource, arguments, answer, spec.response_schema, model, default_rule=rule)
    for path, low, high in bounds:
        _fit(merged, original, path, low, high)
    return merged


# ---- array bounds: the world never makes an answer break its schema's minItems/maxItems ----
_BOUNDS_MEMO: dict[int, tuple[ToolSpec, list[tuple[tuple[str, ...], int, int | None]]]] = {}


def _array_bounds(spec: ToolSpec) -> list[tuple[tuple[str, ...], int, int | None]]:
    """(path of object keys to an array, minItems, maxItems) for the bounded arrays of the response schema."""
    entry = _BOUNDS_MEMO.get(id(spec))
    if entry is None or entry[0] is not spec:
        found: list[tuple[tuple[str, ...], int, int | None]] = []
        _walk(spec.response_schema, (), found, 0)
        entry = _BOUNDS_MEMO[id(spec)] = (spec, found)
    return entry[1]


def _walk(schema: Any, path: tuple[str, ...], found: list[tuple[tuple[str, ...], int, int | None]], depth: int) -> None:
    if not isinstance(schema, Mapping) or depth > 8:
        return
    low, high = schema.get("minItems"), schema.get("maxItems")
    if schema.get("type") == "array" and (isinstance(low, int) and low > 0 or isinstance(high, int)):
        found.append((path, low if isinstance(low, int) else 0, high if isinstance(high, int) else None))
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            _walk(sub, (*path, str(name)), found, depth + 1)


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _fit(merged: Any, original: Any, path: tuple[str, ...], low: int, high: int | None) -> None:
    """Pad a list the world shortened below ``minItems`` with the engine's own items, and cut one past ``maxItems``."""
    items, given = _at(merged, path), _at(original, path)
    if not isinstance(items, list):
        return
    if len(items) < low and isinstance(given, list):
        items.extend([item for item in given if item not in items][: low - len(items)])
    if high is not None and len(items) > high:
        del items[high:]


def not_found_body(spec: ToolSpec, operation: Operation, key: str, why: str) -> dict[str, Any]:
    """The tool's ``not_found`` error for a key the world does not hold."""
    return error_bodies.not_found(operation.resource.replace("_", " "), key, operation.key_parameter or "", why)


def seed_world(world: EntityWorld, model: ResourceModel, seed: Mapping[str, Any]) -> None:
    """Put records into an episode's world: ``{resource: [record, ...]}`` (resource names as
    ``gtm catalog resources`` prints them; a tool's name is taken for its resource too)."""
    if not isinstance(seed, Mapping):
        raise ValueError(f"an episode seed must be an object of resource -> list of records, got {type(seed).__name__}")
    for name, records in seed.items():
        resource = model.resources.get(name)
        if resource is None and name in model.operations:
            resource = model.resources.get(model.operations[name].resource)
        if resource is None:
            known = ", ".join(sorted(model.resources)) or "(none)"
            raise ValueError(f"cannot seed {name!r}: the catalog has no such resource; its resources are {known}")
        if not isinstance(records, list):
            raise ValueError(f"seed of {name!r} must be a list of records, got {type(records).__name__}")
        world.seed(resource, records)
