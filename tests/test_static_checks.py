"""The code passes its own static checks: ruff's rules and a strict type check of the public API.

The rule set, the line length and the strictly typed modules are configured in pyproject.toml
([tool.ruff], [tool.mypy]); these tests run the same commands a developer runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.mark.skipif(not _installed("ruff"), reason="ruff is not installed: pip install -e '.[dev]'")
def test_ruff_finds_nothing_to_fix():
    done = _run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not _installed("mypy"), reason="mypy is not installed: pip install -e '.[dev]'")
def test_the_public_api_type_checks_strictly():
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout
