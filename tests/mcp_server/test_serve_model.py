"""`gtm serve --engine transformers`: the MCP server answers with the embedded model, offline."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from anyio import fail_after
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.slow


def _env(cache_dir) -> dict[str, str]:
    return {**os.environ, "GTM_CACHE_DIR": str(cache_dir), "HF_HUB_OFFLINE": "1"}


@pytest.mark.anyio
async def test_gtm_serve_with_the_embedded_model_answers_calls_and_still_checks_arguments(gtm_cache_dir):
    """A call answers with the model (or a flagged fallback); a bad call is still caught by the checks."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "gtm_core", "serve", "--engine", "transformers", "--engine-option", "max_tokens=160",
              "--tools", "get_current_weather", "--log-level", "warning"],
        env=_env(gtm_cache_dir),
    )  # fmt: skip
    with fail_after(300):
        async with Client(params) as client:
            ok = await client.call_tool("get_current_weather", {"city": "Oslo"}, meta={"gtm/episode": "m1"})
            bad = await client.call_tool("get_current_weather", {"city": 1})
    assert not ok.is_error, ok.content
    assert ok.meta["gtm/engine"] == "transformers" or ok.meta.get("gtm/fallback"), ok.meta
    assert isinstance(ok.structured_content, dict)
    assert bad.is_error and bad.meta["gtm/error_kind"] == "type_error"


def test_the_servers_first_log_line_says_which_engine_and_model_answer(gtm_cache_dir):
    done = subprocess.run([sys.executable, "-m", "gtm_core", "serve", "--engine", "transformers"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, env=_env(gtm_cache_dir))  # fmt: skip
    first = done.stderr.splitlines()[0]
    assert "engine: transformers SmolLM2-135M-Instruct (embedded" in first, done.stderr
