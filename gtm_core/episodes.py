"""Episodes: the context of one agent trajectory, keyed by an explicit id.

An Episode holds the calls made so far (bounded), the entity world they imply, and hidden
context from the RL task (for example the ground-truth answer) for engines to use. The
EpisodeStore bounds how many episodes live at once, how much each holds, and how long an
idle one is kept; it is safe to use from many threads and tasks.

An episode that made calls and is then dropped (the least recently used one when there are
more than ``max_episodes``, or one idle for over ``idle_seconds``) is never silently begun
again: ``get`` raises ``EpisodeExpiredError`` for its id, which the Simulator answers as an
``episode_expired`` error result, until the id is reset (``reset``) or closed. Each drop is
logged and counted (``evicted``, ``expired``). The ids of the last ``max_expired_ids``
dropped episodes are remembered for this (16 bytes each); an id dropped longer ago than
that starts afresh.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import GTMError
from .generation import HistoryItem
from .resources.snapshot import world_snapshot
from .world import EntityWorld

__all__ = ["DEFAULT_EPISODE", "Episode", "EpisodeExpiredError", "EpisodeLimits", "EpisodeStore"]

logger = logging.getLogger(__name__)

DEFAULT_EPISODE = "default"
T = TypeVar("T")


class EpisodeExpiredError(GTMError, KeyError):
    """A call to an episode that was dropped (evicted or idle too long): its world is gone."""

    def __init__(self, episode_id: str, reason: str) -> None:
        super().__init__(episode_id)
        self.episode_id = episode_id
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"episode {self.episode_id!r} has expired: {self.reason}. Its world (entities, earlier calls) is gone; "
            "continue under a new episode id, or reset this one (Simulator.reset_episode) to start it afresh."
        )


@dataclass(frozen=True)
class EpisodeLimits:
    """Bounds on episodes: count, idle time, and what each one keeps.

    Per episode: at most ``max_history`` earlier calls whose arguments and answers together
    take at most ``max_history_bytes`` (as JSON text); the occurrence counts of at most
    ``max_call_keys`` distinct calls (16-byte digests, the oldest forgotten first); at most
    ``max_entities`` entity records and as many delete tombstones. The store remembers the
    ids of the last ``max_expired_ids`` dropped episodes.
    """

    max_episodes: int = 10_000
    max_history: int = 256
    max_history_bytes: int = 4_000_000
    max_entities: int = 10_000
    idle_seconds: float = 3600.0
    max_call_keys: int = 4096
    max_expired_ids: int = 100_000


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
        self._occurrences: OrderedDict[bytes, int] = OrderedDict()
        self.opening: dict[str, Any] = {}  # what open_episode was given (seed, hidden context): reset reuses it
        self.baseline: dict[str, Any] | None = None  # the world's snapshot when opened (None: empty)

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
            twin._occurrences = OrderedDict(self._occurrences)
            twin.opening = copy.deepcopy(self.opening)
            twin.baseline = copy.deepcopy(self.baseline)
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
        """How many times this exact call was made before in the episode (and count this one).

        Calls are remembered by a digest, the ``max_call_keys`` most recently made ones.
        """
        digest = _digest(call_key)
        seen = self._occurrences.pop(digest, 0)
        self._occurrences[digest] = seen + 1
        while len(self._occurrences) > self.limits.max_call_keys:
            self._occurrences.popitem(last=False)
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
    """Live episodes by id, in this process's memory, bounded in number and idle time (least recently used go first).

    The Simulator changes an episode only through ``update``, which shared stores
    (``gtm_core.stores``: Redis, SQLite) implement as load, change, save with a version check.
    """

    remote = False  # its calls never wait on the network

    def __init__(self, limits: EpisodeLimits | None = None) -> None:
        self.limits = limits or EpisodeLimits()
        self._episodes: OrderedDict[str, Episode] = OrderedDict()
        self._expired: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()
        self.evicted = 0
        self.expired = 0

    def __len__(self) -> int:
        return len(self._episodes)

    def __contains__(self, episode_id: object) -> bool:
        return episode_id in self._episodes

    def get(self, episode_id: str | None, *, hidden_context: Mapping[str, Any] | None = None) -> Episode:
        """The episode with this id, created on first use (None means the default episode).

        Raises EpisodeExpiredError for the id of an episode that was dropped (see the module docstring).
        """
        episode_id = episode_id or DEFAULT_EPISODE
        now = time.monotonic()
        with self._lock:
            self._evict_idle(now)
            episode = self._episodes.get(episode_id)
            if episode is None:
                reason = self._expired.get(_digest(episode_id))
                if reason is not None:
                    raise EpisodeExpiredError(episode_id, reason)
                episode = Episode(episode_id, limits=self.limits)
                self._episodes[episode_id] = episode
                self._trim()
            else:
                self._episodes.move_to_end(episode_id)
            episode.last_used = now
            if hidden_context is not None:
                episode.hidden_context = dict(hidden_context)
            return episode

    def peek(self, episode_id: str) -> Episode | None:
        """The live episode with this id, or None; never creates one (idle ones are dropped first).

        Raises EpisodeExpiredError for the id of an episode that was dropped, as ``get`` does.
        """
        with self._lock:
            self._evict_idle(time.monotonic())
            episode = self._episodes.get(episode_id)
            if episode is None:
                reason = self._expired.get(_digest(episode_id))
                if reason is not None:
                    raise EpisodeExpiredError(episode_id, reason)
            return episode

    def update(self, episode_id: str | None, change: Callable[[Episode], T], *, hidden_context: Mapping[str, Any] | None = None,
               held: Episode | None = None) -> T:  # fmt: skip
        """``change(episode)`` under the episode's lock; its result. ``held`` is the episode a call already holds (no lookup again)."""
        episode = held if held is not None else self.get(episode_id, hidden_context=hidden_context)
        with episode.lock:
            return change(episode)

    def fork(self, episode_id: str, into: str) -> Episode:
        """A new episode ``into``, a copy of ``episode_id`` (created empty first if it does not exist)."""
        twin = self.get(episode_id).copy(into)
        with self._lock:
            self._episodes[into] = twin
            self._episodes.move_to_end(into)
            self._trim()
        return twin

    def reset(self, episode_id: str, *, hidden_context: Mapping[str, Any] | None = None) -> Episode:
        """Start the episode afresh (history and world emptied), optionally with new hidden context."""
        self.close(episode_id)
        return self.get(episode_id, hidden_context=hidden_context)

    def close(self, episode_id: str) -> bool:
        """Forget the episode and free what it held; False when there was none. Its id may start afresh."""
        with self._lock:
            expired = self._expired.pop(_digest(episode_id), None) is not None
            return self._episodes.pop(episode_id, None) is not None or expired

    def _trim(self) -> None:
        """Drop the least recently used episodes beyond ``max_episodes`` (under the lock)."""
        while len(self._episodes) > self.limits.max_episodes:
            _, dropped = self._episodes.popitem(last=False)
            self.evicted += 1
            self._drop(dropped, f"it was the least recently used when more than {self.limits.max_episodes} episodes were live")

    def _evict_idle(self, now: float) -> None:
        while self._episodes:
            oldest = next(iter(self._episodes.values()))
            if now - oldest.last_used <= self.limits.idle_seconds:
                return
            self._episodes.popitem(last=False)
            self.expired += 1
            self._drop(oldest, f"it was idle for more than {self.limits.idle_seconds:g} s")

    def _drop(self, episode: Episode, reason: str) -> None:
        """Remember a dropped episode that made calls, so that its next call is told, not given a new world."""
        if not episode.calls:
            return  # nothing was built in it, so nothing is lost
        dropped = self.evicted + self.expired
        level = logging.WARNING if dropped <= 10 or dropped % 1000 == 0 else logging.INFO  # loud, but not one line per drop forever
        logger.log(level, "episode %r dropped (%s, after %d calls; %d dropped so far); its next calls answer episode_expired",
                   episode.id, reason, episode.calls, dropped)  # fmt: skip
        self._expired[_digest(episode.id)] = reason
        while len(self._expired) > self.limits.max_expired_ids:
            self._expired.popitem(last=False)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
