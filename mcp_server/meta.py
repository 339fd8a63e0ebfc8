"""The two meta-tools that front a catalog too large to list: ``search_tools`` and ``call_tool``.

With ``--meta-tools`` the server lists only these two; an agent searches the catalog
(names, descriptions and input schemas of the best matches) and calls any tool through
``call_tool``. Both are ordinary ToolSpecs, so their arguments are checked like any tool's.
"""

from __future__ import annotations

from typing import Any

from gtm_core import Catalog, ToolSpec

from .tools import Selection

__all__ = ["CALL_TOOL", "MAX_SEARCH_LIMIT", "META_TOOLS", "SEARCH_TOOLS", "search"]

MAX_SEARCH_LIMIT = 50
DEFAULT_SEARCH_LIMIT = 10

SEARCH_TOOLS = ToolSpec(
    name="search_tools",
    description=(
        "Search the tool catalog by keywords. Returns the best matching tools with their names, "
        "descriptions and input schemas; call one with call_tool."
    ),
    parameters={
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "description": "Keywords describing what the tool should do."},
            "field": {"type": "string", "description": "Only tools of this field (domain), e.g. 'Weather'."},
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_SEARCH_LIMIT,
                "default": DEFAULT_SEARCH_LIMIT,
                "description": f"How many tools to return (1-{MAX_SEARCH_LIMIT}).",
            },
        },
        "additionalProperties": False,
    },
    required=["query"],
    response={
        "type": "object",
        "properties": {
            "tools": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                        "field": {"type": ["string", "null"]},
                        "score": {"type": "number"},
                        "input_schema": {"type": "object"},
                    },
                    "required": ["name", "description", "input_schema"],
                },
            },
        },
        "required": ["tools"],
    },
)

CALL_TOOL = ToolSpec(
    name="call_tool",
    description="Call a tool of the catalog by name (find names with search_tools) and return its result.",
    parameters={
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "description": "The tool's name, as search_tools returned it."},
            "arguments": {"type": "object", "description": "The tool's arguments, following its input schema."},
        },
        "additionalProperties": False,
    },
    required=["name"],
)

META_TOOLS = {spec.name: spec for spec in (SEARCH_TOOLS, CALL_TOOL)}


def search(selection: Selection, query: str, *, field: str | None = None, limit: int = DEFAULT_SEARCH_LIMIT) -> dict[str, Any]:
    """The ``search_tools`` answer: matches from the selected catalog, best first, under their MCP names."""
    catalog: Catalog = selection.catalog.filter(field=field) if field else selection.catalog
    exposed = {id(spec): name for name, spec in selection.names.items()}
    matches = []
    for spec, score in catalog.search(query, limit=limit):
        matches.append(
            {
                "name": exposed.get(id(spec), spec.name),
                "description": spec.description,
                "field": spec.field,
                "score": score,
                "input_schema": spec.input_schema,
            }
        )
    return {"tools": matches}
