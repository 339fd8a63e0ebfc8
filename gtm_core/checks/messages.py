"""From jsonschema's errors to problems: each failed keyword becomes an ArgumentProblem with a message.

``problems_from(errors)`` maps jsonschema's errors onto the error kinds, reports a value of
the wrong type once (with no invalid-value noise about it or anything inside it), removes
repeats and lists the problems in the fixed order of ``KIND_ORDER``. The helpers that quote
values in messages (``preview``, ``listing``, ``a_type``) serve the public checks too.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from .._jsonschema import ValidationError
from .formats import FORMAT_HINTS
from .problems import KIND_RANK, ArgumentProblem, ErrorKind

__all__ = ["MESSAGE_LIST_ITEMS", "a_type", "listing", "parameter_path", "preview", "problems_from"]

PREVIEW_CHARS = 200  # a received value longer than this (as JSON) is truncated
MESSAGE_VALUE_CHARS = 60  # how much of a value a message quotes
MESSAGE_LIST_ITEMS = 10  # how many allowed values or names a message lists
ELLIPSIS = "…"
_PLAIN_KEY = re.compile(r"[A-Za-z_$][\w$-]*", re.ASCII)


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


def preview(value: Any) -> Any:
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


def listing(values: Sequence[Any], quote: Callable[[Any], str] = _quote) -> str:
    shown = ", ".join(quote(v) for v in values[:MESSAGE_LIST_ITEMS])
    return shown + (f" (and {len(values) - MESSAGE_LIST_ITEMS} more)" if len(values) > MESSAGE_LIST_ITEMS else "")


def a_type(value: Any) -> str:
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
    received = preview(value)
    if keyword == "type":
        return ArgumentProblem(ErrorKind.TYPE, parameter, f"{label.capitalize()} must be {_type_names(constraint)}, got {a_type(value)} ({_quote(value)}).", constraint, received)
    describe = _INVALID_MESSAGES.get(keyword)
    if describe is None:
        expected: Any = {keyword: constraint} if keyword not in ("not", "anyOf", "oneOf", "allOf", "if", "then", "else") else "a value the schema allows"
        return ArgumentProblem(ErrorKind.INVALID, parameter, f"{label.capitalize()} has an invalid value {_quote(value)} ({keyword}).", expected, received)
    expected, requirement = describe(constraint, context.schema)
    return ArgumentProblem(ErrorKind.INVALID, parameter, f"{label.capitalize()} must be {requirement}; got {_quote(value)}.", expected, received)


def _format_rule(constraint: Any, schema: Any) -> tuple[Any, str]:
    hint = FORMAT_HINTS.get(constraint)
    return f"format {constraint}", f"a valid {constraint}" + (f" ({hint})" if hint else "")


_INVALID_MESSAGES: dict[str, Callable[[Any, Any], tuple[Any, str]]] = {
    "enum": lambda c, s: (c, f"one of {listing(c)}"),
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
    properties: Mapping[str, Any] = schema["properties"] if isinstance(schema.get("properties"), Mapping) else {}
    patterns = [p for p in schema.get("patternProperties", {}) if isinstance(p, str)] if isinstance(schema.get("patternProperties"), Mapping) else []
    allowed = [name for name in properties]
    for name in instance:
        if name in properties or any(_safe_search(p, name) for p in patterns):
            continue
        parameter = parameter_path([*parameter_prefix, name])
        known = f" Known parameters: {listing(allowed, str)}." if allowed else " This takes no parameters."
        yield ArgumentProblem(ErrorKind.EXCESS, parameter, f"Unexpected parameter '{parameter}'.{known}", allowed, preview(instance[name]))


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


def problems_from(errors: Iterable[ValidationError]) -> list[ArgumentProblem]:
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
            problems.append(ArgumentProblem(ErrorKind.EXCESS, parameter, f"Unexpected parameter '{parameter}'.", "no such parameter", preview(error.instance)))
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
    return sorted(unique.values(), key=lambda p: KIND_RANK[p.kind])
