"""Model answers made usable: parsing with repairs, error objects, and conforming to the schema."""

from __future__ import annotations

import pytest

from gtm_core import ToolSpec
from gtm_core.answers import ERROR_SCHEMA, AnswerError, answer_schema, conform_answer, is_error_answer, parse_answer
from gtm_core.fake import conforms

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    required=["city"],
    response={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "humidity": {"type": "integer", "minimum": 0, "maximum": 100},
            "summary": {"type": "string", "maxLength": 20},
            "conditions": {"type": "string", "enum": ["sunny", "rain"]},
            "hourly": {"type": "array", "items": {"type": "number", "minimum": -60, "maximum": 60}, "maxItems": 3},
        },
        "required": ["city", "humidity", "conditions"],
        "additionalProperties": False,
    },
)
FREE = ToolSpec("tell_joke", "A joke.", parameters={"type": "object", "properties": {}})


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('Sure! Here is the response:\n{"a": [1, 2]}\nHope it helps.', {"a": [1, 2]}),
        ('{"a": 1,}', {"a": 1}),
        ("{'a': True, 'b': None}", {"a": True, "b": None}),
        ('{"a": {"b": "cut off', {"a": {"b": "cut off"}}),
        ('{"a": 1, "b": [1, 2', {"a": 1, "b": [1, 2]}),
        ('{"a": 1, "b":', {"a": 1}),
        ("[1, 2, 3]", [1, 2, 3]),
    ],
)
def test_parsing_finds_the_json_and_repairs_common_slips(text, value):
    assert parse_answer(text) == value


@pytest.mark.parametrize("text", ["", "   ", "I cannot answer that.", "Tool: get_weather\nDescription: ..."])
def test_text_without_json_is_an_answer_error(text):
    with pytest.raises(AnswerError):
        parse_answer(text)


def test_the_answer_schema_allows_the_response_or_an_error_object():
    schema = answer_schema(WEATHER)
    assert conforms({"error": {"code": 404, "message": "no such city"}}, schema)
    assert conforms({"city": "Oslo", "humidity": 40, "conditions": "rain"}, schema)
    assert conforms({"anything": 1}, answer_schema(FREE))
    assert ERROR_SCHEMA in answer_schema(FREE)["anyOf"]


def test_an_error_object_is_told_apart_from_a_response_that_has_an_error_field():
    assert is_error_answer({"error": {"code": 404, "message": "city not found"}}, WEATHER)
    assert not is_error_answer({"city": "Oslo", "humidity": 40, "conditions": "rain"}, WEATHER)
    with_field = ToolSpec("run_job", "x", response={"type": "object", "properties": {"error": {"type": "object"}, "ok": {"type": "boolean"}}})
    assert not is_error_answer({"error": {"message": "none"}, "ok": True}, with_field)
    assert is_error_answer({"error": {"message": "bad"}}, FREE)


def test_conforming_keeps_valid_parts_and_fixes_what_a_grammar_cannot_enforce():
    answer = {"city": "Osl", "humidity": 250, "summary": "x" * 40, "conditions": "foggy", "hourly": [1, 99, 2, 3, 4], "extra": 1}
    fixed, changes = conform_answer(answer, WEATHER, {"city": "Oslo"}, seed=1)
    assert conforms(fixed, WEATHER.response_schema)
    assert fixed["city"] == "Oslo"  # the echoed argument
    assert fixed["humidity"] == 100  # clamped, not replaced
    assert fixed["summary"] == "x" * 20
    assert fixed["conditions"] in ("sunny", "rain")
    assert fixed["hourly"] == [1, 60, 2]
    assert "extra" not in fixed
    assert changes >= 6


def test_a_valid_answer_is_kept_as_it_is():
    answer = {"city": "Oslo", "humidity": 40, "conditions": "rain"}
    assert conform_answer(answer, WEATHER, {"city": "Oslo"}) == (answer, 0)


def test_missing_required_fields_are_filled_and_a_wrong_shape_is_replaced():
    fixed, _ = conform_answer({"city": "Oslo"}, WEATHER, {"city": "Oslo"})
    assert conforms(fixed, WEATHER.response_schema) and fixed["city"] == "Oslo"
    fixed, changes = conform_answer([1, 2], WEATHER, {"city": "Oslo"})
    assert conforms(fixed, WEATHER.response_schema) and changes >= 1


def test_tools_without_a_response_schema_keep_the_models_answer():
    assert conform_answer({"joke": "..."}, FREE, {}) == ({"joke": "..."}, 0)
