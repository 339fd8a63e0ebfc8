"""The world of an episode as plain JSON, and what changed between two such snapshots.

    {"resources": {"ticket": {"records": {"T-1": {"ticket_id": "T-1", "status": "closed", ...}},
                              "deleted": ["T-0"]}}}

``diff(before, after)`` lists the records created, changed (field by field, ``[old, new]``)
and deleted, so a reward function can check "the ticket is closed" without parsing answers.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .world import EntityWorld

__all__ = ["diff", "world_snapshot"]


def world_snapshot(world: EntityWorld) -> dict[str, Any]:
    """The world's records by resource and key, and the keys deleted, as JSON-ready dicts."""
    out: dict[str, Any] = {}
    for name in world.resources():
        table = world._tables.get(name, {})
        out[name] = {"records": {key: copy.deepcopy(record) for key, record in table.items()}, "deleted": world.deleted(name)}
    return {"resources": out}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What happened between two snapshots: created, changed (fields as [old, new]) and deleted records."""
    created: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    deleted: list[dict[str, Any]] = []
    old_resources = before.get("resources", {})
    new_resources = after.get("resources", {})
    for name in dict.fromkeys([*old_resources, *new_resources]):
        old = old_resources.get(name, {}).get("records", {})
        new = new_resources.get(name, {}).get("records", {})
        for key, record in new.items():
            if key not in old:
                created.append({"resource": name, "key": key, "record": record})
            elif record != old[key]:
                fields = {f: [old[key].get(f), record.get(f)] for f in dict.fromkeys([*old[key], *record]) if old[key].get(f) != record.get(f)}
                changed.append({"resource": name, "key": key, "fields": fields})
        for key in old:
            if key not in new:
                deleted.append({"resource": name, "key": key})
    return {"created": created, "changed": changed, "deleted": deleted}
