"""An episode's world as plain JSON, and what changed since the episode began: what rewards read.

    {"resources": {"ticket": {"records": {"T-1": {"ticket_id": "T-1", "status": "closed", ...}},
                              "deleted": ["T-0"]}}}

``episode_snapshot`` is the one place that reads an episode's world for the wire, the
trainer adapters and rewards; ``snapshot_diff(before, after)`` lists the records created,
changed (field by field, ``[old, new]``) and deleted between two snapshots.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .episodes import Episode

__all__ = ["EMPTY_SNAPSHOT", "episode_snapshot", "snapshot_diff"]

EMPTY_SNAPSHOT: Mapping[str, Any] = {"resources": {}}
"""The world of an episode that no call has touched."""


def episode_snapshot(episode: Episode) -> dict[str, Any]:
    """The episode's world as JSON-ready dicts (a copy: later calls do not change it)."""
    world = episode.world
    with episode.lock:
        records: dict[str, dict[str, dict[str, Any]]] = world._records  # noqa: SLF001  # until the resource model's snapshot
        deleted: dict[str, set[str]] = world._deleted  # noqa: SLF001
        names = sorted(set(records) | set(deleted))
        resources = {
            name: {"records": {key: copy.deepcopy(r) for key, r in records.get(name, {}).items()}, "deleted": sorted(deleted.get(name, ()))}
            for name in names
            if records.get(name) or deleted.get(name)
        }
    return {"resources": resources}


def snapshot_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What happened between two snapshots: records created, changed (fields as ``[old, new]``) and deleted."""
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
