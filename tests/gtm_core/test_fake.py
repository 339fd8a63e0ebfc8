"""Fake values: valid against their schema, realistic for their name, deterministic."""

from __future__ import annotations

import ast
import json
import pathlib
import random
import re

import pytest
from jsonschema import Draft202012Validator

import gtm_core.fake
from gtm_core.checks import FORMAT_CHECKER
from gtm_core.fake import conforms, fake_value
from gtm_core.fake.vocabulary import CITIES, CURRENCIES, FIRST_NAMES

SEEDS = range(40)


def _valid(value, schema):
    """Valid under Draft 2020-12 with the toolkit's strict format checker and jsonschema's own."""
    strict = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    stock = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return strict.is_valid(value) and stock.is_valid(value)


def _values(schema, name="value", **options):
    return [fake_value(schema, name, random.Random(seed), **options) for seed in SEEDS]


@pytest.mark.parametrize(
    "fmt",
    ["date", "date-time", "time", "email", "idn-email", "uri", "uri-reference", "iri", "uuid", "ipv4", "ipv6",
     "hostname", "idn-hostname", "duration", "json-pointer", "relative-json-pointer", "uri-template", "regex"],
)  # fmt: skip
def test_every_format_gets_a_value_the_format_checkers_accept(fmt):
    """Strings with a known format pass both the toolkit's strict checker and jsonschema's."""
    schema = {"type": "string", "format": fmt}
    for value in _values(schema, "field"):
        assert isinstance(value, str) and _valid(value, schema), (fmt, value)


def test_an_email_property_gets_a_valid_email_address():
    """A property called email is an address even without a format."""
    for value in _values({"type": "string"}, "email"):
        assert FORMAT_CHECKER.conforms(value, "email") and "@" in value


def test_a_city_property_gets_a_city_from_the_table():
    """City names come from the table, not random letters."""
    cities = {row[0] for row in CITIES}
    assert all(value in cities for value in _values({"type": "string"}, "city"))


@pytest.mark.parametrize(
    "name, schema, check",
    [
        ("first_name", {"type": "string"}, lambda v: v in FIRST_NAMES),
        ("currency", {"type": "string"}, lambda v: v in CURRENCIES),
        ("country_code", {"type": "string"}, lambda v: re.fullmatch(r"[A-Z]{2}", v)),
        ("order_id", {"type": "string"}, lambda v: v.startswith("ord_")),
        ("customerId", {"type": "integer"}, lambda v: isinstance(v, int) and v >= 1000),
        ("created_at", {"type": "string"}, lambda v: FORMAT_CHECKER.conforms(v, "date-time")),
        ("start_date", {"type": "string"}, lambda v: FORMAT_CHECKER.conforms(v, "date")),
        ("website", {"type": "string"}, lambda v: FORMAT_CHECKER.conforms(v, "uri")),
        ("price", {"type": "number"}, lambda v: round(v, 2) == v and 0 < v < 1000),
        ("latitude", {"type": "number"}, lambda v: -90 <= v <= 90),
        ("humidity", {"type": "integer"}, lambda v: 0 <= v <= 100),
        ("rating", {"type": "number"}, lambda v: 1 <= v <= 5),
        ("description", {"type": "string"}, lambda v: v.endswith(".") and " " in v),
        ("is_active", {"type": "boolean"}, lambda v: isinstance(v, bool)),
        ("tags", {"type": "array", "items": {"type": "string"}}, lambda v: all(isinstance(t, str) and t for t in v)),
    ],
)
def test_a_property_name_picks_a_realistic_value(name, schema, check):
    """The property's name chooses the kind of value; the schema's type is kept."""
    for value in _values(schema, name):
        assert check(value), (name, value)


def test_a_description_names_the_kind_when_the_name_does_not():
    """A vague name with a telling description still gets the right kind of value."""
    values = _values({"type": "string"}, "value", description="The email address of the recipient")
    assert all(FORMAT_CHECKER.conforms(v, "email") and "@" in v for v in values)


def test_enum_and_const_values_are_taken_from_the_schema():
    """An enum gives one of its members (of the declared type); a const gives itself."""
    assert set(_values({"type": "string", "enum": ["a", "b", 3]})) <= {"a", "b"}
    assert _values({"const": {"k": [1, 2]}})[0] == {"k": [1, 2]}


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "minimum": 3, "maximum": 5},
        {"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 5},
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.001},
        {"type": "number", "minimum": 1000, "maximum": 1000.5},
        {"type": "integer", "minimum": 10, "multipleOf": 7},
        {"type": "number", "minimum": 0, "maximum": 1, "multipleOf": 0.01},
        {"type": "number", "maximum": -500},
        {"type": "integer", "minimum": 7, "maximum": 7},
    ],
)
def test_numbers_respect_bounds_exclusive_bounds_and_multiples(schema):
    """Numbers stay inside inclusive and exclusive bounds and hit multipleOf exactly."""
    for name in ("price", "count", "value"):
        for value in _values(schema, name):
            assert _valid(value, schema), (schema, name, value)


def test_a_named_number_keeps_to_bounds_that_exclude_its_usual_range():
    """A temperature that must be above 1000 is above 1000."""
    schema = {"type": "number", "minimum": 1000, "maximum": 2000}
    assert all(1000 <= v <= 2000 for v in _values(schema, "temperature"))


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "minLength": 30},
        {"type": "string", "maxLength": 3},
        {"type": "string", "minLength": 5, "maxLength": 5},
        {"type": "string", "maxLength": 0},
    ],
)
def test_strings_respect_length_bounds(schema):
    """Long, short and exact lengths hold, for realistic and generic names alike."""
    for name in ("description", "city", "value"):
        assert all(_valid(v, schema) for v in _values(schema, name)), (schema, name)


@pytest.mark.parametrize(
    "pattern",
    [r"^[A-Z]{3}$", r"^\d{5}$", r"^[a-z0-9-]+$", r"^(?:\+1-)?\d{3}-\d{4}$", r"^[A-Z]{2}\d{6}$", r"[a-f0-9]{8}",
     r"^(ACTIVE|INACTIVE)$", r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", r"^\w+\.(png|jpg)$", r"^(\d)-\1$"],
)  # fmt: skip
def test_simple_patterns_are_matched(pattern):
    """Strings with a pattern match it (as re.search does), also for names that suggest other values."""
    schema = {"type": "string", "pattern": pattern}
    for name in ("zip_code", "city", "id", "value"):
        for value in _values(schema, name):
            assert re.search(pattern, value), (pattern, name, value)


def test_a_pattern_with_length_bounds_satisfies_both():
    """Pattern and length bounds are honoured together."""
    schema = {"type": "string", "pattern": "^[a-z]+$", "minLength": 12, "maxLength": 14}
    assert all(_valid(v, schema) for v in _values(schema, "slug"))


@pytest.mark.parametrize("pattern", ["[", "(?<=a)b", "^a{2}b$(?!x)", "\\p{L}"])
def test_an_unusable_pattern_gives_a_string_without_raising(pattern):
    """Broken or unsupported regexes never raise; the value is still a string."""
    assert all(isinstance(v, str) for v in _values({"type": "string", "pattern": pattern}))


def test_arrays_respect_item_bounds_and_uniqueness():
    """minItems, maxItems and uniqueItems hold, and items follow their schema."""
    schema = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 9}, "minItems": 4, "maxItems": 6, "uniqueItems": True}
    for value in _values(schema, "numbers"):
        assert _valid(value, schema) and 4 <= len(value) <= 6


def test_prefix_items_fill_their_positions_and_closed_tuples_stop():
    """prefixItems give each position its schema; items false forbids more."""
    schema = {"type": "array", "prefixItems": [{"type": "string", "format": "date"}, {"type": "integer"}], "items": False, "minItems": 2}
    for value in _values(schema, "pair"):
        assert _valid(value, schema) and len(value) == 2


def test_nested_objects_have_every_required_property_and_nothing_extra():
    """Required properties appear at every level; closed objects get no extra keys."""
    schema = {
        "type": "object",
        "properties": {
            "customer": {
                "type": "object",
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string", "pattern": r"^\d{5}$"}},
                                "required": ["city", "zip"], "additionalProperties": False},
                },
                "required": ["email", "address"],
            },
            "items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}, "required": ["sku", "qty"]}, "minItems": 1},
        },
        "required": ["customer", "items"],
        "additionalProperties": False,
    }  # fmt: skip
    for value in _values(schema, "order"):
        assert _valid(value, schema) and value["customer"]["address"]["city"] in {row[0] for row in CITIES}


def test_the_optional_probability_decides_which_optional_properties_appear():
    """optional=0 gives only required properties; optional=1 gives all."""
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "boolean"}}, "required": ["a"]}
    assert all(set(v) == {"a"} for v in _values(schema, "x", optional=0.0))
    assert all(set(v) == {"a", "b", "c"} for v in _values(schema, "x", optional=1.0))


def test_refs_to_defs_and_definitions_resolve_and_recursion_ends():
    """Local $ref pointers resolve; a recursive schema gives a finite valid value."""
    schema = {
        "$defs": {"node": {"type": "object", "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["name", "children"]}},
        "definitions": {"money": {"type": "number", "minimum": 0}},
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/node"}, "total": {"$ref": "#/definitions/money"}},
        "required": ["tree", "total"],
    }  # fmt: skip
    for value in _values(schema, "root", optional=1.0):
        assert _valid(value, schema)
        assert len(json.dumps(value)) < 200_000


def test_combinators_give_a_value_valid_for_the_whole_schema():
    """anyOf and oneOf pick a branch that fits; allOf merges its parts."""
    schemas = [
        {"anyOf": [{"type": "null"}, {"type": "string", "format": "email"}]},
        {"oneOf": [{"type": "integer", "minimum": 10}, {"type": "integer", "maximum": 5}]},
        {"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                   {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"], "additionalProperties": False}]},
        {"allOf": [{"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
                   {"properties": {"count": {"type": "integer", "maximum": 3}}, "required": ["count"]}]},
        {"type": "integer", "not": {"enum": [1, 2, 3]}, "minimum": 1, "maximum": 5},
        {"type": "object", "properties": {"kind": {"enum": ["a", "b"]}, "n": {"type": "integer"}}, "required": ["kind", "n"],
         "if": {"properties": {"kind": {"const": "a"}}}, "then": {"properties": {"n": {"minimum": 100}}}, "else": {"properties": {"n": {"maximum": -100}}}},
    ]  # fmt: skip
    for schema in schemas:
        assert all(_valid(v, schema) for v in _values(schema, "thing")), schema


@pytest.mark.parametrize("schema", [True, {}, {"description": "anything"}, {"type": ["string", "null"]}, {"type": ["null"]}])
def test_open_and_nullable_schemas_give_a_value(schema):
    """Boolean true, empty and nullable schemas give valid values (a real one where possible)."""
    for value in _values(schema, "city"):
        assert _valid(value, schema)
    if schema != {"type": ["null"]}:
        assert all(v is not None for v in _values(schema, "city"))


def test_an_unsatisfiable_schema_gives_a_value_without_raising():
    """Contradictions (min above max, false schemas, impossible enums) are answered, not raised."""
    for schema in ({"type": "integer", "minimum": 5, "maximum": 1}, False, {"type": "boolean", "enum": ["yes"]},
                   {"type": "array", "minItems": 3, "maxItems": 1}, {"type": "string", "minLength": 4, "maxLength": 2}):  # fmt: skip
        _values(schema, "x")


def test_the_same_seed_gives_the_same_value_and_other_seeds_vary():
    """Values are a function of the Random's state."""
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "city": {"type": "string"}, "id": {"type": "string"}}, "required": ["name", "city", "id"]}
    first = json.dumps(fake_value(schema, "user", random.Random(11)))
    assert first == json.dumps(fake_value(schema, "user", random.Random(11)))
    assert len({json.dumps(v) for v in _values(schema, "user")}) > 30


def test_known_values_fill_properties_of_the_same_name_when_they_fit():
    """Known values go into matching properties of the top object and the objects below it, if valid."""
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "maximum": 7},
                       "detail": {"type": "object", "properties": {"city": {"type": "string"}, "units": {"enum": ["c", "f"]}}}},
    }  # fmt: skip
    value = fake_value(schema, "forecast", random.Random(1), optional=1.0, known=[{"city": "Porto", "days": 30, "units": "f"}])
    assert value["city"] == "Porto" and value["detail"] == {"city": "Porto", "units": "f"}
    assert value["days"] != 30


def test_conforms_checks_simple_and_structured_schemas():
    """The cheap check and the full validator agree on simple cases."""
    assert conforms("a@b.co", {"type": "string", "format": "email"})
    assert not conforms("nope", {"type": "string", "format": "email"})
    assert conforms([1, 2], {"type": "array", "items": {"type": "integer"}})
    assert not conforms([1, "x"], {"type": "array", "items": {"type": "integer"}})
    assert not conforms(True, {"type": "integer"})


def test_modules_of_the_package_import_one_way():
    """Each module of gtm_core.fake imports only modules listed below it in the package's layering."""
    layers = ["objects", "generator", "merge", "numbers", "conform", "patterns", "makers", "vocabulary"]
    package = pathlib.Path(gtm_core.fake.__file__).parent
    assert sorted(p.stem for p in package.glob("*.py") if p.stem != "__init__") == sorted(layers)
    for index, name in enumerate(layers):
        tree = ast.parse((package / f"{name}.py").read_text())
        used = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
        assert used <= set(layers[index + 1 :]), (name, used)
