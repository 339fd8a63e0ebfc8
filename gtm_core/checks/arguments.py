"""The public checks: parse a call's arguments, list their problems, name their kind (``gtm_core.error_bodies`` builds the body)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..spec import ToolSpec
from .compiled import compiled_for
from .messages import a_type, preview, problems_from
from .problems import KIND_RANK, ArgumentProblem, ErrorKind
from .values import value_problems

__all__ = [
    "check_arguments",
    "check_parsed",
    "parse_arguments",
    "primary_kind",
]

def parse_arguments(arguments: Any) -> tuple[dict[str, Any] | None, list[ArgumentProblem]]:
    """``(the arguments as a dict, [])``, or ``(None, [the problems])`` when they cannot be used.

    ``arguments`` is a mapping, JSON text of one, or None (no arguments). They cannot be used
    when they are no JSON object, and when they hold values that JSON cannot carry (NaN,
    Infinity, text with a lone surrogate): each of those is an invalid value.
    """
    if isinstance(arguments, (str, bytes, bytearray)):
        try:
            arguments = json.loads(arguments)
        except (ValueError, RecursionError) as exc:
            text = arguments if isinstance(arguments, str) else arguments.decode("utf-8", "replace")
            return None, [ArgumentProblem(ErrorKind.NOT_OBJECT, "", f"The arguments are not valid JSON: {exc}. Send a JSON object of parameter names to values.", "a JSON object", preview(text))]
    if arguments is None:
        return {}, []
    if isinstance(arguments, Mapping):
        parsed = arguments if isinstance(arguments, dict) else dict(arguments)
        problems = value_problems(parsed)
        return (None, problems) if problems else (parsed, [])
    return None, [ArgumentProblem(ErrorKind.NOT_OBJECT, "", f"The arguments must be a JSON object of parameter names to values, got {a_type(arguments)}.", "a JSON object", preview(arguments))]


def check_arguments(spec: ToolSpec, arguments: Any) -> list[ArgumentProblem]:
    """Every problem with ``arguments`` (a mapping, or JSON text of one) for ``spec``; [] when valid."""
    parsed, problems = parse_arguments(arguments)
    if parsed is None:
        return problems
    return check_parsed(spec, parsed)


def check_parsed(spec: ToolSpec, arguments: dict[str, Any]) -> list[ArgumentProblem]:
    """Every problem with arguments already parsed into a dict (see ``parse_arguments``)."""
    invalid = value_problems(arguments)
    if invalid:  # NaN passes every bound, so these come first and the schema checks the rest
        return _merged(invalid, problems_from(compiled_for(spec).errors(arguments, spec.name)))
    compiled = compiled_for(spec)
    if compiled.fast is not None:
        try:
            if compiled.fast(arguments):
                return []
        except Exception:  # noqa: BLE001 - the slow path below decides
            pass
    return problems_from(compiled.errors(arguments, spec.name))


def _merged(first: list[ArgumentProblem], more: list[ArgumentProblem]) -> list[ArgumentProblem]:
    seen = {(p.kind, p.parameter) for p in first}
    return sorted([*first, *(p for p in more if (p.kind, p.parameter) not in seen)], key=lambda p: KIND_RANK[p.kind])


def primary_kind(problems: Sequence[ArgumentProblem]) -> ErrorKind | None:
    """The kind that names a call with these problems (the first in the fixed order), None if none."""
    return min((p.kind for p in problems), key=KIND_RANK.__getitem__, default=None)
