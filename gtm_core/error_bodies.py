"""Error bodies: the one place that builds the JSON a refused or failed call answers with.

Every error a simulated tool gives has one shape, the one a real HTTP API would answer::

    {"error": {"code": 404, "status": "NOT_FOUND", "type": "unknown_tool", "message": "...", ...}}

``code`` is the HTTP status a real API would use, ``status`` its canonical name, ``type`` the
error kind an agent (and ``ToolResult.error_kind``) reads, ``message`` says what was wrong and
how to fix it; a body may add fields of its own (``tool``, ``details``, ``suggestions``,
``retryable``). The Simulator and the MCP face build every body through this module, so the
shape cannot drift between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .checks.arguments import primary_kind
from .checks.messages import MESSAGE_LIST_ITEMS, listing
from .checks.problems import ArgumentProblem, ErrorKind

__all__ = ["MAX_SHOWN_NAME", "engine_failure", "error_body", "invalid_arguments", "not_found", "shown_name", "store_unavailable", "unknown_tool"]

BAD_REQUEST = 400
NOT_FOUND = 404
BAD_GATEWAY = 502
UNAVAILABLE = 503
MAX_SHOWN_NAME = 200
"""The longest tool name an error body repeats whole; a longer one is cut (``shown_name``)."""


def shown_name(name: str) -> str:
    """``name``, or for one over MAX_SHOWN_NAME characters its start and its length: a 1 MB name is not echoed."""
    if len(name) <= MAX_SHOWN_NAME:
        return name
    return f"{name[: MAX_SHOWN_NAME // 2]}... ({len(name)} characters)"


def error_body(kind: str, code: int, status: str, message: str, **fields: Any) -> dict[str, Any]:
    """``{"error": {"code", "status", "type", "message", **fields}}``."""
    return {"error": {"code": code, "status": status, "type": kind, "message": message, **fields}}


def invalid_arguments(tool: str, problems: Sequence[ArgumentProblem]) -> dict[str, Any]:
    """The body a real API would answer a bad call with: a code, a message, every problem."""
    kind = primary_kind(problems)
    if len(problems) == 1:
        message = problems[0].message
    else:
        message = f"{len(problems)} problems with the arguments of {tool}: " + " ".join(p.message for p in problems[:MESSAGE_LIST_ITEMS])
        if len(problems) > MESSAGE_LIST_ITEMS:
            message += f" (and {len(problems) - MESSAGE_LIST_ITEMS} more)"
    kind_name = kind.value if kind is not None else ErrorKind.INVALID.value
    return error_body(kind_name, BAD_REQUEST, "INVALID_ARGUMENT", message, tool=tool, details=[p.to_dict() for p in problems])


def unknown_tool(name: str, suggestions: Sequence[str] = ()) -> dict[str, Any]:
    """The body for a call to a tool that is not served, with the closest names."""
    hint = f" Did you mean {listing(list(suggestions), lambda s: repr(s))}?" if suggestions else ""
    name = shown_name(name)
    return error_body("unknown_tool", NOT_FOUND, "NOT_FOUND", f"Unknown tool {name!r}.{hint}", tool=name, suggestions=list(suggestions))


def not_found(label: str, key: str | None, parameter: str, reason: str) -> dict[str, Any]:
    """The body for a read, change or delete of a record the episode does not hold (``reason`` says why)."""
    return error_body(
        "not_found", NOT_FOUND, "NOT_FOUND", f"{label} {key!r} not found; {reason}.", details=[{"parameter": parameter, "received": key}]
    )


def engine_failure(engine: str, reason: str) -> dict[str, Any]:
    """The body for a call the engine could not answer."""
    return error_body("engine_error", BAD_GATEWAY, "ENGINE_ERROR", f"the {engine} engine failed: {reason}")


def store_unavailable(message: str) -> dict[str, Any]:
    """The body for a call that could not reach a shared store (the answer cache, the episodes); retrying later may succeed."""
    return error_body("store_unavailable", UNAVAILABLE, "UNAVAILABLE", message, retryable=True)
