"""Reading tool files: every format, auto-detection, broken lines and --strict."""

from __future__ import annotations

import gzip
import json

import pytest

from gtm_core import CatalogLineError, ImportFormatError, read_tools

TOOL = {"name": "get_weather", "description": "Weather.", "parameters": {"type": "object", "properties": {"city": {"type": "str"}}}, "required": ["city"]}
MCP_TOOL = {"name": "get_weather", "description": "Weather.", "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_openai_tools_in_a_json_list_are_detected_and_read(tmp_path):
    """A JSON list of wrapped OpenAI tools reads as format openai."""
    path = _write(tmp_path, "tools.json", json.dumps([{"type": "function", "function": TOOL}], indent=2))
    result = read_tools(path)
    assert result.format == "openai"
    assert [s.name for s in result.specs] == ["get_weather"]
    assert result.specs[0].properties["city"]["type"] == "string"


def test_openai_request_body_with_a_tools_key_is_read(tmp_path):
    """An OpenAI request body ``{"tools": [...]}`` of bare functions reads too."""
    path = _write(tmp_path, "body.json", json.dumps({"tools": [TOOL]}))
    assert read_tools(path, format="openai").specs[0].required == ["city"]


def test_mcp_pages_concatenated_are_all_read(tmp_path):
    """Several tools/list pages, pretty-printed one after another, give every tool."""
    pages = [
        {"tools": [MCP_TOOL], "nextCursor": "2"},
        {"tools": [dict(MCP_TOOL, name="get_forecast")]},
    ]
    path = _write(tmp_path, "dump.json", "\n".join(json.dumps(p, indent=2) for p in pages))
    result = read_tools(path)
    assert result.format == "mcp"
    assert [s.name for s in result.specs] == ["get_weather", "get_forecast"]


def test_inspector_and_json_rpc_results_are_read(tmp_path):
    """The MCP Inspector's ``{"result": {"tools": [...]}}`` output is an MCP dump."""
    path = _write(tmp_path, "inspector.json", json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": [MCP_TOOL]}}))
    assert [s.name for s in read_tools(path, format="mcp").specs] == ["get_weather"]


def test_gzipped_jsonl_rows_are_read(tmp_path):
    """Dataset rows in a .jsonl.gz file read with field split into field and subfield."""
    row = dict(TOOL, field="Weather/Forecasts", source="x")
    path = tmp_path / "rows.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
    result = read_tools(path)
    assert result.format == "rows"
    assert (result.specs[0].field, result.specs[0].subfield) == ("Weather", "Forecasts")


def test_a_broken_line_is_reported_with_file_and_line_and_the_rest_loads(tmp_path):
    """Line 2 is not JSON: the problem names the file and line 2, lines 1 and 3 still load."""
    lines = [json.dumps(TOOL), "{not json", json.dumps(dict(TOOL, name="other"))]
    path = _write(tmp_path, "cat.jsonl", "\n".join(lines) + "\n")
    result = read_tools(path)
    assert [s.name for s in result.specs] == ["get_weather", "other"]
    assert len(result.problems) == 1
    assert (result.problems[0].path, result.problems[0].line) == (str(path), 2)
    assert str(path) + ":2:" in str(result.problems[0])


def test_strict_stops_at_the_first_broken_line(tmp_path):
    """With strict=True the first unreadable line raises CatalogLineError."""
    path = _write(tmp_path, "cat.jsonl", json.dumps(TOOL) + "\n" + json.dumps({"name": 5}) + "\n")
    with pytest.raises(CatalogLineError, match=":2:"):
        read_tools(path, strict=True)


def test_a_malformed_tool_is_reported_not_raised(tmp_path):
    """A line that is JSON but not a valid tool (parameters not an object) is a problem, not a crash."""
    path = _write(tmp_path, "cat.jsonl", json.dumps({"name": "bad", "parameters": "oops"}) + "\n")
    result = read_tools(path)
    assert result.specs == []
    assert "parameters" in result.problems[0].reason


def test_forcing_gtm_format_on_other_shapes_says_which_format_it_looks_like(tmp_path):
    """--format gtm on an MCP tool explains that it looks like mcp."""
    path = _write(tmp_path, "cat.jsonl", json.dumps(MCP_TOOL) + "\n")
    result = read_tools(path, format="gtm")
    assert "looks like 'mcp'" in result.problems[0].reason


def test_broken_pretty_printed_json_names_the_line(tmp_path):
    """A pretty-printed JSON document with an error gives the line of the error."""
    path = _write(tmp_path, "tools.json", '[\n  {"name": "a"},\n  {"name": \n]\n')
    result = read_tools(path)
    assert result.problems and result.problems[0].line >= 3


def test_an_unknown_format_name_is_rejected():
    """Asking for a format that does not exist names the choices."""
    with pytest.raises(ImportFormatError, match="auto, gtm"):
        read_tools("x.json", format="yaml")
