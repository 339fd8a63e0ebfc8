"""GTMServer through the SDK's in-memory Client, in both protocol eras: listing, calls, errors."""

from __future__ import annotations

import json

import pytest
from anyio import fail_after
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_helpers import LEGACY, QUOTE, WEATHER, list_all, varied_specs
from mcp_types import INVALID_PARAMS

from gtm_core import Catalog, Simulator, ToolSpec
from gtm_core.engines.base import Engine
from mcp_server import GTMServer
from mcp_server.tools import DEFAULT_FIRST_PAGE_SIZE, DEFAULT_PAGE_SIZE

pytestmark = pytest.mark.anyio


def _body(result) -> dict:
    return json.loads(result.content[0].text)


async def test_the_server_advertises_list_changed_and_speaks_the_era_the_client_asked_for(era):
    """tools.listChanged is true in both eras; the client negotiates 2025-11-25 or 2026-07-28."""
    gtm = GTMServer(Catalog([WEATHER]))
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            assert client.server_capabilities.tools is not None
            assert client.server_capabilities.tools.list_changed is True
            assert client.protocol_version == ("2025-11-25" if era == LEGACY else "2026-07-28")


@pytest.mark.slow
async def test_every_page_of_a_10000_tool_catalog_lists_each_tool_once(era):
    """A 50-tool first page, then 500-tool pages: 21 pages hold all 10,000 tools with their schemas."""
    specs = varied_specs(10_000)
    gtm = GTMServer(Catalog(specs))
    pages = []
    with fail_after(30):
        async with Client(gtm.server, mode=era) as client:
            cursor = None
            while True:
                page = await client.list_tools(cursor=cursor)
                pages.append(page.tools)
                cursor = page.next_cursor
                if cursor is None:
                    break
    assert [len(p) for p in pages[:2]] == [DEFAULT_FIRST_PAGE_SIZE, DEFAULT_PAGE_SIZE]
    assert len(pages) == 1 + -(-(10_000 - DEFAULT_FIRST_PAGE_SIZE) // DEFAULT_PAGE_SIZE) == 21
    tools = [t for page in pages for t in page]
    assert [t.name for t in tools] == [s.name for s in specs]
    by_name = {t.name: t for t in tools}
    for spec in specs[:30]:
        assert by_name[spec.name].input_schema["properties"] == spec.parameters["properties"]
        assert (by_name[spec.name].output_schema is not None) == isinstance(spec.response, dict)


async def test_page_sizes_are_configurable_and_a_foreign_cursor_is_a_clear_protocol_error(era):
    """Pages follow first_page_size/page_size; a made-up cursor gets INVALID_PARAMS naming the cursor."""
    gtm = GTMServer(Catalog(varied_specs(25)), first_page_size=4, page_size=10)
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            first = await client.list_tools()
            assert len(first.tools) == 4 and first.next_cursor
            assert len(await list_all(client)) == 25
            with pytest.raises(MCPError) as caught:
                await client.list_tools(cursor="not-a-cursor")
    assert caught.value.code == INVALID_PARAMS
    assert "cursor" in caught.value.message and "from the start" in caught.value.message


async def test_a_valid_call_returns_text_and_structured_content_that_follow_the_response_schema(era):
    """Text content is the answer; structured_content is the same JSON object; not an error."""
    gtm = GTMServer(Catalog([WEATHER]))
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            await client.list_tools()
            result = await client.call_tool("get_weather", {"city": "Lisbon"}, meta={"gtm/episode": "e1"})
    assert not result.is_error
    assert result.structured_content == _body(result)
    assert result.structured_content["city"] == "Lisbon"
    assert result.meta["gtm/episode"] == "e1" and result.meta["gtm/engine"] == "schema"
    assert "gtm/error_kind" not in result.meta


async def test_a_tool_without_a_response_schema_answers_in_text_only(era):
    """No outputSchema is listed, and the result has text content but no structured content."""
    gtm = GTMServer(Catalog([QUOTE]))
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            (tool,) = (await client.list_tools()).tools
            result = await client.call_tool("get_quote", {"topic": "time"})
    assert tool.output_schema is None
    assert not result.is_error and result.content[0].text
    assert result.structured_content is None


@pytest.mark.parametrize(
    ("arguments", "kind", "words"),
    [
        ({"city": 42}, "type_error", "must be a string"),
        ({}, "missing_required", "city"),
        ({"city": "Oslo", "colour": "red"}, "excess_parameter", "colour"),
        ({"city": "Oslo", "units": "kelvin"}, "invalid_value", "kelvin"),
    ],
)
async def test_each_kind_of_bad_arguments_is_an_error_result_with_its_message(era, arguments, kind, words):
    """The four error kinds come back as is_error results (never protocol errors), typed and explained."""
    gtm = GTMServer(Catalog([WEATHER]))
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            result = await client.call_tool("get_weather", arguments)
    assert result.is_error and result.structured_content is None
    error = _body(result)["error"]
    assert error["type"] == kind == result.meta["gtm/error_kind"]
    assert words in error["message"]


async def test_an_unknown_tool_is_an_error_result_with_the_closest_names(era):
    """A misspelt name gets unknown_tool and suggestions among the exposed tools."""
    gtm = GTMServer(Catalog([WEATHER, QUOTE]))
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            result = await client.call_tool("get_wether", {"city": "Oslo"})
    assert result.is_error and result.meta["gtm/error_kind"] == "unknown_tool"
    error = _body(result)["error"]
    assert error["suggestions"][0] == "get_weather"
    assert "get_weather" in error["message"]


async def test_a_tool_outside_the_selection_is_unknown_even_though_the_catalog_has_it():
    """--field/--tools limit what can be called, not only what is listed."""
    gtm = GTMServer(Catalog([WEATHER, QUOTE]), field="weather")
    with fail_after(5):
        async with Client(gtm.server, mode=LEGACY) as client:
            names = [t.name for t in await list_all(client)]
            result = await client.call_tool("get_quote", {"topic": "time"})
    assert names == ["get_weather"]
    assert result.is_error and result.meta["gtm/error_kind"] == "unknown_tool"


async def test_arguments_over_the_size_limit_are_an_error_result_naming_the_limit(era):
    """Oversize arguments are refused before any work, with the limit in the message."""
    gtm = GTMServer(Catalog([WEATHER]), max_argument_bytes=100)
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            result = await client.call_tool("get_weather", {"city": "x" * 200})
            small = await client.call_tool("get_weather", {"city": "Oslo"})
    assert result.is_error and result.meta["gtm/error_kind"] == "arguments_too_large"
    assert "limit of 100 bytes" in _body(result)["error"]["message"]
    assert not small.is_error


class _BrokenEngine(Engine):
    name = "broken"

    async def generate(self, requests):
        raise RuntimeError("the model server is down")


async def test_an_engine_failure_is_an_error_result_not_a_protocol_error(era):
    """A dead engine gives engine_error results that say what failed."""
    gtm = GTMServer(Simulator(Catalog([WEATHER]), engine=_BrokenEngine()))
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            result = await client.call_tool("get_weather", {"city": "Oslo"})
    assert result.is_error and result.meta["gtm/error_kind"] == "engine_error"
    assert "the model server is down" in _body(result)["error"]["message"]


async def test_illegal_catalog_names_are_exposed_sanitized_and_calls_to_them_reach_the_tool(era):
    """'Advanced Search' is listed as Advanced_Search, and a call to that name is simulated."""
    odd = ToolSpec("Advanced Search", "Search everything.", parameters={"type": "object", "properties": {"q": {"type": "string"}}}, required=["q"])
    long = ToolSpec("x" * 80, "A tool with a very long name.")
    gtm = GTMServer(Catalog([WEATHER, odd, long]))
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            tools = {t.name: t for t in await list_all(client)}
            result = await client.call_tool("Advanced_Search", {"q": "mcp"})
            bad = await client.call_tool("Advanced_Search", {})
    assert set(tools) >= {"get_weather", "Advanced_Search"}
    assert all(len(name) <= 64 for name in tools)
    assert tools["Advanced_Search"].meta["gtm/original_name"] == "Advanced Search"
    assert not result.is_error
    assert bad.is_error and bad.meta["gtm/error_kind"] == "missing_required"
