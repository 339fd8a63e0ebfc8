"""Reloading the catalog: new tools are served and clients hear tools/list_changed, in both eras."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from anyio import fail_after
from mcp import Client
from mcp.client.subscriptions import ToolsListChanged
from mcp_helpers import QUOTE, WEATHER, list_all

from gtm_core import Catalog, ToolSpec
from mcp_server import GTMServer

pytestmark = pytest.mark.anyio


def _write(path: Path, *specs: ToolSpec) -> Path:
    Catalog(list(specs)).save(path)
    return path


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    return _write(tmp_path / "tools.jsonl", WEATHER)


def _server(path: Path, **options) -> GTMServer:
    return GTMServer(Catalog.load(path), catalog_paths=[path], **options)


async def test_a_reload_serves_the_new_tools_and_notifies_a_handshake_era_client(catalog_file):
    """After the file changes, reload_if_changed() swaps the tools and sends notifications/tools/list_changed."""
    gtm = _server(catalog_file)
    changed = anyio.Event()

    async def on_message(message: object) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    with fail_after(5):
        async with Client(gtm.server, mode="legacy", message_handler=on_message) as client:
            assert [t.name for t in await list_all(client)] == ["get_weather"]
            assert await gtm.reload_if_changed() is False
            _write(catalog_file, WEATHER, QUOTE)
            assert await gtm.reload_if_changed() is True
            await changed.wait()
            assert [t.name for t in await list_all(client)] == ["get_weather", "get_quote"]
            result = await client.call_tool("get_quote", {"topic": "time"})
    assert not result.is_error


async def test_a_reload_reaches_a_2026_era_client_through_its_listen_stream(catalog_file):
    """A subscriptions/listen stream asking for toolsListChanged receives the event."""
    gtm = _server(catalog_file)
    with fail_after(5):
        async with Client(gtm.server, mode="auto") as client:
            assert client.protocol_version == "2026-07-28"
            async with client.listen(tools_list_changed=True) as subscription:
                _write(catalog_file, WEATHER, QUOTE)
                assert await gtm.reload_if_changed()
                event = await subscription.__anext__()
            assert isinstance(event, ToolsListChanged)
            assert len(await list_all(client)) == 2


async def test_polling_reloads_by_itself_while_the_server_runs(catalog_file):
    """With reload_interval set, the server notices the change and notifies without being asked."""
    gtm = _server(catalog_file, reload_interval=0.02)
    changed = anyio.Event()

    async def on_message(message: object) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    with fail_after(5):
        async with Client(gtm.server, mode="legacy", message_handler=on_message) as client:
            _write(catalog_file, QUOTE, WEATHER)
            await changed.wait()
            assert [t.name for t in await list_all(client)] == ["get_quote", "get_weather"]


async def test_a_broken_catalog_file_keeps_the_tools_loaded_before_and_logs_why(catalog_file, caplog):
    """An unreadable line makes the reload fail as a whole; the old tools stay and the log names the line."""
    gtm = _server(catalog_file)
    catalog_file.write_text(json.dumps(QUOTE.to_dict()) + "\n{not json\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="mcp_server"):
        assert await gtm.reload_if_changed() is False
    assert [s.name for s in gtm.selection.catalog] == ["get_weather"]
    assert "keeping the tools loaded before" in caplog.text and "tools.jsonl:2" in caplog.text
    assert await gtm.reload_if_changed() is False  # not retried until the file changes again


async def test_a_reload_that_would_select_no_tool_is_ignored(catalog_file, caplog):
    """With --field Weather, a catalog without weather tools keeps the old selection."""
    gtm = _server(catalog_file, field="Weather")
    _write(catalog_file, QUOTE)
    with caplog.at_level(logging.ERROR, logger="mcp_server"):
        assert await gtm.reload_if_changed() is False
    assert list(gtm.selection.names) == ["get_weather"]
    assert "Weather" in caplog.text


async def test_episodes_survive_a_reload(catalog_file, shipped_catalog):
    """The new Simulator shares the old one's episodes: an entity created before is found after."""
    path = catalog_file.parent / "shipped.jsonl"
    shipped_catalog.save(path)
    gtm = _server(path)
    order = {"customer_email": "ann@example.com", "currency": "EUR", "items": [{"product_id": "SKU-1", "quantity": 1}]}
    meta = {"gtm/episode": "keep"}
    with fail_after(5):
        async with Client(gtm.server, mode="legacy") as client:
            created = await client.call_tool("create_order", order, meta=meta)
            assert await gtm.reload(Catalog.load(path))
            again = await client.call_tool("get_order", {"order_id": created.structured_content["order_id"]}, meta=meta)
    assert again.structured_content["customer_email"] == "ann@example.com"
