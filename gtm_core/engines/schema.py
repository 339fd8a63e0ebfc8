"""The schema engine: realistic responses made from the response schema, with no model.

Each answer follows the tool's response schema (every required field, optional ones with a
set probability), carries the call's arguments and the episode's record of the entity into
fields of the same name, and is the same, byte for byte, for the same request. Tools with no
response schema get a plausible object shaped by what the tool's name says it does.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Mapping, Sequence
from typing import Any

from ..fake import fake_object_for, fake_value
from ..generation import GenerationRequest
from .base import Engine

__all__ = ["DEFAULT_OPTIONAL", "SchemaEngine"]

logger = logging.getLogger(__name__)

DEFAULT_OPTIONAL = 0.8
"""How often an optional response field appears by default."""

# keywords that leave an object schema as open as "any object" (so the fake object fits it)
_ANNOTATIONS = frozenset(["type", "title", "description", "$schema", "$id", "$comment", "examples", "default"])


class SchemaEngine(Engine):
    """Answers every call instantly from the response schema (or the spec, where there is none)."""

    name = "schema"
    constrained_json = True
    supports_batching = True
    deterministic = True
    uses_history = False

    def __init__(self, *, optional: float = DEFAULT_OPTIONAL) -> None:
        if isinstance(optional, bool) or not isinstance(optional, (int, float)) or not 0.0 <= optional <= 1.0:
            raise ValueError(f"The 'optional' option of the schema engine must be a probability in [0, 1]. Got {optional!r} instead.")
        self.optional = float(optional)

    def __repr__(self) -> str:
        return f"SchemaEngine(optional={self.optional})"

    @property
    def cache_id(self) -> str:
        """``schema``, with the option where it differs from the default."""
        return self.name if self.optional == DEFAULT_OPTIONAL else f"{self.name}(optional={self.optional})"

    def respond(self, request: GenerationRequest) -> Any:
        """The structured response to one request (never raises)."""
        spec = request.spec
        arguments = request.arguments if isinstance(request.arguments, Mapping) else {}
        entity = request.entity if isinstance(request.entity, Mapping) else None
        try:
            schema = spec.response_schema
            if _is_open_object(schema):
                return fake_object_for(spec, random.Random(request.seed), arguments, entity=entity)
            known = (arguments, entity) if entity else (arguments,)
            return fake_value(schema, spec.name, random.Random(request.seed), optional=self.optional, known=known)
        except Exception:  # an odd schema must not take the engine down
            logger.warning("schema engine could not follow the response schema of %r; answering a generic object", spec.name, exc_info=True)
            return fake_object_for(spec, random.Random(request.seed), arguments, entity=entity)

    def generate_sync(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """One JSON text per request, in order."""
        return [self._text(request) for request in requests]

    async def generate(self, requests: Sequence[GenerationRequest]) -> list[str]:
        """The same as ``generate_sync``: there is nothing to wait for."""
        return self.generate_sync(requests)

    def _text(self, request: GenerationRequest) -> str:
        value = self.respond(request)
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):  # e.g. a const that is not JSON
            logger.warning("schema engine made a value for %r that is not JSON; answering a generic object", request.spec.name)
            return json.dumps(fake_object_for(request.spec, random.Random(request.seed), {}), ensure_ascii=False)


def _is_open_object(schema: Any) -> bool:
    """Whether the response schema is missing or says no more than "an object" (or "anything")."""
    if not isinstance(schema, dict):
        return True
    if schema.get("type", "object") != "object":
        return False
    return all(key in _ANNOTATIONS or key.startswith("x-") for key in schema)
