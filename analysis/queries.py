"""Queries: any tool the scope index scores, as a :class:`~analysis.market.ToolRecord`.

:func:`as_record` takes a ToolRecord, a ToolSpec, a mapping (MCP tool, OpenAI function,
catalog line or market row), a ``(name, description)`` pair or a ``"name: description"`` text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gtm_core.errors import GTMError
from gtm_core.spec import ToolSpec

from .market import ToolRecord, record_from_spec

__all__ = ["ScopeIndexError", "as_record", "query_label", "read_queries", "read_query_line"]


class ScopeIndexError(GTMError):
    """An index that cannot be built, read or queried."""



_NAME_LIKE = re.compile(r"^[A-Za-z0-9_.\-/]{1,100}$")


def _looks_like_name(head: str) -> bool:
    """A tool name: no spaces, and snake/kebab/dotted, camelCase or all lower case
    (``get_weather``, ``getWeather``, ``weather``; not a capitalised word such as ``Note``)."""
    if not _NAME_LIKE.match(head):
        return False
    return any(c in head for c in "_.-/") or head == head.lower() or bool(re.search(r"[a-z][A-Z]", head))


def as_record(tool: Any, *, source: str = "query") -> ToolRecord:
    """A ToolRecord for any tool the index scores: a ToolRecord, a ToolSpec, a mapping (MCP
    tool, OpenAI function, catalog line or market row), a ``(name, description)`` pair, or a
    text — ``"name: description"`` when the part before the first colon looks like a tool name
    (no spaces; snake_case, kebab-case, dotted, camelCase or lower case), else a description
    alone."""
    if isinstance(tool, ToolRecord):
        return tool
    if isinstance(tool, ToolSpec):
        return record_from_spec(tool, source=source)
    if isinstance(tool, Mapping):
        inner = tool.get("function") if isinstance(tool.get("function"), Mapping) else tool
        name = inner.get("name") or inner.get("tool") or ""
        schema = inner.get("inputSchema") or inner.get("input_schema") or inner.get("parameters") or {}
        server = tool.get("server")
        return ToolRecord(
            server=str(server) if server else None,
            name=str(name),
            description=str(inner.get("description") or ""),
            input_schema=dict(schema) if isinstance(schema, Mapping) else {},
            source=source,
        )
    if isinstance(tool, tuple) and len(tool) in (2, 3) and all(isinstance(p, str) or p is None for p in tool[:2]):
        name, description = tool[0] or "", tool[1] or ""
        server = tool[2] if len(tool) == 3 else None
        return ToolRecord(server=server, name=name, description=description, input_schema={}, source=source)
    if isinstance(tool, str):
        text = tool.strip()
        if not text:
            raise ScopeIndexError("an empty text cannot be scored; give a name and a description")
        head, sep, rest = text.partition(":")
        if sep and _looks_like_name(head.strip()) and rest.strip():
            return ToolRecord(server=None, name=head.strip(), description=rest.strip(), input_schema={}, source=source)
        return ToolRecord(server=None, name="", description=text, input_schema={}, source=source)
    raise ScopeIndexError(
        f"cannot score {type(tool).__name__} {tool!r:.80}: pass a ToolSpec, a ToolRecord, a mapping, "
        "a (name, description) pair or a 'name: description' text"
    )


def query_label(record: ToolRecord) -> str:
    """How a scored tool is named in results: its label, or the beginning of its description
    for a tool given as a description alone."""
    if record.name:
        return record.label
    text = record.description
    return text if len(text) <= 60 else text[:57] + "..."


def read_query_line(line: str, where: str = "a query line") -> Any:
    """One tool of a query line: a JSON object when the line starts with ``{``, else the text."""
    import json

    text = line.strip()
    if not text.startswith("{"):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScopeIndexError(f"{where}: a line that starts with '{{' must be a JSON tool object ({exc.msg})") from None


def read_queries(path: str | Path) -> list[Any]:
    """The tools of a query file: one per line, a ``"name: description"`` text or a JSON object
    (an MCP tool, an OpenAI function, a catalog line); blank lines are skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ScopeIndexError(f"{path}: cannot read it ({exc})") from exc
    return [read_query_line(line, f"{path}:{number}") for number, line in enumerate(lines, start=1) if line.strip()]
