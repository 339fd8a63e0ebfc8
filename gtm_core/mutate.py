"""The mutator: turn valid arguments into each of the paper's four error kinds.

``mutate(spec, arguments, kind, rng)`` makes one bad call of the asked kind, the way agents
really get calls wrong: a number sent as text, a required parameter left out, a parameter
the tool does not have, a value outside an enum or a range or in the wrong format. Each
``Mutation`` carries the kind it should be reported as and whether the schema alone can
reveal it (``detectable``): an invalid value where the schema states no constraint, or an
extra parameter where the schema allows any, cannot be caught by checks, only by a model.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .checks import ErrorKind, effective_schema
from .spec import ToolSpec

__all__ = ["MUTATION_KINDS", "Mutation", "mutate", "mutations"]

MUTATION_KINDS = (ErrorKind.TYPE, ErrorKind.MISSING, ErrorKind.EXCESS, ErrorKind.INVALID)

# Parameters agents invent; the first one the tool does not define is used.
_EXCESS_NAMES = ("verbose", "debug", "api_version", "include_metadata", "timeout_seconds", "session_token", "extra_options")
_EXCESS_VALUES: dict[str, Any] = {
    "verbose": True,
    "debug": True,
    "api_version": "v2",
    "include_metadata": True,
    "timeout_seconds": 30,
    "session_token": "tok_4f9a2c",
    "extra_options": {"fast": True},
}
_BAD_FORMATS = {
    "date": "31/12/2024",
    "date-time": "2024-12-31 25:61",
    "time": "25:61",
    "email": "jane.doe.example.com",
    "idn-email": "jane.doe.example.com",
    "uri": "not a url",
    "url": "not a url",
    "uri-reference": "http://exa mple.com/a b",
    "uuid": "1234-not-a-uuid",
    "ipv4": "999.12.0.1",
    "ipv6": "2001:::zz",
    "hostname": "-bad-host-.com",
}
_NUMERIC = ("integer", "number")


@dataclass(frozen=True)
class Mutation:
    """Bad arguments made from valid ones, with the kind they should be reported as."""

    kind: ErrorKind
    arguments: dict[str, Any]
    parameter: str
    detectable: bool
    note: str


def mutations(spec: ToolSpec, arguments: Mapping[str, Any], rng: random.Random) -> list[Mutation]:
    """One mutation of each kind that applies to this call (missing needs a required parameter)."""
    out = []
    for kind in MUTATION_KINDS:
        mutation = mutate(spec, arguments, kind, rng)
        if mutation is not None:
            out.append(mutation)
    return out


def mutate(spec: ToolSpec, arguments: Mapping[str, Any], kind: ErrorKind | str, rng: random.Random) -> Mutation | None:
    """A mutation of ``kind`` of valid ``arguments``, or None where the kind cannot apply."""
    kind = ErrorKind(kind)
    maker = {
        ErrorKind.TYPE: _wrong_type,
        ErrorKind.MISSING: _drop_required,
        ErrorKind.EXCESS: _add_excess,
        ErrorKind.INVALID: _invalid_value,
    }.get(kind)
    if maker is None:
        raise ValueError(f"cannot mutate into {kind.value}; choose one of {', '.join(k.value for k in MUTATION_KINDS)}")
    return maker(spec, dict(copy.deepcopy(dict(arguments))), rng)


# ---- type ---------------------------------------------------------------------------------
def _allowed_types(schema: Any) -> set[str] | None:
    """The JSON types a schema allows, or None when it does not say."""
    if not isinstance(schema, Mapping):
        return None
    declared = schema.get("type")
    if isinstance(declared, str):
        types = {declared}
    elif isinstance(declared, list) and declared:
        types = {t for t in declared if isinstance(t, str)}
    else:
        return None
    if "number" in types:
        types.add("integer")
    return types


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _wrong_type_value(value: Any, allowed: set[str]) -> Any | None:
    """The value as a careless agent would send it with the wrong type, or None."""
    candidates: list[Any] = []
    if isinstance(value, bool):
        candidates.append("true" if value else "false")
    elif isinstance(value, (int, float)):
        candidates.append(str(value))
    elif isinstance(value, list):
        candidates.append(",".join(str(v) for v in value))
    elif isinstance(value, dict):
        candidates.append(str(value))
    elif isinstance(value, str):
        candidates.append(12345)
    candidates += ["12345", 12345, True, ["item"], {"value": "x"}, None]
    for candidate in candidates:
        if _type_of(candidate) not in allowed and not (_type_of(candidate) == "integer" and "number" in allowed):
            return candidate
    return None


def _wrong_type(spec: ToolSpec, arguments: dict[str, Any], rng: random.Random) -> Mutation | None:
    present = [name for name in arguments if name in spec.properties]
    typed = [name for name in present if _allowed_types(spec.properties[name]) is not None]
    for name in _shuffled(typed, rng) + _shuffled([n for n in present if n not in typed], rng):
        allowed = _allowed_types(spec.properties[name])
        bad = _wrong_type_value(arguments[name], allowed or {_type_of(arguments[name])})
        if bad is None:
            continue
        original = arguments[name]
        arguments[name] = bad
        detectable = allowed is not None
        note = f"{name}: {_type_of(original)} sent as {_type_of(bad)}" + ("" if detectable else " (the schema declares no type)")
        return Mutation(ErrorKind.TYPE, arguments, name, detectable, note)
    if not spec.properties:
        return None
    name = rng.choice(sorted(spec.properties))
    allowed = _allowed_types(spec.properties[name])
    if allowed is None:
        return None
    bad = _wrong_type_value(None, allowed)
    if bad is None:
        return None
    arguments[name] = bad
    return Mutation(ErrorKind.TYPE, arguments, name, True, f"{name}: sent as {_type_of(bad)}")


# ---- missing ------------------------------------------------------------------------------
def _drop_required(spec: ToolSpec, arguments: dict[str, Any], rng: random.Random) -> Mutation | None:
    present = [name for name in spec.required if name in arguments]
    if not present:
        return None
    name = rng.choice(present)
    del arguments[name]
    return Mutation(ErrorKind.MISSING, arguments, name, True, f"required {name} left out")


# ---- excess -------------------------------------------------------------------------------
def _add_excess(spec: ToolSpec, arguments: dict[str, Any], rng: random.Random) -> Mutation | None:
    taken = set(spec.properties) | set(arguments)
    name = next((n for n in _EXCESS_NAMES if n not in taken), None)
    if name is None:
        name = next(f"unknown_option_{i}" for i in range(len(taken) + 1) if f"unknown_option_{i}" not in taken)
    arguments[name] = _EXCESS_VALUES.get(name, True)
    closed = effective_schema(spec).get("additionalProperties") is False
    note = f"undefined parameter {name} added" + ("" if closed else " (the schema allows extra parameters)")
    return Mutation(ErrorKind.EXCESS, arguments, name, closed, note)


# ---- invalid value ------------------------------------------------------------------------
def _invalid_value(spec: ToolSpec, arguments: dict[str, Any], rng: random.Random) -> Mutation | None:
    names = [name for name in arguments if name in spec.properties]
    for name in _shuffled(names, rng):
        bad = _violation(spec.properties[name], arguments[name])
        if bad is not None:
            value, rule = bad
            arguments[name] = value
            return Mutation(ErrorKind.INVALID, arguments, name, True, f"{name}: breaks {rule}")
    # No constraint to break: a value of the right type that no real API would accept.
    for name in _shuffled(names, rng):
        value = _nonsense(arguments[name])
        if value is not None:
            arguments[name] = value
            return Mutation(ErrorKind.INVALID, arguments, name, False, f"{name}: nonsense value (the schema states no constraint)")
    return None


def _violation(schema: Any, value: Any) -> tuple[Any, str] | None:
    """A value of the same type as ``value`` that breaks one of the schema's constraints."""
    if not isinstance(schema, Mapping):
        return None
    types = _allowed_types(schema) or {_type_of(value)}
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        bad = _outside_enum(enum, types)
        if bad is not None:
            return bad, "enum"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _numeric_violation(schema, value, types)
    if isinstance(value, str):
        return _string_violation(schema, value)
    if isinstance(value, list):
        if isinstance(schema.get("minItems"), int) and schema["minItems"] > 0:
            return value[: schema["minItems"] - 1], "minItems"
        if isinstance(schema.get("maxItems"), int) and value:
            return value + [value[0]] * (schema["maxItems"] + 1 - len(value)), "maxItems"
        if schema.get("uniqueItems") is True and value:
            return value + [value[0]], "uniqueItems"
        return None
    return None


def _outside_enum(enum: list[Any], types: set[str]) -> Any | None:
    strings = [v for v in enum if isinstance(v, str)]
    if strings and "string" in types:
        for candidate in (strings[0].upper(), strings[0].title(), f"{strings[0]}_other", "unknown", "other_value"):
            if candidate not in enum:
                return candidate
    numbers = [v for v in enum if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if numbers and types & set(_NUMERIC):
        return int(max(numbers)) + 1
    return None


def _numeric_violation(schema: Mapping[str, Any], value: float, types: set[str]) -> tuple[Any, str] | None:
    integer = "number" not in types
    step = 1 if integer else 0.5
    for key, make in (
        ("minimum", lambda bound: bound - step),
        ("exclusiveMinimum", lambda bound: bound),
        ("maximum", lambda bound: bound + step),
        ("exclusiveMaximum", lambda bound: bound),
    ):
        bound = schema.get(key)
        if isinstance(bound, (int, float)) and not isinstance(bound, bool):
            bad = make(bound)
            if integer:
                bad = int(bad) if float(bad).is_integer() else (int(bad) - 1 if "min" in key.lower() else int(bad) + 1)
            return bad, key
    multiple = schema.get("multipleOf")
    if isinstance(multiple, (int, float)) and multiple > 0 and not (integer and multiple <= 1):
        bad = value + (1 if integer else multiple / 2)
        return bad, "multipleOf"
    return None


def _string_violation(schema: Mapping[str, Any], value: str) -> tuple[Any, str] | None:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _BAD_FORMATS:
        return _BAD_FORMATS[fmt], f"format {fmt}"
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        for candidate in ("invalid value!", "", "??", value + " !", "x" * 3):
            try:
                if re.search(pattern, candidate) is None:
                    return candidate, "pattern"
            except re.error:
                break
    if isinstance(schema.get("minLength"), int) and schema["minLength"] > 0:
        return value[: schema["minLength"] - 1], "minLength"
    if isinstance(schema.get("maxLength"), int):
        return (value or "x") * (schema["maxLength"] // max(len(value), 1) + 1) + "x", "maxLength"
    return None


def _nonsense(value: Any) -> Any | None:
    """A same-typed value that no real API would accept, where the schema sets no limit."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return -987654321
    if isinstance(value, float):
        return -98765.4321
    if isinstance(value, str):
        return "@@invalid@@"
    return None


def _shuffled(items: list[str], rng: random.Random) -> list[str]:
    items = list(items)
    rng.shuffle(items)
    return items
