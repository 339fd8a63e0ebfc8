"""Deterministic argument checks: JSON Schema validation mapped onto the paper's error kinds.

``check_arguments(spec, arguments)`` returns every problem of a call before any engine runs,
each tagged with one of the kinds below; ``error_response`` turns them into the JSON body a
real API would answer with. The checks read the spec's ``input_schema`` with three additions:

- an object schema that declares ``properties`` and says nothing about
  ``additionalProperties`` (or ``unevaluatedProperties``) is *closed*: any other key is an
  excess parameter. Objects combined through ``allOf``, ``$ref`` and the like stay open, since
  their properties are spread over several schemas;
- the formats in ``SUPPORTED_FORMATS`` are always checked, with strict parsers of their own
  where ``jsonschema`` would need an optional package (so results do not depend on what else
  is installed); other formats are annotations, as JSON Schema says;
- a schema that is not valid JSON Schema is repaired rather than refused: each broken keyword
  is dropped (a broken subschema becomes ``{}``), so what can still be checked is.

Problems come in a fixed order: by kind (``NOT_OBJECT``, ``MISSING``, ``EXCESS``, ``TYPE``,
``INVALID``), then in the order the schema lists its keywords. A value of the wrong type is
reported once, as a type error, with no invalid-value noise about it or anything inside it.

Validators are compiled once per distinct input schema and remembered per spec object; a spec's
``parameters`` are taken as immutable once checked (assign a new dict to change them). Most
tool schemas also get a compiled Python predicate that accepts valid arguments without running
``jsonschema`` at all; it only ever says "valid" when ``jsonschema`` would.
"""

from __future__ import annotations

import datetime
import enum
import functools
import ipaddress
import json
import logging
import numbers
import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._jsonschema import ValidationError, jsonschema, validator_for
from .spec import ToolSpec, normalize_schema

__all__ = [
    "FORMAT_CHECKER",
    "SUPPORTED_FORMATS",
    "ArgumentProblem",
    "ErrorKind",
    "check_arguments",
    "effective_schema",
    "error_response",
    "check_parsed",
    "parse_arguments",
    "parameter_path",
    "primary_kind",
    "unknown_tool_response",
]

logger = logging.getLogger(__name__)


class ErrorKind(str, enum.Enum):
    """What is wrong with a call: the paper's four error kinds, plus arguments that are no object."""

    TYPE = "type_error"
    MISSING = "missing_required"
    EXCESS = "excess_parameter"
    INVALID = "invalid_value"
    NOT_OBJECT = "arguments_not_object"


# The order problems are listed in, and the kind that names a call with several.
_KIND_ORDER = (ErrorKind.NOT_OBJECT, ErrorKind.MISSING, ErrorKind.EXCESS, ErrorKind.TYPE, ErrorKind.INVALID)
_KIND_RANK = {kind: rank for rank, kind in enumerate(_KIND_ORDER)}

BAD_REQUEST = 400
NOT_FOUND = 404
PREVIEW_CHARS = 200  # a received value longer than this (as JSON) is truncated
MESSAGE_VALUE_CHARS = 60  # how much of a value a message quotes
MESSAGE_LIST_ITEMS = 10  # how many allowed values or names a message lists
ELLIPSIS = "…"
_MAX_REPAIR_ROUNDS = 8
_SPEC_CACHE_SIZE = 16384  # distinct input schemas whose compiled checks are kept

_JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")
_PLAIN_KEY = re.compile(r"[A-Za-z_$][\w$-]*", re.ASCII)


@dataclass(frozen=True)
class ArgumentProblem:
    """One thing wrong with a call's arguments.

    ``parameter`` is a dotted path such as ``items[0].sku`` ("" for the arguments as a whole);
    ``received`` is the offending value (truncated if huge) or None when it is missing.
    """

    kind: ErrorKind
    parameter: str
    message: str
    expected: Any
    received: Any

    def to_dict(self) -> dict[str, Any]:
        """The problem as one entry of an error response's ``details``."""
        return {
            "parameter": self.parameter,
            "kind": self.kind.value,
            "message": self.message,
            "expected": self.expected,
            "received": self.received,
        }


# ---- formats ---------------------------------------------------------------------------
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
_MAX_HOSTNAME = 253
_MAX_EMAIL = 254
_MAX_EMAIL_LOCAL = 64
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL_LOCAL = re.compile(rf'{_ATOM}(?:\.{_ATOM})*|"(?:[ !#-\[\]-~]|\\[ -~])*"', re.ASCII)
# RFC 3986: unreserved and sub-delims characters, percent-encodings, and the parts they make.
_URI_SAFE = r"A-Za-z0-9\-._~!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_URI_PATH = re.compile(rf"(?:[{_URI_SAFE}:@/]|{_PCT})*", re.ASCII)
_URI_QUERY = re.compile(rf"(?:[{_URI_SAFE}:@/?]|{_PCT})*", re.ASCII)
_URI_AUTHORITY = re.compile(
    rf"(?:(?:[{_URI_SAFE}:]|{_PCT})*@)?(\[[^\]]*\]|(?:[{_URI_SAFE}]|{_PCT})*)(?::\d*)?", re.ASCII
)
_IP_FUTURE = re.compile(rf"v[0-9A-Fa-f]+\.[{_URI_SAFE}:]+", re.ASCII)
_URI_PARTS = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):)?(?://(?P<authority>[^/?#]*))?"
    r"(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?",
    re.DOTALL,
)
_MINUTES_PER_DAY = 24 * 60
_LAST_MINUTE_OF_DAY = _MINUTES_PER_DAY - 1


def _valid_clock(hour: int, minute: int, second: int, offset: str) -> bool:
    """An RFC 3339 time of day; a leap second (:60) only at 23:59 UTC."""
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset_minutes = 0
    if offset not in ("Z", "z"):
        offset_hour, offset_minute = int(offset[1:3]), int(offset[4:6])
        if offset_hour > 23 or offset_minute > 59:
            return False
        offset_minutes = (offset_hour * 60 + offset_minute) * (1 if offset[0] == "+" else -1)
    if second == 60:
        return (hour * 60 + minute - offset_minutes) % _MINUTES_PER_DAY == _LAST_MINUTE_OF_DAY
    return True


def _is_date_time(value: object) -> bool:
    """RFC 3339 ``date-time``: ``2024-05-01T09:30:00Z``, ``2024-05-01t09:30:00.5+02:00``."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return _valid_clock(hour, minute, second, match.group(7))


def _is_time(value: object) -> bool:
    """RFC 3339 ``full-time``: a time of day with its UTC offset, ``09:30:00Z``."""
    if not isinstance(value, str):
        return True
    match = _TIME.fullmatch(value)
    if match is None:
        return False
    hour, minute, second = (int(part) for part in match.groups()[:3])
    return _valid_clock(hour, minute, second, match.group(4))


def _is_hostname(value: object) -> bool:
    """RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens."""
    if not isinstance(value, str):
        return True
    if not value or len(value) > _MAX_HOSTNAME:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in value.split("."))


def _is_ip(text: str, version: type[ipaddress.IPv4Address] | type[ipaddress.IPv6Address]) -> bool:
    try:
        version(text)
    except ValueError:
        return False
    return True


def _is_email(value: object) -> bool:
    """RFC 5321 mailbox: a dot-atom or quoted local part, then a host name or address literal."""
    if not isinstance(value, str):
        return True
    local, at, domain = value.rpartition("@")
    if not at or len(value) > _MAX_EMAIL or len(local) > _MAX_EMAIL_LOCAL or not _EMAIL_LOCAL.fullmatch(local):
        return False
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        if literal[:5].lower() == "ipv6:":
            return _is_ip(literal[5:], ipaddress.IPv6Address)
        return _is_ip(literal, ipaddress.IPv4Address)
    return _is_hostname(domain)


def _valid_uri_parts(parts: re.Match[str]) -> bool:
    """Check each part of a URI split by ``_URI_PARTS`` against its RFC 3986 alphabet."""
    authority = parts.group("authority")
    if authority is not None:
        host = _URI_AUTHORITY.fullmatch(authority)
        if host is None:
            return False
        literal = host.group(1)
        if literal.startswith("[") and not (
            _is_ip(literal[1:-1], ipaddress.IPv6Address) or _IP_FUTURE.fullmatch(literal[1:-1])
        ):
            return False
    return all(
        part is None or pattern.fullmatch(part)
        for part, pattern in (
            (parts.group("path"), _URI_PATH),
            (parts.group("query"), _URI_QUERY),
            (parts.group("fragment"), _URI_QUERY),
        )
    )


def _is_uri(value: object) -> bool:
    """RFC 3986 URI: a scheme, then an optional authority, path, query and fragment."""
    if not isinstance(value, str):
        return True
    parts = _URI_PARTS.fullmatch(value)
    return parts is not None and parts.group("scheme") is not None and _valid_uri_parts(parts)


def _is_uri_reference(value: object) -> bool:
    """RFC 3986 URI reference: a URI, or a relative reference whose first segment has no colon."""
    if not isinstance(value, str):
        return True
    parts = _URI_PARTS.fullmatch(value)
    if parts is None or not _valid_uri_parts(parts):
        return False
    if parts.group("scheme") is not None:
        return True
    return ":" not in parts.group("path").split("/", 1)[0]


def _build_format_checker() -> jsonschema.FormatChecker:
    """Our checks for the formats that need optional packages in jsonschema, its own for the rest."""
    checker = jsonschema.FormatChecker(formats=("date", "ipv4", "ipv6", "uuid", "regex"))  # stdlib-based
    for name, check in (
        ("date-time", _is_date_time),
        ("time", _is_time),
        ("email", _is_email),
        ("hostname", _is_hostname),
        ("uri", _is_uri),
        ("uri-reference", _is_uri_reference),
    ):
        checker.checks(name)(check)
    return checker


FORMAT_CHECKER = _build_format_checker()
"""The format checker every argument check uses (and the reference for tests)."""
SUPPORTED_FORMATS = tuple(sorted(FORMAT_CHECKER.checkers))
_FORMAT_HINTS = {
    "date": "YYYY-MM-DD",
    "date-time": "RFC 3339, e.g. 2024-05-01T09:30:00Z",
    "time": "HH:MM:SS with a UTC offset, e.g. 09:30:00Z",
    "email": "e.g. name@example.com",
    "hostname": "e.g. api.example.com",
    "ipv4": "e.g. 192.168.0.1",
    "ipv6": "e.g. 2001:db8::1",
    "uri": "an absolute URI, e.g. https://example.com/page",
    "uri-reference": "a URI or a relative reference",
    "uuid": "e.g. 123e4567-e89b-12d3-a456-426614174000",
    "regex": "a regular expression",
}


# ---- preparing a schema ----------------------------------------------------------------
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
_FORBIDDEN = {"not": {}}  # a false schema that keeps its path in jsonschema's errors


def _close(schema: Any, *, closable: bool = True) -> Any:
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
            out[key] = {name: _FORBIDDEN if sub is False else _close(sub) for name, sub in out[key].items()}
    for key in _SCHEMA_ONES:
        if isinstance(out.get(key), dict):
            out[key] = _close(out[key])
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_FORBIDDEN if sub is False else _close(sub) for sub in out[key]]
    own_properties = any(key in out for key in (*_DEFINES_PROPERTIES, *_OPENING))
    for key in _ALTERNATIVES:
        if isinstance(out.get(key), list):
            out[key] = [_close(sub, closable=closable and not own_properties) for sub in out[key]]
    if isinstance(out.get("allOf"), list):
        out["allOf"] = [_close(sub, closable=False) for sub in out["allOf"]]
    for key in _IN_PLACE_ONES:
        if isinstance(out.get(key), dict):
            out[key] = _close(out[key], closable=False)
    for key in _IN_PLACE_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: _close(sub, closable=False) for name, sub in out[key].items()}
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
        missing = {name: {} for name in required if isinstance(name, str) and name not in properties}
        if missing:
            schema["properties"] = {**properties, **missing}


def _without_references(schema: Any) -> Any:
    """A copy of ``schema`` with every reference dropped (for references that cannot resolve)."""
    if isinstance(schema, dict):
        return {key: _without_references(value) for key, value in schema.items() if key not in _REFERENCES}
    if isinstance(schema, list):
        return [_without_references(value) for value in schema]
    return schema


@functools.cache
def _meta_validator(cls: type[Any]) -> Any:
    return cls(cls.META_SCHEMA, format_checker=FORMAT_CHECKER)


def _repair(schema: Any, cls: type[Any]) -> Any:
    """Drop the broken keywords of ``schema`` (a broken subschema becomes ``{}``) until it is valid."""
    if not isinstance(schema, (dict, bool)):
        return {}
    meta = _meta_validator(cls)
    for _ in range(_MAX_REPAIR_ROUNDS):
        paths = {tuple(error.absolute_path) for error in meta.iter_errors(schema)}
        if not paths:
            return schema
        if () in paths:
            return {}
        for path in sorted(paths, key=len, reverse=True):
            _drop(schema, path)
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


# ---- the fast predicate ------------------------------------------------------------------
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


_TYPE_TESTS: dict[str, Predicate] = {
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": lambda value: type(value) in (int, float),  # narrower than jsonschema: it only errs towards "check again"
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
        return lambda instance: not _is_number(instance) or not fails(instance, bound)

    return build


def _fast_length(kind: type, fails: Callable[[int, int], bool]) -> Callable[[Any, dict[str, Any]], Predicate]:
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
            if matched and not test(value):
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


def _fast_predicate(schema: Any, cls: type[Any]) -> Predicate | None:
    """The fast predicate of ``schema``, or None where it uses anything beyond the common subset."""
    if cls not in _FAST_DRAFTS:
        return None
    try:
        return _fast_schema(schema)
    except _Unsupported:
        return None


# ---- compiled checks ---------------------------------------------------------------------
class _Compiled:
    """The validator of one input schema, its fast predicate, and a fallback for broken references."""

    def __init__(self, schema: Any, cls: type[Any], fast: Predicate | None) -> None:
        self.schema = schema
        self.cls = cls
        self.fast = fast
        self.validator = cls(schema, format_checker=FORMAT_CHECKER)
        self._fallback: Any = None

    def errors(self, arguments: dict[str, Any], tool: str) -> list[ValidationError]:
        """jsonschema's errors; a schema whose references cannot be resolved is checked without them."""
        try:
            return list(self.validator.iter_errors(arguments))
        except Exception as exc:  # noqa: BLE001 - a broken schema must never break a call
            logger.warning("tool %r: checking without the schema's references, which fail: %s", tool, exc)
        if self._fallback is None:
            self._fallback = self.cls(_without_references(self.schema), format_checker=FORMAT_CHECKER)
        try:
            return list(self._fallback.iter_errors(arguments))
        except Exception as exc:  # noqa: BLE001
            logger.warning("tool %r: arguments left unchecked, the schema cannot be applied: %s", tool, exc)
            return []


def _validator_class(schema: Any) -> type[Any]:
    """The draft that ``$schema`` names; 2020-12 when it names none (or one we do not know)."""
    default = jsonschema.Draft202012Validator
    if not isinstance(schema, dict) or not isinstance(schema.get("$schema"), str):
        return default
    return validator_for(schema, default=default)


@functools.lru_cache(maxsize=_SPEC_CACHE_SIZE)
def _compile(schema_text: str) -> _Compiled:
    """Compile the checks of one input schema, given as JSON text (the cache key)."""
    raw = normalize_schema(json.loads(schema_text))
    cls = _validator_class(raw)
    schema = _close(raw)
    fast = _fast_predicate(schema, cls)
    if fast is None:  # outside the subset the fast predicate vets: let the metaschema vet it
        schema = _close(_repair(raw, cls))
        fast = _fast_predicate(schema, cls)
    return _Compiled(schema, cls, fast)


class _SpecEntry(NamedTuple):
    spec: weakref.ref[ToolSpec]
    parameters: dict[str, Any]
    required: list[str]
    compiled: _Compiled


_by_spec: dict[int, _SpecEntry] = {}


def _forget(key: int, _ref: Any) -> None:
    _by_spec.pop(key, None)


def _compiled_for(spec: ToolSpec) -> _Compiled:
    """The compiled checks of a spec: remembered per spec object, shared between equal schemas."""
    key = id(spec)
    entry = _by_spec.get(key)
    if (
        entry is not None
        and entry.spec() is spec
        and entry.parameters is spec.parameters
        and entry.required == spec.required
    ):
        return entry.compiled
    compiled = _compile(json.dumps(spec.input_schema, default=repr))
    try:
        reference = weakref.ref(spec, functools.partial(_forget, key))
    except TypeError:  # an object that cannot be weakly referenced is simply not remembered
        return compiled
    _by_spec[key] = _SpecEntry(reference, spec.parameters, list(spec.required), compiled)
    return compiled


def effective_schema(spec: ToolSpec) -> Any:
    """The input schema as ``check_arguments`` applies it (a copy).

    Loose type spellings are normalised, broken keywords dropped, and object schemas that
    declare properties closed with ``additionalProperties: false``.
    """
    return json.loads(json.dumps(_compiled_for(spec).schema))


# ---- from jsonschema's errors to problems ------------------------------------------------
def parameter_path(path: Iterable[Any]) -> str:
    """A readable path to a value inside the arguments: ``items[0].sku``, ``meta["a b"]``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _PLAIN_KEY.fullmatch(step):
            out += f".{step}" if out else step
        else:
            out += f"[{json.dumps(step, ensure_ascii=False)}]"
    return out


def _preview(value: Any) -> Any:
    """The value itself, or a truncated JSON text of it when it is huge."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:  # circular or otherwise unserialisable
        return repr(value)[:PREVIEW_CHARS]
    if len(text) <= PREVIEW_CHARS:
        return value
    return text[: PREVIEW_CHARS - 1] + ELLIPSIS


def _quote(value: Any) -> str:
    """A value as a message quotes it: JSON, shortened."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:
        text = repr(value)
    return text if len(text) <= MESSAGE_VALUE_CHARS else text[: MESSAGE_VALUE_CHARS - 1] + ELLIPSIS


def _listing(values: Sequence[Any], quote: Callable[[Any], str] = _quote) -> str:
    shown = ", ".join(quote(v) for v in values[:MESSAGE_LIST_ITEMS])
    return shown + (f" (and {len(values) - MESSAGE_LIST_ITEMS} more)" if len(values) > MESSAGE_LIST_ITEMS else "")


def _a_type(value: Any) -> str:
    """The JSON type of a value, with its article: "a string", "an integer"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, numbers.Integral):
        return "an integer"
    if isinstance(value, numbers.Number):
        return "an integer" if isinstance(value, float) and value.is_integer() else "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _type_names(types: Any) -> str:
    names = types if isinstance(types, list) else [types]
    spelled = [{"integer": "an integer", "array": "an array", "object": "an object", "null": "null"}.get(t, f"a {t}") for t in names]
    return " or ".join(spelled)


def _label(parameter: str) -> str:
    return f"parameter '{parameter}'" if parameter else "the arguments"


class _Context(NamedTuple):
    """What a problem message needs about one jsonschema error."""

    parameter: str
    value: Any
    keyword: str
    constraint: Any
    schema: Any


def _problem_for(context: _Context) -> ArgumentProblem | None:
    """The problem a single failed keyword means (required and excess keys are handled apart)."""
    keyword, constraint, value, parameter = context.keyword, context.constraint, context.value, context.parameter
    label = _label(parameter)
    received = _preview(value)
    if keyword == "type":
        expected = _type_names(constraint)
        return ArgumentProblem(ErrorKind.TYPE, parameter, f"{label.capitalize()} must be {expected}, got {_a_type(value)} ({_quote(value)}).", constraint, received)
    describe = _INVALID_MESSAGES.get(keyword)
    if describe is None:
        expected: Any = {keyword: constraint} if keyword not in ("not", "anyOf", "oneOf", "allOf", "if", "then", "else") else "a value the schema allows"
        return ArgumentProblem(ErrorKind.INVALID, parameter, f"{label.capitalize()} has an invalid value {_quote(value)} ({keyword}).", expected, received)
    expected, requirement = describe(constraint, context.schema)
    return ArgumentProblem(ErrorKind.INVALID, parameter, f"{label.capitalize()} must be {requirement}; got {_quote(value)}.", expected, received)


def _format_rule(constraint: Any, schema: Any) -> tuple[Any, str]:
    hint = _FORMAT_HINTS.get(constraint)
    return f"format {constraint}", f"a valid {constraint}" + (f" ({hint})" if hint else "")


_INVALID_MESSAGES: dict[str, Callable[[Any, Any], tuple[Any, str]]] = {
    "enum": lambda c, s: (c, f"one of {_listing(c)}"),
    "const": lambda c, s: (c, f"exactly {_quote(c)}"),
    "minimum": lambda c, s: (f">= {c}", f"at least {c}"),
    "maximum": lambda c, s: (f"<= {c}", f"at most {c}"),
    "exclusiveMinimum": lambda c, s: (f"> {c}", f"greater than {c}"),
    "exclusiveMaximum": lambda c, s: (f"< {c}", f"less than {c}"),
    "multipleOf": lambda c, s: (f"multiple of {c}", f"a multiple of {c}"),
    "minLength": lambda c, s: (f"at least {c} characters", f"at least {c} characters long"),
    "maxLength": lambda c, s: (f"at most {c} characters", f"at most {c} characters long"),
    "pattern": lambda c, s: (f"matching {c}", f"a string matching the pattern {c}"),
    "format": _format_rule,
    "minItems": lambda c, s: (f"at least {c} items", f"an array of at least {c} items"),
    "maxItems": lambda c, s: (f"at most {c} items", f"an array of at most {c} items"),
    "uniqueItems": lambda c, s: ("unique items", "an array without repeated items"),
    "minProperties": lambda c, s: (f"at least {c} properties", f"an object with at least {c} properties"),
    "maxProperties": lambda c, s: (f"at most {c} properties", f"an object with at most {c} properties"),
    "contains": lambda c, s: ("an item matching 'contains'", "an array holding at least one matching item"),
}


def _missing_problems(error: ValidationError, parameter_prefix: list[Any]) -> Iterator[ArgumentProblem]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    properties = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
    names = error.validator_value if error.validator == "required" else []
    if error.validator == "dependentRequired":
        names = [n for trigger, needed in error.validator_value.items() if trigger in instance for n in needed]
    for name in names:
        if not isinstance(name, str) or name in instance:
            continue
        parameter = parameter_path([*parameter_prefix, name])
        schema = properties.get(name) if isinstance(properties, Mapping) else None
        expected = schema.get("type", "a value") if isinstance(schema, Mapping) else "a value"
        hint = f" ({schema['description']})" if isinstance(schema, Mapping) and isinstance(schema.get("description"), str) else ""
        yield ArgumentProblem(ErrorKind.MISSING, parameter, f"Missing required parameter '{parameter}'{hint}.", expected, None)


def _excess_problems(error: ValidationError, parameter_prefix: list[Any]) -> Iterator[ArgumentProblem]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    patterns = [p for p in schema.get("patternProperties", {}) if isinstance(p, str)] if isinstance(schema.get("patternProperties"), Mapping) else []
    allowed = [name for name in properties]
    for name in instance:
        if name in properties or any(_safe_search(p, name) for p in patterns):
            continue
        parameter = parameter_path([*parameter_prefix, name])
        known = f" Known parameters: {_listing(allowed, str)}." if allowed else " This takes no parameters."
        yield ArgumentProblem(ErrorKind.EXCESS, parameter, f"Unexpected parameter '{parameter}'.{known}", allowed, _preview(instance[name]))


def _safe_search(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def _is_type_failure(error: ValidationError) -> bool:
    """A failed ``anyOf``/``oneOf`` whose every alternative failed on type alone is a type error."""
    if error.validator == "type":
        return True
    if error.validator in ("anyOf", "oneOf") and error.context:
        here = len(error.absolute_path)
        top = [e for e in error.context if len(e.absolute_path) == here]
        return bool(top) and all(e.validator == "type" for e in top) and len(top) == len(error.context)
    return False


def _problems_from(errors: Iterable[ValidationError]) -> list[ArgumentProblem]:
    problems: list[ArgumentProblem] = []
    errors = list(errors)
    type_paths = [tuple(e.absolute_path) for e in errors if _is_type_failure(e)]

    def under_type_error(path: tuple[Any, ...], own_type: bool) -> bool:
        return any(path[: len(t)] == t and (len(path) > len(t) or not own_type) for t in type_paths)

    for error in errors:
        path = list(error.absolute_path)
        is_type = _is_type_failure(error)
        if under_type_error(tuple(path), is_type):
            continue
        if error.validator in ("required", "dependentRequired"):
            problems.extend(_missing_problems(error, path))
        elif error.validator in ("additionalProperties", "unevaluatedProperties") and error.validator_value is False:
            problems.extend(_excess_problems(error, path))
        elif error.validator == "not" and error.validator_value == {} and path:
            parameter = parameter_path(path)
            problems.append(ArgumentProblem(ErrorKind.EXCESS, parameter, f"Unexpected parameter '{parameter}'.", "no such parameter", _preview(error.instance)))
        elif is_type and error.validator != "type":
            types = sorted({t for e in error.context for t in (e.validator_value if isinstance(e.validator_value, list) else [e.validator_value])})
            problems.append(_problem_for(_Context(parameter_path(path), error.instance, "type", types, error.schema)))  # type: ignore[arg-type]
        else:
            problem = _problem_for(_Context(parameter_path(path), error.instance, str(error.validator), error.validator_value, error.schema))
            if problem is not None:
                problems.append(problem)
    unique: dict[tuple[ErrorKind, str, str], ArgumentProblem] = {}
    for problem in problems:
        unique.setdefault((problem.kind, problem.parameter, problem.message), problem)
    return sorted(unique.values(), key=lambda p: _KIND_RANK[p.kind])


# ---- the public checks ---------------------------------------------------------------------
def parse_arguments(arguments: Any) -> tuple[dict[str, Any] | None, list[ArgumentProblem]]:
    """``(the arguments as a dict, [])``, or ``(None, [the problem])`` when they are not a JSON object.

    ``arguments`` is a mapping, JSON text of one, or None (no arguments).
    """
    if isinstance(arguments, (str, bytes, bytearray)):
        try:
            arguments = json.loads(arguments)
        except ValueError as exc:
            text = arguments if isinstance(arguments, str) else arguments.decode("utf-8", "replace")
            return None, [ArgumentProblem(ErrorKind.NOT_OBJECT, "", f"The arguments are not valid JSON: {exc}. Send a JSON object of parameter names to values.", "a JSON object", _preview(text))]
    if arguments is None:
        return {}, []
    if isinstance(arguments, Mapping):
        return (arguments if isinstance(arguments, dict) else dict(arguments)), []
    return None, [ArgumentProblem(ErrorKind.NOT_OBJECT, "", f"The arguments must be a JSON object of parameter names to values, got {_a_type(arguments)}.", "a JSON object", _preview(arguments))]


def check_arguments(spec: ToolSpec, arguments: Any) -> list[ArgumentProblem]:
    """Every problem with ``arguments`` (a mapping, or JSON text of one) for ``spec``; [] when valid."""
    parsed, problems = parse_arguments(arguments)
    if parsed is None:
        return problems
    return check_parsed(spec, parsed)


def check_parsed(spec: ToolSpec, arguments: dict[str, Any]) -> list[ArgumentProblem]:
    """Every problem with arguments already parsed into a dict (see ``parse_arguments``)."""
    compiled = _compiled_for(spec)
    if compiled.fast is not None:
        try:
            if compiled.fast(arguments):
                return []
        except Exception:  # noqa: BLE001 - the slow path below decides
            pass
    return _problems_from(compiled.errors(arguments, spec.name))


def primary_kind(problems: Sequence[ArgumentProblem]) -> ErrorKind | None:
    """The kind that names a call with these problems (the first in the fixed order), None if none."""
    return min((p.kind for p in problems), key=_KIND_RANK.__getitem__, default=None)


def error_response(spec: ToolSpec, problems: Sequence[ArgumentProblem]) -> dict[str, Any]:
    """The JSON body a real API would answer a bad call with: a code, a message, every problem."""
    kind = primary_kind(problems)
    if len(problems) == 1:
        message = problems[0].message
    else:
        message = f"{len(problems)} problems with the arguments of {spec.name}: " + " ".join(p.message for p in problems[:MESSAGE_LIST_ITEMS])
        if len(problems) > MESSAGE_LIST_ITEMS:
            message += f" (and {len(problems) - MESSAGE_LIST_ITEMS} more)"
    return {
        "error": {
            "code": BAD_REQUEST,
            "status": "INVALID_ARGUMENT",
            "type": kind.value if kind is not None else ErrorKind.INVALID.value,
            "message": message,
            "tool": spec.name,
            "details": [p.to_dict() for p in problems],
        }
    }


def unknown_tool_response(name: str, suggestions: Sequence[str] = ()) -> dict[str, Any]:
    """The error body for a call to a tool the catalog does not have, with the closest names."""
    hint = f" Did you mean {_listing(list(suggestions), lambda s: repr(s))}?" if suggestions else ""
    return {
        "error": {
            "code": NOT_FOUND,
            "status": "NOT_FOUND",
            "type": "unknown_tool",
            "message": f"Unknown tool {name!r}.{hint}",
            "tool": name,
            "suggestions": list(suggestions),
        }
    }
