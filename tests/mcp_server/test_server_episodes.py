"""Episode ids: where they are read from, and that episodes keep separate worlds over MCP."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from anyio import fail_after
from mcp import Client

from mcp_server import GTMServer
from mcp_server.episodes import InvalidEpisodeError, resolve_episode

ORDER = {"customer_email": "ann@example.com", "currency": "EUR", "items": [{"product_id": "SKU-1001", "quantity": 2}]}


@dataclass
class _Request:
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Context:
    meta: dict[str, Any] | None = None
    request: Any = None


def test_meta_wins_over_the_episode_header_which_wins_over_the_session():
    """_meta["gtm/episode"], then X-GTM-Episode, then Mcp-Session-Id, then the process."""
    headers = {"x-gtm-episode": "from-header", "mcp-session-id": "abc123"}
    assert resolve_episode(_Context({"gtm/episode": "from-meta"}, _Request(headers)), process_episode="p").id == "from-meta"
    assert resolve_episode(_Context(None, _Request(headers)), process_episode="p").id == "from-header"
    handle = resolve_episode(_Context(None, _Request({"mcp-session-id": "abc123"})), process_episode="p")
    assert (handle.id, handle.source) == ("mcp-session:abc123", "session")
    assert resolve_episode(_Context({"progressToken": 1}), process_episode="p").id == "p"


@pytest.mark.parametrize("bad", ["", "x" * 300, ["a"], {"id": 1}])
def test_an_episode_id_that_is_empty_too_long_or_not_a_string_is_refused(bad):
    """A bad handle raises InvalidEpisodeError that says what is wrong; integers are accepted as text."""
    with pytest.raises(InvalidEpisodeError, match="episode id"):
        resolve_episode(_Context({"gtm/episode": bad}), process_episode="p")
    assert resolve_episode(_Context({"gtm/episode": 7}), process_episode="p").id == "7"


@pytest.mark.anyio
async def test_episodes_given_in_meta_keep_separate_worlds(era, shipped_catalog):
    """An order created in episode A is not the entity episode B reads; deleted in A, it is gone in A."""
    gtm = GTMServer(shipped_catalog)
    a, b = {"gtm/episode": "A"}, {"gtm/episode": "B"}
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            created = await client.call_tool("create_order", ORDER, meta=a)
            order_id = created.structured_content["order_id"]
            in_a = await client.call_tool("get_order", {"order_id": order_id}, meta=a)
            in_b = await client.call_tool("get_order", {"order_id": order_id}, meta=b)
            deleted = await client.call_tool("delete_order", {"order_id": order_id}, meta=a)
            after = await client.call_tool("get_order", {"order_id": order_id}, meta=a)
            still_in_b = await client.call_tool("get_order", {"order_id": order_id}, meta=b)
    assert not created.is_error and not deleted.is_error
    assert in_a.structured_content["customer_email"] == "ann@example.com"
    assert in_b.structured_content["customer_email"] != "ann@example.com"
    assert in_a.meta["gtm/episode"] == "A" and in_b.meta["gtm/episode"] == "B"
    assert after.is_error and after.meta["gtm/error_kind"] == "not_found"
    assert "deleted" in json.loads(after.content[0].text)["error"]["message"]
    assert not still_in_b.is_error


@pytest.mark.anyio
async def test_calls_without_an_episode_share_the_process_episode_and_a_bad_one_is_an_error_result(era, shipped_catalog):
    """No handle: one episode per server. A bad handle: an is_error result, not a protocol error."""
    gtm = GTMServer(shipped_catalog)
    with fail_after(5):
        async with Client(gtm.server, mode=era) as client:
            first = await client.call_tool("get_current_weather", {"city": "Oslo"})
            second = await client.call_tool("get_current_weather", {"city": "Lima"})
            bad = await client.call_tool("get_current_weather", {"city": "Oslo"}, meta={"gtm/episode": ""})
    assert first.meta["gtm/episode"] == second.meta["gtm/episode"] == gtm.process_episode
    assert bad.is_error and bad.meta["gtm/error_kind"] == "invalid_episode"


@pytest.mark.anyio
async def test_hidden_context_in_meta_reaches_the_episode(shipped_catalog):
    """_meta["gtm/hidden_context"] sets the episode's hidden context for engines that use it."""
    gtm = GTMServer(shipped_catalog)
    meta = {"gtm/episode": "task-9", "gtm/hidden_context": {"answer": 42}}
    with fail_after(5):
        async with Client(gtm.server, mode="legacy") as client:
            result = await client.call_tool("get_current_weather", {"city": "Oslo"}, meta=meta)
    assert not result.is_error
    assert gtm.simulator.episode("task-9").hidden_context == {"answer": 42}
