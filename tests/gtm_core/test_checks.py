"""Argument checks: the four error kinds, readable messages, every problem listed, no crash."""

from __future__ import annotations

import json

import pytest

from gtm_core.checks import (
    ErrorKind,
    check_arguments,
    effective_schema,
    parameter_path,
    primary_kind,
)
from gtm_core.error_bodies import invalid_arguments, unknown_tool
from gtm_core.spec import ToolSpec

BOOK = ToolSpec.from_dict(
    {
        "name": "book_table",
        "description": "Book a restaurant table.",
        "parameters": {
            "type": "object",
            "properties": {
                "restaurant": {"type": "string", "minLength": 2, "description": "Restaurant name."},
                "party_size": {"type": "integer", "minimum": 1, "maximum": 12},
                "date": {"type": "string", "format": "date"},
                "email": {"type": "string", "format": "email"},
                "seating": {"type": "string", "enum": ["indoor", "outdoor"]},
                "phone": {"type": "string", "pattern": "^\\+[0-9]{7,15}$"},
                "guests": {
                    "type": "array",
                    "maxItems": 3,
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
                },
            },
        },
        "required": ["restaurant", "party_size"],
    }
)
VALID = {"restaurant": "Tasca", "party_size": 2}


def kinds(problems):
    return [(p.kind, p.parameter) for p in problems]


def test_valid_arguments_have_no_problems():
    assert check_arguments(BOOK, {**VALID, "date": "2025-03-01", "email": "a@b.com", "phone": "+351912345678"}) == []


def test_json_text_arguments_are_parsed_before_checking():
    assert check_arguments(BOOK, json.dumps(VALID)) == []


def test_a_missing_required_parameter_is_named():
    problems = check_arguments(BOOK, {"restaurant": "Tasca"})
    assert kinds(problems) == [(ErrorKind.MISSING, "party_size")]
    assert "party_size" in problems[0].message and problems[0].received is None


def test_a_wrong_type_is_reported_once_as_a_type_error():
    problems = check_arguments(BOOK, {"restaurant": "Tasca", "party_size": "2"})
    assert kinds(problems) == [(ErrorKind.TYPE, "party_size")]
    assert problems[0].expected == "integer" and problems[0].received == "2"


def test_a_wrong_type_hides_the_invalid_value_noise_inside_it():
    problems = check_arguments(BOOK, {**VALID, "guests": "Ann, Bob, Carl, Dan"})
    assert kinds(problems) == [(ErrorKind.TYPE, "guests")]


def test_an_unknown_parameter_is_an_excess_parameter_with_the_known_ones_listed():
    problems = check_arguments(BOOK, {**VALID, "verbose": True})
    assert kinds(problems) == [(ErrorKind.EXCESS, "verbose")]
    assert "restaurant" in problems[0].message


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("party_size", 0),
        ("party_size", 13),
        ("restaurant", "T"),
        ("date", "01/03/2025"),
        ("date", "2025-02-30"),
        ("email", "not-an-email"),
        ("seating", "rooftop"),
        ("phone", "912345678"),
        ("guests", [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]),
    ],
)
def test_a_value_breaking_a_constraint_is_an_invalid_value(parameter, value):
    problems = check_arguments(BOOK, {**VALID, parameter: value})
    assert kinds(problems) == [(ErrorKind.INVALID, parameter)]
    assert problems[0].received == value


def test_problems_in_nested_items_carry_their_path():
    problems = check_arguments(BOOK, {**VALID, "guests": [{"name": "a"}, {}, {"name": 3}]})
    assert kinds(problems) == [(ErrorKind.MISSING, "guests[1].name"), (ErrorKind.TYPE, "guests[2].name")]


@pytest.mark.parametrize("arguments", ["[1, 2]", "not json {", 42, ["a"]])
def test_arguments_that_are_not_an_object_are_refused(arguments):
    problems = check_arguments(BOOK, arguments)
    assert [p.kind for p in problems] == [ErrorKind.NOT_OBJECT]


def test_every_problem_is_listed_in_kind_order():
    problems = check_arguments(BOOK, {"party_size": 99, "seating": 1, "extra": 1})
    assert [p.kind for p in problems] == [ErrorKind.MISSING, ErrorKind.EXCESS, ErrorKind.TYPE, ErrorKind.INVALID]
    assert primary_kind(problems) is ErrorKind.MISSING


def test_the_error_response_reads_like_an_api_error():
    problems = check_arguments(BOOK, {"restaurant": "Tasca", "party_size": 40, "seating": "roof"})
    body = invalid_arguments(BOOK.name, problems)["error"]
    assert body["code"] == 400 and body["type"] == "invalid_value" and body["tool"] == "book_table"
    assert [d["parameter"] for d in body["details"]] == ["party_size", "seating"]
    assert "at most 12" in body["message"] and "indoor" in body["message"]
    json.dumps(body)  # serialisable


def test_an_unknown_tool_error_suggests_the_closest_names():
    body = unknown_tool("book_tabel", ["book_table", "cancel_table"])["error"]
    assert body["type"] == "unknown_tool" and "book_table" in body["message"]
    assert body["suggestions"] == ["book_table", "cancel_table"]


def test_a_schema_that_allows_extra_properties_accepts_them():
    spec = ToolSpec.from_dict(
        {"name": "t", "description": "d", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": True}}
    )
    assert check_arguments(spec, {"a": "x", "b": 1}) == []


def test_a_broken_schema_is_repaired_so_the_rest_is_still_checked():
    spec = ToolSpec.from_dict(
        {
            "name": "t",
            "description": "d",
            "parameters": {"type": "object", "properties": {"a": {"type": "string", "minLength": "two"}, "n": {"type": "integer"}}},
        }
    )
    assert check_arguments(spec, {"a": "x", "n": 1}) == []
    assert kinds(check_arguments(spec, {"a": "x", "n": "1"})) == [(ErrorKind.TYPE, "n")]
    assert "minLength" not in effective_schema(spec)["properties"]["a"]


def test_an_unresolvable_reference_does_not_break_the_call():
    spec = ToolSpec.from_dict(
        {"name": "t", "description": "d", "parameters": {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}}
    )
    assert check_arguments(spec, {"a": 1}) == []
    assert kinds(check_arguments(spec, {"b": 1})) == [(ErrorKind.EXCESS, "b")]


def test_loose_type_spellings_are_checked_as_json_schema_types():
    spec = ToolSpec.from_dict(
        {"name": "t", "description": "d", "parameters": {"type": "dict", "properties": {"n": {"type": "int"}}}}, normalize=True
    )
    assert kinds(check_arguments(spec, {"n": "x"})) == [(ErrorKind.TYPE, "n")]


def test_a_huge_received_value_is_truncated_in_the_problem():
    problems = check_arguments(BOOK, {**VALID, "restaurant": 7, "phone": "x" * 5000})
    invalid = [p for p in problems if p.parameter == "phone"][0]
    assert len(invalid.received) <= 200


def test_parameter_paths_quote_keys_that_are_not_identifiers():
    assert parameter_path(["items", 0, "sku"]) == "items[0].sku"
    assert parameter_path(["meta", "a b"]) == 'meta["a b"]'
