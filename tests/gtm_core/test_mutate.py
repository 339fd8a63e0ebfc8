"""The mutator makes bad calls of each kind, and the checks report them with that kind."""

from __future__ import annotations

import random

import pytest

from gtm_core.checks import ErrorKind, check_arguments, primary_kind
from gtm_core.mutate import MUTATION_KINDS, mutate, mutations
from gtm_core.spec import ToolSpec

ORDER = ToolSpec.from_dict(
    {
        "name": "create_order",
        "description": "Place an order.",
        "parameters": {
            "type": "object",
            "properties": {
                "customer_email": {"type": "string", "format": "email"},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 50},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "shipping": {"type": "string", "enum": ["standard", "express"]},
                "note": {"type": "string"},
            },
        },
        "required": ["customer_email", "quantity"],
    }
)
VALID = {"customer_email": "ann@example.com", "quantity": 2, "currency": "EUR", "shipping": "standard", "note": "hi"}


@pytest.mark.parametrize("kind", MUTATION_KINDS)
def test_each_mutation_is_detected_with_its_own_kind(kind):
    for seed in range(20):
        mutation = mutate(ORDER, VALID, kind, random.Random(seed))
        assert mutation is not None and mutation.kind is kind and mutation.detectable
        assert primary_kind(check_arguments(ORDER, mutation.arguments)) is kind, mutation.note


def test_mutating_leaves_the_original_arguments_untouched():
    original = dict(VALID)
    mutations(ORDER, VALID, random.Random(0))
    assert VALID == original


def test_missing_does_not_apply_to_a_tool_without_required_parameters():
    spec = ToolSpec.from_dict({"name": "ping", "description": "d", "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}})
    assert mutate(spec, {"x": "a"}, ErrorKind.MISSING, random.Random(0)) is None
    assert [m.kind for m in mutations(spec, {"x": "a"}, random.Random(0))] == [ErrorKind.TYPE, ErrorKind.EXCESS, ErrorKind.INVALID]


def test_an_invalid_value_without_any_constraint_is_marked_undetectable():
    spec = ToolSpec.from_dict({"name": "note", "description": "d", "parameters": {"type": "object", "properties": {"text": {"type": "string"}}}})
    mutation = mutate(spec, {"text": "hello"}, ErrorKind.INVALID, random.Random(0))
    assert mutation is not None and not mutation.detectable
    assert check_arguments(spec, mutation.arguments) == []


def test_an_excess_parameter_on_an_open_schema_is_marked_undetectable():
    spec = ToolSpec.from_dict(
        {"name": "t", "description": "d", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": True}}
    )
    mutation = mutate(spec, {"a": "x"}, ErrorKind.EXCESS, random.Random(0))
    assert mutation is not None and not mutation.detectable


def test_an_unknown_kind_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="type_error"):
        mutate(ORDER, VALID, ErrorKind.NOT_OBJECT, random.Random(0))
