"""The shipped catalog: valid, broad, constrained, and stateful where simulation needs it."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import jsonschema
import pytest

from gtm_core import Catalog
from gtm_core.checks import FORMAT_CHECKER
from gtm_core.validate import validate_catalog
from gtm_core.world import entity_operation

TAXONOMY = Path(__file__).resolve().parents[1] / "catalog" / "taxonomy.json"
CRUD = ("create", "get", "update", "delete", "list")


@pytest.fixture(scope="module")
def catalog():
    return Catalog.shipped()


def _walk(schema):
    """Every subschema of a schema, itself included."""
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _walk(value)


def test_the_shipped_catalog_validates_with_no_errors_and_no_warnings(catalog):
    assert validate_catalog(catalog) == []


def test_it_holds_at_least_300_tools_across_at_least_30_fields(catalog):
    stats = catalog.stats()
    assert stats["tools"] >= 300 and stats["fields"] >= 30


def test_every_tool_has_described_typed_parameters_a_required_list_and_a_response_schema(catalog):
    for spec in catalog:
        assert spec.description and spec.field and spec.subfield, spec.name
        assert isinstance(spec.response, dict) and spec.response.get("type") == "object", spec.name
        jsonschema.Draft202012Validator.check_schema(spec.response)
        assert set(spec.required) <= set(spec.properties), spec.name
        for name, schema in spec.properties.items():
            assert "type" in schema and schema.get("description"), (spec.name, name)


def test_the_taxonomy_names_exactly_the_fields_and_subfields_the_tools_use(catalog):
    taxonomy = json.loads(TAXONOMY.read_text(encoding="utf-8"))
    declared = {(f["name"], s["name"]) for f in taxonomy["fields"] for s in f["subfields"]}
    used = {(spec.field, spec.subfield) for spec in catalog}
    assert declared == used


def test_parameters_carry_enough_constraints_to_catch_invalid_values(catalog):
    counts = collections.Counter()
    for spec in catalog:
        for schema in _walk(spec.parameters):
            counts.update(key for key in ("enum", "minimum", "maximum", "pattern", "minLength", "maxLength") if key in schema)
            if "format" in schema:
                counts[f"format:{schema['format']}"] += 1
    for key in ("enum", "minimum", "maximum", "pattern", "format:date", "format:email", "format:uri"):
        assert counts[key] >= 10, (key, counts)


def test_at_least_ten_stateful_families_cover_create_get_update_delete_and_list(catalog):
    families = collections.defaultdict(dict)
    for spec in catalog:
        operation = entity_operation(spec)
        if operation is not None:
            families[operation.entity][operation.kind] = operation
    complete = {entity: ops for entity, ops in families.items() if set(CRUD) <= set(ops)}
    assert len(complete) >= 10, sorted(families)
    for entity, ops in complete.items():
        assert ops["get"].id_parameter == ops["update"].id_parameter == ops["delete"].id_parameter == f"{entity}_id"


def test_every_example_follows_the_tool_schemas(catalog):
    for spec in catalog:
        for example in spec.examples:
            jsonschema.Draft202012Validator(spec.input_schema, format_checker=FORMAT_CHECKER).validate(example["arguments"])
            jsonschema.Draft202012Validator(spec.response, format_checker=FORMAT_CHECKER).validate(example["response"])
