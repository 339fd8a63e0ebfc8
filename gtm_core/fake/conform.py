"""Whether a value is valid against a schema: ``conforms``, with cheap checks for simple schemas.

Scalar values against schemas that use only the simple keywords (type, enum, const, bounds,
lengths, pattern, format) are checked here directly; anything else goes to a cached
jsonschema Draft 2020-12 validator with the toolkit's strict format checker.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from .patterns import pattern_ok

__all__ = ["JSON_TYPES", "bounds_ok", "cheap_conforms", "conforms", "is_num", "json_equal", "type_ok"]

JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
# keywords the cheap check understands for a scalar value
_CHEAP_KEYS = frozenset(
    ["type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
     "minLength", "maxLength", "pattern", "format", "description", "title", "default", "examples", "example",
     "x-original-type", "$comment", "deprecated", "readOnly", "writeOnly", "nullable"]
)  # fmt: skip


def type_ok(value: Any, types: Any) -> bool:
    """Whether ``value`` has one of the JSON types ``types`` names (unknown or absent types allow all)."""
    if types is None:
        return True
    if isinstance(types, str):
        check = JSON_TYPES.get(types)
        return check is None or check(value)
    if isinstance(types, list):
        known = [t for t in types if isinstance(t, str) and t in JSON_TYPES]
        return not known or any(JSON_TYPES[t](value) for t in known)
    return True


def _multiple_ok(value: float, step: Any) -> bool:
    """The same test jsonschema applies for ``multipleOf``."""
    if not isinstance(step, (int, float)) or isinstance(step, bool) or step <= 0:
        return True
    try:
        if isinstance(step, float):
            quotient = value / step
            return math.isfinite(quotient) and int(quotient) == quotient
        return value % step == 0
    except (OverflowError, ZeroDivisionError, ValueError):
        return False


def bounds_ok(value: float, schema: Mapping[str, Any]) -> bool:
    """Whether a number keeps to the schema's minimum, maximum (inclusive or exclusive) and multipleOf."""
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    low, high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if is_num(minimum) and value < minimum:
        return False
    if is_num(maximum) and value > maximum:
        return False
    if is_num(low) and value <= low:
        return False
    if low is True and is_num(minimum) and value <= minimum:
        return False
    if is_num(high) and value >= high:
        return False
    if high is True and is_num(maximum) and value >= maximum:
        return False
    return _multiple_ok(value, schema.get("multipleOf"))


def is_num(value: Any) -> bool:
    """Whether ``value`` is a JSON number (an int or float, not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def cheap_conforms(value: Any, schema: Any) -> bool | None:
    """Whether a value obeys a simple schema; None when the schema needs a full validator."""
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict) or schema is False:
        return False if schema is False else None
    if isinstance(value, (dict, list)) or any(key not in _CHEAP_KEYS for key in schema):
        return None
    if not type_ok(value, schema.get("type")):
        return False
    if "const" in schema and not json_equal(value, schema["const"]):
        return False
    if "enum" in schema and isinstance(schema["enum"], list) and not any(json_equal(value, e) for e in schema["enum"]):
        return False
    if is_num(value) and not bounds_ok(value, schema):
        return False
    if isinstance(value, str):
        if is_num(schema.get("minLength")) and len(value) < schema["minLength"]:
            return False
        if is_num(schema.get("maxLength")) and len(value) > schema["maxLength"]:
            return False
        if "pattern" in schema and not pattern_ok(schema["pattern"], value):
            return False
        if isinstance(schema.get("format"), str) and not _format_ok(value, schema["format"]):
            return False
    return True


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0 but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    return bool(a == b)


def _format_ok(value: str, fmt: str) -> bool:
    from ..checks import FORMAT_CHECKER  # local: checks imports jsonschema, only needed here

    return FORMAT_CHECKER.conforms(value, fmt)


_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def conforms(value: Any, schema: Any, root: Any = None) -> bool:
    """Whether ``value`` is valid against ``schema`` (``root`` resolves its local ``$ref``).

    Simple scalar schemas are checked directly; anything else goes through jsonschema's
    Draft 2020-12 validator with the toolkit's format checker. An unusable schema gives False.
    """
    cheap = cheap_conforms(value, schema)
    if cheap is not None:
        return cheap
    try:
        return bool(_validator(root if root is not None else schema).evolve(schema=schema).is_valid(value))
    except Exception:  # a broken schema accepts nothing
        return False


def _validator(root: Any) -> Any:
    """A cached validator for a root schema (the root is kept alive so its id stays unique)."""
    entry = _VALIDATORS.get(id(root))
    if entry is not None and entry[0] is root:
        return entry[1]
    from .._jsonschema import jsonschema
    from ..checks import FORMAT_CHECKER

    validator = jsonschema.Draft202012Validator(root, format_checker=FORMAT_CHECKER)
    if len(_VALIDATORS) > 4096:
        _VALIDATORS.clear()
    _VALIDATORS[id(root)] = (root, validator)
    return validator
