"""Converters to and from OpenAI tools, MCP tools and dataset rows keep the spec."""

from __future__ import annotations

import pytest

from gtm_core import (
    SpecError,
    ToolSpec,
    spec_from_mcp,
    spec_from_openai,
    spec_from_row,
    spec_to_mcp,
    spec_to_openai,
    spec_to_row,
)

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    field="Weather",
    subfield="Forecasts",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "additionalProperties": False,
    },
    required=["city"],
    response={"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}}},
    examples=[{"arguments": {"city": "Oslo"}, "response": {"city": "Oslo", "temperature": 3.5}}],
    source="unit-test",
)


@pytest.mark.parametrize("wrapped", [True, False])
def test_openai_round_trip_keeps_name_description_and_parameters(wrapped):
    """OpenAI tools hold name, description and parameters; a round trip keeps all three."""
    tool = spec_to_openai(WEATHER, wrapped=wrapped)
    if wrapped:
        assert tool["type"] == "function"
    back = spec_from_openai(tool)
    assert (back.name, back.description, back.parameters, back.required) == (
        WEATHER.name,
        WEATHER.description,
        WEATHER.parameters,
        WEATHER.required,
    )


def test_mcp_round_trip_keeps_the_whole_spec():
    """MCP tools carry the input and output schemas; the rest travels in _meta."""
    tool = spec_to_mcp(WEATHER)
    assert tool["inputSchema"]["required"] == ["city"]
    assert tool["outputSchema"] == WEATHER.response
    assert spec_from_mcp(tool) == WEATHER


def test_mcp_tool_with_a_text_response_keeps_it_in_meta_and_has_no_output_schema():
    """A response known only as text cannot be an outputSchema; it survives in _meta."""
    spec = ToolSpec("ping", "Ping.", response="Returns pong.")
    tool = spec_to_mcp(spec)
    assert "outputSchema" not in tool
    assert spec_from_mcp(tool) == spec


def test_mcp_reader_accepts_the_sdk_snake_case_keys():
    """A tool dumped from the Python SDK (input_schema, output_schema) reads the same."""
    tool = {"name": "t", "description": "d", "input_schema": {"type": "object", "properties": {"x": {"type": "int"}}}}
    assert spec_from_mcp(tool).properties == {"x": {"type": "integer"}}


def test_row_round_trip_keeps_the_whole_spec():
    """A normalized dataset row joins field and subfield with '/', and splits them back."""
    row = spec_to_row(WEATHER)
    assert row["field"] == "Weather/Forecasts"
    assert spec_from_row(row) == WEATHER


def test_rows_with_loose_types_and_null_required_are_read():
    """Rows from public datasets use 'str'/'int' and may have required: null."""
    row = {
        "name": "lookup",
        "description": "Look up.",
        "parameters": {"type": "dict", "properties": {"q": {"type": "str"}, "n": {"type": "int"}}},
        "required": None,
        "response": {"type": "object", "properties": {"hits": {"type": "list"}}},
        "field": None,
        "source": "x",
    }
    spec = spec_from_row(row)
    assert spec.parameters["type"] == "object"
    assert spec.properties["q"]["type"] == "string"
    assert spec.required == []
    assert spec.response["properties"]["hits"]["type"] == "array"


@pytest.mark.parametrize(
    "reader, value",
    [(spec_from_openai, {"type": "function", "function": {"description": "no name"}}), (spec_from_mcp, {"description": "x"}), (spec_from_row, [])],
)
def test_readers_reject_objects_without_a_name(reader, value):
    """Every reader raises SpecError for something that is not a tool."""
    with pytest.raises(SpecError):
        reader(value)
