"""Rewards from world state: a reward is a plain function of what an episode's world became.

A reward function takes an ``EpisodeState`` (the snapshot, the diff since the episode was
opened, its hidden context) and returns a number; the verl and OpenEnv adapters call it after
every step and at the end. Name one in a config as ``"package.module:function"`` or
``"path/to/file.py:function"``. For example, "the ticket created in this episode is closed
and no other ticket changed"::

    def ticket_closed(state: EpisodeState) -> float:
        made = state.created("support_ticket")
        if len(made) != 1:
            return 0.0
        ticket = state.records("support_ticket").get(made[0]["key"], {})
        others = [c for c in state.changed("support_ticket") if c["key"] != made[0]["key"]]
        return 1.0 if ticket.get("status") == "closed" and not others and not state.deleted() else 0.0

A record created and then changed in the same episode is listed once, under ``created``, with
its current fields; ``changed`` lists records that existed when the episode was opened.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import GTMError

__all__ = ["EpisodeState", "RewardError", "RewardFn", "load_reward", "score"]


class RewardError(GTMError, ValueError):
    """A reward function that cannot be loaded, or that returned something other than a finite number."""


@dataclass(frozen=True)
class EpisodeState:
    """What a reward reads: the episode's world now (``snapshot``), what changed since it was opened (``diff``)."""

    episode: str
    snapshot: Mapping[str, Any]
    diff: Mapping[str, list[dict[str, Any]]]
    hidden_context: Mapping[str, Any] = field(default_factory=dict)
    calls: int = 0

    def records(self, resource: str) -> dict[str, dict[str, Any]]:
        """The live records of one resource by key (empty when the world holds none)."""
        return dict(self.snapshot.get("resources", {}).get(resource, {}).get("records", {}))

    def created(self, resource: str | None = None) -> list[dict[str, Any]]:
        """Records created since the episode was opened (of one resource, or all): ``{resource, key, record}``."""
        return [c for c in self.diff.get("created", []) if resource is None or c["resource"] == resource]

    def changed(self, resource: str | None = None) -> list[dict[str, Any]]:
        """Records that existed at the start and changed: ``{resource, key, fields: {name: [old, new]}}``."""
        return [c for c in self.diff.get("changed", []) if resource is None or c["resource"] == resource]

    def deleted(self, resource: str | None = None) -> list[dict[str, Any]]:
        """Records that existed at the start and are gone: ``{resource, key}``."""
        return [c for c in self.diff.get("deleted", []) if resource is None or c["resource"] == resource]


RewardFn = Callable[[EpisodeState], float]


def load_reward(reference: str) -> RewardFn:
    """The function named by ``"package.module:function"`` or ``"path/to/file.py:function"``."""
    target, sep, name = reference.rpartition(":")
    if not sep or not target or not name:
        raise RewardError(f"reward {reference!r}: name it as 'package.module:function' or 'path/to/file.py:function'")
    try:
        if target.endswith(".py"):
            path = Path(target)
            spec = importlib.util.spec_from_file_location(f"gtm_reward_{path.stem}", path)
            if spec is None or spec.loader is None or not path.is_file():
                raise RewardError(f"reward {reference!r}: no Python file at {target}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module  # as an import does: a dataclass (or pickle) in the file looks its module up there
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(spec.name, None)
                raise
        else:
            module = importlib.import_module(target)
    except ImportError as exc:
        raise RewardError(f"reward {reference!r}: cannot import {target}: {exc}") from exc
    function = getattr(module, name, None)
    if not callable(function):
        raise RewardError(f"reward {reference!r}: {target} has no function {name!r}")
    return function  # type: ignore[no-any-return]


def score(reward: RewardFn, state: EpisodeState) -> float:
    """``reward(state)`` as a float; RewardError when it is not a finite number (a bool counts as 0 or 1)."""
    value = reward(state)
    if isinstance(value, bool):
        return float(value)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RewardError(f"the reward function {getattr(reward, '__name__', reward)!r} returned {value!r}; it must return a finite number")
    return float(value)
