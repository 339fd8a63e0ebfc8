"""The meta-tools: ``search_tools`` and ``call_tool`` front a catalog too large to list;
``episode_snapshot`` shows the calling episode's world.

With ``--meta-tools`` the server lists only these; an agent searches the catalog (names,
descriptions and input schemas of the best matches) and calls any tool through
``call_tool``. ``episode_snapshot`` returns the world of the episode the call belongs to
(``Episode.snapshot()``: its records by resource and key, and the deleted keys) and what
changed since the episode was opened (``Simulator.episode_diff``), so a reward function or a
test can check "the ticket is closed" over MCP without parsing answers. It is listed only with
``--meta-tools``, and callable in any mode when no catalog tool has its name (a catalog tool of
that name wins). All are ordinary ToolSpecs, so their arguments are checked like any tool's.
"""

from __future__ import annotations

from typing import Any

from gtm_core import Catalog, Simulator, ToolSpec
from gtm_core.errors import UnknownEpisodeError

from .tools import Selection

__all__ = ["CALL_TOOL", "EPISODE_SNAPSHOT", "MAX_SEARCH_LIMIT", "META_TOOLS", "SEARCH_TOOLS", "episode_world", "search"]

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

_SNAPSHOT_SCHEMA = {
    "type": "object",
    "properties": {
        "episode": {"type": "string"},
        "calls": {"type": "integer", "description": "Calls made in the episode so far."},
        "resources": {
            "type": "object",
            "description": "Per resource: its live records by key, and the keys deleted in the episode.",
            "additionalProperties": {
                "type": "object",
                "properties": {"records": {"type": "object"}, "deleted": {"type": "array", "items": {"type": "string"}}},
                "required": ["records", "deleted"],
            },
        },
    },
    "required": ["episode", "calls", "resources"],
}
_CHANGES = {"type": "array", "items": {"type": "object"}}

EPISODE_SNAPSHOT = ToolSpec(
    name="episode_snapshot",
    description=(
        "The world of this episode as JSON: the records every resource holds now, by key, and the keys "
        "deleted; and what changed since the episode was opened (records created, changed field by field "
        "as [old, new], deleted). Takes no arguments; the episode is the call's own."
    ),
    parameters={"type": "object", "properties": {}, "additionalProperties": False},
    response={
        "type": "object",
        "properties": {
            "snapshot": _SNAPSHOT_SCHEMA,
            "diff": {
                "type": "object",
                "properties": {"created": _CHANGES, "changed": _CHANGES, "deleted": _CHANGES},
                "required": ["created", "changed", "deleted"],
            },
        },
        "required": ["snapshot", "diff"],
    },
)

META_TOOLS = {spec.name: spec for spec in (SEARCH_TOOLS, CALL_TOOL, EPISODE_SNAPSHOT)}


def episode_world(simulator: Simulator, episode_id: str) -> dict[str, Any]:
    """The ``episode_snapshot`` answer: the episode's snapshot and its diff since opening.

    An episode no call has reached yet is an empty world (it is not created by looking at it);
    one dropped for the limits raises EpisodeExpiredError."""
    try:
        return {"snapshot": simulator.episode_snapshot(episode_id), "diff": simulator.episode_diff(episode_id)}
    except UnknownEpisodeError:
        return {"snapshot": {"episode": episode_id, "calls": 0, "resources": {}}, "diff": {"created": [], "changed": [], "deleted": []}}


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
