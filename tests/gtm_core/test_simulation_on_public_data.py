"""The simulator over every tool of the public training APIs: valid answers, exact error kinds."""

from __future__ import annotations

import random

import jsonschema
import pytest

from gtm_core import Catalog
from gtm_core.checks import FORMAT_CHECKER, check_arguments, primary_kind
from gtm_core.mutate import mutations
from gtm_core.sampler import sample_arguments
from gtm_core.simulator import Simulator

pytestmark = pytest.mark.data


def _satisfiable(schema) -> bool:
    """A schema some value can meet: no property whose enum holds no value of its declared type."""
    for prop in (schema.get("properties") or {}).values():
        if isinstance(prop, dict) and isinstance(prop.get("enum"), list) and isinstance(prop.get("type"), str):
            validator = jsonschema.Draft202012Validator({"type": prop["type"]})
            if not any(validator.is_valid(value) for value in prop["enum"]):
                return False
    return True


def _usable_response_validator(schema):
    if not isinstance(schema, dict):
        return None
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError:
        return None
    return jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def test_every_tool_answers_sampled_valid_calls_within_its_response_schema_and_reports_every_detectable_mutation(training_apis_path):
    specs = list({spec.name: spec for spec in Catalog.load(training_apis_path)}.values())
    sim = Simulator(Catalog(specs), seed=3)
    rng = random.Random(3)
    invalid_answers, refused, misreported = [], [], []
    for spec in specs:
        arguments = sample_arguments(spec, rng=rng)
        result = sim.simulate(spec.name, arguments, episode=f"e-{spec.name}")
        if result.is_error:
            if _satisfiable(spec.input_schema):
                refused.append((spec.name, result.content[:200]))
            continue
        validator = _usable_response_validator(spec.response)
        if validator is not None and not validator.is_valid(result.structured):
            invalid_answers.append(spec.name)
        for mutation in mutations(spec, arguments, rng):
            if mutation.detectable and primary_kind(check_arguments(spec, mutation.arguments)) is not mutation.kind:
                misreported.append((spec.name, mutation.note))
    assert len(specs) > 8000
    assert refused == [], refused[:5]
    assert invalid_answers == [], invalid_answers[:5]
    assert misreported == [], misreported[:5]
