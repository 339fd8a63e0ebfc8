"""`gtm serve` over stdio, started as a subprocess and driven by the SDK's stdio client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from anyio import fail_after
from mcp import Client, StdioServerParameters
from mcp_helpers import ERAS, list_all

from gtm_core import Catalog

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture(scope="module")
def catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stdio") / "tools.jsonl"
    Catalog.shipped().save(path)
    return path


@pytest.mark.parametrize("era", ERAS)
async def test_gtm_serve_over_stdio_lists_every_tool_and_answers_calls(era, catalog_file):
    """python -m gtm_core serve: all pages list, a call answers, a bad call is an error result."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "gtm_core", "serve", "--catalog", str(catalog_file), "--first-page-size", "20", "--log-level", "warning"],
    )
    with fail_after(60):
        async with Client(params, mode=era) as client:
            tools = await list_all(client)
            ok = await client.call_tool("get_current_weather", {"city": "Oslo"}, meta={"gtm/episode": "s1"})
            bad = await client.call_tool("get_current_weather", {"city": 1})
    assert len(tools) == len(Catalog.load(catalog_file))
    assert not ok.is_error and ok.structured_content["city"] == "Oslo" and ok.meta["gtm/episode"] == "s1"
    assert bad.is_error and bad.meta["gtm/error_kind"] == "type_error"

