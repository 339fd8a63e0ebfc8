"""Connecting to Redis for the shared stores, with timeouts and errors that say what to do.

A store URL is ``redis://[:PASSWORD@]HOST:PORT/DB`` (``rediss://`` for TLS, ``unix:///PATH``
for a socket), optionally with ``?timeout=S`` (default ``DEFAULT_TIMEOUT``: each command,
and each connection attempt, gives up after S seconds) and ``?prefix=NAME`` (default
``gtm``: every key this toolkit writes starts with ``NAME:``, so one Redis can hold several
deployments). A command that fails on a dropped connection is tried once more on a fresh
one, so a call waits at most twice the timeout; then ``StoreUnavailableError`` is raised,
naming the store (never its password) and the cause. Nothing is cached about a failure: the
next command tries again, so a store that comes back is used again at once.

The ``redis`` package is an optional extra: ``pip install 'gtm-toolkit[scale]'``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import StoreError, StoreUnavailableError

__all__ = ["DEFAULT_PREFIX", "DEFAULT_TIMEOUT", "REDIS_SCHEMES", "RedisTarget", "connect", "is_redis_url", "unavailable"]

DEFAULT_TIMEOUT = 2.0
DEFAULT_PREFIX = "gtm"
REDIS_SCHEMES = ("redis", "rediss", "unix")
_OWN_OPTIONS = ("timeout", "prefix")


def is_redis_url(target: object) -> bool:
    """Whether ``target`` is a string naming a Redis server (``redis://``, ``rediss://``, ``unix://``)."""
    return isinstance(target, str) and target.split("://", 1)[0].lower() in REDIS_SCHEMES and "://" in target


@dataclass(frozen=True)
class RedisTarget:
    """A parsed store URL: what redis-py is given, what messages show, and this toolkit's options."""

    url: str  # for redis-py: the URL without this toolkit's own query options
    shown: str  # for messages and logs: the URL without a password
    timeout: float
    prefix: str

    @classmethod
    def parse(cls, url: str, *, what: str) -> RedisTarget:
        parts = urlsplit(url)
        if parts.scheme.lower() not in REDIS_SCHEMES:
            raise StoreError(f"{what}: {url!r} is not a Redis URL; use redis://HOST:PORT/DB (or rediss://, unix:///PATH)")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        timeout_text = query.pop("timeout", str(DEFAULT_TIMEOUT))
        try:
            timeout = float(timeout_text)
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise StoreError(f"{what}: timeout={timeout_text!r} in {url!r} must be a number of seconds above 0, like ?timeout=0.5")
        prefix = query.pop("prefix", DEFAULT_PREFIX)
        if not prefix or any(c.isspace() for c in prefix):
            raise StoreError(f"{what}: prefix={prefix!r} in {url!r} must be a non-empty name without spaces")
        rest = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
        netloc = parts.netloc.rpartition("@")[2] if "@" in parts.netloc else parts.netloc
        shown = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        return cls(url=rest, shown=shown, timeout=timeout, prefix=prefix)


def connect(target: RedisTarget, *, what: str) -> Any:
    """A redis-py client for ``target`` (no command is sent yet: the first one connects)."""
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError as exc:
        raise StoreError(f"{what} {target.shown} needs the redis package: pip install 'gtm-toolkit[scale]'") from exc
    try:
        return redis.Redis.from_url(
            target.url, socket_timeout=target.timeout, socket_connect_timeout=target.timeout,
            retry=Retry(NoBackoff(), 1), retry_on_error=[redis.ConnectionError], decode_responses=False,
        )  # fmt: skip
    except ValueError as exc:
        raise StoreError(f"{what}: {target.shown} is not a usable Redis URL ({exc}); use redis://HOST:PORT/DB") from exc


@contextmanager
def unavailable(target: RedisTarget, what: str) -> Iterator[None]:
    """Translate redis-py's failures inside the block into StoreUnavailableError (or StoreError for a refusal)."""
    import redis

    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        kind = "did not answer within" if isinstance(exc, redis.TimeoutError) else "is unreachable (timeout"
        close = "" if isinstance(exc, redis.TimeoutError) else ")"
        raise StoreUnavailableError(
            f"{what} at {target.shown} {kind} {target.timeout:g} s{close}: {str(exc).rstrip('.')}. Check that redis-server runs there and "
            "answers; calls made meanwhile get this error, and the store is used again as soon as it answers"
        ) from exc
    except redis.ResponseError as exc:
        raise StoreError(f"{what} at {target.shown} refused a command: {exc}") from exc
