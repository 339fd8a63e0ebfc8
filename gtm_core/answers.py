"""What a language model answered, made usable: parse, repair, conform, and tell errors apart.

- ``parse_answer(text)`` finds the JSON in a model's text: code fences and prose around it
  are dropped, and common slips (trailing commas, Python literals, single quotes, an answer
  cut off by the token limit) are repaired. It raises ``AnswerError`` when nothing usable is
  there.
- ``answer_schema(spec)`` is the JSON schema a constrained decoder should follow: the tool's
  response schema *or* an error object, so that a model can still say "not found".
- ``conform_answer(value, spec, arguments, seed)`` keeps what is valid in the model's answer,
  fixes what a grammar cannot enforce (numeric ranges, lengths, formats, missing required
  fields) and puts back argument values that the response echoes.
- ``is_error_answer(value, spec)`` says whether an answer is the tool's own error.
- ``error_reachable(request)`` says whether a model may answer a call with an error at all:
  only where the call names something the model may know does not exist. Offered "the
  response OR an error" for every call, small models take the error as the easy way out
  (``get_weather {"city": "Oslo"}`` -> "city not found"); the deterministic layer already
  answers every call that its checks or the episode's world say is wrong.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from typing import Any

from .errors import GTMError
from .fake import conforms, fake_value
from .fake.merge import flatten_schema, merge_schemas
from .generation import GenerationRequest
from .spec import ToolSpec

__all__ = ["ERROR_SCHEMA", "AnswerError", "answer_schema", "conform_answer", "error_reachable", "is_error_answer", "parse_answer"]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
"""The shape of a tool's own error, as the prompt asks for it."""

ANY_OBJECT: dict[str, Any] = {"type": "object"}

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)(?:```|$)", re.S)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_PY_LITERALS = {"True": "true", "False": "false", "None": "null"}


class AnswerError(GTMError, ValueError):
    """A model's answer with no usable JSON in it."""


# ---- parsing ------------------------------------------------------------------------------
def parse_answer(text: str) -> Any:
    """The JSON value in a model's answer, repaired where a slip is common; AnswerError if none."""
    if not isinstance(text, str) or not text.strip():
        raise AnswerError("the answer is empty")
    candidates = [text.strip()]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.insert(0, fenced.group(1).strip())
    for candidate in candidates:
        start = _first_bracket(candidate)
        if start < 0:
            continue
        body = candidate[start:]
        for attempt in (body, _balanced_prefix(body)):
            if attempt is None:
                continue
            for fixed in _repairs(attempt):
                try:
                    return json.loads(fixed)
                except ValueError:
                    continue
    raise AnswerError(f"no JSON found in the answer: {text.strip()[:120]!r}")


def _first_bracket(text: str) -> int:
    positions = [p for p in (text.find("{"), text.find("[")) if p >= 0]
    return min(positions) if positions else -1


def _balanced_prefix(text: str) -> str | None:
    """The text up to where its first JSON value closes, or closed by force when cut off."""
    stack: list[str] = []
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]":
            if not stack or stack.pop() != char:
                return None
            if not stack:
                return text[: index + 1]
    if not stack:
        return None
    # cut off: close the open string and brackets, dropping a dangling key or comma
    tail = text + ('"' if in_string else "")
    tail = re.sub(r',\s*"[^"]*"\s*:?\s*$', "", tail) if not in_string else tail
    tail = re.sub(r"[,:]\s*$", "", tail)
    return tail + "".join(reversed(stack))


def _repairs(text: str) -> list[str]:
    fixed = _TRAILING_COMMA.sub(r"\1", text)
    literal = re.sub(r"\b(True|False|None)\b", lambda m: _PY_LITERALS[m.group(1)], fixed)
    out = [text, fixed, literal]
    if "'" in literal and '"' not in literal:
        out.append(literal.replace("'", '"'))
    return out


# ---- schemas ------------------------------------------------------------------------------
def _usable_schema(spec: ToolSpec) -> dict[str, Any] | None:
    schema = spec.response_schema
    return schema if isinstance(schema, dict) and schema else None


def answer_schema(spec: ToolSpec, *, allow_error: bool = True) -> dict[str, Any]:
    """What a constrained decoder should allow: the response schema or (unless told not to) an error object."""
    schema = _usable_schema(spec)
    if schema is None:
        return {"anyOf": [ERROR_SCHEMA, ANY_OBJECT]} if allow_error else ANY_OBJECT
    if not allow_error or "$ref" in json.dumps(schema):  # local refs must keep resolving from the root
        return schema
    return {"anyOf": [schema, ERROR_SCHEMA]}


def error_reachable(request: GenerationRequest) -> bool:
    """Whether the model may answer this call with the tool's error object.

    Not when ``request.options["allow_error"]`` is False; not when the episode's world holds
    the entity the call names (it exists: a model must not contradict the world); not when
    every argument is a number, a flag or a value the parameter schema enumerates (the
    parameter checks have already accepted them). Otherwise, when some argument is free text
    (an id, a name, a code, a date), yes: it may name something that does not exist.
    """
    options = request.options or {}
    if not bool(options.get("allow_error", True)) or request.entity is not None:
        return False
    properties = request.spec.properties
    return any(_free_text(value, properties.get(name)) for name, value in request.arguments.items())


def _free_text(value: Any, schema: Any) -> bool:
    """Whether an argument holds text that the parameter schema does not enumerate."""
    schema = schema if isinstance(schema, Mapping) else {}
    if isinstance(value, str):
        return bool(value.strip()) and not isinstance(schema.get("enum"), list) and "const" not in schema
    if isinstance(value, Mapping):
        inner = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        return any(_free_text(v, inner.get(k)) for k, v in value.items())
    if isinstance(value, list):
        items = schema.get("items")
        return any(_free_text(v, items) for v in value[:50])
    return False


def is_error_answer(value: Any, spec: ToolSpec) -> bool:
    """Whether an answer is an error object (and not a normal response that has an ``error`` field)."""
    if not isinstance(value, dict) or not isinstance(value.get("error"), dict):
        return False
    if not isinstance(value["error"].get("message"), str):
        return False
    schema = _usable_schema(spec)
    if schema is None:
        return len(value) <= 2
    properties = schema.get("properties")
    declared = isinstance(properties, dict) and "error" in properties
    return not declared and not conforms(value, schema)


# ---- conforming ---------------------------------------------------------------------------
def conform_answer(value: Any, spec: ToolSpec, arguments: Mapping[str, Any], seed: int = 0) -> tuple[Any, int]:
    """The answer made valid against the response schema, and how many places were changed.

    Valid parts are kept as the model wrote them; invalid ones are clamped (numbers), cut
    (strings, arrays), filled (missing required fields) or replaced by a fitting fake value.
    Fields named like an argument take the argument's value where it fits, except numbers
    (see ``_Conformer.echo``).
    """
    schema = _usable_schema(spec)
    if schema is None:
        return value, 0
    fixer = _Conformer(schema, random.Random(seed))
    if isinstance(value, dict):
        value = fixer.echo(value, schema, arguments)
    out = fixer.fix(value, schema, spec.name, 0)
    if not conforms(out, schema):
        out = fake_value(schema, spec.name, random.Random(seed), known=(arguments,))
        fixer.changes += 1
    return out, fixer.changes


class _Conformer:
    """One conforming pass: the root schema (for ``$ref``), a random source and a change count."""

    def __init__(self, root: dict[str, Any], rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.changes = 0

    def resolve(self, schema: Any) -> Any:
        return flatten_schema(schema, self.root) if isinstance(schema, dict) else schema

    def echo(self, value: dict[str, Any], schema: dict[str, Any], arguments: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
        """Fields named like an argument take its value, in nested objects too (not in arrays).

        A number is kept as the model wrote it: a field named like a numeric argument is
        often computed from it (``value`` after a conversion, ``amount`` after a rate), and a
        model's arithmetic must not be overwritten by its input. Ids, names, codes and flags
        are echoed: the caller said what they are.
        """
        properties = self.resolve(schema).get("properties")
        if not isinstance(properties, dict) or depth > 4:
            return value
        out = dict(value)
        for name, item in value.items():
            sub = self.resolve(properties.get(name)) if isinstance(properties.get(name), dict) else None
            if name in arguments:
                argument = arguments[name]
                if item != argument and sub is not None and not (_is_number(item) and _is_number(argument)) and conforms(argument, sub, self.root):
                    out[name] = argument
                    self.changes += 1
            elif isinstance(item, dict) and sub is not None:
                out[name] = self.echo(item, sub, arguments, depth + 1)
        return out

    def fake(self, schema: Any, name: str) -> Any:
        self.changes += 1
        return fake_value(schema, name, self.rng, root=self.root)

    def fix(self, value: Any, schema: Any, name: str, depth: int) -> Any:
        if schema is True or schema is None or schema == {}:
            return value
        if not isinstance(schema, dict) or depth > 32:
            return value
        if conforms(value, schema, self.root):
            return value
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                base = {k: v for k, v in schema.items() if k != key}
                for branch in branches:
                    if isinstance(branch, dict) and _same_kind(value, self.resolve(branch)):
                        fixed = self.fix(value, merge_schemas(base, branch), name, depth + 1)
                        if conforms(fixed, schema, self.root):
                            return fixed
                return self.fake(schema, name)
        if isinstance(value, dict) and _allows(schema, "object"):
            fixed = self.fix_object(value, schema, depth)
        elif isinstance(value, list) and _allows(schema, "array"):
            fixed = self.fix_array(value, schema, name, depth)
        elif _is_number(value) and (_allows(schema, "number") or _allows(schema, "integer")):
            fixed = self.fix_number(value, schema)
        elif isinstance(value, str) and _allows(schema, "string"):
            fixed = self.fix_string(value, schema)
        else:
            return self.fake(schema, name)
        return fixed if conforms(fixed, schema, self.root) else self.fake(schema, name)

    def fix_object(self, value: dict[str, Any], schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        extra = schema.get("additionalProperties", True)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in properties:
                out[key] = self.fix(item, properties[key], key, depth + 1)
            elif extra is False:
                self.changes += 1
            elif isinstance(extra, dict):
                out[key] = self.fix(item, extra, key, depth + 1)
            else:
                out[key] = item
        for key in schema.get("required", []) if isinstance(schema.get("required"), list) else []:
            if key not in out:
                out[key] = self.fake(properties.get(key, {}), key)
        return out

    def fix_array(self, value: list[Any], schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        items = schema.get("items", {})
        out = [self.fix(item, items, name, depth + 1) for item in value] if isinstance(items, dict) else list(value)
        maximum, minimum = schema.get("maxItems"), schema.get("minItems")
        if isinstance(maximum, int) and len(out) > maximum:
            out, self.changes = out[:maximum], self.changes + 1
        while isinstance(minimum, int) and len(out) < minimum and len(out) < 1000:
            out.append(self.fake(items if isinstance(items, dict) else {}, name))
        return out

    def fix_number(self, value: float, schema: dict[str, Any]) -> Any:
        if isinstance(schema.get("enum"), list):
            return value
        number: float = value
        for key, bound, above in (("minimum", False, True), ("maximum", False, False),
                                  ("exclusiveMinimum", True, True), ("exclusiveMaximum", True, False)):  # fmt: skip
            limit = schema.get(key)
            if not _is_number(limit):
                continue
            nudge = (1 if _allows(schema, "integer") and not _allows(schema, "number") else 1e-6) if bound else 0
            if above and number < limit + nudge:
                number = limit + nudge
            elif not above and number > limit - nudge:
                number = limit - nudge
        if _allows(schema, "integer") and not _allows(schema, "number") and not float(number).is_integer():
            number = round(number)  # a bound that rounding breaks is caught by the caller's check
        if number != value:
            self.changes += 1
        return int(number) if isinstance(value, int) and float(number).is_integer() else number

    def fix_string(self, value: str, schema: dict[str, Any]) -> str:
        maximum = schema.get("maxLength")
        if isinstance(maximum, int) and len(value) > maximum:
            self.changes += 1
            return value[:maximum]
        return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _allows(schema: Mapping[str, Any], kind: str) -> bool:
    types = schema.get("type")
    if types is None:
        return True
    return kind in types if isinstance(types, list) else types == kind


def _same_kind(value: Any, schema: Any) -> bool:
    if not isinstance(schema, dict):
        return True
    kind = ("object" if isinstance(value, dict) else "array" if isinstance(value, list) else "boolean" if isinstance(value, bool)
            else "number" if _is_number(value) else "string" if isinstance(value, str) else "null")  # fmt: skip
    return _allows(schema, kind) or (kind == "number" and _allows(schema, "integer"))
