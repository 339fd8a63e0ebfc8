"""The schema walker: ``fake_value`` makes a realistic value valid against a JSON Schema.

It follows types, enums, const, examples, ranges, lengths, patterns, formats, arrays
(prefixItems, contains, uniqueItems), nested objects (required, dependentRequired, size
bounds), combinators (allOf, anyOf, oneOf, if/then/else, not) and local ``$ref``. The
property's name (and, failing that, its description) picks the kind of value; the schema has
the last word. Nothing here raises for a schema it cannot satisfy: it returns its best attempt.
"""

from __future__ import annotations

import copy
import json
import random
import string
from collections.abc import Mapping, Sequence
from typing import Any

from .conform import JSON_TYPES, cheap_conforms, conforms, is_num, type_ok
from .makers import FORMAT_MAKERS, text_for, token
from .merge import flatten_schema, merge_schemas
from .numbers import pick_number
from .patterns import compile_pattern, from_pattern, pattern_ok
from .vocabulary import NUMBER_RANGES, TRUE_LEANING, kind_of, name_words, singular_of, type_for_kind

__all__ = ["HARD_DEPTH", "MAX_ITEMS", "SOFT_DEPTH", "fake_value"]

SOFT_DEPTH = 6  # beyond this nesting only required properties and minimum items are made
HARD_DEPTH = 24  # beyond this nothing more is made
MAX_ITEMS = 1000  # no array is made longer, whatever its minItems
_DEFAULT_INTEGER = (1.0, 100.0, 0)
_DEFAULT_NUMBER = (0.0, 100.0, 2)


def fake_value(
    schema: Any,
    name: str,
    rng: random.Random,
    *,
    description: str = "",
    optional: float = 0.5,
    root: Any = None,
    known: Sequence[Mapping[str, Any]] = (),
) -> Any:
    """A realistic value valid against ``schema``, for a property called ``name``.

    ``optional`` is the chance that an optional object property is included; ``root`` is
    the document that local ``$ref`` pointers resolve in (``schema`` itself by default).
    ``known`` lists mappings of property name -> value tried first (in order) for the
    properties of the top object and of the objects directly below it, kept when valid.
    """
    faker = _Faker(schema if root is None else root, rng, optional, known)
    return faker.value(schema, name, description, 0, 0)


class _Faker:
    """One generation: the root schema (for ``$ref``), the random source and the options."""

    __slots__ = ("root", "rng", "optional", "known")

    def __init__(self, root: Any, rng: random.Random, optional: float, known: Sequence[Mapping[str, Any]]) -> None:
        self.root = root
        self.rng = rng
        self.optional = optional
        self.known = known

    # -- dispatch --
    def value(self, schema: Any, name: str, description: str, depth: int, level: int) -> Any:
        """A value for ``schema``; ``level`` counts objects below the top (for echoing known values)."""
        if schema is True or schema is None:
            schema = {}
        if not isinstance(schema, dict) or depth > HARD_DEPTH:
            return None
        schema = self._flatten(schema, depth)
        if not description and isinstance(schema.get("description"), str):
            description = schema["description"]
        if "anyOf" in schema or "oneOf" in schema:
            return self._alternatives(schema, name, description, depth, level)
        if "if" in schema or "not" in schema:
            return self._conditional(schema, name, description, depth, level)
        return self._plain(schema, name, description, depth, level)

    def _flatten(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        """Resolve ``$ref`` and merge ``allOf`` into one schema."""
        return flatten_schema(schema, self.root)

    def _alternatives(self, schema: dict[str, Any], name: str, description: str, depth: int, level: int) -> Any:
        key = "oneOf" if "oneOf" in schema else "anyOf"
        branches = [b for b in schema[key] if isinstance(b, dict) or b is True] if isinstance(schema[key], list) else []
        base = {k: v for k, v in schema.items() if k != key}
        if not branches:
            return self.value(base, name, description, depth + 1, level)
        order = list(range(len(branches)))
        self.rng.shuffle(order)
        order.sort(key=lambda i: _is_null_schema(branches[i]))  # prefer a real value over null
        value: Any = None
        for attempt, index in enumerate(order[:4]):
            branch = branches[index] if isinstance(branches[index], dict) else {}
            value = self.value(merge_schemas(base, branch), name, description, depth + 1, level)
            if key == "anyOf" or len(branches) == 1 or attempt == 3:
                return value
            matching = sum(conforms(value, b, self.root) for b in branches)
            if matching == 1 and conforms(value, base, self.root):
                return value
        return value

    def _conditional(self, schema: dict[str, Any], name: str, description: str, depth: int, level: int) -> Any:
        base = {k: v for k, v in schema.items() if k not in ("if", "then", "else", "not")}
        forbidden = schema.get("not")
        condition = schema.get("if")
        value: Any = None
        for attempt in range(12):
            chosen = base
            if condition is not None:
                branch = schema.get("then") if attempt % 2 == 0 else schema.get("else")
                chosen = merge_schemas(base, branch) if isinstance(branch, dict) else base
            value = self.value(chosen, name, description, depth + 1, level)
            if condition is not None and conforms(value, condition, self.root) != (attempt % 2 == 0):
                continue
            if forbidden is not None and conforms(value, forbidden, self.root):
                continue
            return value
        return value

    def _plain(self, schema: dict[str, Any], name: str, description: str, depth: int, level: int) -> Any:
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return self._from_enum(schema, enum)
        example = self._example(schema)
        if example is not _MISSING:
            return example
        kind = kind_of(name, description)
        kind_type = self._choose_type(schema, kind)
        if kind_type == "object":
            return self._object(schema, name, depth, level)
        if kind_type == "array":
            return self._array(schema, name, depth, level)
        if kind_type == "string":
            return self._string(schema, name, description, kind)
        if kind_type in ("integer", "number"):
            return self._number(schema, kind, kind_type == "integer")
        if kind_type == "boolean":
            return self._boolean(name)
        return None

    def _from_enum(self, schema: dict[str, Any], enum: list[Any]) -> Any:
        types = schema.get("type")
        fitting = [v for v in enum if type_ok(v, types)] or enum
        return copy.deepcopy(self.rng.choice(fitting))

    def _example(self, schema: dict[str, Any]) -> Any:
        """An example or default the schema gives, half of the time, when it is valid."""
        candidates: list[Any] = []
        if isinstance(schema.get("examples"), list):
            candidates.extend(schema["examples"][:3])
        for key in ("example", "default"):
            if key in schema:
                candidates.append(schema[key])
        if not candidates or self.rng.random() < 0.5:
            return _MISSING
        value = self.rng.choice(candidates)
        if value is None or value == "" or isinstance(value, (dict, list)):
            return _MISSING
        return copy.deepcopy(value) if cheap_conforms(value, schema) else _MISSING

    def _choose_type(self, schema: dict[str, Any], kind: str | None) -> str:
        types = schema.get("type")
        if isinstance(types, str):
            return types
        if isinstance(types, list):
            real = [t for t in types if isinstance(t, str) and t in JSON_TYPES and t != "null"]
            if not real:
                return "null" if "null" in types else _inferred_type(schema, kind)
            if kind is not None:
                preferred = type_for_kind(kind)
                if preferred in real:
                    return preferred
            return real[0]
        return _inferred_type(schema, kind)

    # -- scalars --
    def _string(self, schema: dict[str, Any], name: str, description: str, kind: str | None) -> str:
        rng, words = self.rng, name_words(name)
        fmt = schema.get("format")
        min_length = schema.get("minLength", 0) if is_num(schema.get("minLength")) else 0
        max_length = schema.get("maxLength") if is_num(schema.get("maxLength")) else None
        maker = FORMAT_MAKERS.get(fmt) if isinstance(fmt, str) else None
        if maker is not None:
            text = maker(rng, words)
        elif kind == "id" and isinstance(schema.get("pattern"), str):
            text = token(rng, 8)
        else:
            text = text_for(kind, words, rng)
        pattern = schema.get("pattern")
        low, high = int(min_length), None if max_length is None else int(max_length)
        if isinstance(pattern, str):
            if pattern_ok(pattern, text) and low <= len(text) and (high is None or len(text) <= high):
                return text
            generated = from_pattern(pattern, rng, low, high)
            return generated if generated is not None else text
        return text if maker is not None else _fit_length(text, low, high, rng)

    def _number(self, schema: dict[str, Any], kind: str | None, integer: bool) -> int | float:
        low, high, decimals = NUMBER_RANGES.get(kind or "", _DEFAULT_INTEGER if integer else _DEFAULT_NUMBER)
        return pick_number(schema, self.rng, low, high, decimals, integer)

    def _boolean(self, name: str) -> bool:
        words = name_words(name)
        if words and words[-1] in TRUE_LEANING:
            return self.rng.random() < 0.9
        return self.rng.random() < 0.5

    # -- containers --
    def _array(self, schema: dict[str, Any], name: str, depth: int, level: int) -> list[Any]:
        rng = self.rng
        prefix = schema.get("prefixItems")
        items = schema.get("items", True)
        if isinstance(items, list):  # the older tuple form
            prefix, items = items, schema.get("additionalItems", True)
        prefix = prefix if isinstance(prefix, list) else []
        min_items = int(schema["minItems"]) if is_num(schema.get("minItems")) else 0
        max_items = int(schema["maxItems"]) if is_num(schema.get("maxItems")) else None
        if items is False:
            max_items = len(prefix) if max_items is None else min(max_items, len(prefix))
        count = max(min_items, min_items if depth >= SOFT_DEPTH else rng.randint(1, 3))
        if max_items is not None:
            count = min(count, max_items)
        count = min(count, MAX_ITEMS)
        item_name = singular_of(name) if name else "item"
        unique = schema.get("uniqueItems") is True
        item_level = level if level == 0 else level + 1
        out: list[Any] = []
        seen: set[str] = set()
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else items
            for _ in range(8 if unique else 1):
                value = self.value(sub, item_name, "", depth + 1, item_level if not unique else 99)
                key = json.dumps(value, sort_keys=True) if unique else ""
                if not unique or key not in seen:
                    break
            else:
                if len(out) >= min_items:
                    break
            seen.add(key)
            out.append(value)
        self._ensure_contains(schema, out, items, item_name, depth)
        return out

    def _ensure_contains(self, schema: dict[str, Any], out: list[Any], items: Any, name: str, depth: int) -> None:
        contains = schema.get("contains")
        if contains is None or any(conforms(v, contains, self.root) for v in out):
            return
        base = items if isinstance(items, dict) else {}
        value = self.value(merge_schemas(base, contains) if isinstance(contains, dict) else base, name, "", depth + 1, 99)
        if out:
            out[0] = value
        else:
            out.append(value)

    def _object(self, schema: dict[str, Any], name: str, depth: int, level: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = [r for r in schema.get("required", ()) if isinstance(r, str)] if isinstance(schema.get("required"), list) else []
        known = self.known if level <= 1 else ()
        optional = self.optional if depth < SOFT_DEPTH else 0.0
        out: dict[str, Any] = {}
        for key, sub in properties.items():
            if key in required:
                out[key] = self._property(sub, key, depth, level, known, name)
            elif any(key in k for k in known):
                value = self._known_value(key, sub, known, level)
                if value is not _MISSING:
                    out[key] = value
                elif self.rng.random() < optional:
                    out[key] = self.value(sub, _qualified(name, key), "", depth + 1, level + 1)
            elif self.rng.random() < optional:
                out[key] = self.value(sub, _qualified(name, key), "", depth + 1, level + 1)
        for key in required:
            if key not in out:
                out[key] = self._property(self._extra_schema(schema, key), key, depth, level, known)
        self._dependents(schema, out, depth, level)
        self._size_bounds(schema, out, required, depth, level)
        return out

    def _property(self, sub: Any, key: str, depth: int, level: int, known: Sequence[Mapping[str, Any]], owner: str = "") -> Any:
        if known:
            value = self._known_value(key, sub, known, level)
            if value is not _MISSING:
                return value
        return self.value(sub, _qualified(owner, key), "", depth + 1, level + 1)

    def _known_value(self, key: str, sub: Any, known: Sequence[Mapping[str, Any]], level: int) -> Any:
        """The first known value for ``key`` that is valid against its schema, else _MISSING."""
        for source in known:
            if key in source and conforms(source[key], sub, self.root):
                return copy.deepcopy(source[key])
        return _MISSING

    def _extra_schema(self, schema: dict[str, Any], key: str) -> Any:
        """The schema that applies to a property not listed in ``properties``."""
        patterns = schema.get("patternProperties")
        if isinstance(patterns, dict):
            for pattern, sub in patterns.items():
                compiled = compile_pattern(pattern)
                if compiled is not None and compiled.search(key):
                    return sub
        extra = schema.get("additionalProperties", True)
        return extra if isinstance(extra, dict) else {}

    def _dependents(self, schema: dict[str, Any], out: dict[str, Any], depth: int, level: int) -> None:
        dependent = schema.get("dependentRequired")
        if not isinstance(dependent, dict):
            return
        for key, names in dependent.items():
            if key in out and isinstance(names, list):
                for other in names:
                    if isinstance(other, str) and other not in out:
                        sub = (schema.get("properties") or {}).get(other, self._extra_schema(schema, other))
                        out[other] = self.value(sub, other, "", depth + 1, level + 1)

    def _size_bounds(self, schema: dict[str, Any], out: dict[str, Any], required: list[str], depth: int, level: int) -> None:
        minimum = schema.get("minProperties")
        if is_num(minimum) and len(out) < minimum:
            properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
            for key, sub in properties.items():
                if len(out) >= minimum:
                    break
                if key not in out:
                    out[key] = self.value(sub, key, "", depth + 1, level + 1)
            extra = schema.get("additionalProperties", True)
            index = 1
            while len(out) < minimum and extra is not False and index < 1000:
                key = f"field_{index}"
                if key not in out:
                    out[key] = self.value(self._extra_schema(schema, key), key, "", depth + 1, level + 1)
                index += 1
        maximum = schema.get("maxProperties")
        if is_num(maximum):
            for key in [k for k in out if k not in required][::-1]:
                if len(out) <= maximum:
                    break
                del out[key]


def _qualified(owner: str, key: str) -> str:
    """A bare ``name`` inside an object called ``country`` is a ``country_name``."""
    if key in ("name", "Name") and owner and owner not in ("arguments", "data", "result", "item", "items"):
        return f"{singular_of(owner)}_name"
    return key


class _Missing:
    """Marks 'no value' where None is a real value."""


_MISSING: Any = _Missing()


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "null" or schema.get("const", 0) is None)


def _inferred_type(schema: Mapping[str, Any], kind: str | None) -> str:
    """The type to make for a schema that names none, from its keywords or the property's kind."""
    if any(k in schema for k in ("properties", "additionalProperties", "patternProperties", "minProperties", "required")):
        return "object"
    if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems")):
        return "array"
    if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
        return "string"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    return type_for_kind(kind) if kind else "string"


def _fit_length(text: str, min_length: int, max_length: int | None, rng: random.Random) -> str:
    """Cut or pad a string into its length bounds."""
    if max_length is not None and len(text) > max_length:
        cut = text[:max_length]
        space = cut.rfind(" ")
        text = cut[:space] if space >= max(min_length, 1) else cut
        text = text.rstrip(" .,") if len(text.rstrip(" .,")) >= min_length else text
    if len(text) < min_length:
        text += "".join(rng.choice(string.ascii_lowercase) for _ in range(min_length - len(text)))
    return text
