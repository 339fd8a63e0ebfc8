"""The one place gtm_core imports ``jsonschema``: fast, without the optional IRI grammar.

When the ``rfc3987-syntax`` package is installed (the notebooks extra brings it in),
``jsonschema`` imports it eagerly, and it builds a grammar at import time: seconds of
start-up for every ``gtm`` command and every ``gtm serve`` an MCP client launches. The
toolkit checks formats with its own checker (``gtm_core.checks.FORMAT_CHECKER``) and never
uses the ``iri`` format, so the package is hidden while ``jsonschema`` is first imported.
Importing ``rfc3987_syntax`` later still works; only ``jsonschema``'s own ``iri`` and
``iri-reference`` checks stay off in a process where gtm_core imported it first.
"""

from __future__ import annotations

import sys


def _import_without_iri_grammar() -> None:
    if "jsonschema" in sys.modules:
        return
    hidden = "rfc3987_syntax" not in sys.modules
    if hidden:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # its import now raises ImportError
    try:
        import jsonschema  # noqa: F401
    finally:
        if hidden and "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None:
            del sys.modules["rfc3987_syntax"]


_import_without_iri_grammar()

import jsonschema  # noqa: E402
from jsonschema.exceptions import SchemaError, ValidationError, best_match  # noqa: E402
from jsonschema.validators import validator_for  # noqa: E402
from jsonschema_specifications import REGISTRY as METASCHEMAS  # noqa: E402

__all__ = ["METASCHEMAS", "SchemaError", "ValidationError", "best_match", "jsonschema", "validator_for"]
