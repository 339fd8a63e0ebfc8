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


@pytest.fixture(scope="session")
def gtm_cache_dir(tmp_path_factory) -> Path:
    """A GTM_CACHE_DIR whose models/ holds the embedded model, converted once for the whole session.

    Slow tests that load the embedded model (in process or in a `gtm` subprocess) share it,
    so the GGUF conversion (20-50 s here) is paid once.
    """
    import asyncio

    from gtm_core.engines.transformers import TransformersEngine

    root = tmp_path_factory.mktemp("gtm-cache")
    engine = TransformersEngine(cache_dir=root / "models")
    engine.load()
    asyncio.run(engine.aclose())
    return root


CI_MODEL_CACHE = Path(__file__).resolve().parent.parent / ".venv" / "gtm-cache" / "models"
"""Where .ci/setup installs the known models for the tests (inside .venv, like the llama.cpp wheel)."""


def installed_known_model(name: str) -> Path:
    """The file of a known model from the CI cache or the user's cache; skips with the install command when absent."""
    from gtm_core.models import installed_path

    for cache in (CI_MODEL_CACHE, None):
        path = installed_path(name, cache)
        if path is not None:
            return path
    pytest.skip(f"the model {name} is not installed: GTM_CACHE_DIR=.venv/gtm-cache .venv/bin/gtm models install {name} (or run .ci/setup)")


@pytest.fixture(scope="session")
def qwen05_gguf() -> Path:
    """Qwen2.5-Coder-0.5B-Instruct's GGUF file, as .ci/setup installs it (skips when absent)."""
    return installed_known_model("qwen2.5-coder-0.5b")


@pytest.fixture(scope="session")
def qwen15_gguf() -> Path:
    """Qwen2.5-Coder-1.5B-Instruct's GGUF file (skips with the install command when absent)."""
    return installed_known_model("qwen2.5-coder-1.5b")
