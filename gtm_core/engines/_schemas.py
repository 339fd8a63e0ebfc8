"""JSON schemas as grammar compilers take them: one spelling per schema, and a relaxed form.

Constrained decoders (xgrammar for the transformers engine, llama.cpp's JSON-schema grammars
for the llamacpp engine) compile a schema's text once and cache it by that text, and some
keywords are beyond them; ``relax_schema`` drops those so that what is left still shapes the
answer. Nothing here imports a model library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["ANY_OBJECT", "RELAXED_KEYWORDS", "canonical_schema", "relax_schema"]

ANY_OBJECT: Mapping[str, Any] = {"type": "object"}
"""The schema a row falls back to when its own cannot be compiled."""
RELAXED_KEYWORDS = frozenset(
    {
        "pattern", "patternProperties", "format", "propertyNames", "if", "then", "else", "not",
        "dependentSchemas", "dependentRequired", "dependencies", "contentEncoding", "contentMediaType",
        "contentSchema", "unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef",
    }
)  # fmt: skip
"""Keywords dropped from a schema that a grammar compiler refused; what is left still shapes the answer."""


def canonical_schema(schema: Mapping[str, Any]) -> str:
    """One spelling per schema, the key of the grammar cache and the text compiled.

    Keys keep their order: the grammar writes properties in the order the schema lists them.
    """
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False, default=str)


def relax_schema(value: Any) -> Any:
    """``value`` without the keywords of RELAXED_KEYWORDS, at any depth (property names kept)."""
    if isinstance(value, Mapping):
        relaxed: dict[str, Any] = {}
        for key, item in value.items():
            if key in ("properties", "$defs", "definitions") and isinstance(item, Mapping):
                relaxed[key] = {name: relax_schema(sub) for name, sub in item.items()}
            elif key not in RELAXED_KEYWORDS:
                relaxed[key] = relax_schema(item)
        return relaxed
    if isinstance(value, list):
        return [relax_schema(item) for item in value]
    return value
