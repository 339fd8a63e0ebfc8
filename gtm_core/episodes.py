"""Episodes: the context of one agent trajectory, keyed by an explicit id.

An Episode holds the calls made so far (bounded), the entity world they imply, and hidden
context from the RL task (for example the ground-truth answer) for engines to use. The
EpisodeStore bounds how many episodes live at once, how much each holds, and how long an
idle one is kept; it is safe to use from many threads and tasks.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .generation import HistoryItem
from .resources.snapshot import world_snapshot
from .world import EntityWorld

__all__ = ["DEFAULT_EPISODE", "Episode", "EpisodeLimits", "EpisodeStore"]

DEFAULT_EPISODE = "default"


@dataclass(frozen=True)
class EpisodeLimits:
    """Bounds on episodes: count, calls and bytes kept per episode, entities, idle time."""

    max_episodes: int = 10_000
    max_history: int = 256
    max_history_bytes: int = 4_000_000
    max_entities: int = 10_000
    idle_seconds: float = 3600.0


class Episode:
    """One trajectory's context. ``lock`` serialises its calls' reads and writes."""

    def __init__(self, episode_id: str, *, limits: EpisodeLimits, hidden_context: Mapping[str, Any] | None = None) -> None:
        self.id = episode_id
        self.limits = limits
        self.hidden_context: dict[str, Any] = dict(hidden_context or {})
        self.history: deque[HistoryItem] = deque()
        self.world = EntityWorld(max_records=limits.max_entities)
        self.lock = threading.RLock()
        self.calls = 0
        self.last_used = time.monotonic()
        self._history_bytes = 0
        self._sizes: deque[int] = deque()
        self._occurrences: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"Episode({self.id!r}, calls={self.calls}, entities={len(self.world)})"

    def copy(self, episode_id: str) -> Episode:
        """A new episode ``episode_id`` holding a copy of this one's history, world, hidden context and counts."""
        twin = Episode(episode_id, limits=self.limits, hidden_context=copy.deepcopy(self.hidden_context))
        with self.lock:
            twin.history.extend(self.history)
            twin.world = copy.deepcopy(self.world)
            twin.calls = self.calls
            twin._history_bytes = self._history_bytes
            twin._sizes.extend(self._sizes)
            twin._occurrences = dict(self._occurrences)
        return twin

    def context(self) -> tuple[tuple[HistoryItem, ...], dict[str, Any] | None]:
        """(the history so far, the hidden context or None), read under the episode's lock."""
        with self.lock:
            return tuple(self.history), (dict(self.hidden_context) or None)

    def snapshot(self) -> dict[str, Any]:
        """The episode's world as plain JSON: ``{"episode", "calls", "resources": {name: {"records", "deleted"}}}``
        (``gtm_core.resources.snapshot.diff`` compares two)."""
        with self.lock:
            return {"episode": self.id, "calls": self.calls, **world_snapshot(self.world)}

    def occurrence(self, call_key: str) -> int:
        """How many times this exact call was made before in the episode (and count this one)."""
        seen = self._occurrences.get(call_key, 0)
        self._occurrences[call_key] = seen + 1
        return seen

    def record(self, item: HistoryItem, size: int) -> None:
        """Append a call to the history, dropping the oldest beyond the limits."""
        self.calls += 1
        self.history.append(item)
        self._history_bytes += size
        self._sizes.append(size)
        while self.history and (len(self.history) > self.limits.max_history or self._history_bytes > self.limits.max_history_bytes):
            self.history.popleft()
            self._history_bytes -= self._sizes.popleft()


class EpisodeStore:
    """Live episodes by id, bounded in number and idle time (least recently used go first)."""

    def __init__(self, limits: EpisodeLimits | None = None) -> None:
        self.limits = limits or EpisodeLimits()
        self._episodes: OrderedDict[str, Episode] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._episodes)

    def __contains__(self, episode_id: object) -> bool:
        return episode_id in self._episodes

    def get(self, episode_id: str | None, *, hidden_context: Mapping[str, Any] | None = None) -> Episode:
        """The episode with this id, created on first use (None means the default episode)."""
        episode_id = episode_id or DEFAULT_EPISODE
        now = time.monotonic()
        with self._lock:
            self._evict_idle(now)
            episode = self._episodes.get(episode_id)
            if episode is None:
                episode = Episode(episode_id, limits=self.limits)
                self._episodes[episode_id] = episode
                while len(self._episodes) > self.limits.max_episodes:
                    self._episodes.popitem(last=False)
            else:
                self._episodes.move_to_end(episode_id)
            episode.last_used = now
            if hidden_context is not None:
                episode.hidden_context = dict(hidden_context)
            return episode

    def fork(self, episode_id: str, into: str) -> Episode:
        """A new episode ``into``, a copy of ``episode_id`` (created empty first if it does not exist)."""
        twin = self.get(episode_id).copy(into)
        with self._lock:
            self._episodes[into] = twin
            self._episodes.move_to_end(into)
            while len(self._episodes) > self.limits.max_episodes:
                self._episodes.popitem(last=False)
        return twin

    def reset(self, episode_id: str, *, hidden_context: Mapping[str, Any] | None = None) -> Episode:
        """Start the episode afresh (history and world emptied), optionally with new hidden context."""
        self.close(episode_id)
        return self.get(episode_id, hidden_context=hidden_context)

    def close(self, episode_id: str) -> bool:
        """Forget the episode and free what it held; False when there was none."""
        with self._lock:
            return self._episodes.pop(episode_id, None) is not None

    def _evict_idle(self, now: float) -> None:
        while self._episodes:
            oldest = next(iter(self._episodes.values()))
            if now - oldest.last_used <= self.limits.idle_seconds:
                return
            self._episodes.popitem(last=False)
