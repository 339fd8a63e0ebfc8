"""Converters between ToolSpec and the tool formats met in the wild.

- OpenAI function tools: ``{"type": "function", "function": {...}}`` and the bare
  ``{"name", "description", "parameters"}`` form.
- MCP ``Tool`` objects as a ``tools/list`` result holds them (``inputSchema``,
  ``outputSchema``; the SDK's snake_case ``input_schema`` is read too). What MCP has no slot
  for (field, subfield, a non-object response, examples) travels in ``_meta`` under
  ``gtm/...`` keys, so a round trip keeps the spec.
- Normalized dataset rows (``name``, ``description``, ``parameters``, ``required``,
  ``response``, ``field`` as ``"Field/Subfield"``, ``source``).

Every ``spec_from_*`` maps loose type spellings (``str``, ``int``, ...) onto JSON Schema.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .errors import SpecError
from .spec import ToolSpec, normalize_schema, split_field

__all__ = [
    "spec_from_mcp",
    "spec_from_openai",
    "spec_from_row",
    "spec_to_mcp",
    "spec_to_openai",
    "spec_to_row",
]

_META_PREFIX = "gtm/"


def _schema_or_none(value: Any, what: str, name: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SpecError(f"tool {name!r}: {what} must be a JSON Schema object, got {type(value).__name__}")
    return normalize_schema(value)


# ---- OpenAI ---------------------------------------------------------------------------


def spec_from_openai(tool: Mapping[str, Any], *, origin: str | None = None) -> ToolSpec:
    """Read an OpenAI function tool, wrapped (``{"type": "function", ...}``) or bare."""
    if not isinstance(tool, Mapping):
        raise SpecError(f"an OpenAI tool must be a JSON object, got {type(tool).__name__}")
    function = tool.get("function") if tool.get("type") == "function" or "function" in tool else tool
    if not isinstance(function, Mapping) or "name" not in function:
        raise SpecError("an OpenAI tool needs a 'name' (or a 'function' object with one)")
    parameters = _schema_or_none(function.get("parameters"), "'parameters'", function.get("name"))
    return ToolSpec(
        name=function["name"],
        description=function.get("description") or "",
        parameters=parameters,  # type: ignore[arg-type]
        required=function.get("required"),  # some exporters put it beside the parameters
        origin=origin,
    )


def spec_to_openai(spec: ToolSpec, *, wrapped: bool = True) -> dict[str, Any]:
    """The OpenAI function tool for ``spec`` (OpenAI has no slot for the response schema)."""
    function = {
        "name": spec.name,
        "description": spec.description,
        "parameters": copy.deepcopy(spec.input_schema),
    }
    return {"type": "function", "function": function} if wrapped else function


# ---- MCP ------------------------------------------------------------------------------


def spec_from_mcp(tool: Mapping[str, Any], *, origin: str | None = None) -> ToolSpec:
    """Read an MCP ``Tool`` as found in a ``tools/list`` result."""
    if not isinstance(tool, Mapping) or not isinstance(tool.get("name"), str):
        raise SpecError("an MCP tool must be a JSON object with a string 'name'")
    name = tool["name"]
    input_schema = tool.get("inputSchema", tool.get("input_schema"))
    output_schema = tool.get("outputSchema", tool.get("output_schema"))
    meta = tool.get("_meta") or tool.get("meta") or {}
    meta = meta if isinstance(meta, Mapping) else {}
    response: Any = _schema_or_none(output_schema, "'outputSchema'", name)
    if f"{_META_PREFIX}response" in meta:
        response = meta[f"{_META_PREFIX}response"]
    description = tool.get("description") or (tool.get("annotations") or {}).get("title") or ""
    return ToolSpec(
        name=name,
        description=description,
        field=meta.get(f"{_META_PREFIX}field"),
        subfield=meta.get(f"{_META_PREFIX}subfield"),
        parameters=_schema_or_none(input_schema, "'inputSchema'", name),  # type: ignore[arg-type]
        response=response,
        examples=meta.get(f"{_META_PREFIX}examples"),
        source=meta.get(f"{_META_PREFIX}source"),
        origin=origin,
    )


def spec_to_mcp(spec: ToolSpec) -> dict[str, Any]:
    """The MCP ``Tool`` (camelCase, as on the wire) for ``spec``.

    ``outputSchema`` is set only for an object response schema, as MCP requires; anything
    else the spec holds that MCP has no slot for goes into ``_meta``.
    """
    tool: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "inputSchema": copy.deepcopy(spec.input_schema),
    }
    response_schema = spec.response_schema
    if response_schema is not None and response_schema.get("type") == "object":
        tool["outputSchema"] = copy.deepcopy(response_schema)
    meta: dict[str, Any] = {}
    if spec.field is not None:
        meta[f"{_META_PREFIX}field"] = spec.field
    if spec.subfield is not None:
        meta[f"{_META_PREFIX}subfield"] = spec.subfield
    if spec.response is not None and "outputSchema" not in tool:
        meta[f"{_META_PREFIX}response"] = copy.deepcopy(spec.response)
    if spec.examples:
        meta[f"{_META_PREFIX}examples"] = copy.deepcopy(spec.examples)
    if spec.source is not None:
        meta[f"{_META_PREFIX}source"] = spec.source
    if meta:
        tool["_meta"] = meta
    return tool


# ---- normalized dataset rows ----------------------------------------------------------


def spec_from_row(row: Mapping[str, Any], *, origin: str | None = None) -> ToolSpec:
    """Read a normalized dataset row; ``field`` "Finance/Banking" becomes field + subfield."""
    if not isinstance(row, Mapping) or not isinstance(row.get("name"), str):
        raise SpecError("a dataset row must be a JSON object with a string 'name'")
    name = row["name"]
    field_value, subfield = split_field(row.get("field"), row.get("subfield"))
    response = row.get("response")
    if isinstance(response, Mapping):
        response = normalize_schema(response)
    return ToolSpec(
        name=name,
        description=row.get("description") or "",
        field=field_value,
        subfield=subfield,
        parameters=_schema_or_none(row.get("parameters"), "'parameters'", name),  # type: ignore[arg-type]
        required=row.get("required"),  # type: ignore[arg-type]
        response=response,
        examples=copy.deepcopy(row.get("examples")),
        source=row.get("source"),
        origin=origin,
    )


def spec_to_row(spec: ToolSpec) -> dict[str, Any]:
    """The normalized dataset row for ``spec`` (field and subfield joined by "/")."""
    joined = "/".join(part for part in (spec.field, spec.subfield) if part) or None
    row: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "parameters": copy.deepcopy(spec.input_schema),
        "required": list(spec.required),
        "response": copy.deepcopy(spec.response),
        "field": joined,
        "source": spec.source,
    }
    if spec.examples:
        row["examples"] = copy.deepcopy(spec.examples)
    return row
