"""Helpers for the proxy tests: upstream command lines that tell their pid, and result bodies."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

NODE_BIN = Path(sys.prefix) / "node" / "node_modules" / ".bin"
FAULTY_SERVER = Path(__file__).with_name("faulty_server.py")


def npm_server(name: str) -> Path:
    """The path of an npm reference server (skips the test when it is not installed)."""
    path = NODE_BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed at {path}; run .ci/setup (npm install @modelcontextprotocol/server-*)")
    return path


def pid_command(argv: list[str], pidfile: Path, *, env: dict[str, str] | None = None, unless: Path | None = None) -> str:
    """A command line that writes its pid to ``pidfile`` and then becomes ``argv`` (same pid).

    With ``unless``, the command exits with status 1 while that file exists (an upstream
    that cannot be restarted).
    """
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
    guard = f"test -e {shlex.quote(str(unless))} && exit 1; " if unless is not None else ""
    script = f"{guard}echo $$ > {shlex.quote(str(pidfile))}; {assignments + ' ' if assignments else ''}exec {shlex.join(argv)}"
    return shlex.join(["sh", "-c", script])


def faulty_command(pidfile: Path, **kwargs: Any) -> str:
    return pid_command([sys.executable, str(FAULTY_SERVER)], pidfile, **kwargs)


def read_pid(pidfile: Path) -> int:
    return int(pidfile.read_text(encoding="utf-8").strip())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) counts as gone
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def body(result: Any) -> Any:
    """The parsed JSON text of a result (its text when it is not JSON)."""
    text = result.content[0].text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
