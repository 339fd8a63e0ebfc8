"""Shared fixtures: the public data folder (GTM_DATA_DIR) and small tool specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtm_core.data import MARKET, TRAINING_APIS, data_file


def _require(relative: str) -> Path:
    path = data_file(relative)
    if path is None:
        pytest.skip(f"public data {relative} not found: set GTM_DATA_DIR to the folder that holds it")
    return path


@pytest.fixture(scope="session")
def training_apis_path() -> Path:
    """The training API catalog of ../shared/data (skips the test when it is absent)."""
    return _require(TRAINING_APIS)


@pytest.fixture(scope="session")
def market_path() -> Path:
    """The crawled MCP market of ../shared/data (skips the test when it is absent)."""
    return _require(MARKET)
