"""Validation reports every problem with the tool and the line it came from."""

from __future__ import annotations

import json

import pytest

from gtm_core import Catalog, ToolSpec, validate_catalog, validate_spec

OK_PARAMS = {"type": "object", "properties": {"city": {"type": "string"}}}


def _codes(problems):
    return [p.code for p in problems]


def test_a_clean_spec_has_no_problems():
    """A legal name, a description and valid schemas give nothing to report."""
    spec = ToolSpec("get_weather", "Weather.", parameters=OK_PARAMS, required=["city"], response={"type": "object"})
    assert validate_spec(spec) == []


@pytest.mark.parametrize(
    "spec, code",
    [
        (ToolSpec("get weather", "d"), "illegal-name"),
        (ToolSpec("math.sqrt", "d"), "illegal-name"),
        (ToolSpec("x" * 65, "d"), "name-too-long"),
        (ToolSpec("f", "d", parameters=OK_PARAMS, required=["town"]), "required-not-in-properties"),
        (ToolSpec("f", "d", parameters={"type": "object", "properties": {"a": {"type": "widget"}}}), "invalid-parameters-schema"),
        (ToolSpec("f", "d", parameters={"type": "array"}), "parameters-not-object"),
        (ToolSpec("f", "d", response={"type": "object", "properties": {"a": {"minimum": "ten"}}}), "invalid-response-schema"),
        (ToolSpec("f", "d", parameters=OK_PARAMS, examples=[{"arguments": {"city": 5}}]), "invalid-example"),
        (ToolSpec("f", ""), "missing-description"),
    ],
)
def test_each_kind_of_problem_is_reported_with_its_code(spec, code):
    """Every check has its own code, and its message names the tool."""
    problems = validate_spec(spec)
    assert code in _codes(problems)
    assert all(p.tool == spec.name for p in problems)


def test_a_missing_description_is_only_a_warning():
    """Warnings do not make a catalog invalid."""
    (problem,) = validate_spec(ToolSpec("f", ""))
    assert problem.severity == "warning"


def test_duplicate_names_point_at_the_first_tool(tmp_path):
    """The second tool of a name is reported with the origin of the first."""
    path = tmp_path / "cat.jsonl"
    path.write_text("\n".join(json.dumps({"name": "dup", "description": "d"}) for _ in range(2)) + "\n", encoding="utf-8")
    problems = validate_catalog(Catalog.load(path))
    (dup,) = [p for p in problems if p.code == "duplicate-name"]
    assert dup.origin == f"{path}:2"
    assert f"{path}:1" in dup.message


def test_unreadable_lines_become_problems_with_their_line(tmp_path):
    """A line that never became a tool is reported as unreadable-line with path:line."""
    path = tmp_path / "cat.jsonl"
    path.write_text(json.dumps({"name": "ok", "description": "d"}) + "\nnot json\n", encoding="utf-8")
    (problem,) = validate_catalog(Catalog.load(path))
    assert (problem.code, problem.origin) == ("unreadable-line", f"{path}:2")


def test_every_problem_of_one_tool_is_listed():
    """A tool with several faults gets one problem per fault, not just the first."""
    spec = ToolSpec("bad name!", "", parameters={"type": "object", "properties": {}}, required=["a", "b"])
    assert set(_codes(validate_spec(spec))) == {"illegal-name", "missing-description", "required-not-in-properties"}
