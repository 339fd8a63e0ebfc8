"""Selecting tools, legal MCP names and paging with cursors."""

from __future__ import annotations

import pytest
from anyio import fail_after
from mcp import Client
from mcp_helpers import WEATHER, list_all

from gtm_core import Catalog, ToolSpec
from mcp_server.tools import InvalidCursorError, Selection, ToolListing, is_legal_name, legal_name


def test_illegal_names_become_legal_and_long_ones_keep_a_hash_of_the_original():
    """Other characters become '_'; names over 64 characters are cut and told apart by a hash."""
    assert legal_name("get_weather") == "get_weather"
    assert legal_name("getPM2.5 Level") == "getPM2_5_Level"
    first, second = legal_name("a" * 70 + "1"), legal_name("a" * 70 + "2")
    assert first != second and all(len(n) == 64 and is_legal_name(n) for n in (first, second))
    assert is_legal_name(legal_name("!!!"))


def test_a_sanitized_name_never_takes_a_legal_name_and_duplicates_are_skipped(caplog):
    """'get weather' cannot become 'get_weather' when that tool exists; a repeated name is skipped, with a warning."""
    spaced = ToolSpec("get weather", "The same, spelt with a space.")
    selection = Selection.build(Catalog([spaced, WEATHER, ToolSpec("get_weather", "A duplicate.")]))
    assert selection.names["get_weather"] is WEATHER
    renamed = selection.renamed["get weather"]
    assert renamed.startswith("get_weather_") and selection.resolve("get weather") == (renamed, spaced)
    assert [name for name, _ in selection.skipped] == ["get_weather"]
    assert "exposed sanitized" in caplog.text and "skipped 1 tools" in caplog.text


def test_tool_globs_match_the_original_or_the_exposed_name():
    """--tools 'Advanced_*' and --tools 'Advanced *' both select 'Advanced Search'."""
    catalog = Catalog([WEATHER, ToolSpec("Advanced Search", "Search.")])
    assert list(Selection.build(catalog, tools=["Advanced_*"]).names) == ["Advanced_Search"]
    assert list(Selection.build(catalog, tools=["Advanced *"]).names) == ["Advanced_Search"]


def test_cursors_are_opaque_and_tied_to_one_listing():
    """A cursor walks its own listing; another listing (say, after a reload) refuses it."""
    tools = [{"name": f"t{i}", "inputSchema": {"type": "object"}} for i in range(7)]
    listing = ToolListing(tools, first_page_size=2, page_size=3)
    first = listing.page(None)
    second = listing.page(first.next_cursor)
    third = listing.page(second.next_cursor)
    assert [len(p.tools) for p in (first, second, third)] == [2, 3, 2] and third.next_cursor is None
    assert listing.pages == 3 and "t2" not in first.next_cursor
    with pytest.raises(InvalidCursorError, match="the tool list changed"):
        ToolListing(tools, first_page_size=2, page_size=3).page(first.next_cursor)
    with pytest.raises(InvalidCursorError, match="not handed out by this server"):
        listing.page("%%%")


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.anyio
async def test_the_training_apis_catalog_lists_completely_and_its_sanitized_tools_answer(training_apis_path):
    """About 10,000 public tools: every exposed name is legal and listed once, and a renamed tool can be called."""
    from mcp_server import GTMServer

    gtm = GTMServer(Catalog.load(training_apis_path))
    with fail_after(60):
        async with Client(gtm.server, mode="legacy") as client:
            tools = await list_all(client)
            old, new = next(iter(gtm.selection.renamed.items()))
            result = await client.call_tool(new, {})
    names = [t.name for t in tools]
    assert len(names) == len(set(names)) == len(gtm.selection) > 8_000
    assert all(is_legal_name(n) for n in names)
    assert result.content[0].text and (not result.is_error or result.meta["gtm/error_kind"] == "missing_required")
    assert old != new
