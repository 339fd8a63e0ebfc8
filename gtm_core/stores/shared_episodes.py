"""Episodes in a store that outlives the process: the part every shared store has in common.

A shared store holds each episode in its serialized form (``gtm_core.episode_codec``) with a
version number. The Simulator changes an episode only through ``update(id, change)``: load
it, apply ``change`` (a call's prepare, or its finish once the engine answered), save it
with a version check. When another replica saved the same episode in between, the save is
refused and the change is applied again to the newer state, so two calls of one episode
answered at once by two replicas both land (up to ``MAX_ATTEMPTS`` tries; then the call
gets a ``store_unavailable`` error result and nothing is lost silently). A call whose save
succeeded is in the store: killing the process afterwards loses nothing of it.

Subclasses provide ``_load``, ``_save``, ``close``, ``__len__`` and ``shutdown``; the
limits (count, idle time, what an episode keeps) are the in-memory store's, and a dropped
episode that made calls answers ``episode_expired`` in the same way.
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..episode_codec import episode_from_json, episode_to_json
from ..episodes import DEFAULT_EPISODE, Episode, EpisodeLimits
from ..errors import StoreUnavailableError

__all__ = ["MAX_ATTEMPTS", "SharedEpisodeStore"]

T = TypeVar("T")
MAX_ATTEMPTS = 16
_STRIPES = 64
_MAX_BACKOFF_S = 0.1


class SharedEpisodeStore(ABC):
    """Episodes by id in a store shared by processes; ``get`` returns a loaded copy (changes to it are not saved)."""

    remote = True  # its calls wait on I/O: the Simulator runs them off the event loop
    what = "the episode store"

    def __init__(self, limits: EpisodeLimits | None = None) -> None:
        self.limits = limits or EpisodeLimits()
        self.conflicts = 0  # saves refused because another process saved the episode first
        # Calls of this process on one episode take turns (striped by id), so versions only ever
        # conflict between processes; those retry after a short random wait that grows.
        self._turns = [threading.RLock() for _ in range(_STRIPES)]

    # ---- what a backend provides -----------------------------------------------------------
    @abstractmethod
    def _load(self, episode_id: str) -> tuple[bytes | None, int]:
        """(the serialized episode or None when there is none, its version: 0 for none). Raises EpisodeExpiredError."""

    @abstractmethod
    def _save(self, episode_id: str, data: bytes, version: int, made_calls: bool) -> bool:
        """Store ``data`` as version ``version + 1`` if the stored version is still ``version``; False otherwise."""

    @abstractmethod
    def close(self, episode_id: str) -> bool:
        """Forget the episode (and that it expired); False when there was none. Its id may start afresh."""

    @abstractmethod
    def __len__(self) -> int:
        """How many episodes that made calls are live."""

    @abstractmethod
    def shutdown(self) -> None:
        """Close the connection to the store (episodes stay in it)."""

    # ---- the store interface the Simulator uses -------------------------------------------
    def update(self, episode_id: str | None, change: Callable[[Episode], T], *, hidden_context: Mapping[str, Any] | None = None,
               held: Episode | None = None) -> T:  # fmt: skip
        """Load the episode, ``change`` it, save it if nobody saved it meanwhile, else again on the newer state; ``change``'s result.

        ``held`` (the copy a call loaded earlier) is not trusted: the latest state is loaded.
        """
        episode_id = episode_id or DEFAULT_EPISODE
        with self._turns[zlib.crc32(episode_id.encode("utf-8", "surrogatepass")) % _STRIPES]:
            for attempt in range(MAX_ATTEMPTS):
                data, version = self._load(episode_id)
                episode = episode_from_json(data, self.limits) if data is not None else Episode(episode_id, limits=self.limits)
                if hidden_context is not None:
                    episode.hidden_context = dict(hidden_context)
                result = change(episode)
                if self._save(episode_id, episode_to_json(episode), version, episode.calls > 0):
                    return result
                self.conflicts += 1
                time.sleep(random.uniform(0, min(_MAX_BACKOFF_S, 0.002 * 2**attempt)))
        raise StoreUnavailableError(
            f"{self.what}: episode {episode_id!r} was changed by other calls {MAX_ATTEMPTS} times while this one was saved; "
            "too many concurrent calls of one episode. Retry the call"
        )

    def get(self, episode_id: str | None, *, hidden_context: Mapping[str, Any] | None = None) -> Episode:
        """The episode (created on first use), as loaded; setting ``hidden_context`` saves it."""
        return self.update(episode_id, lambda episode: episode, hidden_context=hidden_context)

    def peek(self, episode_id: str) -> Episode | None:
        """The stored episode with this id, as loaded, or None; never creates one.

        Raises EpisodeExpiredError for the id of an episode that was dropped, as ``get`` does.
        """
        data, _ = self._load(episode_id)
        return episode_from_json(data, self.limits) if data is not None else None

    def reset(self, episode_id: str, *, hidden_context: Mapping[str, Any] | None = None) -> Episode:
        """Start the episode afresh (history and world emptied), optionally with new hidden context."""
        self.close(episode_id)
        return self.get(episode_id, hidden_context=hidden_context)

    def fork(self, episode_id: str, into: str) -> Episode:
        """A new episode ``into``, a copy of ``episode_id`` (replacing what ``into`` held)."""
        twin = self.get(episode_id).copy(into)
        data = episode_to_json(twin)
        for _ in range(MAX_ATTEMPTS):
            self.close(into)
            if self._save(into, data, 0, twin.calls > 0):
                return twin
        raise StoreUnavailableError(f"{self.what}: could not write the fork {into!r}: other calls kept writing it; retry")

    def __contains__(self, episode_id: object) -> bool:
        return isinstance(episode_id, str) and self._load(episode_id)[0] is not None
