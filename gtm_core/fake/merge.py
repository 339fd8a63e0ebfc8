"""Schema plumbing for the generator: merging two schemas into one and resolving local ``$ref``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from .conform import is_num, json_equal

__all__ = ["flatten_schema", "merge_schemas", "resolve_pointer"]

_MIN_KEYS = ("minimum", "minLength", "minItems", "minProperties", "minContains")
_MAX_KEYS = ("maximum", "maxLength", "maxItems", "maxProperties", "maxContains")


def merge_schemas(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """A schema demanding what both ``a`` and ``b`` demand, for the common keywords."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties" and isinstance(value, dict) and isinstance(out[key], dict):
            props = dict(out[key])
            for name, sub in value.items():
                props[name] = merge_schemas(props[name], sub) if isinstance(props.get(name), dict) and isinstance(sub, dict) else sub
            out[key] = props
        elif key == "required" and isinstance(value, list) and isinstance(out[key], list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key in _MIN_KEYS and is_num(value) and is_num(out[key]):
            out[key] = max(out[key], value)
        elif key in _MAX_KEYS and is_num(value) and is_num(out[key]):
            out[key] = min(out[key], value)
        elif key == "type":
            out[key] = _merge_types(out[key], value)
        elif key == "enum" and isinstance(value, list) and isinstance(out[key], list):
            both = [v for v in out[key] if any(json_equal(v, w) for w in value)]
            out[key] = both or value
        elif key in ("allOf",) and isinstance(value, list) and isinstance(out[key], list):
            out[key] = [*out[key], *value]
        else:
            out[key] = value
    return out


def _merge_types(a: Any, b: Any) -> Any:
    left = [a] if isinstance(a, str) else list(a) if isinstance(a, list) else None
    right = [b] if isinstance(b, str) else list(b) if isinstance(b, list) else None
    if left is None or right is None:
        return b if left is None else a
    both = [t for t in left if t in right or (t == "integer" and "number" in right)]
    both += [t for t in right if t == "integer" and "number" in left and t not in both]
    return (both[0] if len(both) == 1 else both) if both else b


def resolve_pointer(root: Any, ref: str) -> Any:
    """The schema a local ``$ref`` points at, or None."""
    if not ref.startswith("#"):
        return None
    node = root
    for part in unquote(ref[1:]).split("/")[1:] if len(ref) > 1 else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def flatten_schema(schema: dict[str, Any], root: Any) -> dict[str, Any]:
    """``schema`` with its local ``$ref`` resolved in ``root`` and its ``allOf`` merged into one."""
    for _ in range(8):
        if "$ref" in schema and isinstance(schema["$ref"], str):
            target = resolve_pointer(root, schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if target is False:
                return {"not": {}}
            schema = merge_schemas(target, rest) if isinstance(target, dict) else rest
        elif isinstance(schema.get("allOf"), list):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for branch in schema["allOf"]:
                if isinstance(branch, dict):
                    merged = merge_schemas(merged, branch)
            schema = merged
        else:
            return schema
    return schema
