"""``gtm serve --transport http --workers N``: N server processes on one port, kept running.

The parent process serves nothing itself: it starts N copies of the same ``gtm serve``
command (each told ``--reuse-port``), which all bind HOST:PORT with ``SO_REUSEPORT``, so the
kernel spreads incoming connections over them. A worker that dies (a crash, the OOM killer,
SIGKILL) is started again; one that dies within ``QUICK_EXIT_SECONDS`` of its start
``MAX_QUICK_EXITS`` times in a row (a port in use, a bad flag) stops the whole group with its
exit code. SIGTERM or Ctrl-C stops the workers (each shuts down gracefully), then the parent.

Workers share nothing in memory: an episode's calls may reach any of them, so serve with
shared episodes (``--episodes redis://…`` or ``sqlite:PATH``) and, for clients of the
handshake era, stateless HTTP (the workers turn it on; see ``gtm serve --help``).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

__all__ = ["MAX_QUICK_EXITS", "QUICK_EXIT_SECONDS", "run_workers", "worker_command"]

logger = logging.getLogger(__name__)

QUICK_EXIT_SECONDS = 5.0
MAX_QUICK_EXITS = 3
_STOP_SECONDS = 10.0


def worker_command(argv: Sequence[str]) -> list[str]:
    """``python -m gtm_core`` with this process's arguments, ``--workers N`` replaced by ``--reuse-port``: how a worker is started."""
    rest: list[str] = []
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            rest.append(arg)
    return [sys.executable, "-m", "gtm_core", *rest, "--reuse-port"]


def run_workers(count: int, command: Sequence[str], *, describe: str) -> int:
    """Run ``count`` workers of ``command`` until SIGTERM/SIGINT; the exit code (0 when stopped on purpose)."""
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    workers: dict[int, tuple[subprocess.Popen[bytes], float]] = {}
    quick_exits = 0
    code = 0
    try:
        for index in range(count):
            workers[index] = (_start(command, index), time.monotonic())
        logger.info("%d workers serving %s (pids %s)", count, describe, ", ".join(str(p.pid) for p, _ in workers.values()))
        while not stopping:
            time.sleep(0.2)
            for index, (process, started) in list(workers.items()):
                status = process.poll()
                if status is None or stopping:
                    continue
                lived = time.monotonic() - started
                quick_exits = quick_exits + 1 if lived < QUICK_EXIT_SECONDS else 0
                if quick_exits >= MAX_QUICK_EXITS:
                    logger.error("worker %d exited with %d %d times within %g s of starting; stopping", index, status, quick_exits, QUICK_EXIT_SECONDS)
                    code = status or 1
                    stopping = True
                    break
                logger.warning("worker %d (pid %d) exited with %d after %.1f s; starting it again", index, process.pid, status, lived)
                workers[index] = (_start(command, index), time.monotonic())
    finally:
        _stop_all([process for process, _ in workers.values()])
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _start(command: Sequence[str], index: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GTM_WORKER": str(index)}
    # Each worker in its own process group: a Ctrl-C in the terminal reaches the parent only,
    # which then stops the workers one by one (each shuts down gracefully).
    return subprocess.Popen(list(command), env=env, start_new_session=True)


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + _STOP_SECONDS
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("worker pid %d did not stop within %g s; killing it", process.pid, _STOP_SECONDS)
            process.kill()
            process.wait()
