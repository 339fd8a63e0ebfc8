"""The teacher: every step of CARG is a call of a *virtual tool* through an Engine.

Each thing CARG asks a teacher for is phrased as a tool call, so any engine plays the teacher
the same way it plays any tool: the schema engine (offline, instant, no model: its content is
generic but valid), a local model, or an OpenAI-compatible server. The virtual tools:

    expand_subfields(field, field_description, exemplars, existing, count)
        -> {"subfields": [{"name", "description"}]}
    design_tools(field, subfield, subfield_description, exemplars, count)
        -> {"tools": [{"name", "description", "parameters": [FIELD], "response_fields": [FIELD]}]}
           FIELD = {"name", "type", "description", "required", "enum"?, "format"?}
    write_call(tool, purpose, history, attempt, avoid)
        -> {"arguments": <the tool's own input schema>}

A tool draft is ToolSpec-shaped but flat (parameters and response fields as lists), which a
constrained decoder follows easily; ``draft_to_spec`` turns it into a ToolSpec.

``Teacher`` builds the GenerationRequests, sends each batch in one ``engine.generate`` call,
parses the answers (``gtm_core.answers.parse_answer``) and checks them against the virtual
tool's response schema. The judge of the coherence level is the evaluation judge
(``judging``), which reads a language model's own verdict rather than a schema-conformed answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..answers import AnswerError, is_error_answer, parse_answer
from ..engines.base import Engine
from ..errors import GTMError
from ..fake import conforms
from ..generation import Answer, GenerationRequest, HistoryItem
from ..spec import ToolSpec
from .store import item_seed

__all__ = [
    "FIELD_TYPES",
    "Teacher",
    "TeacherAnswer",
    "TeacherError",
    "design_tools_tool",
    "draft_to_spec",
    "expand_subfields_tool",
    "write_call_tool",
]

FIELD_TYPES = ("string", "integer", "number", "boolean", "array", "object")
FIELD_FORMATS = ("date", "date-time", "email", "uri")
MAX_PARAMETERS = 6
MAX_RESPONSE_FIELDS = 8
_TOOL_NAME = r"^[a-z][a-z0-9]*(_[a-z0-9]+){1,4}$"
_FIELD_NAME = r"^[a-z][a-z0-9]*(_[a-z0-9]+){0,3}$"
_HISTORY_CHARS = 600  # of each earlier response shown to the teacher
_PROBLEM_CHARS = 200  # of a teacher's unusable answer kept as the reason


class TeacherError(GTMError):
    """The teacher engine failed (a dead server, a timeout): rerun to continue where it stopped."""


# ---- the virtual tools --------------------------------------------------------------------
_FIELD_DRAFT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": _FIELD_NAME, "maxLength": 40, "description": "snake_case name"},
        "type": {"type": "string", "enum": list(FIELD_TYPES)},
        "description": {"type": "string", "minLength": 3, "maxLength": 200},
        "required": {"type": "boolean"},
        "enum": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 8,
                 "description": "allowed values, for a string that takes one of a few"},
        "format": {"type": "string", "enum": list(FIELD_FORMATS), "description": "for a string that holds one"},
    },
    "required": ["name", "type", "description", "required"],
}  # fmt: skip

_TOOL_DRAFT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": _TOOL_NAME, "maxLength": 48,
                 "description": "snake_case, a verb then what it acts on, e.g. get_account_balance"},
        "description": {"type": "string", "minLength": 10, "maxLength": 300},
        "parameters": {"type": "array", "items": _FIELD_DRAFT, "minItems": 1, "maxItems": MAX_PARAMETERS},
        "response_fields": {"type": "array", "items": _FIELD_DRAFT, "minItems": 1, "maxItems": MAX_RESPONSE_FIELDS},
    },
    "required": ["name", "description", "parameters", "response_fields"],
}  # fmt: skip


def _object(properties: dict[str, Any], required: Sequence[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


def expand_subfields_tool(count: int) -> ToolSpec:
    """The virtual tool that proposes ``count`` new subfields of a field."""
    return ToolSpec(
        name="expand_subfields",
        description=(
            "Propose new subfields of a field of API tools: areas narrow enough that a handful of "
            "concrete APIs serve each one, different from the existing ones and from each other. "
            "The exemplars show (field, subfield) pairs of other fields, for the level of detail."
        ),
        parameters={"type": "object", "properties": {
            "field": {"type": "string"},
            "field_description": {"type": "string"},
            "exemplars": {"type": "array", "items": _object({"field": {"type": "string"}, "subfield": {"type": "string"}}, ["field", "subfield"])},
            "existing": {"type": "array", "items": {"type": "string"}, "description": "subfields the field already has"},
            "count": {"type": "integer", "minimum": 1},
        }},  # fmt: skip
        required=["field", "count"],
        response=_object({
            "subfields": {
                "type": "array",
                "items": _object({"name": {"type": "string", "minLength": 2, "maxLength": 60},
                                  "description": {"type": "string", "maxLength": 240}}, ["name", "description"]),
                "minItems": count, "maxItems": count,
            }
        }, ["subfields"]),  # fmt: skip
    )


def design_tools_tool(count: int) -> ToolSpec:
    """The virtual tool that designs ``count`` API tools for one subfield."""
    return ToolSpec(
        name="design_tools",
        description=(
            "Design realistic, distinct API tools of one subfield, each a single operation a real "
            "web API offers: a snake_case name (verb then object), a one-sentence description, its "
            "parameters (name, JSON type, description, whether required, allowed values or format "
            "where they apply) and the fields of its JSON response. The exemplars are tools of "
            "other subfields, for the style; do not repeat them."
        ),
        parameters={"type": "object", "properties": {
            "field": {"type": "string"},
            "subfield": {"type": "string"},
            "subfield_description": {"type": "string"},
            "exemplars": {"type": "array", "items": {"type": "object"}},
            "count": {"type": "integer", "minimum": 1},
        }},  # fmt: skip
        required=["field", "subfield", "count"],
        response=_object({"tools": {"type": "array", "items": _TOOL_DRAFT, "minItems": count, "maxItems": count}}, ["tools"]),
    )


def write_call_tool(spec: ToolSpec) -> ToolSpec:
    """The virtual tool that writes the arguments of a realistic call of ``spec``."""
    schema = spec.input_schema
    if "$ref" in json.dumps(schema):  # local references would not resolve one level down
        schema = {"type": "object"}
    return ToolSpec(
        name="write_call",
        description=(
            "Write the arguments of one realistic call of the given tool, as an agent using it "
            "for a real task would: every required parameter, optional ones where the task needs "
            "them, values that are plausible, valid for the schema and not contradictory (a start "
            "before its end, a minimum below its maximum). Where earlier calls of the session "
            "returned ids or values this call needs, use those. 'avoid' says what was wrong with "
            "an earlier attempt."
        ),
        parameters={"type": "object", "properties": {
            "tool": {"type": "object"},
            "purpose": {"type": "string"},
            "history": {"type": "array", "items": {"type": "object"}},
            "attempt": {"type": "integer", "minimum": 0},
            "avoid": {"type": "string"},
        }},  # fmt: skip
        required=["tool"],
        response=_object({"arguments": schema}, ["arguments"]),
    )


# ---- answers ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeacherAnswer:
    """What the teacher answered one virtual call: the parsed value, or why there is none.

    ``engine`` names who answered; ``fallback`` says why the schema engine answered in place
    of the chosen engine (None when it did not).
    """

    value: Any
    engine: str
    fallback: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def tool_summary(spec: ToolSpec) -> dict[str, Any]:
    """The compact view of a tool that the teacher reads."""
    out: dict[str, Any] = {"name": spec.name, "description": spec.description, "parameters": spec.input_schema}
    if spec.response is not None:
        out["response"] = spec.response
    return out


def history_view(history: Sequence[HistoryItem]) -> list[dict[str, Any]]:
    """Earlier calls as the teacher reads them (long responses cut)."""
    out = []
    for item in history:
        text = json.dumps(item.response, ensure_ascii=False, default=str)
        response: Any = item.response if len(text) <= _HISTORY_CHARS else text[:_HISTORY_CHARS] + "...(truncated)"
        out.append({"tool": item.tool, "arguments": dict(item.arguments), "response": response, "is_error": item.is_error})
    return out


VIRTUAL_MAX_TOKENS = 2048
"""Longest answer a language-model teacher may give to a virtual tool (tool designs are long)."""


async def ask(engine: Engine, calls: Sequence[tuple[ToolSpec, Mapping[str, Any], int]]) -> list[TeacherAnswer]:
    """Answers of ``engine`` to virtual calls ``(spec, arguments, seed)``, in one ``generate`` batch."""
    if not calls:
        return []
    # a virtual tool must answer in its schema (no error branch) and may need a long answer
    options = {"allow_error": False, "max_tokens": VIRTUAL_MAX_TOKENS}
    requests = [GenerationRequest(spec=spec, arguments=dict(arguments), seed=seed, options=options) for spec, arguments, seed in calls]
    try:
        texts = await engine.generate(requests)
    except Exception as exc:  # the engine itself failed: stop, a rerun continues
        raise TeacherError(f"the {engine.name} engine failed: {exc}; rerun the same command to continue where it stopped") from exc
    if len(texts) != len(requests):
        raise TeacherError(f"the {engine.name} engine returned {len(texts)} answers for {len(requests)} requests")
    return [_read(engine, request.spec, text) for request, text in zip(requests, texts)]


def _short(text: str, limit: int = _PROBLEM_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read(engine: Engine, spec: ToolSpec, text: str | Answer) -> TeacherAnswer:
    who, fallback = engine.name, None
    if isinstance(text, Answer):
        if text.failure is not None:
            return TeacherAnswer(None, text.engine, None, _short(text.failure))
        who, fallback, text = text.engine, text.fallback, text.text
        if fallback is not None:  # the schema engine stood in for the teacher: nothing to learn from
            return TeacherAnswer(None, who, fallback, _short(f"the teacher gave no usable answer: {fallback}"))
    try:
        value = parse_answer(text)
    except AnswerError as exc:
        return TeacherAnswer(None, who, fallback, _short(str(exc)))
    if is_error_answer(value, spec):
        return TeacherAnswer(None, who, fallback, _short(f"answered with an error: {value['error'].get('message')}"))
    schema = spec.response_schema
    if schema is not None and not conforms(value, schema):
        return TeacherAnswer(value, who, fallback, f"the answer does not follow the {spec.name} response schema")
    return TeacherAnswer(value, who, fallback)


# ---- tool drafts --------------------------------------------------------------------------
def _field_schema(field: Mapping[str, Any]) -> dict[str, Any]:
    kind = field.get("type") if field.get("type") in FIELD_TYPES else "string"
    schema: dict[str, Any] = {"type": kind}
    description = field.get("description")
    if isinstance(description, str) and description.strip():
        schema["description"] = description.strip()
    if kind == "string":
        values = [v for v in field.get("enum") or [] if isinstance(v, str) and v.strip()]
        if values:
            schema["enum"] = list(dict.fromkeys(values))
        elif field.get("format") in FIELD_FORMATS:
            schema["format"] = field["format"]
    elif kind == "array":
        schema["items"] = {"type": "string"}
    return schema


def _fields(fields: Any, limit: int) -> tuple[dict[str, Any], list[str]]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in fields if isinstance(fields, list) else []:
        if not isinstance(field, Mapping):
            continue
        name = field.get("name")
        if not isinstance(name, str) or not re.match(_FIELD_NAME, name) or name in properties:
            continue
        properties[name] = _field_schema(field)
        if field.get("required") is True:
            required.append(name)
        if len(properties) >= limit:
            break
    return properties, required


def draft_to_spec(draft: Mapping[str, Any], *, field: str | None, subfield: str | None, source: str) -> ToolSpec:
    """The ToolSpec a teacher's tool draft describes (repeated field names keep the first).

    Raises SpecError when the draft has no usable name.
    """
    properties, required = _fields(draft.get("parameters"), MAX_PARAMETERS)
    response_properties, response_required = _fields(draft.get("response_fields"), MAX_RESPONSE_FIELDS)
    response = {"type": "object", "properties": response_properties}
    if response_required:
        response["required"] = response_required
    name = draft.get("name")
    return ToolSpec(
        name=name.strip() if isinstance(name, str) else name,  # type: ignore[arg-type]
        description=str(draft.get("description") or "").strip(),
        field=field,
        subfield=subfield,
        parameters={"type": "object", "properties": properties},
        required=required,
        response=response,
        source=source,
    )


# ---- the teacher --------------------------------------------------------------------------
class Teacher:
    """Asks an engine for taxonomy, tools and calls through the virtual tools.

    ``samples_arguments`` is True for the schema engine: its calls come from
    ``gtm_core.sampler`` (the same values ``write_call`` would give, cheaper), and a language
    model writes them through ``write_call``.
    """

    def __init__(self, engine: Engine, *, seed: int = 0) -> None:
        self.engine = engine
        self.seed = seed

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def description(self) -> str:
        return self.engine.description

    @property
    def samples_arguments(self) -> bool:
        return self.engine.name == "schema"

    async def expand_subfields(self, jobs: Sequence[Mapping[str, Any]], count: int) -> list[TeacherAnswer]:
        """For each job ``{field, field_description, exemplars, existing}``: new subfields."""
        spec = expand_subfields_tool(count)
        calls = [(spec, {**job, "count": count}, item_seed(self.seed, "expand", job["field"])) for job in jobs]
        return await ask(self.engine, calls)

    async def design_tools(self, jobs: Sequence[Mapping[str, Any]], count: int) -> list[TeacherAnswer]:
        """For each job ``{field, subfield, subfield_description, exemplars}``: tool drafts."""
        spec = design_tools_tool(count)
        calls = [(spec, {**job, "count": count}, item_seed(self.seed, "design", job["field"], job["subfield"])) for job in jobs]
        return await ask(self.engine, calls)

    async def write_calls(self, jobs: Sequence[tuple[ToolSpec, Mapping[str, Any], int]]) -> list[TeacherAnswer]:
        """For each ``(tool, {purpose, history, attempt, avoid}, seed)``: ``{"arguments": {...}}``."""
        calls = [(write_call_tool(spec), {"tool": tool_summary(spec), **extra}, seed) for spec, extra, seed in jobs]
        return await ask(self.engine, calls)
