"""Signals against a recording proxy under load (issue 15 items 1 and 2).

SIGTERM must stop the server as Ctrl-C does: every answered real call is in the record file.
SIGKILL may lose only the last queued records, never leaves a partial line.
"""

from __future__ import annotations

import http.client
import json
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from hostile_helpers import HttpSession, http_server
from proxy_helpers import FAULTY_SERVER

from mcp_server.recording import DEFAULT_MAX_PENDING, read_records

UPSTREAM = shlex.join([sys.executable, str(FAULTY_SERVER)])


def _load_then_signal(record: Path, signum: int) -> tuple[set[str], int]:
    """Real calls from 4 threads, then ``signum`` mid-load; (episodes answered, exit status)."""
    answered: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()
    with http_server("--upstream", UPSTREAM, "--policy", "real", "--record", str(record)) as (process, port):
        sessions = [HttpSession(port) for _ in range(4)]

        def work(worker: int) -> None:
            for i in range(100_000):
                if stop.is_set():
                    return
                episode = f"w{worker}-{i}"
                try:
                    status, answer = sessions[worker].call("echo", {"text": episode}, episode=episode, timeout=10)
                except (OSError, http.client.HTTPException):  # the server went away
                    return
                if status == 200 and isinstance(answer, dict) and not answer.get("result", {}).get("isError", True):
                    with lock:
                        answered.add(episode)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(answered) < 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signum)
        status = process.wait(timeout=30)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    return answered, status


def test_sigterm_under_recorded_load_loses_no_answered_real_call(tmp_path):
    """SIGTERM mid-load: the process exits cleanly and the file holds a record for every answered real call."""
    record = tmp_path / "real.jsonl"
    answered, status = _load_then_signal(record, signal.SIGTERM)
    records, bad = read_records(record)
    recorded = {r["episode"] for r in records}
    assert len(answered) >= 150
    assert answered - recorded == set()
    assert bad == 0 and status == 0


@pytest.mark.slow
def test_sigkill_under_recorded_load_loses_at_most_the_queued_records_and_no_line_is_partial(tmp_path):
    """SIGKILL mid-load: whole lines only, and no more answered calls missing than the recorder may queue."""
    record = tmp_path / "real.jsonl"
    answered, status = _load_then_signal(record, signal.SIGKILL)
    records, bad = read_records(record)
    missing = answered - {r["episode"] for r in records}
    assert status == -signal.SIGKILL
    assert bad == 0 and record.read_bytes().endswith(b"\n")
    assert len(missing) <= DEFAULT_MAX_PENDING
    json.dumps(sorted(missing))
