"""ToolSpec: construction, the required list, loose type spellings."""

from __future__ import annotations

import pytest

from gtm_core import SpecError, ToolSpec, normalize_schema


def test_required_inside_parameters_moves_to_the_spec():
    """A ``required`` list inside the parameters schema becomes ToolSpec.required, once."""
    spec = ToolSpec("f", parameters={"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]})
    assert spec.required == ["a"]
    assert "required" not in spec.parameters
    assert spec.input_schema["required"] == ["a"]


def test_missing_parameters_default_to_an_empty_object_schema():
    """A tool with no parameters gets an empty object schema and no required list."""
    spec = ToolSpec("ping")
    assert spec.input_schema == {"type": "object", "properties": {}}
    assert spec.required == []


def test_loose_type_spellings_become_json_schema_types():
    """str, int, float, dict, list, bool and List[str] map onto JSON Schema types, recursively."""
    loose = {
        "type": "dict",
        "properties": {
            "a": {"type": "str"},
            "b": {"type": "int"},
            "c": {"type": "float"},
            "d": {"type": "list", "items": {"type": "bool"}},
            "e": {"type": "List[str]"},
            "f": {"type": "dict", "properties": {"g": {"type": "integer"}}},
            "h": {"type": ["str", "null"]},
        },
    }
    out = normalize_schema(loose)
    props = out["properties"]
    assert out["type"] == "object"
    assert [props[k]["type"] for k in "abcd"] == ["string", "integer", "number", "array"]
    assert props["d"]["items"] == {"type": "boolean"}
    assert props["e"] == {"type": "array", "items": {"type": "string"}}
    assert props["f"]["properties"]["g"]["type"] == "integer"
    assert props["h"]["type"] == ["string", "null"]


def test_unknown_type_spellings_are_left_for_validation_to_report():
    """A type that is no known spelling stays as it is, so validation can name it."""
    assert normalize_schema({"type": "widget"}) == {"type": "widget"}


def test_field_with_a_slash_splits_into_field_and_subfield():
    """"Finance/Banking" in a catalog line becomes field Finance and subfield Banking."""
    spec = ToolSpec.from_dict({"name": "f", "field": "Finance/Banking"})
    assert (spec.field, spec.subfield) == ("Finance", "Banking")


@pytest.mark.parametrize(
    "data, words",
    [
        ({"name": ""}, "non-empty"),
        ({"name": "f", "parameters": []}, "JSON Schema object"),
        ({"name": "f", "required": [1]}, "list of parameter names"),
        ({"name": "f", "response": 5}, "text description"),
        ({"name": "f", "colour": "red"}, "unknown keys"),
    ],
)
def test_malformed_specs_raise_a_spec_error_that_says_what_is_wrong(data, words):
    """Each malformed catalog line raises SpecError with a message naming the problem."""
    with pytest.raises(SpecError, match=words):
        ToolSpec.from_dict(data)


def test_to_dict_and_from_dict_round_trip():
    """A spec written as a catalog line and read back is the same spec."""
    spec = ToolSpec(
        "get_order",
        "Get an order.",
        field="Commerce",
        subfield="Orders",
        parameters={"type": "object", "properties": {"order_id": {"type": "string"}}},
        required=["order_id"],
        response={"type": "object", "properties": {"order_id": {"type": "string"}}},
        examples=[{"arguments": {"order_id": "o1"}, "response": {"order_id": "o1"}}],
        source="test",
    )
    assert ToolSpec.from_dict(spec.to_dict()) == spec
