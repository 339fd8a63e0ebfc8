"""Loaders: the public market and training data, tools/list dumps and catalog files."""

from __future__ import annotations

import json

import pytest

from analysis.market import (
    ToolRecord,
    load_catalog_file,
    load_market,
    load_tools_list_dump,
    load_training,
    records_frame,
)
from gtm_core.errors import CatalogError


@pytest.mark.data
def test_the_public_market_loads_with_servers_names_and_schemas(market_path):
    """All ~18,900 market rows load; each keeps its server and name, and most have a schema."""
    records = load_market(market_path)
    assert len(records) > 18000
    assert all(r.source == "market" and r.name and r.server for r in records)
    assert sum(1 for r in records if r.input_schema) > 10000
    assert {r.origin for r in records} == {"toucan-smithery", "toolsdk-registry"}


@pytest.mark.data
def test_the_public_training_apis_load_through_the_catalog(training_apis_path):
    """All ~10,000 training APIs load, with no server and their dataset as origin."""
    records = load_training(training_apis_path)
    assert len(records) > 9000
    assert all(r.source == "training" and r.server is None for r in records)
    assert {r.origin for r in records} == {"seal-tools", "stabletoolbench", "bfcl"}


def test_a_tools_list_dump_of_several_json_rpc_pages_loads(tmp_path):
    """Two JSON-RPC tools/list responses in one file give every tool, named after the file."""
    pages = [
        {"jsonrpc": "2.0", "id": 1,
         "result": {"tools": [{"name": "search", "description": "Search the web.", "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}}}], "nextCursor": "2"}},
        {"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "fetch", "description": "Fetch a URL.", "inputSchema": {"type": "object"}}]}},
    ]
    dump = tmp_path / "browser.json"
    dump.write_text("\n".join(json.dumps(p) for p in pages), encoding="utf-8")
    records = load_tools_list_dump(dump)
    assert [r.name for r in records] == ["search", "fetch"]
    assert {r.server for r in records} == {"browser"}
    assert records[0].parameter_names == ["q"]
    assert records[0].source == "browser.json"


def test_a_dump_that_holds_no_tool_is_a_clear_error(tmp_path):
    """A file with no readable tool raises CatalogError naming the file."""
    dump = tmp_path / "empty.json"
    dump.write_text('{"tools": [{"description": "no name"}]}', encoding="utf-8")
    with pytest.raises(CatalogError, match="empty.json"):
        load_tools_list_dump(dump)


def test_a_catalog_file_loads_as_records_and_a_frame(tmp_path):
    """An OpenAI tool list loads as records; records_frame has one row per tool."""
    path = tmp_path / "mine.json"
    tool = {"name": "get_weather", "description": "Weather in a city.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
    path.write_text(json.dumps([{"type": "function", "function": tool}]), encoding="utf-8")
    records = load_catalog_file(path)
    assert records == [ToolRecord(None, "get_weather", "Weather in a city.", records[0].input_schema, "mine.json")]
    frame = records_frame(records)
    assert list(frame["name"]) == ["get_weather"] and frame.loc[0, "parameters"] == ["city"]


def test_a_market_file_of_another_format_goes_through_the_importers(tmp_path):
    """load_market reads a tools/list dump too, marking its tools as market tools."""
    path = tmp_path / "dump.json"
    path.write_text('{"tools": [{"name": "ping", "description": "Ping a host.", "inputSchema": {"type": "object"}}]}', encoding="utf-8")
    assert [(r.name, r.source) for r in load_market(path)] == [("ping", "market")]


def test_a_broken_market_row_names_its_line(tmp_path):
    """A market row that is not JSON raises CatalogError with file and line."""
    path = tmp_path / "market.jsonl"
    path.write_text('{"server": "s", "tool": "a", "description": "x"}\n{broken\n', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"market.jsonl:2"):
        load_market(path)
