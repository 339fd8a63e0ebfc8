"""Where the Simulator keeps what outlives a call: the answer cache (and, shared, the episodes).

``open_cache(target)`` turns what a user passes (``--cache``, ``Simulator(cache=...)``) into
an AnswerCache: a ``redis://`` URL gives a RedisCache that replicas share (see
``redis_client`` for the URL's options), any other string or path a SQLite ResponseCache, an
AnswerCache is used as it is.
"""

from __future__ import annotations

import os

from ..cache import AnswerCache, ResponseCache
from .redis_client import is_redis_url

__all__ = ["is_redis_url", "open_cache"]


def open_cache(target: AnswerCache | str | os.PathLike[str] | None) -> AnswerCache | None:
    """The answer cache ``target`` names (None: no cache)."""
    if target is None or isinstance(target, AnswerCache):
        return target
    if is_redis_url(target):
        from .redis_cache import RedisCache

        return RedisCache(str(target))
    return ResponseCache(target)
