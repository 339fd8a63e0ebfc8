"""Preparing a schema: close object schemas that declare their properties, repair broken keywords.

``close_schema`` makes an object schema that declares ``properties`` and says nothing about
other keys refuse them (objects combined through ``allOf``, ``$ref`` and the like stay open);
``repair_schema`` drops each keyword the metaschema refuses (a broken subschema becomes
``{}``) so what can still be checked is; ``without_references`` is the last resort for
references that cannot resolve.
"""

from __future__ import annotations

import functools
from typing import Any

from .formats import FORMAT_CHECKER

__all__ = ["close_schema", "repair_schema", "without_references"]

_MAX_REPAIR_ROUNDS = 8

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("prefixItems", "items")  # value positions holding a list of schemas
_SCHEMA_ONES = ("additionalProperties", "items", "additionalItems", "contains", "unevaluatedItems", "unevaluatedProperties")
_ALTERNATIVES = ("anyOf", "oneOf")
_IN_PLACE_ONES = ("not", "if", "then", "else")
_IN_PLACE_MAPS = ("dependentSchemas", "dependencies")
# Keywords that let other schemas contribute properties: an object using one stays open.
_MERGING = frozenset(["allOf", "anyOf", "oneOf", "$ref", "$dynamicRef", "$recursiveRef", "if", "then", "else", *_IN_PLACE_MAPS])
_DEFINES_PROPERTIES = ("properties", "patternProperties")
_OPENING = ("additionalProperties", "unevaluatedProperties")
_REFERENCES = ("$ref", "$dynamicRef", "$recursiveRef")
_FORBIDDEN: dict[str, Any] = {"not": {}}  # a false schema that keeps its path in jsonschema's errors


def close_schema(schema: Any, *, closable: bool = True) -> Any:
    """A copy of ``schema`` whose object schemas with declared properties refuse other keys.

    ``closable`` is False for the branches of ``allOf``, ``not``, ``if``... and for the
    alternatives of a schema that itself declares properties: closing those would refuse
    properties that a sibling declares.
    """
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: _FORBIDDEN if sub is False else close_schema(sub) for name, sub in out[key].items()}
    for key in _SCHEMA_ONES:
        if isinstance(out.get(key), dict):
            out[key] = close_schema(out[key])
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_FORBIDDEN if sub is False else close_schema(sub) for sub in out[key]]
    own_properties = any(key in out for key in (*_DEFINES_PROPERTIES, *_OPENING))
    for key in _ALTERNATIVES:
        if isinstance(out.get(key), list):
            out[key] = [close_schema(sub, closable=closable and not own_properties) for sub in out[key]]
    if isinstance(out.get("allOf"), list):
        out["allOf"] = [close_schema(sub, closable=False) for sub in out["allOf"]]
    for key in _IN_PLACE_ONES:
        if isinstance(out.get(key), dict):
            out[key] = close_schema(out[key], closable=False)
    for key in _IN_PLACE_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: close_schema(sub, closable=False) for name, sub in out[key].items()}
    if closable and _closes(out):
        _declare_required(out)
        out["additionalProperties"] = False
    return out


def _closes(schema: dict[str, Any]) -> bool:
    """Whether an object schema declares its properties alone and says nothing of the others."""
    return (
        any(isinstance(schema.get(key), dict) for key in _DEFINES_PROPERTIES)
        and not any(key in schema for key in _OPENING)
        and not _MERGING.intersection(schema)
    )


def _declare_required(schema: dict[str, Any]) -> None:
    """A required name is a defined parameter even where ``properties`` forgot it."""
    properties = schema.get("properties")
    required = schema.get("required")
    if isinstance(properties, dict) and isinstance(required, list):
        missing: dict[str, Any] = {name: {} for name in required if isinstance(name, str) and name not in properties}
        if missing:
            schema["properties"] = {**properties, **missing}


def without_references(schema: Any) -> Any:
    """A copy of ``schema`` with every reference dropped (for references that cannot resolve)."""
    if isinstance(schema, dict):
        return {key: without_references(value) for key, value in schema.items() if key not in _REFERENCES}
    if isinstance(schema, list):
        return [without_references(value) for value in schema]
    return schema


@functools.cache
def _meta_validator(cls: type[Any]) -> Any:
    return cls(cls.META_SCHEMA, format_checker=FORMAT_CHECKER)


def repair_schema(schema: Any, cls: type[Any]) -> Any:
    """Drop the broken keywords of ``schema`` (a broken subschema becomes ``{}``) until it is valid."""
    if not isinstance(schema, (dict, bool)):
        return {}
    meta = _meta_validator(cls)  # type: ignore[arg-type]  # a class is hashable
    for _ in range(_MAX_REPAIR_ROUNDS):
        paths = {tuple(error.absolute_path) for error in meta.iter_errors(schema)}
        if not paths:
            return schema
        if () in paths:
            return {}
        for path in sorted(paths, key=len, reverse=True):
            _drop(schema, path)  # type: ignore[arg-type]  # a bool schema has no path inside to drop
    return {}


def _drop(schema: dict[str, Any], path: tuple[Any, ...]) -> None:
    """Remove what ``path`` points at: a subschema is replaced by ``{}``, a keyword value deleted."""
    depth = max(d for d in range(len(path) + 1) if _is_schema_at(path[:d]))
    if depth == len(path):
        container = _follow(schema, path[:-1])
        if _has(container, path[-1]):
            container[path[-1]] = {}
        return
    owner = _follow(schema, path[:depth])
    if isinstance(owner, dict):
        owner.pop(path[depth], None)


def _follow(node: Any, path: tuple[Any, ...]) -> Any:
    """The node at ``path``, or None when the path no longer exists."""
    for step in path:
        if not _has(node, step):
            return None
        node = node[step]
    return node


def _has(node: Any, step: Any) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)


def _is_schema_at(path: tuple[Any, ...]) -> bool:
    """Whether ``path`` (from the root schema) ends at a subschema rather than inside a keyword value."""
    holds = "schema"  # what the node reached so far is
    for step in path:
        if holds == "schema":
            holds = _KEYWORD_HOLDS.get(step, "value") if isinstance(step, str) else "value"
        elif holds == "map" or (holds in ("list", "schema-or-list") and isinstance(step, int)):
            holds = "schema"
        else:
            return False
    return holds in ("schema", "schema-or-list")


_KEYWORD_HOLDS: dict[str, str] = {
    **{key: "map" for key in (*_SCHEMA_MAPS, *_IN_PLACE_MAPS)},
    **{key: "list" for key in ("prefixItems", "allOf", *_ALTERNATIVES)},
    **{key: "schema" for key in (*_SCHEMA_ONES, *_IN_PLACE_ONES, "propertyNames")},
    "items": "schema-or-list",
}
