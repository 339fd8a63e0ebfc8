"""Where records sit in a tool's schemas: the record objects of a response, array items, states.

A response carries its resource's record at the top (``{"ticket_id": ..., "status": ...}``),
under a field named for it or a generic wrapper (``{"ticket": {...}}``, ``{"data": {...}}``)
or, for lists, as the items of an array (``{"tickets": [...], "total": 2}``). These helpers
find those places in a JSON schema (for inference) and in a JSON value (for the world).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..fake.merge import flatten_schema
from .naming import field_key, plural, singular, words

__all__ = ["WRAPPERS", "array_fields", "object_properties", "record_schemas", "resource_of_field", "state_fields"]

WRAPPERS = frozenset(["data", "result", "results", "item", "items", "record", "records", "entry", "entries", "object",
                      "response", "payload", "value", "values", "rows", "hits", "nodes", "objects", "list"])  # fmt: skip
_STATE_WORDS = frozenset(["status", "state", "stage", "phase", "lifecycle"])


def object_properties(schema: Any, root: Any = None) -> dict[str, Any]:
    """The ``properties`` of an object schema ($ref and allOf resolved), or {}."""
    if not isinstance(schema, Mapping):
        return {}
    try:
        flat = flatten_schema(dict(schema), root if root is not None else schema)
    except Exception:  # an odd schema gives no properties rather than an error
        return {}
    props = flat.get("properties") if isinstance(flat, Mapping) else None
    return props if isinstance(props, dict) else {}


def _items(schema: Any, root: Any) -> Any:
    if not isinstance(schema, Mapping):
        return None
    flat = flatten_schema(dict(schema), root)
    if flat.get("type") == "array" or "items" in flat:
        items = flat.get("items")
        return items if isinstance(items, Mapping) else None
    return None


def resource_of_field(name: str) -> str:
    """The resource a field names: ``tickets`` -> ``ticket``, ``TodoItems`` -> ``todo_item``."""
    parts = words(name)
    if not parts:
        return name
    return "_".join((*parts[:-1], singular(parts[-1])))


def record_schemas(schema: Any, resource: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, properties) of every place in a response schema that may hold a ``resource`` record:
    the top, objects below it named for the resource or a wrapper, and array items."""
    root = schema
    top = object_properties(schema, root)
    if not top:
        return
    yield "", top
    names = {resource, resource.split("_")[-1]}
    for name, sub in top.items():
        key = field_key(name)
        named = resource_of_field(name) in names or key in WRAPPERS
        inner = object_properties(sub, root)
        if inner and named:
            yield name, inner
            for inner_name, inner_sub in inner.items():
                items = _items(inner_sub, root)
                if items is not None and (resource_of_field(inner_name) in names or field_key(inner_name) in WRAPPERS):
                    yield f"{name}.{inner_name}[]", object_properties(items, root)
        items = _items(sub, root)
        if items is not None and named:
            props = object_properties(items, root)
            if props:
                yield f"{name}[]", props


def array_fields(schema: Any) -> dict[str, str]:
    """The array fields of a response (field name -> the resource its name says it holds)."""
    out = {}
    for name, sub in object_properties(schema, schema).items():
        if _items(sub, schema) is not None:
            out[name] = resource_of_field(name)
    return out


def state_fields(properties: Mapping[str, Any], root: Any = None) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(name, enum values) of the properties that hold a state: status, state, stage, phase."""
    for name, sub in properties.items():
        parts = words(name)
        if not parts or parts[-1] not in _STATE_WORDS or not isinstance(sub, Mapping):
            continue
        flat = flatten_schema(dict(sub), root if root is not None else sub)
        types = flat.get("type", "string")
        if types not in ("string", ["string", "null"]) and not (isinstance(types, list) and "string" in types):
            continue
        enum = flat.get("enum")
        values = tuple(v for v in enum if isinstance(v, str)) if isinstance(enum, list) else ()
        yield name, values


def plural_names(resource: str) -> set[str]:
    """The field keys a list of ``resource`` records may go under: tickets, support_tickets."""
    parts = resource.split("_")
    return {"_".join((*parts[:-1], plural(parts[-1]))), plural(parts[-1])}
