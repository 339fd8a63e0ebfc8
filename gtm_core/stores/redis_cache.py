"""The answer cache in Redis, so that replicas share it.

Each answer is one string key, ``PREFIX:answer:KEY``; a list ``PREFIX:answer-order``
remembers the order they came in, and a put beyond ``max_entries`` drops the oldest, in one
Lua script (one round trip, atomic, so replicas putting at once keep the bound). A key's
first answer stays, as in the SQLite cache. Redis's own ``maxmemory`` policy may drop more.
"""

from __future__ import annotations

from typing import Any

from ..cache import DEFAULT_MAX_ENTRIES
from .redis_client import RedisTarget, connect, unavailable

__all__ = ["RedisCache"]

# KEYS[1] the answer, KEYS[2] the order list; ARGV[1] the text, ARGV[2] the bound, ARGV[3] the answer key prefix.
_PUT = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  local n = redis.call('RPUSH', KEYS[2], KEYS[1])
  local bound = tonumber(ARGV[2])
  while n > bound do
    local oldest = redis.call('LPOP', KEYS[2])
    redis.call('DEL', oldest)
    n = n - 1
  end
  return 1
end
return 0
"""


class RedisCache:
    """Engine answers by key in Redis at ``url`` (``redis://HOST:PORT/DB[?timeout=S&prefix=NAME]``)."""

    what = "the answer cache"
    remote = True  # its calls wait on the network (the Simulator runs them off the event loop)

    def __init__(self, url: str, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.target = RedisTarget.parse(url, what=self.what)
        self.path = self.target.shown
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._client: Any = connect(self.target, what=self.what)
        self._answers = f"{self.target.prefix}:answer:"
        self._order = f"{self.target.prefix}:answer-order"
        self._put = self._client.register_script(_PUT)

    def __repr__(self) -> str:
        return f"RedisCache({self.path!r}, hits={self.hits}, misses={self.misses})"

    def get(self, key: str) -> str | None:
        """The cached text for ``key``, or None."""
        with unavailable(self.target, self.what):
            raw = self._client.get(self._answers + key)
        if raw is None:
            self.misses += 1
            return None
        self.hits += 1
        return bytes(raw).decode("utf-8")

    def put(self, key: str, text: str) -> None:
        """Store ``text`` under ``key`` (the first answer stays), dropping the oldest beyond the bound."""
        with unavailable(self.target, self.what):
            self._put(keys=[self._answers + key, self._order], args=[text.encode("utf-8"), self.max_entries])

    def __len__(self) -> int:
        with unavailable(self.target, self.what):
            return int(self._client.llen(self._order))

    def clear(self) -> None:
        """Drop every answer of this prefix."""
        with unavailable(self.target, self.what):
            for batch in _batches(self._client.scan_iter(match=self._answers + "*", count=1000), 1000):
                self._client.delete(*batch)
            self._client.delete(self._order)

    def close(self) -> None:
        self._client.close()


def _batches(items: Any, size: int) -> Any:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
