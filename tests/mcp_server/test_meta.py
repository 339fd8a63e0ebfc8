"""--meta-tools: search_tools and call_tool front the whole selected catalog."""

from __future__ import annotations

import json

import pytest
from anyio import fail_after
from mcp import Client
from mcp_helpers import WEATHER, list_all, varied_specs

from gtm_core import Catalog, ToolSpec
from mcp_server import GTMServer

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def big_catalog() -> Catalog:
    odd = ToolSpec("Weather Now", "Current weather now, by city.", field="Weather", parameters={"type": "object", "properties": {"city": {"type": "string"}}}, required=["city"])
    return Catalog([WEATHER, odd, *varied_specs(2_000)])


async def test_meta_mode_lists_only_the_meta_tools(era, big_catalog):
    """However large the catalog, tools/list holds the three meta-tools."""
    gtm = GTMServer(big_catalog, meta_tools=True)
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            tools = await list_all(client)
    assert sorted(t.name for t in tools) == ["call_tool", "episode_snapshot", "search_tools"]
    assert next(t for t in tools if t.name == "search_tools").output_schema is not None


async def test_search_tools_returns_names_descriptions_and_input_schemas_of_matches(era, big_catalog):
    """The best matches come first, restricted to a field when asked, with callable MCP names."""
    gtm = GTMServer(big_catalog, meta_tools=True)
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            found = await client.call_tool("search_tools", {"query": "weather city", "field": "Weather", "limit": 5})
    assert not found.is_error
    tools = found.structured_content["tools"]
    assert found.structured_content == json.loads(found.content[0].text)
    assert {t["name"] for t in tools} == {"get_weather", "Weather_Now"}
    weather = next(t for t in tools if t["name"] == "get_weather")
    assert weather["input_schema"]["properties"]["city"] == {"type": "string", "minLength": 1}
    assert all(t["description"] and t["input_schema"]["type"] == "object" for t in tools)


async def test_call_tool_simulates_the_named_tool_with_the_same_error_handling(era, big_catalog):
    """call_tool answers like the tool itself; bad arguments, unknown names and bad limits are error results."""
    gtm = GTMServer(big_catalog, meta_tools=True)
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            ok = await client.call_tool("call_tool", {"name": "get_weather", "arguments": {"city": "Oslo"}}, meta={"gtm/episode": "m"})
            renamed = await client.call_tool("call_tool", {"name": "Weather_Now", "arguments": {"city": "Oslo"}})
            bad_args = await client.call_tool("call_tool", {"name": "get_weather", "arguments": {"city": 3}})
            unknown = await client.call_tool("call_tool", {"name": "get_wether", "arguments": {}})
            bad_limit = await client.call_tool("search_tools", {"query": "weather", "limit": 500})
            no_name = await client.call_tool("call_tool", {"arguments": {}})
            direct = await client.call_tool("get_weather", {"city": "Oslo"})
    assert not ok.is_error and ok.structured_content["city"] == "Oslo" and ok.meta["gtm/episode"] == "m"
    assert not renamed.is_error
    assert bad_args.is_error and bad_args.meta["gtm/error_kind"] == "type_error"
    assert unknown.is_error and "get_weather" in json.loads(unknown.content[0].text)["error"]["suggestions"]
    assert bad_limit.is_error and bad_limit.meta["gtm/error_kind"] == "invalid_value"
    assert no_name.is_error and no_name.meta["gtm/error_kind"] == "missing_required"
    assert direct.is_error and direct.meta["gtm/error_kind"] == "unknown_tool"


def _ticket_catalog() -> Catalog:
    ticket = {"type": "object", "properties": {"ticket_id": {"type": "string"}, "subject": {"type": "string"},
              "status": {"type": "string", "enum": ["open", "closed"]}}, "required": ["ticket_id", "subject", "status"]}  # fmt: skip
    key = {"type": "object", "properties": {"ticket_id": {"type": "string"}}}
    return Catalog([
        ToolSpec("create_ticket", "Open a ticket.", parameters={"type": "object", "properties": {"subject": {"type": "string"}}}, required=["subject"], response=ticket),
        ToolSpec("close_ticket", "Close a ticket.", parameters=key, required=["ticket_id"], response=ticket),
    ])  # fmt: skip


@pytest.mark.parametrize("meta_tools", [True, False], ids=["meta-tools", "all tools"])
async def test_episode_snapshot_returns_the_calling_episodes_world_and_its_diff(era, meta_tools):
    """Over a real client, episode_snapshot shows the records this episode made (and not another's), closed."""
    gtm = GTMServer(_ticket_catalog(), meta_tools=meta_tools)

    async def call(client, name, arguments, episode):
        if meta_tools and name != "episode_snapshot":
            arguments, name = {"name": name, "arguments": arguments}, "call_tool"
        return await client.call_tool(name, arguments, meta={"gtm/episode": episode})

    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            gtm.simulator.open_episode("ep-1")
            made = (await call(client, "create_ticket", {"subject": "Printer on fire"}, "ep-1")).structured_content
            await call(client, "close_ticket", {"ticket_id": made["ticket_id"]}, "ep-1")
            await call(client, "create_ticket", {"subject": "Other episode"}, "ep-2")
            got = await call(client, "episode_snapshot", {}, "ep-1")
            fresh = await call(client, "episode_snapshot", {}, "never-used")
            bad = await call(client, "episode_snapshot", {"x": 1}, "ep-1")
    assert not got.is_error and got.structured_content == json.loads(got.content[0].text)
    snapshot, diff = got.structured_content["snapshot"], got.structured_content["diff"]
    assert snapshot["episode"] == "ep-1" and snapshot["calls"] == 2
    assert snapshot["resources"]["ticket"]["records"] == {made["ticket_id"]: {**made, "status": "closed"}}
    assert [(c["resource"], c["key"]) for c in diff["created"]] == [("ticket", made["ticket_id"])]
    assert diff["created"][0]["record"]["status"] == "closed"
    assert fresh.structured_content["snapshot"] == {"episode": "never-used", "calls": 0, "resources": {}}
    assert bad.is_error


async def test_a_catalog_tool_named_episode_snapshot_wins_over_the_meta_tool(era):
    own = ToolSpec("episode_snapshot", "The catalog's own tool.", parameters={"type": "object", "properties": {"q": {"type": "string"}}},
                   response={"type": "object", "properties": {"mine": {"type": "boolean"}}, "required": ["mine"]})  # fmt: skip
    gtm = GTMServer(Catalog([own]))
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            result = await client.call_tool("episode_snapshot", {"q": "x"})
    assert not result.is_error and set(result.structured_content) == {"mine"}
