"""The dynamic batcher, driven by fake batch functions (no model): batching, limits, failures."""

from __future__ import annotations

import asyncio
import threading

import pytest

from gtm_core.engines.base import EngineError
from gtm_core.engines.batching import DynamicBatcher

WAIT = 5.0  # bound on every wait of these tests, in seconds


class Recorder:
    """A batch function that records its batches; it can be held at the start of each batch."""

    def __init__(self, *, hold: bool = False) -> None:
        self.batches: list[list[object]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def __call__(self, items: list[object]) -> list[object]:
        self.batches.append(list(items))
        self.started.set()
        assert self.release.wait(WAIT), "the test never released the batch"
        return [f"done {item}" for item in items]

    @property
    def processed(self) -> list[object]:
        return [item for batch in self.batches for item in batch]


def hold_the_worker(batcher: DynamicBatcher, recorder: Recorder) -> object:
    """Submit one call and wait until the worker is busy with it; returns its future."""
    future = batcher.submit("first")
    assert recorder.started.wait(WAIT)
    return future


def test_concurrent_calls_are_answered_in_batches_and_in_order():
    """Calls that arrive together share batches of at most max_batch, and each gets its own result."""
    recorder = Recorder()
    batcher = DynamicBatcher(recorder, max_batch=4, max_wait_ms=2000)

    async def main():
        return await asyncio.gather(*(batcher.run(i, timeout=WAIT) for i in range(8)))

    try:
        assert asyncio.run(main()) == [f"done {i}" for i in range(8)]
    finally:
        batcher.close()
    assert [len(batch) for batch in recorder.batches] == [4, 4]
    stats = batcher.stats
    assert (stats.batches, stats.items, stats.largest_batch, stats.mean_batch_size) == (2, 8, 4, 4.0)


def test_calls_from_several_event_loops_and_threads_share_one_batcher():
    """Each thread runs its own event loop; all of them are served by the one worker."""
    batcher = DynamicBatcher(Recorder(), max_batch=8, max_wait_ms=50)
    results: dict[int, list[object]] = {}

    def client(n: int) -> None:
        async def main():
            return await asyncio.gather(*(batcher.run((n, i), timeout=WAIT) for i in range(3)))

        results[n] = asyncio.run(main())

    threads = [threading.Thread(target=client, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    batcher.close()
    assert results == {n: [f"done {(n, i)}" for i in range(3)] for n in range(3)}


def test_a_lone_call_waits_at_most_max_wait_ms():
    """With no other caller, a call is processed alone once its wait is over."""
    recorder = Recorder()
    batcher = DynamicBatcher(recorder, max_batch=8, max_wait_ms=1)
    try:
        assert batcher.submit("only").result(WAIT) == "done only"
    finally:
        batcher.close()
    assert recorder.batches == [["only"]]


def test_a_full_queue_refuses_new_calls_with_a_clear_error():
    """Past queue_size waiting calls, submit fails at once and says which option to change."""
    recorder = Recorder(hold=True)
    batcher = DynamicBatcher(recorder, max_batch=1, max_wait_ms=0, queue_size=2, name="fake")
    try:
        hold_the_worker(batcher, recorder)
        queued = [batcher.submit("a"), batcher.submit("b")]
        with pytest.raises(EngineError, match=r"queue full \(2 waiting\); lower concurrency or raise queue_size"):
            batcher.submit("c")
        queued[0].cancel()  # a cancelled call gives its place back
        queued.append(batcher.submit("d"))
        recorder.release.set()
        assert [future.result(WAIT) for future in (queued[1], queued[2])] == ["done b", "done d"]
    finally:
        recorder.release.set()
        batcher.close()
    assert recorder.processed == ["first", "b", "d"]


def test_a_call_that_times_out_raises_an_engine_error_and_never_runs():
    """A call still queued when its timeout passes fails with the option to raise, and is dropped."""
    recorder = Recorder(hold=True)
    batcher = DynamicBatcher(recorder, max_batch=1, max_wait_ms=0, name="fake", timeout_option="timeout_s")
    try:
        hold_the_worker(batcher, recorder)
        with pytest.raises(EngineError, match=r"fake gave no answer within 0.05 s \(it was still queued.*raise timeout_s"):
            asyncio.run(batcher.run("late", timeout=0.05))
        recorder.release.set()
        assert batcher.submit("after").result(WAIT) == "done after"
    finally:
        recorder.release.set()
        batcher.close()
    assert recorder.processed == ["first", "after"]


def test_cancelling_the_awaiting_task_cancels_a_call_that_has_not_started():
    """The batch function never sees a call whose caller went away."""
    recorder = Recorder(hold=True)
    batcher = DynamicBatcher(recorder, max_batch=1, max_wait_ms=0)

    async def main():
        task = asyncio.ensure_future(batcher.run("cancelled"))
        await asyncio.sleep(0)  # let it submit
        assert batcher.stats.waiting == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    try:
        hold_the_worker(batcher, recorder)
        asyncio.run(main())
        assert batcher.stats.waiting == 0
        recorder.release.set()
        assert batcher.submit("next").result(WAIT) == "done next"
    finally:
        recorder.release.set()
        batcher.close()
    assert recorder.processed == ["first", "next"]


def test_an_exception_in_the_batch_function_fails_only_that_batch():
    """The callers of a failing batch get its exception; the next batch is answered normally."""

    def process(items):
        if "bad" in items:
            raise RuntimeError("model exploded")
        return [item.upper() for item in items]

    batcher = DynamicBatcher(process, max_batch=2, max_wait_ms=1000)
    try:
        failing = [batcher.submit("bad"), batcher.submit("x")]
        for future in failing:
            with pytest.raises(RuntimeError, match="model exploded"):
                future.result(WAIT)
        assert [f.result(WAIT) for f in (batcher.submit("good"), batcher.submit("y"))] == ["GOOD", "Y"]
    finally:
        batcher.close()
    assert batcher.stats.failed_batches == 1


def test_an_exception_in_place_of_a_result_fails_that_call_alone():
    """The batch function can fail one item of a batch by returning an exception for it."""

    def process(items):
        return [EngineError(f"{item} is too long") if item == "long" else item for item in items]

    batcher = DynamicBatcher(process, max_batch=2, max_wait_ms=1000)
    try:
        futures = [batcher.submit("short"), batcher.submit("long")]
        assert futures[0].result(WAIT) == "short"
        with pytest.raises(EngineError, match="long is too long"):
            futures[1].result(WAIT)
    finally:
        batcher.close()


def test_a_batch_function_returning_the_wrong_number_of_results_fails_its_batch():
    """A result count that does not match is an error for the callers, not a silent mix-up."""
    batcher = DynamicBatcher(lambda items: [], max_batch=1)
    try:
        with pytest.raises(EngineError, match="returned 0 results for 1 items"):
            batcher.submit("x").result(WAIT)
    finally:
        batcher.close()


def test_close_finishes_the_running_batch_and_fails_queued_calls():
    """Closing lets the batch in progress finish, fails what waits, and refuses new calls."""
    recorder = Recorder(hold=True)
    batcher = DynamicBatcher(recorder, max_batch=1, max_wait_ms=0, name="fake")
    running = hold_the_worker(batcher, recorder)
    queued = batcher.submit("queued")
    closer = threading.Thread(target=batcher.close)
    closer.start()
    with pytest.raises(EngineError, match="fake was closed before this call ran"):
        queued.result(WAIT)
    recorder.release.set()
    closer.join(WAIT)
    assert not closer.is_alive()
    assert running.result(WAIT) == "done first"
    with pytest.raises(EngineError, match="fake is closed"):
        batcher.submit("new")
    assert batcher.closed


def test_bad_options_are_refused_with_the_option_named():
    """Options are checked when the batcher is made."""
    with pytest.raises(ValueError, match="'max_batch' option of b must be a positive integer"):
        DynamicBatcher(list, max_batch=0, name="b")
    with pytest.raises(ValueError, match="'queue_size'"):
        DynamicBatcher(list, queue_size=0)
    with pytest.raises(ValueError, match="'max_wait_ms'"):
        DynamicBatcher(list, max_wait_ms=-1)
