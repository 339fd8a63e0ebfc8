"""The README's examples run as printed: the Python blocks, warnings included, and the `gtm`
command lines that need no server, model, network or file of the reader's own."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# a line with one of these needs something a test does not have (a placeholder, a server, a
# model, the network, the reader's files) or runs for minutes; the rest run here
_NOT_HERE = ("[", "...", "FILE", "PATH", "DIR", "gtm serve", "gtm train", "gtm eval", "gtm synth", "--engine", "crawl",
             "my_", "data/", "build-index", "overlap", "$", "proxy report")  # fmt: skip
_READERS_FILE = re.compile(r"[\w/.-]+\.(jsonl|json|txt|html)\b")  # calls.jsonl, tools.txt: a reader's own files


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def _command_lines() -> list[str]:
    """Each `gtm` line of the bash blocks, continuation lines joined and the comment cut off."""
    lines = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command.startswith("gtm "):
                lines.append(command)
    return lines


def _run(command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


def test_every_python_block_of_the_readme_runs_without_a_warning(caplog):
    """Each ```python block executes, in order, in one namespace, and nothing logs a warning
    (the mcp client's own warnings included)."""
    blocks = _blocks("python")
    assert blocks, "the README has no Python example"
    namespace: dict = {}
    with caplog.at_level(logging.WARNING):
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_the_readme_gtm_lines_that_need_nothing_of_the_readers_run_cleanly():
    """`gtm doctor`, `gtm simulate ... --args ...`, `gtm scope check "..."` and the like exit 0 and warn of nothing."""
    runnable = [c for c in _command_lines() if not any(mark in c for mark in _NOT_HERE) and not _READERS_FILE.search(c)]
    assert any(c.startswith("gtm scope check") for c in runnable) and any(c.startswith("gtm simulate") for c in runnable)
    for command in runnable:
        done = _run(command)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "warning" not in done.stderr.lower(), f"{command}\n{done.stderr}"


def test_the_readme_llama_cpp_line_passes_the_argument_check_and_only_lacks_the_server():
    """With no server at its URL the call is an engine error, never an argument error."""
    (line,) = [c for c in _command_lines() if "8080" in c]
    done = _run(line.replace("http://127.0.0.1:8080/v1", "http://127.0.0.1:9/v1") + " --json --engine-option retries=0")
    assert '"error_kind": "engine_error"' in done.stdout, done.stdout + done.stderr
    assert "missing_required" not in done.stdout
