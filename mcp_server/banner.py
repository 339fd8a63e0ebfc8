"""The block ``gtm serve`` prints on stderr as it starts: what it serves and how to connect.

One short block: the catalog and how many tools, the engine and its model, the episode rule,
and the exact way to connect a client — for stdio an ``mcpServers`` JSON entry that starts
this same command, for HTTP the URL.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["connect_command", "startup_banner"]


def connect_command(argv: Sequence[str] | None = None) -> list[str]:
    """This process's command line as a client would run it: an absolute program, then the
    arguments (``python -m gtm_core ...`` when it was started that way)."""
    argv = list(sys.argv if argv is None else argv)
    program = argv[0] if argv else "gtm"
    if program.endswith(("__main__.py", "-c")) or Path(program).name.startswith("python"):
        return [sys.executable, "-m", "gtm_core", *argv[1:]]
    found = shutil.which(program) if not Path(program).is_absolute() else program
    return [str(Path(found).resolve()) if found else program, *argv[1:]]


def startup_banner(
    *,
    catalog: str,
    tools: int,
    engine: str,
    transport: str,
    url: str | None = None,
    max_episodes: int,
    idle_seconds: float,
    meta_tools: bool = False,
    token_env: str | None = None,
    argv: Sequence[str] | None = None,
) -> str:
    """The lines of the block (no trailing newline)."""
    shown = f"{tools} tools behind search_tools and call_tool" if meta_tools else f"{tools} tools"
    lines = [
        f"gtm serve: {shown} from {catalog}",
        f"  engine: {engine}",
        "  episodes: _meta[\"gtm/episode\"] of a call, else the URL (/mcp/episodes/ID), else the X-GTM-Episode header, else the MCP session, "
        f"else one for the process; at most {max_episodes:,}, dropped after {idle_seconds:g} s idle",
    ]
    if transport == "http":
        lines.append(f"  connect: {url}" + (f"  (header Authorization: Bearer ${token_env})" if token_env else ""))
    else:
        command = connect_command(argv)
        entry = {"mcpServers": {"gtm": {"command": command[0], "args": command[1:]}}}
        lines.append(f"  connect (stdio; an MCP client's config): {json.dumps(entry)}")
    return "\n".join(lines)
