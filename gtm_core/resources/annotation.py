"""The ``x-gtm-resource`` annotation: a tool's spec states (or corrects) its resource operation.

It sits in the tool's ``parameters`` schema (JSON Schema ignores ``x-`` keywords, so the
arguments are checked as before, and it travels with the spec through every format):

    "parameters": {"type": "object", "properties": {...},
                   "x-gtm-resource": {"resource": "ticket", "operation": "transition",
                                      "key": "ticket_id", "to_state": "closed"}}

``operation`` is one of ``create``, ``read``, ``update``, ``transition``, ``delete``,
``list``, ``move``, ``add_items``, ``remove_items``, or ``none`` (this tool is no resource
operation). Optional: ``resource`` (snake_case name; inferred when left out), ``key`` (the
argument that names the record), ``batch`` (the array argument of a bulk call),
``to_state``, ``field`` (the list field that add_items/remove_items change),
``target`` (a move's new key), ``state_field`` and ``initial_state`` (for the resource).
An annotation always wins over inference; a malformed one is reported, never guessed around.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import GTMError
from ..spec import ToolSpec
from .model import KINDS

__all__ = ["ANNOTATION", "Annotation", "AnnotationError", "read_annotation"]

ANNOTATION = "x-gtm-resource"
_KEYS = {"resource", "operation", "key", "batch", "to_state", "field", "target", "state_field", "initial_state"}


class AnnotationError(GTMError, ValueError):
    """An ``x-gtm-resource`` annotation that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Annotation:
    """A tool's stated resource operation (``operation`` None means: this tool is none)."""

    operation: str | None
    resource: str | None = None
    key: str | None = None
    batch: str | None = None
    to_state: str | None = None
    field: str | None = None
    target: str | None = None
    state_field: str | None = None
    initial_state: str | None = None


def read_annotation(spec: ToolSpec) -> Annotation | None:
    """The tool's annotation, None when it has none; AnnotationError when it is malformed."""
    raw = spec.parameters.get(ANNOTATION)
    if raw is None:
        return None
    where = f"tool {spec.name!r}: parameters[{ANNOTATION!r}]"
    if not isinstance(raw, Mapping):
        raise AnnotationError(f"{where} must be an object like {{\"operation\": \"read\", \"resource\": \"ticket\"}}, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise AnnotationError(f"{where} has unknown keys {unknown}; it may hold {sorted(_KEYS)}")
    for name, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise AnnotationError(f"{where}[{name!r}] must be a non-empty string, got {value!r:.60}")
    operation = raw.get("operation")
    allowed = (*KINDS, "none")
    if operation not in allowed:
        raise AnnotationError(f"{where}['operation'] must be one of {', '.join(allowed)}; got {operation!r}")
    for name in ("key", "batch", "target"):
        if name in raw and raw[name] not in spec.properties:
            raise AnnotationError(f"{where}[{name!r}] names {raw[name]!r}, which is not a parameter of the tool; parameters: {sorted(spec.properties)}")
    if operation == "transition" and "to_state" not in raw:
        raise AnnotationError(f"{where}: a transition needs 'to_state' (the state it leads to)")
    if operation in ("add_items", "remove_items") and "field" not in raw:
        raise AnnotationError(f"{where}: {operation} needs 'field' (the record's list field it changes)")
    values: dict[str, Any] = {k: v for k, v in raw.items() if k != "operation"}
    return Annotation(None if operation == "none" else operation, **values)
