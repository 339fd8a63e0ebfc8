"""Sampled arguments: every required parameter, optional ones by chance, always valid."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gtm_core.checks import FORMAT_CHECKER, check_arguments
from gtm_core.sampler import sample_arguments
from gtm_core.spec import ToolSpec

BOOKING = ToolSpec(
    "book_hotel",
    "Book a hotel room.",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 1},
            "check_in": {"type": "string", "format": "date"},
            "nights": {"type": "integer", "minimum": 1, "maximum": 30},
            "guests": {"type": "array", "minItems": 1, "maxItems": 4,
                       "items": {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}}, "required": ["name"]}},
            "room": {"type": "string", "enum": ["single", "double", "suite"]},
            "promo_code": {"type": "string", "pattern": "^[A-Z]{4}\\d{2}$"},
            "budget": {"type": "number", "exclusiveMinimum": 0},
        },
        "additionalProperties": False,
    },
    required=["city", "check_in", "nights", "guests"],
)  # fmt: skip


def _assert_valid(spec, arguments):
    validator = Draft202012Validator(spec.input_schema, format_checker=FORMAT_CHECKER)
    errors = [e.message for e in validator.iter_errors(arguments)]
    assert not errors, (arguments, errors)


def test_every_required_parameter_is_sampled_and_the_arguments_are_valid():
    """Required parameters are always there and the whole call passes the schema."""
    for seed in range(50):
        arguments = sample_arguments(BOOKING, rng=seed)
        assert set(BOOKING.required) <= set(arguments)
        _assert_valid(BOOKING, arguments)


def test_sampled_arguments_pass_the_simulators_own_argument_checks():
    """The toolkit's argument checks find nothing wrong with sampled arguments."""
    for seed in range(30):
        assert check_arguments(BOOKING, sample_arguments(BOOKING, rng=seed, optional=1.0)) == []


def test_the_optional_probability_decides_how_many_optional_parameters_appear():
    """optional=0 gives only required parameters, optional=1 gives all, 0.5 about half."""
    optional_names = set(BOOKING.properties) - set(BOOKING.required)
    assert all(set(sample_arguments(BOOKING, rng=s, optional=0.0)) == set(BOOKING.required) for s in range(20))
    assert all(set(sample_arguments(BOOKING, rng=s, optional=1.0)) == set(BOOKING.properties) for s in range(20))
    share = sum(len(set(sample_arguments(BOOKING, rng=s)) & optional_names) for s in range(200)) / (200 * len(optional_names))
    assert 0.35 < share < 0.65


def test_a_seed_and_a_random_with_that_seed_give_the_same_arguments():
    """rng accepts a seed or a Random; the same seed gives the same arguments."""
    assert sample_arguments(BOOKING, rng=7) == sample_arguments(BOOKING, rng=random.Random(7))
    assert sample_arguments(BOOKING, rng=7) == sample_arguments(BOOKING, rng=7)
    assert len({repr(sample_arguments(BOOKING, rng=s)) for s in range(20)}) == 20


def test_a_shared_random_advances_so_successive_calls_differ():
    """Passing one Random to many calls gives different arguments each time."""
    rng = random.Random(1)
    assert sample_arguments(BOOKING, rng=rng) != sample_arguments(BOOKING, rng=rng)


def test_arguments_look_realistic():
    """The city is a real city name and guest emails are addresses."""
    arguments = sample_arguments(BOOKING, rng=3, optional=1.0)
    assert arguments["city"][0].isupper() and arguments["city"].replace(" ", "").isalpha()
    assert all("@" in g["email"] for g in arguments["guests"] if "email" in g)


def test_a_tool_without_parameters_gets_empty_arguments():
    """No parameters, no arguments."""
    assert sample_arguments(ToolSpec("ping"), rng=0) == {}


@pytest.mark.parametrize(
    "parameters, required",
    [
        ({"type": "object", "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 1}}}, ["n"]),
        ({"type": "object", "properties": {"flag": {"type": "boolean", "enum": ["yes", "no"]}}}, ["flag"]),
        ({"type": "object", "properties": {}, "additionalProperties": False}, ["ghost"]),
        ({"type": "object", "properties": {"x": False}}, ["x"]),
        ({"type": "object", "properties": {"s": {"type": "string", "pattern": "(?<=q)z"}}}, ["s"]),
        ({"type": "object", "properties": {"r": {"$ref": "#/nowhere"}}}, ["r"]),
    ],
)
def test_an_unsatisfiable_schema_gives_arguments_without_raising(parameters, required):
    """Contradictory or broken schemas still give a dict of arguments."""
    spec = ToolSpec("odd", parameters=parameters, required=required)
    assert isinstance(sample_arguments(spec, rng=1, optional=1.0), dict)


def test_a_probability_outside_zero_to_one_is_refused():
    """optional must be a probability."""
    with pytest.raises(ValueError, match="optional"):
        sample_arguments(BOOKING, rng=1, optional=1.5)


# ---- property test: random simple schemas --------------------------------------------------
NAMES = st.sampled_from(["city", "email", "name", "user_id", "count", "price", "start_date", "created_at", "tags",
                         "status", "url", "q", "latitude", "rating", "description", "zip", "value", "x-y"])  # fmt: skip
FORMATS = st.sampled_from(["date", "date-time", "time", "email", "uri", "uuid", "ipv4", "ipv6", "hostname"])
PATTERNS = st.sampled_from([r"^[A-Z]{3}$", r"^\d{5}$", r"^[a-z0-9-]+$", r"^[A-Z]{2}-\d{3,5}$", r"^(red|green|blue)$"])


@st.composite
def scalar_schemas(draw):
    """A satisfiable scalar schema."""
    kind = draw(st.sampled_from(["string", "length", "integer", "number", "multiple", "boolean", "enum", "format",
                                 "pattern", "nullable", "const"]))  # fmt: skip
    if kind == "string":
        return {"type": "string"}
    if kind == "length":
        low = draw(st.integers(0, 10))
        return {"type": "string", "minLength": low, "maxLength": low + draw(st.integers(0, 30))}
    if kind in ("integer", "number"):
        low = draw(st.integers(-1000, 1000))
        bounds = {"minimum": low, "maximum": low + draw(st.integers(0, 500))}
        if draw(st.booleans()):
            bounds = {"exclusiveMinimum": low, "exclusiveMaximum": low + draw(st.integers(2, 500))}
        return {"type": kind, **draw(st.sampled_from([bounds, {}, {"minimum": low}, {"maximum": low}]))}
    if kind == "multiple":
        step = draw(st.sampled_from([2, 5, 0.5, 0.25, 0.01, 10]))
        low = draw(st.integers(-100, 100))
        return {"type": draw(st.sampled_from(["integer", "number"])) if step >= 1 else "number",
                "multipleOf": step, "minimum": low, "maximum": low + 20 * max(step, 1)}  # fmt: skip
    if kind == "enum":
        return {"type": "string", "enum": draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=5, unique=True))}
    if kind == "format":
        return {"type": "string", "format": draw(FORMATS)}
    if kind == "pattern":
        return {"type": "string", "pattern": draw(PATTERNS)}
    if kind == "nullable":
        return {"type": [draw(st.sampled_from(["string", "integer", "number", "boolean"])), "null"]}
    if kind == "const":
        return {"const": draw(st.one_of(st.integers(), st.text(max_size=5), st.booleans()))}
    return {"type": "boolean"}


def schemas(depth: int = 2):
    """Satisfiable schemas: scalars, arrays of them, objects of them, a few combinators."""
    leaf = scalar_schemas()
    if depth == 0:
        return leaf
    inner = schemas(depth - 1)

    @st.composite
    def arrays(draw):
        low = draw(st.integers(0, 3))
        schema = {"type": "array", "items": draw(inner), "minItems": low}
        if draw(st.booleans()):
            schema["maxItems"] = low + draw(st.integers(0, 3))
        return schema

    @st.composite
    def objects(draw, closable=True):
        props = draw(st.dictionaries(NAMES, inner, min_size=0, max_size=5))
        names = sorted(props)
        required = [n for n in names if draw(st.booleans())]
        schema = {"type": "object", "properties": props, "required": required}
        if closable and draw(st.booleans()):
            schema["additionalProperties"] = False
        return schema

    @st.composite
    def combined(draw):
        pick = draw(st.sampled_from(["anyOf", "allOf", "ref"]))
        if pick == "anyOf":
            return {"anyOf": draw(st.lists(leaf, min_size=1, max_size=3))}
        if pick == "allOf":
            return {"allOf": [draw(objects(closable=False)), {"properties": {"extra": {"type": "string"}}, "required": ["extra"]}]}
        return {"$ref": "#/$defs/thing"}

    return st.one_of(leaf, arrays(), objects(), combined())


@st.composite
def tools(draw):
    """A ToolSpec whose parameters are a random object schema (with a $defs entry for refs)."""
    props = draw(st.dictionaries(NAMES, schemas(), min_size=0, max_size=6))
    required = [n for n in sorted(props) if draw(st.booleans())]
    parameters = {"type": "object", "properties": props, "$defs": {"thing": draw(scalar_schemas())}}
    if draw(st.booleans()):
        parameters["additionalProperties"] = False
    return ToolSpec("random_tool", parameters=parameters, required=required)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=tools(), seed=st.integers(0, 2**32), optional=st.sampled_from([0.0, 0.5, 1.0]))
def test_sampled_arguments_are_valid_for_any_satisfiable_schema(spec, seed, optional):
    """For random satisfiable schemas, sampled arguments validate (formats included) and nothing raises."""
    _assert_valid(spec, sample_arguments(spec, rng=seed, optional=optional))
