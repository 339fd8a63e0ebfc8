"""The fast predicate: a schema compiled into Python tests that pass valid arguments without jsonschema.

``fast_predicate(schema, cls)`` covers the common subset of JSON Schema (types, enums,
bounds, lengths, patterns, formats, required names, items, object properties) in the drafts
where it means the same; it returns None for anything else. The predicate only ever says
"valid" when jsonschema would; "not valid" means "ask jsonschema", which finds the problems.
It never vouches for a non-finite number, which JSON cannot carry (see ``values``).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Sized
from typing import Any

from .._jsonschema import jsonschema
from .formats import FORMAT_CHECKER

__all__ = ["Predicate", "fast_predicate"]

Predicate = Callable[[Any], bool]
_FAST_DRAFTS = frozenset(
    [
        jsonschema.Draft6Validator,
        jsonschema.Draft7Validator,
        jsonschema.Draft201909Validator,
        jsonschema.Draft202012Validator,
    ]
)  # the drafts where 3.0 is an integer and exclusiveMinimum is a number
_OBJECT_KEYWORDS = frozenset(["properties", "patternProperties", "additionalProperties"])


class _Unsupported(Exception):
    """A keyword or keyword value that the fast predicate does not cover."""


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


def _is_number(value: Any) -> bool:
    """JSON Schema's number, as jsonschema tells it: any Number but a bool."""
    return type(value) in (int, float) or (isinstance(value, numbers.Number) and not isinstance(value, bool))


def _is_integer(value: Any) -> bool:
    """JSON Schema's integer: an int that is no bool, or a float with no fractional part."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite(value: Any) -> bool:
    """Whether a number is finite: JSON has no NaN or Infinity (ints always are)."""
    return isinstance(value, int) or math.isfinite(value)


_TYPE_TESTS: dict[str, Predicate] = {
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": lambda value: type(value) is int or (type(value) is float and math.isfinite(value)),  # narrower than jsonschema: it only errs towards "check again"
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
}


def _scalar_key(value: Any) -> tuple[str, Any] | None:
    """A hashable key under which JSON-equal scalars meet (1 == 1.0, True != 1); None for containers."""
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, bool) or value is None:
        return ("b", value)
    if _is_number(value):
        return ("n", value)
    return None


def _count(value: Any) -> int:
    """A non-negative integer keyword value (3.0 included)."""
    if isinstance(value, bool) or not _is_integer(value) or value < 0:
        raise _Unsupported(value)
    return int(value)


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Unsupported(value)
    return value


def _regex(pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise _Unsupported(pattern)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise _Unsupported(pattern) from exc


def _fast_type(value: Any, schema: dict[str, Any]) -> Predicate:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or len(set(map(repr, names))) != len(names):
        raise _Unsupported(value)
    if not all(isinstance(name, str) and name in _TYPE_TESTS for name in names):
        raise _Unsupported(value)
    tests = [_TYPE_TESTS[name] for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda instance: any(test(instance) for test in tests)


def _fast_enum(value: Any, schema: dict[str, Any]) -> Predicate:
    if not isinstance(value, list):
        raise _Unsupported(value)
    keys = {key for key in map(_scalar_key, value) if key is not None}
    return lambda instance: _scalar_key(instance) in keys  # a container is "not sure"


def _fast_const(value: Any, schema: dict[str, Any]) -> Predicate:
    return _fast_enum([value], schema)


def _fast_bound(fails: Callable[[Any, Any], bool]) -> Callable[[Any, dict[str, Any]], Predicate]:
    def build(value: Any, schema: dict[str, Any]) -> Predicate:
        bound = _number(value)
        # NaN fails no comparison, so a bound never vouches for it (nor for an infinity)
        return lambda instance: not _is_number(instance) or (_is_finite(instance) and not fails(instance, bound))

    return build


def _fast_length(kind: type[Sized], fails: Callable[[int, int], bool]) -> Callable[[Any, dict[str, Any]], Predicate]:
    def build(value: Any, schema: dict[str, Any]) -> Predicate:
        limit = _count(value)
        return lambda instance: not isinstance(instance, kind) or not fails(len(instance), limit)

    return build


def _fast_pattern(value: Any, schema: dict[str, Any]) -> Predicate:
    search = _regex(value).search
    return lambda instance: not isinstance(instance, str) or search(instance) is not None


def _fast_format(value: Any, schema: dict[str, Any]) -> Predicate | None:
    if not isinstance(value, str):
        raise _Unsupported(value)
    if value not in FORMAT_CHECKER.checkers:
        return None
    return lambda instance: FORMAT_CHECKER.conforms(instance, value)


def _fast_required(value: Any, schema: dict[str, Any]) -> Predicate | None:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value) or len(set(value)) != len(value):
        raise _Unsupported(value)
    names = tuple(value)
    if not names:
        return None
    return lambda instance: not isinstance(instance, dict) or all(name in instance for name in names)


def _fast_items(value: Any, schema: dict[str, Any]) -> Predicate:
    if isinstance(value, list):  # the tuple form of draft 7
        raise _Unsupported(value)
    item = _fast_schema(value)
    return lambda instance: not isinstance(instance, list) or all(item(element) for element in instance)


def _fast_unique(value: Any, schema: dict[str, Any]) -> Predicate | None:
    if value is not False:
        raise _Unsupported(value)  # JSON equality of items is left to jsonschema
    return None


def _fast_not(value: Any, schema: dict[str, Any]) -> Predicate:
    if value != {} and value is not True:
        raise _Unsupported(value)
    return _never


def _fast_object(schema: dict[str, Any]) -> Predicate:
    """properties, patternProperties and additionalProperties, which decide together."""
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    additional = schema.get("additionalProperties", True)
    if not isinstance(properties, dict) or not isinstance(patterns, dict):
        raise _Unsupported(schema)
    known = {name: _fast_schema(sub) for name, sub in properties.items()}
    by_pattern = [(_regex(pattern).search, _fast_schema(sub)) for pattern, sub in patterns.items()]
    rest = _fast_schema(additional)

    def check(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for key, value in instance.items():
            test = known.get(key)
            matched = test is not None
            if test is not None and not test(value):
                return False
            for search, pattern_test in by_pattern:
                if search(key):
                    matched = True
                    if not pattern_test(value):
                        return False
            if not matched and not rest(value):
                return False
        return True

    return check


_FAST_KEYWORDS: dict[str, Callable[[Any, dict[str, Any]], Predicate | None]] = {
    "type": _fast_type,
    "enum": _fast_enum,
    "const": _fast_const,
    "required": _fast_required,
    "minimum": _fast_bound(lambda value, bound: value < bound),
    "maximum": _fast_bound(lambda value, bound: value > bound),
    "exclusiveMinimum": _fast_bound(lambda value, bound: value <= bound),
    "exclusiveMaximum": _fast_bound(lambda value, bound: value >= bound),
    "minLength": _fast_length(str, lambda size, limit: size < limit),
    "maxLength": _fast_length(str, lambda size, limit: size > limit),
    "minItems": _fast_length(list, lambda size, limit: size < limit),
    "maxItems": _fast_length(list, lambda size, limit: size > limit),
    "minProperties": _fast_length(dict, lambda size, limit: size < limit),
    "maxProperties": _fast_length(dict, lambda size, limit: size > limit),
    "pattern": _fast_pattern,
    "format": _fast_format,
    "items": _fast_items,
    "uniqueItems": _fast_unique,
    "not": _fast_not,
}


def _fast_schema(schema: Any) -> Predicate:
    """A predicate that accepts only instances valid under ``schema`` (raises _Unsupported)."""
    if schema is True:
        return _always
    if schema is False:
        return _never
    if not isinstance(schema, dict):
        raise _Unsupported(schema)
    checks = []
    for keyword, value in schema.items():
        if keyword in _OBJECT_KEYWORDS or keyword not in _VALIDATION_KEYWORDS:
            continue  # objects are checked below; anything else is an annotation
        build = _FAST_KEYWORDS.get(keyword)
        if build is None:
            raise _Unsupported(keyword)
        check = build(value, schema)
        if check is not None:
            checks.append(check)
    if _OBJECT_KEYWORDS.intersection(schema):
        checks.append(_fast_object(schema))
    if len(checks) == 1:
        return checks[0]
    return lambda instance: all(check(instance) for check in checks)


_VALIDATION_KEYWORDS = frozenset().union(*(cls.VALIDATORS for cls in _FAST_DRAFTS))


def fast_predicate(schema: Any, cls: type[Any]) -> Predicate | None:
    """The fast predicate of ``schema``, or None where it uses anything beyond the common subset."""
    if cls not in _FAST_DRAFTS:
        return None
    try:
        return _fast_schema(schema)
    except _Unsupported:
        return None
