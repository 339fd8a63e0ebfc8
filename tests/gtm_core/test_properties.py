"""Property-based tests of the whole path of a call over random schemas and random arguments.

Whatever the schema and whatever the arguments, no exception escapes the simulator, and
every answer is either valid against the tool's response schema or a flagged error whose
kind says why.
"""

from __future__ import annotations

import json
import random

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtm_core import Catalog, ToolSpec
from gtm_core.checks import FORMAT_CHECKER, ErrorKind, check_arguments
from gtm_core.mutate import mutations
from gtm_core.sampler import sample_arguments
from gtm_core.simulator import Simulator

CHECK_KINDS = {kind.value for kind in ErrorKind}
NAMES = st.sampled_from(["city", "email", "name", "id", "count", "price", "date", "tags", "status", "url", "q", "x-y"])
FORMATS = st.sampled_from(["date", "date-time", "email", "uri", "uuid", "ipv4", "time", "hostname"])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def scalar_schemas(draw):
    kind = draw(st.sampled_from(["string", "integer", "number", "boolean", "enum", "format"]))
    if kind == "string":
        low = draw(st.integers(0, 5))
        return {"type": "string", "minLength": low, "maxLength": low + draw(st.integers(0, 20))}
    if kind in ("integer", "number"):
        low = draw(st.integers(-100, 100))
        return {"type": kind, "minimum": low, "maximum": low + draw(st.integers(0, 500))}
    if kind == "enum":
        return {"type": "string", "enum": draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=5, unique=True))}
    if kind == "format":
        return {"type": "string", "format": draw(FORMATS)}
    return {"type": "boolean"}


def schemas(depth: int = 2):
    leaf = scalar_schemas()
    if depth == 0:
        return leaf
    inner = schemas(depth - 1)
    arrays = st.builds(lambda items, low: {"type": "array", "items": items, "minItems": low, "maxItems": low + 3}, inner, st.integers(0, 2))
    return leaf | arrays | objects(inner)


def objects(inner):
    @st.composite
    def build(draw):
        properties = draw(st.dictionaries(NAMES, inner, max_size=5))
        required = draw(st.lists(st.sampled_from(sorted(properties)), unique=True)) if properties else []
        return {"type": "object", "properties": properties, "required": required}

    return build()


@st.composite
def tools(draw):
    parameters = draw(objects(schemas(1)))
    required = parameters.pop("required")
    response = draw(st.none() | objects(schemas(2)))
    return ToolSpec("random_tool", "A tool made up by hypothesis.", parameters=parameters, required=required, response=response)


def _assert_answer_is_valid_or_flagged(spec: ToolSpec, result) -> None:
    if result.is_error:
        assert result.error_kind in CHECK_KINDS, result.content
        assert isinstance(result.structured["error"]["message"], str)
        return
    assert result.structured is not None, result.content
    if isinstance(spec.response, dict):
        jsonschema.Draft202012Validator(spec.response, format_checker=FORMAT_CHECKER).validate(result.structured)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(tools(), st.integers(0, 2**32))
def test_sampled_valid_arguments_get_a_schema_valid_answer(spec, seed):
    sim = Simulator(Catalog([spec]), seed=seed)
    arguments = sample_arguments(spec, rng=random.Random(seed))
    assert check_arguments(spec, arguments) == []
    result = sim.simulate(spec.name, arguments)
    assert not result.is_error, result.content
    _assert_answer_is_valid_or_flagged(spec, result)


@SETTINGS
@given(tools(), st.dictionaries(NAMES, json_values, max_size=6) | json_values)
def test_random_arguments_get_a_valid_answer_or_a_flagged_error(spec, arguments):
    sim = Simulator(Catalog([spec]))
    result = sim.simulate(spec.name, arguments)
    _assert_answer_is_valid_or_flagged(spec, result)
    assert result.is_error == bool(check_arguments(spec, arguments))


@SETTINGS
@given(tools(), st.text(max_size=40))
def test_arguments_sent_as_any_text_never_escape_as_an_exception(spec, text):
    result = Simulator(Catalog([spec])).simulate(spec.name, text)
    _assert_answer_is_valid_or_flagged(spec, result)


@SETTINGS
@given(tools(), st.integers(0, 2**32))
def test_detectable_mutations_are_reported_with_their_kind(spec, seed):
    rng = random.Random(seed)
    arguments = sample_arguments(spec, rng=rng)
    sim = Simulator(Catalog([spec]))
    for mutation in mutations(spec, arguments, rng):
        result = sim.simulate(spec.name, mutation.arguments)
        if mutation.detectable:
            assert result.is_error and result.error_kind == mutation.kind.value, (mutation.note, result.content)
        else:
            _assert_answer_is_valid_or_flagged(spec, result)
        json.loads(result.content)
