"""What several benchmark scripts do alike: stop a server process they started, write their JSON report.

The scripts run as ``python benchmarks/NAME.py``, so their folder is on ``sys.path`` and
``import _shared`` finds this module.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


def stop(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """Terminate the process, and kill it when it has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write the benchmark's figures as indented JSON (making the folder) and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
