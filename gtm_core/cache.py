"""The answer cache: repeated calls are free and runs reproducible.

``AnswerCache`` is what the Simulator needs of a cache (get, put, clear, close, len, and
hit/miss counts); ``ResponseCache`` keeps answers in a SQLite file and
``gtm_core.stores.redis_cache.RedisCache`` in a Redis server that replicas share
(``gtm_core.stores.open_cache`` picks one from a path or URL).

Keys are digests of everything that decides an answer (the tool spec, the canonical
arguments, the episode context the engine saw, the engine and the seed), so a hit is the
first answer, byte for byte. The cache is bounded in entries (oldest go first). A damaged
file is reported, moved aside and rebuilt; it never crashes a run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["DEFAULT_MAX_ENTRIES", "AnswerCache", "ResponseCache", "cache_key", "canonical_json"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 1_000_000
_TRIM_TO = 0.9  # when full, the oldest entries go until this share of the bound is left
_SCHEMA = "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, text TEXT NOT NULL, created REAL NOT NULL)"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def cache_key(*parts: Any) -> str:
    """A digest of the parts' canonical JSON."""
    return hashlib.blake2b(canonical_json(parts).encode("utf-8"), digest_size=20).hexdigest()


@runtime_checkable
class AnswerCache(Protocol):
    """Engine answers by key. ``put`` keeps the first answer of a key; ``get`` counts hits and misses.

    A shared cache that cannot be reached raises ``StoreUnavailableError`` from ``get`` and ``put``.
    """

    hits: int
    misses: int

    def get(self, key: str) -> str | None: ...
    def put(self, key: str, text: str) -> None: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...
    def __len__(self) -> int: ...


class ResponseCache:
    """Engine answers by key in a SQLite file (or in memory with ``":memory:"``)."""

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.path = str(path)
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._count = 0
        self._lock = threading.Lock()
        self._db = self._open()

    def __repr__(self) -> str:
        return f"ResponseCache({self.path!r}, hits={self.hits}, misses={self.misses})"

    # ---- public ------------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        """The cached text for ``key``, or None."""
        with self._lock:
            row = self._guarded(lambda db: db.execute("SELECT text FROM responses WHERE key = ?", (key,)).fetchone())
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        text: str = row[0]
        return text

    def put(self, key: str, text: str) -> None:
        """Store ``text`` under ``key`` (the first answer stays: later puts of a key are ignored)."""
        with self._lock:
            cursor = self._guarded(
                lambda db: db.execute(
                    "INSERT OR IGNORE INTO responses (key, text, created) VALUES (?, ?, ?)", (key, text, time.time())
                )
            )
            self._count += cursor.rowcount if cursor is not None else 0
            if self._count > self.max_entries:
                self._guarded(self._trim)

    def __len__(self) -> int:
        with self._lock:
            row = self._guarded(lambda db: db.execute("SELECT COUNT(*) FROM responses").fetchone())
        return int(row[0]) if row else 0

    def clear(self) -> None:
        with self._lock:
            self._guarded(lambda db: db.execute("DELETE FROM responses"))
            self._count = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- internals ---------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            return self._rebuild(exc)

    def _connect(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            if self.path != ":memory:":
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            self._count = db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _rebuild(self, exc: Exception) -> sqlite3.Connection:
        """Move a damaged cache file aside and start an empty one."""
        if self.path == ":memory:":
            raise exc
        damaged = Path(self.path)
        aside = damaged.with_name(f"{damaged.name}.damaged-{int(time.time())}")
        logger.warning("cache file %s is damaged (%s); moved it to %s and started an empty cache", damaged, exc, aside)
        for suffix in ("", "-wal", "-shm"):
            part = Path(self.path + suffix)
            if part.exists():
                part.replace(Path(str(aside) + suffix))
        return self._connect()

    def _guarded(self, operation: Any) -> Any:
        """Run a database operation; a damaged file is rebuilt and the operation tried once more."""
        try:
            return operation(self._db)
        except sqlite3.DatabaseError as exc:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = self._rebuild(exc)
            try:
                return operation(self._db)
            except sqlite3.DatabaseError:
                logger.exception("cache operation failed on a fresh cache file %s", self.path)
                return None

    def _trim(self, db: sqlite3.Connection) -> None:
        """Drop the oldest entries, leaving room for a tenth of the bound before the next trim."""
        keep = max(1, int(self.max_entries * _TRIM_TO))
        db.execute("DELETE FROM responses WHERE rowid IN (SELECT rowid FROM responses ORDER BY rowid LIMIT ?)", (self._count - keep,))
        self._count = keep
