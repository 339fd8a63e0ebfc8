"""Episodes over HTTP: the episode in the URL, the /episodes lifecycle endpoints, --require-episode."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from anyio import fail_after
from live_http import LiveServer, serving
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from gtm_core import Catalog
from mcp_server import GTMServer

TOKEN = "episode-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORDER = {"customer_email": "ann@example.com", "currency": "EUR", "items": [{"product_id": "SKU-1001", "quantity": 2}]}


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    gtm = GTMServer(Catalog.shipped(), tools=["*order*", "*support_ticket*"], require_episode=True)
    with serving(gtm, token=TOKEN) as server:
        yield server


async def _call(url: str, tool: str, arguments: dict, *, era: str, headers: dict | None = None, meta: dict | None = None):
    async with httpx2.AsyncClient(headers={**AUTH, **(headers or {})}) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=era) as client:
            return await client.call_tool(tool, arguments, meta=meta)


@pytest.mark.anyio
async def test_the_episode_in_the_url_path_or_query_keeps_each_world_apart(live, era):
    """An order created through /mcp/episodes/A is in A's snapshot, and /mcp?episode=B sees another world."""
    a, b = f"url-A-{era}", f"url-B-{era}"
    with fail_after(20):
        created = await _call(f"{live.url}/episodes/{a}", "create_order", ORDER, era=era)
        order_id = created.structured_content["order_id"]
        in_a = await _call(f"{live.url}?episode={a}", "get_order", {"order_id": order_id}, era=era)
        in_b = await _call(f"{live.url}?episode={b}", "get_order", {"order_id": order_id}, era=era)
    assert created.meta["gtm/episode"] == in_a.meta["gtm/episode"] == a and in_b.meta["gtm/episode"] == b
    assert in_a.structured_content["customer_email"] == "ann@example.com"
    assert in_b.structured_content["customer_email"] != "ann@example.com"
    async with httpx2.AsyncClient(headers=AUTH) as http:
        snapshot = (await http.get(f"{live.base}/episodes/{a}/snapshot")).json()
    assert list(snapshot["resources"]["order"]["records"]) == [order_id]


@pytest.mark.anyio
async def test_meta_wins_over_the_url_which_wins_over_the_header(live):
    """With all three given, _meta names the episode; without _meta, the URL does, not the X-GTM-Episode header."""
    url = f"{live.url}/episodes/from-url"
    with fail_after(20):
        by_meta = await _call(url, "list_orders", {}, era="auto", headers={"X-GTM-Episode": "from-header"}, meta={"gtm/episode": "from-meta"})
        by_url = await _call(url, "list_orders", {}, era="auto", headers={"X-GTM-Episode": "from-header"})
    assert by_meta.meta["gtm/episode"] == "from-meta"
    assert by_url.meta["gtm/episode"] == "from-url"


@pytest.mark.anyio
async def test_require_episode_refuses_a_call_that_names_no_episode(live, era):
    """No _meta, URL or header episode: an is_error result that says the three ways to name one."""
    with fail_after(20):
        result = await _call(live.url, "list_orders", {}, era=era)
    assert result.is_error and result.meta["gtm/error_kind"] == "missing_episode"
    text = result.content[0].text
    assert "/mcp/episodes/" in text and "X-GTM-Episode" in text and "gtm/episode" in text


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/mcp/episodes/" + "x" * 300, "limit is 256"),
        ("/mcp/episodes/a%0Ab", "control character"),
        ("/mcp/episodes/a?episode=b", "two episodes"),
        ("/mcp?episode=", "non-empty"),
        ("/mcp?episode=a&episode=b", "once"),
    ],
)
def test_a_bad_episode_in_the_url_gets_400_saying_what_is_wrong(live, path, fragment):
    """Too long, a control character, two different ids, empty, repeated: 400 with a JSON-RPC error body."""
    response = httpx2.post(live.base + path, headers={**AUTH, "Content-Type": "application/json", "Accept": "application/json"}, content=b"{}")
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


def test_open_reset_snapshot_diff_and_close_over_http(live):
    """POST /episodes opens with hidden context; the diff shows what calls did; reset empties; DELETE frees; then 404."""
    gtm = live.gtm
    with httpx2.Client(base_url=live.base, headers=AUTH) as http:
        opened = http.post("/episodes", json={"episode": "life", "hidden_context": {"goal": "close the ticket"}})
        assert opened.status_code == 201 and opened.json() == {"episode": "life", "mcp_path": "/mcp/episodes/life"}
        assert gtm.simulator.episode("life").hidden_context == {"goal": "close the ticket"}
        created = gtm.simulator.simulate("create_order", ORDER, episode="life")
        diff = http.get("/episodes/life/diff").json()
        assert [(c["resource"], c["key"]) for c in diff["created"]] == [("order", created.structured["order_id"])]
        assert http.post("/episodes/life/reset").status_code == 200
        assert http.get("/episodes/life/snapshot").json() == {"episode": "life", "calls": 0, "resources": {}}
        assert gtm.simulator.episode("life").hidden_context == {"goal": "close the ticket"}  # reset keeps the opening's
        closed = http.delete("/episodes/life")
        assert closed.json() == {"episode": "life", "closed": True}
        gone = http.get("/episodes/life/snapshot")
        assert gone.status_code == 404 and "no live episode 'life'" in gone.json()["error"]["message"]
        assert http.delete("/episodes/life").status_code == 404
        stats = http.get("/episodes").json()
        assert stats["max_episodes"] == gtm.simulator.episodes.limits.max_episodes and "idle_seconds" in stats


def test_the_lifecycle_endpoints_need_the_token_and_a_local_host(live):
    """No token: 401; a foreign Host header: 421, as on /mcp."""
    assert httpx2.post(live.base + "/episodes", json={}).status_code == 401
    foreign = httpx2.get(live.base + "/episodes", headers={**AUTH, "Host": f"evil.example:{live.port}"})
    assert foreign.status_code == 421


@pytest.mark.parametrize(
    ("body", "fragment"),
    [(b"[1]", "JSON object"), (b"{nope", "not JSON"), (b'{"seeds": {}}', "unknown field"), (b'{"hidden_context": 3}', "must be a JSON object"), (b'{"episode": ""}', "non-empty")],
)
def test_a_bad_open_body_gets_400_and_the_server_keeps_serving(live, body, fragment):
    """Each malformed body is refused with a message naming the problem; the next good request works."""
    with httpx2.Client(base_url=live.base, headers={**AUTH, "Content-Type": "application/json"}) as http:
        refused = http.post("/episodes", content=body)
        assert refused.status_code == 400 and fragment in refused.json()["error"]["message"]
        assert http.post("/episodes", json={}).status_code == 201
