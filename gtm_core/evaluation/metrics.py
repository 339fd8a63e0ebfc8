"""The deterministic metrics of Table 1: Format, Comp, Det and the deterministic part of Cons.

Each check returns the list of problems it found (empty: the check passes), so a report can
say why a case failed.

- **Format**: the answer is the engine's own (not a fallback), parses as JSON, is not an
  error, and conforms to the response schema where the tool has a usable one (else: any
  JSON value). A response schema that is not valid JSON Schema is logged once per tool and
  counted in the report (``response_schema_problem``), never dropped silently.
- **Comp** (completeness): the answer is not empty; every field the response schema
  requires is present and non-empty (a schema that declares fields but requires none needs
  at least one of them); and the answer addresses this call — a top-level field named like
  an argument holds that argument's value.
- **Det** (detection): a bad call comes back as an error.
- **Cons(det)**: across an episode, values that flowed from an earlier answer into a later
  call's arguments (ids, names) are found — the later call is not an error — and are
  echoed unchanged, and no answer contradicts the arguments of its own call.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..fake import conforms
from ..results import ToolResult
from ..spec import ToolSpec

__all__ = [
    "Flow",
    "completeness_problems",
    "consistency_problems",
    "detection_problems",
    "format_problems",
    "response_schema_problem",
    "same_value",
    "usable_response_schema",
]

logger = logging.getLogger(__name__)

_EMPTY = (None, "", [], {})
_PROBLEM_CHARS = 200  # of jsonschema's message kept as the reason


@dataclass(frozen=True)
class Flow:
    """A value that an earlier answer gave and a later call sent as an argument."""

    turn: int  # the call that received it
    parameter: str
    value: Any
    source_turn: int


def _schema_of(spec: ToolSpec) -> dict[str, Any] | None:
    schema = spec.response_schema
    return schema if isinstance(schema, dict) and schema else None


def response_schema_problem(spec: ToolSpec) -> str | None:
    """Why the tool's response schema is not a valid JSON Schema (None: it is one, or the tool has none).

    Such a tool's answers pass Format when they are JSON; the first time a tool's schema is
    found invalid it is logged as a warning, and ``evaluate`` counts it in the report.
    """
    schema = _schema_of(spec)
    if schema is None:
        return None
    return _checked(spec.name, json.dumps(schema, sort_keys=True, default=str))


def usable_response_schema(spec: ToolSpec) -> dict[str, Any] | None:
    """The tool's response schema when it is a valid JSON Schema, else None (then any JSON passes Format)."""
    schema = _schema_of(spec)
    return schema if schema is not None and response_schema_problem(spec) is None else None


@functools.lru_cache(maxsize=4096)
def _checked(tool: str, text: str) -> str | None:
    problem = _schema_problem(text)
    if problem is not None:
        logger.warning("the response schema of %s is not a valid JSON Schema (%s); Format checks only that its answers are JSON", tool, problem)
    return problem


@functools.lru_cache(maxsize=4096)
def _schema_problem(text: str) -> str | None:
    from .._jsonschema import SchemaError, jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(json.loads(text))
    except SchemaError as exc:  # how check_schema reports a schema that breaks the metaschema
        message = " ".join(str(exc.message).split())
        return message if len(message) <= _PROBLEM_CHARS else message[: _PROBLEM_CHARS - 3] + "..."
    return None


def _parsed(result: ToolResult) -> tuple[Any, bool]:
    try:
        return json.loads(result.content), True
    except (json.JSONDecodeError, TypeError):
        return None, False


def format_problems(spec: ToolSpec, result: ToolResult) -> list[str]:
    """Why this answer to a valid call fails Format (empty: it passes)."""
    if result.fallback is not None:
        return [f"answered by the {result.engine} engine in place of the model ({result.fallback})"]
    if result.is_error:
        return [f"an error ({result.error_kind}) for a valid call: {result.content[:200]}"]
    value, ok = _parsed(result)
    if not ok:
        return [f"not JSON: {result.content[:120]!r}"]
    schema = usable_response_schema(spec)
    if schema is not None and not conforms(value, schema):
        return ["does not conform to the response schema"]
    return []


def _required_fields(schema: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(required, declared) top-level fields of an object schema."""
    properties = schema.get("properties")
    declared = list(properties) if isinstance(properties, dict) else []
    required = schema.get("required")
    return ([r for r in required if isinstance(r, str)] if isinstance(required, list) else []), declared


def same_value(answer: Any, argument: Any) -> bool:
    """Whether an echoed value agrees with the argument sent (case and spacing of text, and 5 vs 5.0, aside)."""
    if isinstance(argument, bool) or isinstance(answer, bool):
        return answer is argument or (isinstance(answer, str) and answer.strip().lower() == str(argument).lower())
    if isinstance(argument, (int, float)) and isinstance(answer, (int, float)):
        return math.isclose(float(answer), float(argument), rel_tol=1e-9, abs_tol=1e-9)
    return str(answer).strip().casefold() == str(argument).strip().casefold()


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and value is not None


def echo_problems(arguments: Mapping[str, Any], value: Any) -> list[str]:
    """Top-level fields named like an argument whose value disagrees with it."""
    if not isinstance(value, dict):
        return []
    problems = []
    for name, sent in arguments.items():
        if name in value and _scalar(sent) and _scalar(value[name]) and not same_value(value[name], sent):
            problems.append(f"{name} is {value[name]!r} in the answer but {sent!r} in the call")
    return problems


def completeness_problems(spec: ToolSpec, arguments: Mapping[str, Any], result: ToolResult) -> list[str]:
    """Why this answer to a valid call is incomplete (empty: Comp passes)."""
    if result.fallback is not None or result.is_error:
        return ["no answer of the engine's own" if result.fallback is not None else "an error instead of an answer"]
    value, ok = _parsed(result)
    if not ok or value in _EMPTY:
        return ["the answer is empty" if ok else "the answer is not JSON"]
    problems: list[str] = []
    schema = usable_response_schema(spec)
    if schema is not None and isinstance(value, dict):
        required, declared = _required_fields(schema)
        for name in required:
            if value.get(name) in _EMPTY:
                problems.append(f"required field {name} is {'missing' if name not in value else 'empty'}")
        if not required and declared and all(value.get(name) in _EMPTY for name in declared):
            problems.append(f"none of the declared fields ({', '.join(declared[:8])}) is present")
    problems += echo_problems(arguments, value)
    return problems


def detection_problems(result: ToolResult) -> list[str]:
    """Why a bad call was not detected (empty: it came back as an error)."""
    if result.is_error and result.error_kind != "engine_error":
        return []
    if result.is_error:
        return [f"the engine failed instead of answering: {result.content[:200]}"]
    return [f"answered as if the call were good: {result.content[:160]}"]


def consistency_problems(turns: Sequence[tuple[Mapping[str, Any], ToolResult]], flows: Sequence[Flow]) -> list[str]:
    """Why an episode is inconsistent (empty: Cons(det) passes).

    ``turns`` are (arguments, result) in order; ``flows`` the values carried from one answer into
    a later call.
    """
    problems: list[str] = []
    for flow in flows:
        _, result = turns[flow.turn]
        if result.is_error:
            problems.append(f"turn {flow.turn + 1}: {flow.parameter}={flow.value!r} from turn {flow.source_turn + 1} was not found ({result.error_kind})")
            continue
        value, _ = _parsed(result)
        if isinstance(value, dict) and _scalar(value.get(flow.parameter)) and not same_value(value[flow.parameter], flow.value):
            problems.append(f"turn {flow.turn + 1}: {flow.parameter} came back as {value[flow.parameter]!r}, not {flow.value!r} from turn {flow.source_turn + 1}")
    for index, (arguments, result) in enumerate(turns):
        if not result.is_error:
            problems += [f"turn {index + 1}: {p}" for p in echo_problems(arguments, _parsed(result)[0])]
    return problems
