"""Episodes in a SQLite file, for one machine: ``gtm simulate --episodes sqlite:PATH --episode X`` keeps X across commands.

One row per episode (version, serialized episode, last use by the wall clock, calls) and one
per dropped episode that made calls (``episode_expired`` until reset or closed). A save is
one ``BEGIN IMMEDIATE`` transaction that checks the version, writes, and drops the idle and
the least recently used beyond the limits, so processes sharing the file never lose an
update. WAL mode; a locked file is waited for up to the timeout.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..episodes import EpisodeExpiredError, EpisodeLimits
from ..errors import StoreError, StoreUnavailableError
from .shared_episodes import SharedEpisodeStore

__all__ = ["SQLITE_PREFIX", "SqliteEpisodeStore"]

T = TypeVar("T")
SQLITE_PREFIX = "sqlite:"
DEFAULT_TIMEOUT = 10.0
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS episodes (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data BLOB NOT NULL, used REAL NOT NULL, calls INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS episodes_used ON episodes (used)",
    "CREATE TABLE IF NOT EXISTS expired (id TEXT PRIMARY KEY, reason TEXT NOT NULL, at REAL NOT NULL)",
)


class SqliteEpisodeStore(SharedEpisodeStore):
    """Episodes in the SQLite file ``path``, bounded by ``limits``."""

    def __init__(self, path: str | Path, limits: EpisodeLimits | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(limits)
        self.path = Path(path)
        self.timeout = timeout
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                self._db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.what}: cannot use {path} as a SQLite file of episodes: {exc}") from exc
        self._idle_reason = f"it was idle for more than {self.limits.idle_seconds:g} s"
        self._evict_reason = f"it was the least recently used when more than {self.limits.max_episodes} episodes were live"

    def __repr__(self) -> str:
        return f"SqliteEpisodeStore({str(self.path)!r})"

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            try:
                return work(self._db)
            except sqlite3.OperationalError as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreUnavailableError(f"{self.what} {self.path} could not be used within {self.timeout:g} s: {exc}") from exc

    def _load(self, episode_id: str) -> tuple[bytes | None, int]:
        def work(db: sqlite3.Connection) -> tuple[bytes | None, int]:
            row = db.execute("SELECT version, data, used, calls FROM episodes WHERE id = ?", (episode_id,)).fetchone()
            if row is not None and time.time() - row[2] <= self.limits.idle_seconds:
                return bytes(row[1]), int(row[0])
            if row is not None:  # idle too long: dropped now, as the in-memory store would have
                db.execute("BEGIN IMMEDIATE")
                self._drop(db, [(episode_id, row[3])], self._idle_reason)
                db.execute("COMMIT")
            expired = db.execute("SELECT reason FROM expired WHERE id = ?", (episode_id,)).fetchone()
            if expired is not None:
                raise EpisodeExpiredError(episode_id, expired[0])
            return None, 0

        return self._run(work)

    def _save(self, episode_id: str, data: bytes, version: int, made_calls: bool) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT version FROM episodes WHERE id = ?", (episode_id,)).fetchone()
            if (row[0] if row else 0) != version:
                db.execute("ROLLBACK")
                return False
            now = time.time()
            db.execute("INSERT OR REPLACE INTO episodes (id, version, data, used, calls) VALUES (?, ?, ?, ?, ?)",
                       (episode_id, version + 1, data, now, int(made_calls)))  # fmt: skip
            limits = self.limits
            idle = db.execute("SELECT id, calls FROM episodes WHERE used < ? LIMIT 64", (now - limits.idle_seconds,)).fetchall()
            self._drop(db, idle, self._idle_reason)
            extra = db.execute("SELECT COUNT(*) FROM episodes").fetchone()[0] - limits.max_episodes
            if extra > 0:
                self._drop(db, db.execute("SELECT id, calls FROM episodes ORDER BY used LIMIT ?", (extra,)).fetchall(), self._evict_reason)
            db.execute("COMMIT")
            return True

        return self._run(work)

    def _drop(self, db: sqlite3.Connection, rows: list[tuple[str, int]], reason: str) -> None:
        """Delete episodes; remember those that made calls (the last ``max_expired_ids``)."""
        now = time.time()
        for episode_id, calls in rows:
            db.execute("DELETE FROM episodes WHERE id = ?", (episode_id,))
            if calls:
                db.execute("INSERT OR REPLACE INTO expired (id, reason, at) VALUES (?, ?, ?)", (episode_id, reason, now))
        extra = db.execute("SELECT COUNT(*) FROM expired").fetchone()[0] - self.limits.max_expired_ids
        if extra > 0:
            db.execute("DELETE FROM expired WHERE id IN (SELECT id FROM expired ORDER BY at LIMIT ?)", (extra,))

    def close(self, episode_id: str) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            gone = db.execute("DELETE FROM episodes WHERE id = ?", (episode_id,)).rowcount
            gone += db.execute("DELETE FROM expired WHERE id = ?", (episode_id,)).rowcount
            return gone > 0

        return self._run(work)

    def __len__(self) -> int:
        return int(self._run(lambda db: db.execute("SELECT COUNT(*) FROM episodes WHERE calls > 0").fetchone()[0]))

    def shutdown(self) -> None:
        with self._lock:
            self._db.close()
