"""256 episodes at once through one HTTP server: no episode sees another's records, and closing them frees the store."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from anyio import fail_after
from live_http import LiveServer, serving
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from gtm_core import Catalog
from mcp_server import GTMServer

pytestmark = pytest.mark.slow

TOKEN = "concurrency-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EPISODES = 256
WAYS = ("url", "meta", "header")  # episode i names itself the way WAYS[i % 3]


def _mark(i: int) -> str:
    return f"mark{i:04d}z"  # fixed width and a terminator: no mark is a prefix or substring of another


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    gtm = GTMServer(Catalog.shipped(), tools=["*support_ticket*"], require_episode=True)
    with serving(gtm, token=TOKEN) as server:
        yield server


async def _rollout(live: LiveServer, i: int, seen: dict[int, list[str]], ready: anyio.Event, gate: list[int]) -> None:
    """Episode i: create two tickets marked with its own mark, read one back, list them; keep every answer's text."""
    mark, way = _mark(i), WAYS[i % 3]
    episode = f"cross-{i}"
    url = f"{live.url}/episodes/{episode}" if way == "url" else live.url
    headers = {**AUTH, **({"X-GTM-Episode": episode} if way == "header" else {})}
    meta = {"gtm/episode": episode} if way == "meta" else None
    texts: list[str] = []
    async with httpx2.AsyncClient(headers=headers, timeout=120) as http:
        async with Client(streamable_http_client(url, http_client=http), mode="auto") as client:
            gate[0] += 1
            if gate[0] == EPISODES:
                ready.set()
            await ready.wait()  # every episode's session is open before any of them calls a tool

            async def call(tool: str, arguments: dict[str, Any]) -> Any:
                result = await client.call_tool(tool, arguments, meta=meta)
                assert not result.is_error, result.content[0].text
                assert result.meta["gtm/episode"] == episode
                texts.append(json.dumps(result.structured_content))
                return result.structured_content

            made = [await call("create_support_ticket", {"subject": f"{mark} printer {n}", "description": f"{mark} broke", "requester_email": "ann@example.com"}) for n in (1, 2)]
            got = await call("get_support_ticket", {"support_ticket_id": made[0]["support_ticket_id"]})
            assert got["subject"] == f"{mark} printer 1"
            listed = await call("list_support_tickets", {})
            assert {t["support_ticket_id"] for t in made} <= {t["support_ticket_id"] for t in listed["support_tickets"]}
    seen[i] = texts


@pytest.mark.anyio
async def test_256_concurrent_episodes_named_by_url_meta_or_header_never_see_each_others_records(live):
    """Each episode's answers hold its own mark and no other's; then closing all 256 leaves the store empty."""
    seen: dict[int, list[str]] = {}
    ready, gate = anyio.Event(), [0]
    with fail_after(600):
        async with anyio.create_task_group() as group:
            for i in range(EPISODES):
                group.start_soon(_rollout, live, i, seen, ready, gate)
    assert len(seen) == EPISODES
    marks = [_mark(i) for i in range(EPISODES)]
    leaks = {i: [m for m in marks if m != marks[i] and any(m in text for text in texts)] for i, texts in seen.items()}
    assert {i: found for i, found in leaks.items() if found} == {}
    assert all(any(marks[i] in text for text in texts) for i, texts in seen.items())

    store = live.gtm.simulator.episodes
    live_before, rss_before = len(store), _rss_mb()
    async with httpx2.AsyncClient(base_url=live.base, headers=AUTH) as http:
        snapshot = (await http.get("/episodes/cross-0/snapshot")).json()
        assert len(snapshot["resources"]["support_ticket"]["records"]) == 2
        for i in range(EPISODES):
            closed = await http.delete(f"/episodes/cross-{i}")
            assert closed.status_code == 200, closed.text
        stats = (await http.get("/episodes")).json()
    gc.collect()
    # Printed, not asserted (benchmarks/rollouts.py measures what closing frees with tracemalloc and the server's RSS).
    print(f"\nlive episodes {live_before} -> {len(store)}; test process RSS {rss_before:.1f} -> {_rss_mb():.1f} MB")
    assert stats["live"] == 0 and len(store) == 0


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
