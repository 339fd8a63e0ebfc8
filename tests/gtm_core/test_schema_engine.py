"""The schema engine: schema-valid, realistic, deterministic answers that carry the call's arguments."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from gtm_core.catalog import Catalog
from gtm_core.checks import FORMAT_CHECKER
from gtm_core.engines import get_engine
from gtm_core.engines.schema import SchemaEngine
from gtm_core.generation import GenerationRequest
from gtm_core.sampler import sample_arguments
from gtm_core.spec import ToolSpec

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}, "units": {"enum": ["celsius", "fahrenheit"]}, "days": {"type": "integer"}}},
    required=["city"],
    response={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "temperature": {"type": "number", "minimum": -60, "maximum": 60},
            "conditions": {"type": "string", "enum": ["sunny", "cloudy", "rain", "snow"]},
            "observed_at": {"type": "string", "format": "date-time"},
            "station": {"type": "object", "properties": {"city": {"type": "string"}, "id": {"type": "string"}}, "required": ["city", "id"]},
        },
        "required": ["city", "temperature", "conditions", "observed_at", "station"],
    },
)  # fmt: skip
LIST_ORDERS = ToolSpec(
    "list_orders",
    "Orders of a customer.",
    parameters={"type": "object", "properties": {"customer_id": {"type": "string"}, "status": {"type": "string"}}},
    response={
        "type": "array",
        "items": {"type": "object", "properties": {"order_id": {"type": "string"}, "customer_id": {"type": "string"}, "status": {"type": "string"}, "total": {"type": "number"}},
                  "required": ["order_id", "customer_id", "status", "total"]},
        "minItems": 2,
    },
)  # fmt: skip


def _request(spec, arguments, seed=1, entity=None):
    return GenerationRequest(spec=spec, arguments=arguments, seed=seed, entity=entity)


def _answer(engine, spec, arguments, seed=1, entity=None):
    return json.loads(engine.generate_sync([_request(spec, arguments, seed, entity)])[0])


def _valid(value, schema):
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER).is_valid(value)


@pytest.fixture
def engine():
    return SchemaEngine()


def test_the_engine_is_registered_with_its_capabilities():
    """get_engine("schema") builds it; it is constrained, batched, deterministic and history-free."""
    engine = get_engine("schema")
    assert isinstance(engine, SchemaEngine) and engine.cache_id == "schema"
    assert engine.constrained_json and engine.supports_batching and engine.deterministic and not engine.uses_history


def test_unknown_or_bad_options_are_refused():
    """Unknown options raise TypeError; an optional share outside [0, 1] raises ValueError."""
    with pytest.raises(TypeError):
        get_engine("schema", temperature=0.3)
    with pytest.raises(ValueError, match="optional"):
        SchemaEngine(optional=2)
    assert SchemaEngine(optional=0.5).cache_id != "schema"


def test_a_response_follows_the_response_schema(engine):
    """Every answer validates against the response schema, formats included."""
    for seed in range(30):
        assert _valid(_answer(engine, WEATHER, {"city": "Oslo"}, seed), WEATHER.response)


def test_the_same_request_gives_the_same_bytes_and_other_seeds_differ(engine):
    """Same seed, arguments and spec: same text, even from another engine; other seeds vary."""
    request = _request(WEATHER, {"city": "Oslo"}, seed=42)
    first = engine.generate_sync([request])[0]
    assert first == SchemaEngine().generate_sync([request])[0] == engine.generate_sync([request])[0]
    others = {engine.generate_sync([_request(WEATHER, {"city": "Oslo"}, seed=s)])[0] for s in range(10)}
    assert len(others) == 10


def test_arguments_are_echoed_into_fields_of_the_same_name(engine):
    """A field named like an argument gets its value, at the top and one object down."""
    answer = _answer(engine, WEATHER, {"city": "Lisbon", "units": "fahrenheit", "days": 3})
    assert answer["city"] == "Lisbon" and answer["station"]["city"] == "Lisbon"
    assert answer["units"] == "fahrenheit" and answer["days"] == 3


def test_an_argument_that_does_not_fit_its_field_is_not_echoed(engine):
    """An argument invalid for the response field (days=30 > 7) leaves the field to the engine."""
    answer = _answer(engine, WEATHER, {"city": "Lisbon", "days": 30})
    assert _valid(answer, WEATHER.response)
    assert answer.get("days") != 30


def test_arguments_reach_each_item_of_a_top_level_list(engine):
    """In a top-level list, each item carries the arguments of the same name."""
    answer = _answer(engine, LIST_ORDERS, {"customer_id": "cst_42", "status": "shipped"})
    assert len(answer) >= 2 and _valid(answer, LIST_ORDERS.response)
    assert all(item["customer_id"] == "cst_42" and item["status"] == "shipped" for item in answer)
    assert len({item["order_id"] for item in answer}) == len(answer)


def test_entity_values_fill_fields_and_arguments_take_precedence(engine):
    """The episode's record of the entity fills matching fields; the call's own arguments win."""
    spec = ToolSpec(
        "get_user",
        parameters={"type": "object", "properties": {"user_id": {"type": "string"}}},
        required=["user_id"],
        response={"type": "object", "properties": {"user_id": {"type": "string"}, "name": {"type": "string"}, "email": {"type": "string", "format": "email"}, "age": {"type": "integer", "minimum": 0}},
                  "required": ["user_id", "name", "email"]},
    )  # fmt: skip
    entity = {"user_id": "usr_old", "name": "Ana Silva", "email": "not-an-email", "age": 41}
    answer = _answer(engine, spec, {"user_id": "usr_1"}, entity=entity)
    assert answer["user_id"] == "usr_1" and answer["name"] == "Ana Silva" and answer["age"] == 41
    assert answer["email"] != "not-an-email" and _valid(answer, spec.response)


@pytest.mark.parametrize("response", [None, "Returns the booking reference and price.", {}, {"type": "object"}])
def test_a_tool_without_a_response_schema_gets_a_json_object(engine, response):
    """No schema, a text description or an open object schema: the answer is a plausible object."""
    spec = ToolSpec("book_table", "Book a restaurant table", parameters={"type": "object", "properties": {"restaurant": {"type": "string"}}}, response=response)
    answer = _answer(engine, spec, {"restaurant": "Casa Nova"})
    assert isinstance(answer, dict) and answer["success"] is True and answer["restaurant"] == "Casa Nova"


def test_an_internal_failure_falls_back_to_a_generic_object_and_logs(engine, monkeypatch, caplog):
    """Whatever goes wrong inside, the engine answers an object and logs a warning."""
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("gtm_core.engines.schema.fake_value", broken)
    with caplog.at_level(logging.WARNING, logger="gtm_core.engines.schema"):
        answer = _answer(engine, WEATHER, {"city": "Oslo"})
    assert isinstance(answer, dict) and "get_weather" in caplog.text


def test_the_async_api_gives_the_sync_texts(engine):
    """generate and generate_sync agree, request by request, in order."""
    requests = [_request(WEATHER, {"city": c}, seed=i) for i, c in enumerate(["A", "B", "C"])]
    assert asyncio.run(engine.generate(requests)) == engine.generate_sync(requests)


def test_non_ascii_text_is_kept_as_is(engine):
    """Texts are JSON with unescaped non-ASCII characters."""
    text = engine.generate_sync([_request(WEATHER, {"city": "São Paulo"})])[0]
    assert "São Paulo" in text


# ---- property test: random response schemas -----------------------------------------------
NAMES = st.sampled_from(["city", "email", "name", "id", "order_id", "count", "price", "date", "created_at", "tags",
                         "status", "url", "results", "title", "temperature", "items", "data", "value"])  # fmt: skip


@st.composite
def leaves(draw):
    """A satisfiable scalar schema."""
    pick = draw(st.integers(0, 8))
    if pick == 0:
        low = draw(st.integers(-50, 50))
        return {"type": draw(st.sampled_from(["integer", "number"])), "minimum": low, "maximum": low + draw(st.integers(0, 100))}
    if pick == 1:
        low = draw(st.integers(0, 8))
        return {"type": "string", "minLength": low, "maxLength": low + draw(st.integers(0, 20))}
    if pick == 2:
        return {"type": "string", "format": draw(st.sampled_from(["date", "date-time", "time", "email", "uri", "uuid", "ipv4", "hostname"]))}
    if pick == 3:
        return {"enum": draw(st.lists(st.one_of(st.text(max_size=6), st.integers(), st.none()), min_size=1, max_size=4))}
    if pick == 4:
        return {"type": "string", "pattern": draw(st.sampled_from([r"^[A-Z]{3}$", r"^\d{2,4}$", r"^[a-z]+(-[a-z]+)*$"]))}
    if pick == 5:
        return {"type": ["string", "null"]}
    if pick == 6:
        return {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/money"}]}
    return {"type": draw(st.sampled_from(["string", "integer", "number", "boolean"]))}


def response_schemas(depth: int = 2):
    """Objects and arrays of objects, nested, over the leaves."""
    if depth == 0:
        return leaves()
    inner = response_schemas(depth - 1)

    @st.composite
    def objects(draw):
        props = draw(st.dictionaries(NAMES, inner, max_size=5))
        schema = {"type": "object", "properties": props, "required": [n for n in sorted(props) if draw(st.booleans())]}
        if draw(st.booleans()):
            schema["additionalProperties"] = False
        return schema

    @st.composite
    def arrays(draw):
        low = draw(st.integers(0, 2))
        return {"type": "array", "items": draw(inner), "minItems": low, "maxItems": low + draw(st.integers(0, 3))}

    return st.one_of(leaves(), objects(), arrays())


@st.composite
def tools_with_responses(draw):
    """A tool whose arguments share names with its response fields (with schemas that may disagree)."""
    response = draw(response_schemas())
    response["$defs"] = {"money": {"type": "number", "minimum": 0, "multipleOf": 0.01}}
    parameters = {"type": "object", "properties": draw(st.dictionaries(NAMES, leaves(), max_size=4))}
    parameters["$defs"] = response["$defs"]
    return ToolSpec("random_tool", "A random tool", parameters=parameters, response=response)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=tools_with_responses(), seed=st.integers(0, 2**32), optional=st.sampled_from([0.0, 0.8, 1.0]))
def test_answers_validate_against_any_satisfiable_response_schema(spec, seed, optional):
    """For random response schemas and arguments, the answer validates and nothing raises."""
    arguments = sample_arguments(spec, rng=seed, optional=1.0)
    answer = _answer(SchemaEngine(optional=optional), spec, arguments, seed)
    assert _valid(answer, spec.response), answer


# ---- the public training APIs -------------------------------------------------------------------
def _unsatisfiable(schema, depth=0):
    """Why a schema can admit no value (for the contradictions met in public data), or None."""
    if not isinstance(schema, dict) or depth > 20:
        return None
    types = schema.get("type")
    enum = schema.get("enum")
    if isinstance(types, str) and isinstance(enum, list) and enum:
        if not any(Draft202012Validator({"type": types}).is_valid(v) for v in enum):
            return f"no enum value is of type {types!r}"
    for sub in list((schema.get("properties") or {}).values()) + [schema.get("items")]:
        reason = _unsatisfiable(sub, depth + 1)
        if reason:
            return reason
    return None


@pytest.mark.data
def test_every_tool_of_the_training_apis_gets_valid_arguments_and_a_valid_answer(training_apis_path):
    """Sampled arguments validate for every public training tool, and answers for each one with a response schema.

    Schemas that are not valid JSON Schema, or that no value can satisfy, are left out with the reason.
    """
    started = time.perf_counter()
    engine = SchemaEngine()
    failures, excluded, checked = [], {}, 0
    for index, spec in enumerate(Catalog.load(training_apis_path)):
        arguments = sample_arguments(spec, rng=index)
        cases = [("arguments", spec.input_schema, arguments)]
        if isinstance(spec.response_schema, dict):
            checked += 1
            answer = json.loads(engine.generate_sync([_request(spec, arguments, seed=index)])[0])
            cases.append(("response", spec.response_schema, answer))
        for label, schema, value in cases:
            if _checked(schema, value):
                continue
            reason = _exclusion(schema)
            if reason:
                excluded[f"{spec.name} {label}"] = reason
            else:
                failures.append((spec.name, label, value))
    elapsed = time.perf_counter() - started
    print(f"checked {checked} answers in {elapsed:.1f}s; excluded {len(excluded)}: {sorted(set(excluded.values()))}")
    assert checked > 1000
    assert not failures, f"{len(failures)} invalid: {failures[:5]}"
    assert len(excluded) < checked / 100


def _checked(schema, value):
    try:
        return Draft202012Validator(schema, format_checker=FORMAT_CHECKER).is_valid(value)
    except Exception:  # a broken schema is judged by _exclusion
        return False


def _exclusion(schema):
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return f"not valid JSON Schema: {exc.message[:80]}"
    return _unsatisfiable(schema)
