"""Recording real tool calls as training data: a durable JSONL file, one record a line.

Each record is a chat-format training example made by ``gtm_core.prompt.training_record``
(the prompt the engines use, then the real answer as the assistant message), so ``gtm train``
reads the file as it is. Beside ``messages`` a record keeps ``tool``, ``is_error``,
``source`` ("real"), ``server``, ``exposed_name``, ``policy``, ``route``, ``episode``,
``latency_ms``, ``time`` and, for shadow calls, ``simulated`` (the simulated answer's
``content`` and ``is_error``).

The proxy submits records to the recorder's writer thread and answers at once; records are
written in call order, and closing the server waits for them. Durability: records are
complete lines written with one ``os.write`` on a file opened with ``O_APPEND``, then
``fsync``. On Ctrl-C or SIGTERM, every answered real call is on disk before the process
exits. On SIGKILL, at most the records still queued (``DEFAULT_MAX_PENDING``, in practice
the last few milliseconds of calls) are lost, and the file holds whole lines only; a line cut short by a crash of the
machine itself is closed with a newline when the file is opened again, so it never joins
the next record. Secrets are removed first (``mcp_server.redact``): by key and by value in
the arguments, the answer and the episode's earlier calls, then by value over the finished
record. Empty answers are not recorded (a training example needs an answer to learn).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from gtm_core import ToolSpec
from gtm_core.generation import HistoryItem
from gtm_core.prompt import training_record

from .redact import redact

__all__ = ["Recorder", "call_record", "read_records"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_PENDING = 64
"""Records submitted but not yet on disk, at most; ``submit`` waits for room beyond that."""


class Recorder:
    """Appends records to a JSONL file, each one synced to disk.

    ``write`` writes and syncs a record before it returns. ``submit`` hands a function that
    makes a record to the recorder's writer thread and returns at once, so a server answers
    without waiting for the prompt to be built or the disk to sync; records are written in
    the order they were submitted, and ``drain`` waits until all are on disk. The writer
    takes every record waiting at once and syncs them with one ``fsync`` (group commit), so
    it keeps up with the calls; at most ``max_pending`` records wait (``submit`` blocks for
    room beyond that), which bounds what a SIGKILL can lose. Safe to share between threads.
    ``close`` drains, then closes the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, sync: bool = True, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, got {max_pending}")
        self.max_pending = max_pending
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.sync = sync
        self._lock = threading.Lock()
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._pending_newline = not _ends_with_newline(self.path)
        self._queue: queue.Queue[Callable[[], Mapping[str, Any]] | None] = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        self.written = 0
        self.failed = 0

    def submit(self, make_record: Callable[[], Mapping[str, Any]]) -> None:
        """Make and write a record in the writer thread (a failure is logged and counted in ``failed``)."""
        with self._lock:
            if self._fd is None:
                raise ValueError(f"the recorder of {self.path} is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"gtm-recorder:{self.path.name}", daemon=True)
                self._thread.start()
        self._queue.put(make_record)

    def drain(self) -> None:
        """Wait until every submitted record is written."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_pending:  # group commit: whatever waits goes out with one fsync
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            records: list[Mapping[str, Any]] = []
            stop = False
            for make_record in batch:
                if make_record is None:
                    stop = True
                    continue
                try:
                    records.append(make_record())
                except Exception:  # a bad record must not stop the records after it
                    self.failed += 1
                    logger.exception("could not make a record for %s", self.path)
            try:
                if records:
                    self.write_many(records)
            except Exception:  # a full disk must not stop the records after it
                self.failed += len(records)
                logger.exception("could not write %d records to %s", len(records), self.path)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stop:
                return

    def __repr__(self) -> str:
        return f"Recorder({str(self.path)!r}, written={self.written})"

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record as one line, and sync it to disk."""
        self.write_many([record])

    def write_many(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Append records, one line each, in one write, and sync them to disk once."""
        data = b"".join((json.dumps(r, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode("utf-8", "surrogatepass") for r in records)
        with self._lock:
            if self._fd is None:
                raise ValueError(f"the recorder of {self.path} is closed")
            if self._pending_newline:
                data = b"\n" + data
                self._pending_newline = False
            view = memoryview(data)
            while view:  # one write on a regular file; the loop only guards a short write (disk full)
                written = os.write(self._fd, view)
                view = view[written:]
            if self.sync:
                os.fsync(self._fd)
            self.written += len(records)

    def close(self) -> None:
        """Write what was submitted, stop the writer thread and close the file."""
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()
            self._thread = None
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ends_with_newline(path: Path) -> bool:
    """Whether the file is empty or its last byte is a newline."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def call_record(
    spec: ToolSpec,
    arguments: Mapping[str, Any],
    response: Any,
    *,
    is_error: bool,
    history: Sequence[HistoryItem] = (),
    hidden_context: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The training record of one real call, secrets removed.

    ``spec`` is the tool under its upstream name; ``extra`` (server, policy, latency_ms,
    simulated ...) is kept beside ``messages``.
    """
    clean_history = _redacted_history(history)
    record = training_record(
        spec,
        redact(dict(arguments)),
        redact(response),
        history=clean_history,
        is_error=is_error,
        hidden_context=redact(hidden_context) if hidden_context else None,
        source="real",
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **redact(extra),
    )
    return redact(record)


class _HistoryMemo:
    """Redacted copies of history items, made once per item: an episode's history comes again with every call.

    Keyed by ``id(item)`` and holding the item itself, so an id is not reused while its entry lives.
    """

    def __init__(self, size: int = 8192) -> None:
        self.size = size
        self._memo: OrderedDict[int, tuple[HistoryItem, HistoryItem]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, items: Sequence[HistoryItem]) -> list[HistoryItem]:
        out = []
        for item in items:
            with self._lock:
                entry = self._memo.get(id(item))
            if entry is None or entry[0] is not item:
                entry = (item, replace(item, arguments=redact(item.arguments), response=redact(item.response)))
                with self._lock:
                    self._memo[id(item)] = entry
                    while len(self._memo) > self.size:
                        self._memo.popitem(last=False)
            out.append(entry[1])
        return out


_redacted_history = _HistoryMemo()


def read_records(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], int]:
    """The records of a JSONL file and how many lines could not be read as JSON objects."""
    records: list[dict[str, Any]] = []
    bad = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if isinstance(value, dict):
                records.append(value)
            else:
                bad += 1
    return records, bad
