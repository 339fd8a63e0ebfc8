"""The serialized form of an episode: what a shared store (Redis, SQLite) keeps between calls.

One JSON object (UTF-8), ``FORMAT`` its version::

    {"format": 2, "id": "...", "calls": 3, "hidden_context": {...},
     "history": [[tool, arguments, response, is_error, size], ...],   oldest first, with each one's byte size
     "occurrences": [[digest_hex, count], ...],                      call-occurrence digests, oldest first
     "opening": {...}, "baseline": {...} | null,                     what open_episode was given; the world as opened
     "world": {...}}                                                  world_to_json: records, tombstones, seeds, rule, counters

The history (and so its byte count), the occurrence digests, the opening, the baseline and
the resource world come back exactly as they were, so the episode's next call, on any
replica, behaves as if the episode had never left memory. The world is written by
``world_to_json`` and read by ``world_from_json``: the one pair of functions that knows how
an EntityWorld (``gtm_core.resources.world``) holds its state: records by resource and key,
tombstones, the resources the episode made, the seeds applied, its unknown-key rule and its
counters, as plain containers of JSON values (sets, deques and tuples are tagged). A stored
world whose fields do not match this version's EntityWorld is refused with a message that
says to reset the episode.
"""

from __future__ import annotations

import json
from collections import OrderedDict, deque
from typing import Any

from .episodes import Episode, EpisodeLimits
from .errors import StoreError
from .generation import HistoryItem
from .resources.world import EntityWorld

__all__ = ["FORMAT", "episode_from_json", "episode_to_json", "world_from_json", "world_to_json"]

FORMAT = 2  # 2: the resource world, the opening and the baseline
_TAG = "__gtm__"


def episode_to_json(episode: Episode) -> bytes:
    """The episode as UTF-8 JSON (read under its lock)."""
    with episode.lock:
        history = [[h.tool, h.arguments, h.response, h.is_error, size] for h, size in zip(episode.history, episode._sizes)]
        state = {
            "format": FORMAT, "id": episode.id, "calls": episode.calls, "hidden_context": episode.hidden_context, "history": history,
            "occurrences": [[digest.hex(), count] for digest, count in episode._occurrences.items()],
            "opening": episode.opening, "baseline": episode.baseline, "world": world_to_json(episode.world),
        }  # fmt: skip
        return json.dumps(state, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def episode_from_json(data: bytes | str, limits: EpisodeLimits, *, episode_id: str | None = None) -> Episode:
    """An Episode from ``episode_to_json``'s bytes (renamed to ``episode_id`` when given, as a fork is)."""
    state = json.loads(data)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise StoreError(f"a stored episode is in format {found!r}, not {FORMAT}: it was written by another version of gtm-toolkit; reset the episode")
    episode = Episode(episode_id or state["id"], limits=limits, hidden_context=state["hidden_context"])
    episode.calls = int(state["calls"])
    for tool, arguments, response, is_error, size in state["history"]:
        episode.history.append(HistoryItem(tool, arguments, response, bool(is_error)))
        episode._sizes.append(int(size))
        episode._history_bytes += int(size)
    episode._occurrences = OrderedDict((bytes.fromhex(digest), int(count)) for digest, count in state["occurrences"])
    episode.opening = state["opening"]
    episode.baseline = state["baseline"]
    episode.world = world_from_json(state["world"], max_records=limits.max_entities)
    return episode


def world_to_json(world: EntityWorld) -> dict[str, Any]:
    """An EntityWorld's state as JSON values: its fields by name."""
    return {name: _encode(value) for name, value in vars(world).items()}


def world_from_json(data: dict[str, Any], *, max_records: int) -> EntityWorld:
    """The EntityWorld ``world_to_json`` wrote; the bound is this store's, not the writer's."""
    world = EntityWorld(max_records=max_records)
    expected = set(vars(world))
    if set(data) != expected:
        raise StoreError(
            f"a stored episode's world has the fields {sorted(data)}, not {sorted(expected)}: it was written by another "
            "version of gtm-toolkit; reset the episode (or close it) to start it afresh"
        )
    for name, value in data.items():
        if name != "max_records":
            setattr(world, name, _decode(value))
    return world


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and _TAG not in value:
            return {k: _encode(v) for k, v in value.items()}
        return {_TAG: "dict", "items": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {_TAG: "set", "items": sorted((_encode(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))}
    if isinstance(value, deque):
        return {_TAG: "deque", "items": [_encode(v) for v in value]}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "items": [_encode(v) for v in value]}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(_TAG)
    if tag is None:
        return {k: _decode(v) for k, v in value.items()}
    items = [_decode(v) for v in value["items"]]
    if tag == "set":
        return {_hashable(v) for v in items}
    if tag == "deque":
        return deque(items)
    if tag == "tuple":
        return tuple(items)
    return {_hashable(k): v for k, v in items}


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value
