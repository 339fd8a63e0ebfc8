"""The unified tool specification (ToolSpec) and the normalisation of loose schemas.

A ToolSpec is what every part of the toolkit agrees on: converters turn OpenAI function
tools, MCP ``Tool`` objects and public dataset rows into it, the catalog stores it as one
JSON object per line, and the simulator plays it.

``parameters`` is a JSON Schema object *without* its ``required`` list, which lives in
``ToolSpec.required`` so there is a single source of truth; ``input_schema`` merges the two.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import SpecError

__all__ = ["ToolSpec", "normalize_schema", "split_field"]

EMPTY_OBJECT_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}

# Loose type spellings met in public tool datasets, mapped onto JSON Schema types.
_LOOSE_TYPES: dict[str, str] = {
    "str": "string",
    "string": "string",
    "text": "string",
    "int": "integer",
    "integer": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "number": "number",
    "decimal": "number",
    "dict": "object",
    "object": "object",
    "map": "object",
    "list": "array",
    "array": "array",
    "tuple": "array",
    "set": "array",
    "bool": "boolean",
    "boolean": "boolean",
    "null": "null",
    "none": "null",
    "nonetype": "null",
}
_GENERIC = re.compile(r"^\s*(?:typing\.)?([A-Za-z]+)\s*\[(.*)\]\s*$")
# Keys whose value is a schema, a list of schemas or a map of schemas.
_SCHEMA_KEYS = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_SCHEMA_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions")


def _loose_type(spelling: str) -> dict[str, Any] | None:
    """The JSON Schema fragment for one loose type spelling, or None when unknown."""
    key = spelling.strip()
    simple = _LOOSE_TYPES.get(key.lower())
    if simple:
        return {"type": simple}
    if key.lower() in ("any", "object?", "mixed"):
        return {}
    generic = _GENERIC.match(key)
    if generic:
        outer, inner = generic.group(1).lower(), generic.group(2)
        if outer in ("list", "array", "tuple", "set", "sequence"):
            items = _loose_type(inner.split(",")[0]) if inner else None
            return {"type": "array", **({"items": items} if items else {})}
        if outer in ("dict", "map", "mapping"):
            return {"type": "object"}
        if outer == "optional":
            return _loose_type(inner)
    return None


def normalize_schema(schema: Any) -> Any:
    """Return a copy of ``schema`` with loose type spellings turned into JSON Schema types.

    ``str``, ``int``, ``float``, ``dict``, ``list``, ``bool`` (and a few more, including
    ``List[str]``) become their JSON Schema types, recursively through properties, items and
    combinators. An unknown spelling is left in place, so validation can report it.
    """
    if not isinstance(schema, Mapping):
        return copy.deepcopy(schema)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            fragment = _loose_type(value)
            if fragment is None:
                out[key] = value
            else:
                for k, v in fragment.items():
                    out.setdefault(k, v)
        elif key == "type" and isinstance(value, list):
            types = [(_loose_type(v) or {}).get("type", v) if isinstance(v, str) else v for v in value]
            out[key] = list(dict.fromkeys(types))
        elif key == "items" and isinstance(value, list):  # old tuple form
            out[key] = [normalize_schema(v) for v in value]
        elif key in _SCHEMA_KEYS and isinstance(value, Mapping):
            out[key] = normalize_schema(value)
        elif key in _SCHEMA_LIST_KEYS and isinstance(value, list):
            out[key] = [normalize_schema(v) for v in value]
        elif key in _SCHEMA_MAP_KEYS and isinstance(value, Mapping):
            out[key] = {k: normalize_schema(v) for k, v in value.items()}
        else:
            out[key] = copy.deepcopy(value)
    return out


def split_field(field_value: str | None, subfield: str | None = None) -> tuple[str | None, str | None]:
    """Split ``"Finance/Banking"`` into ``("Finance", "Banking")`` unless a subfield is given."""
    if not field_value:
        return None, subfield or None
    if subfield is None and "/" in field_value:
        head, _, tail = field_value.partition("/")
        return head.strip() or None, tail.strip() or None
    return field_value.strip() or None, subfield or None


@dataclass
class ToolSpec:
    """One tool in the unified format.

    ``response`` is a JSON Schema, or a text description where no schema is known, or None.
    ``examples`` holds ``{"arguments": {...}, "response": ...}`` pairs. ``origin`` records
    where the spec was read ("path:line"); it is not part of the spec's identity.
    """

    name: str
    description: str = ""
    field: str | None = None
    subfield: str | None = None
    parameters: dict[str, Any] = None  # type: ignore[assignment]
    required: list[str] = None  # type: ignore[assignment]
    response: dict[str, Any] | str | None = None
    examples: list[dict[str, Any]] = None  # type: ignore[assignment]
    source: str | None = None
    origin: str | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise SpecError("a tool needs a non-empty string 'name'")
        if self.description is None:
            self.description = ""
        if not isinstance(self.description, str):
            raise SpecError(f"tool {self.name!r}: 'description' must be a string, got {type(self.description).__name__}")
        params = EMPTY_OBJECT_SCHEMA if self.parameters is None else self.parameters
        if not isinstance(params, Mapping):
            raise SpecError(
                f"tool {self.name!r}: 'parameters' must be a JSON Schema object, got {type(params).__name__}"
            )
        params = dict(params)
        inner_required = params.pop("required", None)
        required = self.required if self.required is not None else inner_required
        if required is None:
            required = []
        if isinstance(required, str):
            required = [required]
        if not isinstance(required, (list, tuple)) or not all(isinstance(r, str) for r in required):
            raise SpecError(f"tool {self.name!r}: 'required' must be a list of parameter names")
        self.parameters = params
        self.required = list(dict.fromkeys(required))
        if self.examples is None:
            self.examples = []
        if not isinstance(self.examples, list):
            raise SpecError(f"tool {self.name!r}: 'examples' must be a list")
        if self.response is not None and not isinstance(self.response, (Mapping, str)):
            raise SpecError(
                f"tool {self.name!r}: 'response' must be a JSON Schema object or a text description"
            )
        if isinstance(self.response, Mapping):
            self.response = dict(self.response)

    # ---- views -------------------------------------------------------------------------
    @property
    def input_schema(self) -> dict[str, Any]:
        """The full JSON Schema of the arguments, with ``required`` merged in."""
        schema = dict(self.parameters)
        schema.setdefault("type", "object")
        if self.required:
            schema["required"] = list(self.required)
        return schema

    @property
    def response_schema(self) -> dict[str, Any] | None:
        """The response JSON Schema, or None where only a description (or nothing) is known."""
        return self.response if isinstance(self.response, dict) else None

    @property
    def properties(self) -> dict[str, Any]:
        props = self.parameters.get("properties")
        return props if isinstance(props, dict) else {}

    # ---- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The catalog line for this spec (keys in a fixed order; empty optionals left out)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.field is not None:
            out["field"] = self.field
        if self.subfield is not None:
            out["subfield"] = self.subfield
        out["parameters"] = self.parameters
        out["required"] = self.required
        if self.response is not None:
            out["response"] = self.response
        if self.examples:
            out["examples"] = self.examples
        if self.source is not None:
            out["source"] = self.source
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, origin: str | None = None, normalize: bool = False) -> ToolSpec:
        """Build a spec from a catalog line (a "Field/Subfield" field is split).

        With ``normalize=True`` loose type spellings in the schemas are mapped to JSON Schema.
        """
        if not isinstance(data, Mapping):
            raise SpecError(f"a tool must be a JSON object, got {type(data).__name__}")
        unknown = set(data) - _DICT_KEYS
        if unknown:
            raise SpecError(
                f"tool {data.get('name')!r}: unknown keys {sorted(unknown)}; "
                f"a catalog line holds {sorted(_DICT_KEYS)}"
            )
        field_value, subfield = split_field(data.get("field"), data.get("subfield"))
        parameters = data.get("parameters")
        response = data.get("response")
        if normalize:
            parameters = normalize_schema(parameters) if parameters is not None else None
            response = normalize_schema(response) if isinstance(response, Mapping) else response
        return cls(
            name=data.get("name"),  # type: ignore[arg-type]
            description=data.get("description") or "",
            field=field_value,
            subfield=subfield,
            parameters=copy.deepcopy(parameters) if parameters is not None else None,  # type: ignore[arg-type]
            required=list(data["required"]) if isinstance(data.get("required"), list) else data.get("required"),  # type: ignore[arg-type]
            response=copy.deepcopy(response),
            examples=copy.deepcopy(data.get("examples")),  # type: ignore[arg-type]
            source=data.get("source"),
            origin=origin,
        )


_DICT_KEYS = frozenset(
    ["name", "description", "field", "subfield", "parameters", "required", "response", "examples", "source"]
)
