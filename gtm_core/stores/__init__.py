"""Where the Simulator keeps what outlives a call: the answer cache and the episodes.

``open_cache(target)`` turns what a user passes (``--cache``, ``Simulator(cache=...)``) into
an AnswerCache: a ``redis://`` URL gives a RedisCache that replicas share (see
``redis_client`` for the URL's options), any other string or path a SQLite ResponseCache, an
AnswerCache is used as it is. ``open_episode_store(target, limits)`` does the same for
episodes: this process's memory (the default), ``redis://…`` (replicas share them) or
``sqlite:PATH`` (processes of one machine share them; see ``shared_episodes``).
"""

from __future__ import annotations

import os

from ..cache import AnswerCache, ResponseCache
from ..episodes import EpisodeLimits, EpisodeStore
from ..errors import StoreError
from .redis_client import is_redis_url
from .shared_episodes import SharedEpisodeStore
from .sqlite_episodes import SQLITE_PREFIX

__all__ = ["SharedEpisodeStore", "is_redis_url", "open_cache", "open_episode_store"]


def open_cache(target: AnswerCache | str | os.PathLike[str] | None) -> AnswerCache | None:
    """The answer cache ``target`` names (None: no cache)."""
    if target is None or isinstance(target, AnswerCache):
        return target
    if is_redis_url(target):
        from .redis_cache import RedisCache

        return RedisCache(str(target))
    return ResponseCache(target)


def open_episode_store(target: EpisodeStore | SharedEpisodeStore | str | None, limits: EpisodeLimits | None = None) -> EpisodeStore | SharedEpisodeStore:
    """The episode store ``target`` names: None or ``"memory"`` this process's memory, ``redis://…`` Redis, ``sqlite:PATH`` a SQLite file."""
    if isinstance(target, (EpisodeStore, SharedEpisodeStore)):
        return target
    if target is None or target == "memory":
        return EpisodeStore(limits)
    if is_redis_url(target):
        from .redis_episodes import RedisEpisodeStore

        return RedisEpisodeStore(target, limits)
    if isinstance(target, str) and target.startswith(SQLITE_PREFIX) and target[len(SQLITE_PREFIX):].strip():
        from .sqlite_episodes import SqliteEpisodeStore

        return SqliteEpisodeStore(target[len(SQLITE_PREFIX):], limits)
    raise StoreError(f"episodes: {target!r} names no episode store; use memory, redis://HOST:PORT/DB or sqlite:PATH")
