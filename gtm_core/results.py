"""A call to simulate (ToolCall) and what comes back (ToolResult)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ToolCall", "ToolResult"]


@dataclass(frozen=True)
class ToolCall:
    """One call: the tool's name, its arguments (a dict, or JSON text) and the episode id."""

    tool: str
    arguments: Any = field(default_factory=dict)
    episode: str | None = None

    @classmethod
    def coerce(cls, value: ToolCall | Mapping[str, Any] | Sequence[Any]) -> ToolCall:
        """A ToolCall from itself, ``{"tool", "arguments", "episode"}`` or ``(tool, arguments[, episode])``."""
        if isinstance(value, ToolCall):
            return value
        if isinstance(value, Mapping):
            tool = value.get("tool", value.get("name"))
            arguments = value.get("arguments", value.get("args", {}))
            if not isinstance(tool, str):
                raise TypeError(f"a call needs a string 'tool', got {value!r:.200}")
            return cls(tool, arguments, value.get("episode"))
        if isinstance(value, Sequence) and not isinstance(value, str) and 1 <= len(value) <= 3:
            return cls(*value)
        raise TypeError(f"cannot read a tool call from {value!r:.200}; pass ToolCall(tool, arguments, episode)")


@dataclass(frozen=True)
class ToolResult:
    """What a simulated tool returned.

    ``content`` is the text a client shows; ``structured`` the parsed JSON (None when the
    answer is not JSON); ``error_kind`` says why ``is_error`` is set (an argument check's
    kind, ``unknown_tool``, ``not_found``, ``episode_expired``, an injected fault, ``engine_error``,
    ``tool_error`` when a language model answered with the tool's own error, or
    ``internal_error`` when the simulator itself failed on the call). ``engine``
    names who answered; ``fallback`` says why the schema engine answered in place of the
    chosen engine (None when it did not).
    """

    content: str
    structured: Any
    is_error: bool
    error_kind: str | None
    engine: str
    cached: bool
    latency_ms: float
    tool: str = ""
    episode: str = ""
    fallback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)
