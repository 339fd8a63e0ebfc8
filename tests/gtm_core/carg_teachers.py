"""A teacher for pipeline tests: the schema engine, except that it designs real tools.

The schema engine alone designs placeholders (``koxh_x0m``) that the tool checks refuse, so a
test of the later stages needs tools that pass: :class:`CatalogTeacher` answers each
``design_tools`` request with the shipped catalog's tools of the job's field (a different
slice per subfield), written as drafts, and every other request as the schema engine does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gtm_core import Catalog, ToolSpec
from gtm_core.engines.schema import SchemaEngine


def _fields(schema: Any, required: list[str]) -> list[dict[str, Any]]:
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    out = []
    for name, prop in props.items():
        kind = prop.get("type", "string") if isinstance(prop, dict) else "string"
        kind = kind[0] if isinstance(kind, list) else kind
        out.append({"name": name, "type": kind, "description": str(prop.get("description") or name), "required": name in required})
    return out


def as_draft(spec: ToolSpec) -> dict[str, Any]:
    response = spec.response if isinstance(spec.response, dict) else {}
    return {
        "name": spec.name,
        "description": spec.description,
        "parameters": _fields(spec.input_schema, list(spec.required or [])),
        "response_fields": _fields(response, list(response.get("required") or [])),
    }


class CatalogTeacher(SchemaEngine):
    """Designs the shipped catalog's tools of the job's field; answers the rest as the schema engine."""

    def __init__(self) -> None:
        super().__init__()
        self._pool = list(Catalog.shipped())

    def _design(self, arguments: Any) -> str:
        tools = [s for s in self._pool if s.field == arguments["field"]] or self._pool
        start = int(hashlib.sha256(str(arguments["subfield"]).encode()).hexdigest(), 16) % len(tools)
        chosen = (tools[start:] + tools[:start])[: int(arguments["count"])]
        return json.dumps({"tools": [as_draft(s) for s in chosen]})

    def generate_sync(self, requests):  # type: ignore[no-untyped-def]
        plain = super().generate_sync
        return [self._design(r.arguments) if r.spec.name == "design_tools" else plain([r])[0] for r in requests]

    async def generate(self, requests):  # type: ignore[no-untyped-def]
        return self.generate_sync(requests)
