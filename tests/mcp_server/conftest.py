"""Fixtures for the MCP server tests: the async backend and both protocol eras."""

from __future__ import annotations

import pytest
from mcp_helpers import ERAS

from gtm_core import Catalog


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    """The connect mode of the SDK client: each test runs in both protocol eras."""
    return request.param


@pytest.fixture(scope="session")
def shipped_catalog() -> Catalog:
    return Catalog.shipped()
