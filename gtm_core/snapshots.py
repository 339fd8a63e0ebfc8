"""An episode's world as plain JSON, and what changed since the episode began: what rewards read.

    {"resources": {"ticket": {"records": {"T-1": {"ticket_id": "T-1", "status": "closed", ...}},
                              "deleted": ["T-0"]}}}

``episode_snapshot`` is what the wire, the trainer adapters and rewards read (the resource
world's own ``Episode.snapshot``, which adds ``episode`` and ``calls``); ``snapshot_diff(before,
after)`` (``gtm_core.resources.snapshot.diff``) lists the records created, changed (field by
field, ``[old, new]``) and deleted between two snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .episodes import Episode
from .resources.snapshot import diff

__all__ = ["EMPTY_SNAPSHOT", "episode_snapshot", "snapshot_diff"]

EMPTY_SNAPSHOT: Mapping[str, Any] = {"resources": {}}
"""The world of an episode that no call has touched."""


def episode_snapshot(episode: Episode) -> dict[str, Any]:
    """The episode's world as JSON-ready dicts (a copy: later calls do not change it); see ``Episode.snapshot``."""
    return episode.snapshot()


snapshot_diff = diff
"""What happened between two snapshots: records created, changed (fields as ``[old, new]``) and deleted."""
