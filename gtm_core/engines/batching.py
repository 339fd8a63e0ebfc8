"""A dynamic batcher: calls from any thread or event loop, answered in batches by one worker thread.

A model answers eight prompts in one forward pass for little more than the price of one, but
callers arrive one at a time, from coroutines of one event loop, of several loops, or from
plain threads. ``DynamicBatcher`` queues each call, and its worker thread takes the first one
waiting, gathers whatever else arrives within ``max_wait_ms`` (up to ``max_batch`` calls) and
hands the batch to ``process``. Each caller gets a ``concurrent.futures.Future``; coroutines
await it through :meth:`DynamicBatcher.run`, which adds a timeout.

- The queue is bounded: a call that finds ``queue_size`` calls waiting is refused at once
  with an ``EngineError`` instead of waiting forever behind them.
- A call cancelled before its batch starts never runs and gives its place back.
- ``process`` raising fails that batch's calls and no others; it may also put an exception in
  place of one result to fail that call alone.
- ``close()`` stops the worker once its running batch is done and fails the calls still queued.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .base import EngineError

__all__ = ["BatcherStats", "DEFAULT_MAX_BATCH", "DEFAULT_MAX_WAIT_MS", "DEFAULT_QUEUE_SIZE", "DynamicBatcher"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_BATCH = 8
DEFAULT_MAX_WAIT_MS = 20.0
DEFAULT_QUEUE_SIZE = 256


@dataclass(frozen=True)
class BatcherStats:
    """What a batcher has done so far."""

    batches: int
    items: int
    largest_batch: int
    failed_batches: int
    waiting: int

    @property
    def mean_batch_size(self) -> float:
        """Items per batch on average (0.0 before the first batch)."""
        return self.items / self.batches if self.batches else 0.0


@dataclass
class _Entry(Generic[T, R]):
    item: T
    future: concurrent.futures.Future[R]
    queued_at: float


class DynamicBatcher(Generic[T, R]):
    """Queues items and hands them to ``process`` in batches, from one worker thread.

    ``process(items) -> results`` gets up to ``max_batch`` items and returns one result per
    item, in order (an exception instance in place of a result fails that item alone). The
    worker starts with the first call; ``name`` appears in its thread name and in errors, and
    ``timeout_option`` names the setting an error tells the user to raise after a timeout.
    """

    def __init__(
        self,
        process: Callable[[list[T]], list[R]],
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_wait_ms: float = DEFAULT_MAX_WAIT_MS,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        name: str = "batcher",
        timeout_option: str = "timeout_s",
    ) -> None:
        if not isinstance(max_batch, int) or isinstance(max_batch, bool) or max_batch < 1:
            raise ValueError(f"The 'max_batch' option of {name} must be a positive integer. Got {max_batch!r} instead.")
        if not isinstance(max_wait_ms, (int, float)) or isinstance(max_wait_ms, bool) or max_wait_ms < 0:
            raise ValueError(f"The 'max_wait_ms' option of {name} must be a number >= 0. Got {max_wait_ms!r} instead.")
        if not isinstance(queue_size, int) or isinstance(queue_size, bool) or queue_size < 1:
            raise ValueError(f"The 'queue_size' option of {name} must be a positive integer. Got {queue_size!r} instead.")
        self.process = process
        self.max_batch = max_batch
        self.max_wait_ms = float(max_wait_ms)
        self.queue_size = queue_size
        self.name = name
        self.timeout_option = timeout_option
        self._queue: collections.deque[_Entry[T, R]] = collections.deque()
        self._lock = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._batches = 0
        self._items = 0
        self._largest = 0
        self._failed = 0

    def __repr__(self) -> str:
        return (f"DynamicBatcher(name={self.name!r}, max_batch={self.max_batch}, "
                f"max_wait_ms={self.max_wait_ms:g}, queue_size={self.queue_size})")  # fmt: skip

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def stats(self) -> BatcherStats:
        """Batches and items processed so far, and the calls waiting now."""
        with self._lock:
            waiting = sum(1 for entry in self._queue if not entry.future.cancelled())
            return BatcherStats(self._batches, self._items, self._largest, self._failed, waiting)

    # ---- callers ---------------------------------------------------------------------------
    def submit(self, item: T) -> concurrent.futures.Future[R]:
        """Queue one item; the future gets its result (or exception) when its batch is done.

        Raises EngineError at once when the batcher is closed or the queue is full.
        """
        future: concurrent.futures.Future[R] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise EngineError(f"{self.name} is closed; create a new engine to go on")
            if len(self._queue) >= self.queue_size:
                self._drop_cancelled()
                if len(self._queue) >= self.queue_size:
                    raise EngineError(f"{self.name}: queue full ({len(self._queue)} waiting); lower concurrency or raise queue_size")
            self._queue.append(_Entry(item, future, time.monotonic()))
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name=f"{self.name}-worker", daemon=True)
                self._worker.start()
            self._lock.notify()
        return future

    async def run(self, item: T, timeout: float | None = None) -> R:
        """Submit ``item`` and await its result in the running event loop.

        ``timeout`` (seconds, None for no limit) counts from submission, time in the queue
        included; past it the call is cancelled (if its batch has not started) and EngineError
        is raised. Cancelling the awaiting task cancels the call the same way.
        """
        future = self.submit(item)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            if future.done() and not future.cancelled():
                return future.result()  # finished as time ran out, or process() raised TimeoutError
            future.cancel()
            state = "its batch was running" if future.running() else "it was still queued"
            raise EngineError(
                f"{self.name} gave no answer within {timeout:g} s ({state}; {self.stats.waiting} calls waiting); "
                f"raise {self.timeout_option} or lower concurrency"
            ) from None

    def close(self, *, wait: bool = True) -> None:
        """Stop taking calls, fail the queued ones and stop the worker.

        A batch already running finishes and its callers get their results; with ``wait``
        this returns only after that.
        """
        with self._lock:
            if self._closed and self._worker is None:
                return
            self._closed = True
            pending = list(self._queue)
            self._queue.clear()
            self._lock.notify_all()
            worker = self._worker
        for entry in pending:
            if entry.future.set_running_or_notify_cancel():
                entry.future.set_exception(EngineError(f"{self.name} was closed before this call ran"))
        if wait and worker is not None and worker is not threading.current_thread():
            worker.join()

    # ---- the worker ------------------------------------------------------------------------
    def _drop_cancelled(self) -> None:
        """Forget queued calls that were cancelled (the lock is held)."""
        live = [entry for entry in self._queue if not entry.future.cancelled()]
        if len(live) != len(self._queue):
            self._queue.clear()
            self._queue.extend(live)

    def _gather(self) -> list[_Entry[T, R]] | None:
        """The next batch: the first queued call and what arrives within its wait (None: stop)."""
        with self._lock:
            while not self._queue and not self._closed:
                self._lock.wait()
            if not self._queue:
                return None
            batch = [self._queue.popleft()]
            # the wait counts from the first call's arrival: a call that queued behind a
            # running batch has waited enough already
            deadline = batch[0].queued_at + self.max_wait_ms / 1000.0
            while len(batch) < self.max_batch:
                if self._queue:
                    batch.append(self._queue.popleft())
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    break
                self._lock.wait(remaining)
        return batch

    def _work(self) -> None:
        while True:
            batch = self._gather()
            if batch is None:
                return
            live = [entry for entry in batch if entry.future.set_running_or_notify_cancel()]
            if not live:
                continue
            self._run_batch(live)

    def _run_batch(self, live: list[_Entry[T, R]]) -> None:
        try:
            results = self.process([entry.item for entry in live])
            if len(results) != len(live):
                raise EngineError(f"{self.name}: the batch function returned {len(results)} results for {len(live)} items")
        except BaseException as exc:  # every caller of this batch must hear of it
            with self._lock:
                self._batches += 1
                self._items += len(live)
                self._largest = max(self._largest, len(live))
                self._failed += 1
            logger.debug("%s: a batch of %d failed: %r", self.name, len(live), exc)
            for entry in live:
                entry.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        with self._lock:
            self._batches += 1
            self._items += len(live)
            self._largest = max(self._largest, len(live))
        for entry, result in zip(live, results):
            if isinstance(result, BaseException):
                entry.future.set_exception(result)
            else:
                entry.future.set_result(result)
