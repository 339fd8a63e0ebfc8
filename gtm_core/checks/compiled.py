"""The compile caches: a validator and fast predicate per distinct input schema, remembered per spec.

``compiled_for(spec)`` prepares the spec's input schema (normalised, closed, repaired where
broken), compiles its validator and fast predicate once per distinct schema text (an LRU of
``_SPEC_CACHE_SIZE``), and remembers the result per spec object while its ``parameters`` are
the same dict. ``effective_schema`` shows the schema as the checks apply it.
"""

from __future__ import annotations

import functools
import json
import logging
import weakref
from typing import Any, NamedTuple

from .._jsonschema import ValidationError, jsonschema, validator_for
from ..spec import ToolSpec, normalize_schema
from .fast import Predicate, fast_predicate
from .formats import FORMAT_CHECKER
from .prepare import close_schema, repair_schema, without_references

__all__ = ["compiled_for", "effective_schema"]

logger = logging.getLogger(__name__)

_SPEC_CACHE_SIZE = 16384  # distinct input schemas whose compiled checks are kept


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
            self._fallback = self.cls(without_references(self.schema), format_checker=FORMAT_CHECKER)
        try:
            return list(self._fallback.iter_errors(arguments))
        except Exception as exc:  # noqa: BLE001
            logger.warning("tool %r: arguments left unchecked, the schema cannot be applied: %s", tool, exc)
            return []


def _validator_class(schema: Any) -> type[Any]:
    """The draft that ``$schema`` names; 2020-12 when it names none (or one we do not know)."""
    default: type[Any] = jsonschema.Draft202012Validator
    if not isinstance(schema, dict) or not isinstance(schema.get("$schema"), str):
        return default
    chosen: type[Any] = validator_for(schema, default=default)
    return chosen


@functools.lru_cache(maxsize=_SPEC_CACHE_SIZE)
def _compile(schema_text: str) -> _Compiled:
    """Compile the checks of one input schema, given as JSON text (the cache key)."""
    raw = normalize_schema(json.loads(schema_text))
    cls = _validator_class(raw)
    schema = close_schema(raw)
    fast = fast_predicate(schema, cls)
    if fast is None:  # outside the subset the fast predicate vets: let the metaschema vet it
        schema = close_schema(repair_schema(raw, cls))
        fast = fast_predicate(schema, cls)
    return _Compiled(schema, cls, fast)


class _SpecEntry(NamedTuple):
    spec: weakref.ref[ToolSpec]
    parameters: dict[str, Any]
    required: list[str]
    compiled: _Compiled


_by_spec: dict[int, _SpecEntry] = {}


def _forget(key: int, _ref: Any) -> None:
    _by_spec.pop(key, None)


def compiled_for(spec: ToolSpec) -> _Compiled:
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
    return json.loads(json.dumps(compiled_for(spec).schema))
