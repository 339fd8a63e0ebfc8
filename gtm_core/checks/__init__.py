"""Deterministic argument checks: JSON Schema validation mapped onto the paper's error kinds.

``check_arguments(spec, arguments)`` returns every problem of a call before any engine runs,
each tagged with one of the kinds below; ``gtm_core.error_bodies.invalid_arguments`` turns
them into the JSON body a real API would answer with. The checks read the spec's ``input_schema`` with three additions:

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

The names re-exported here are the public surface; the work is split by job into modules:

- ``problems``: ``ErrorKind``, ``ArgumentProblem`` and the order problems are listed in;
- ``formats``: the format parsers and ``FORMAT_CHECKER``;
- ``prepare``: closing object schemas and repairing broken ones;
- ``fast``: the fast-predicate compiler;
- ``compiled``: the compile caches and ``effective_schema``;
- ``messages``: from jsonschema's errors to problems and their messages;
- ``values``: values JSON cannot carry (NaN, Infinity, lone surrogates), as invalid values;
- ``arguments``: the public checks.
"""

from __future__ import annotations

from .arguments import (
    check_arguments,
    check_parsed,
    parse_arguments,
    primary_kind,
)
from .compiled import effective_schema
from .formats import FORMAT_CHECKER, SUPPORTED_FORMATS
from .messages import parameter_path
from .problems import ArgumentProblem, ErrorKind

__all__ = [
    "FORMAT_CHECKER",
    "SUPPORTED_FORMATS",
    "ArgumentProblem",
    "ErrorKind",
    "check_arguments",
    "effective_schema",
    "check_parsed",
    "parse_arguments",
    "parameter_path",
    "primary_kind",
]
