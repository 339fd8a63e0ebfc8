"""Episodes in Redis, shared by replicas: one hash per episode, saved by a Lua script with a version check.

Keys (``PREFIX`` from the URL, default ``gtm``):

- ``PREFIX:ep:ID``: a hash, ``v`` the version and ``d`` the serialized episode; its TTL is
  the idle limit, renewed by every save, so Redis itself drops an idle episode;
- ``PREFIX:ep-live``: a sorted set of the episodes that made calls, by last use (Redis's
  clock), for the count limit (the least recently used go first) and to tell an episode
  that expired from one never seen;
- ``PREFIX:ep-expired`` and ``PREFIX:ep-reasons``: the ids of the last ``max_expired_ids``
  dropped episodes and why each was dropped, so their next calls answer ``episode_expired``.

Saving, trimming and marking run in one script (atomic, one round trip); loading in another.
One Redis instance (not Redis Cluster: the scripts touch keys they compute).
"""

from __future__ import annotations

from typing import Any

from ..episodes import EpisodeExpiredError, EpisodeLimits
from .redis_client import RedisTarget, connect, unavailable
from .shared_episodes import SharedEpisodeStore

__all__ = ["RedisEpisodeStore"]

# KEYS: 1 data, 2 live, 3 expired, 4 reasons.  mark(id, reason, now) remembers a dropped episode.
_MARK = """
local function mark(id, reason, now, max_expired)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[3], now, id)
  redis.call('HSET', KEYS[4], id, reason)
  local extra = redis.call('ZCARD', KEYS[3]) - max_expired
  if extra > 0 then
    local gone = redis.call('ZPOPMIN', KEYS[3], extra)
    for i = 1, #gone, 2 do redis.call('HDEL', KEYS[4], gone[i]) end
  end
end
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
"""
# ARGV: 1 id, 2 idle reason, 3 max expired ids.  -> {version, data} | {'expired', reason} | {'0'}
_LOAD = _MARK + """
local got = redis.call('HMGET', KEYS[1], 'v', 'd')
if got[1] then return {got[1], got[2]} end
local reason = redis.call('HGET', KEYS[4], ARGV[1])
if reason then return {'expired', reason} end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  mark(ARGV[1], ARGV[2], now(), tonumber(ARGV[3]))
  return {'expired', ARGV[2]}
end
return {'0'}
"""
# ARGV: 1 id, 2 expected version, 3 data, 4 ttl ms, 5 made calls (0/1), 6 max episodes, 7 max expired ids,
#       8 data key prefix, 9 idle seconds, 10 idle reason, 11 eviction reason.  -> 1 saved | 0 version changed
_SAVE = _MARK + """
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[2] then return 0 end
local t = now()
local max_expired = tonumber(ARGV[7])
redis.call('HSET', KEYS[1], 'v', tostring(tonumber(v) + 1), 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[5] == '1' then redis.call('ZADD', KEYS[2], t, ARGV[1]) end
local idle = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', t - tonumber(ARGV[9]), 'LIMIT', 0, 64)
for _, old in ipairs(idle) do
  redis.call('DEL', ARGV[8] .. old)
  mark(old, ARGV[10], t, max_expired)
end
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[6])
if extra > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], extra)
  for i = 1, #popped, 2 do
    redis.call('DEL', ARGV[8] .. popped[i])
    mark(popped[i], ARGV[11], t, max_expired)
  end
end
return 1
"""


class RedisEpisodeStore(SharedEpisodeStore):
    """Episodes in Redis at ``url`` (``redis://HOST:PORT/DB[?timeout=S&prefix=NAME]``), bounded by ``limits``."""

    def __init__(self, url: str, limits: EpisodeLimits | None = None) -> None:
        super().__init__(limits)
        self.target = RedisTarget.parse(url, what=self.what)
        self.url = self.target.shown
        self._client: Any = connect(self.target, what=self.what)
        prefix = self.target.prefix
        self._data = f"{prefix}:ep:"
        self._keys = [f"{prefix}:ep-live", f"{prefix}:ep-expired", f"{prefix}:ep-reasons"]
        self._load_script = self._client.register_script(_LOAD)
        self._save_script = self._client.register_script(_SAVE)
        limits = self.limits
        self._idle_reason = f"it was idle for more than {limits.idle_seconds:g} s (or Redis dropped it under its maxmemory policy)"
        self._evict_reason = f"it was the least recently used when more than {limits.max_episodes} episodes were live"

    def __repr__(self) -> str:
        return f"RedisEpisodeStore({self.url!r})"

    def _load(self, episode_id: str) -> tuple[bytes | None, int]:
        with unavailable(self.target, self.what):
            got = self._load_script(keys=[self._data + episode_id, *self._keys], args=[episode_id, self._idle_reason, self.limits.max_expired_ids])
        if got[0] == b"expired":
            raise EpisodeExpiredError(episode_id, bytes(got[1]).decode("utf-8"))
        if len(got) == 1:
            return None, 0
        return bytes(got[1]), int(got[0])

    def _save(self, episode_id: str, data: bytes, version: int, made_calls: bool) -> bool:
        limits = self.limits
        args = [episode_id, version, data, max(1, int(limits.idle_seconds * 1000)), int(made_calls), limits.max_episodes,
                limits.max_expired_ids, self._data, limits.idle_seconds, self._idle_reason, self._evict_reason]  # fmt: skip
        with unavailable(self.target, self.what):
            return bool(self._save_script(keys=[self._data + episode_id, *self._keys], args=args))

    def close(self, episode_id: str) -> bool:
        with unavailable(self.target, self.what):
            pipe = self._client.pipeline(transaction=True)
            pipe.delete(self._data + episode_id)
            pipe.zrem(self._keys[0], episode_id)
            pipe.zrem(self._keys[1], episode_id)
            pipe.hdel(self._keys[2], episode_id)
            return any(pipe.execute())

    def __len__(self) -> int:
        with unavailable(self.target, self.what):
            return int(self._client.zcard(self._keys[0]))

    def shutdown(self) -> None:
        self._client.close()
