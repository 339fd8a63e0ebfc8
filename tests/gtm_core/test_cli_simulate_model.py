"""`gtm simulate --engine transformers` answers with the embedded model, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _gtm(*args: str, cache_dir) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GTM_CACHE_DIR": str(cache_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "gtm_core", *args], capture_output=True, text=True, timeout=600, env=env)


def test_simulate_with_the_embedded_model_answers_a_shipped_tool_with_json(gtm_cache_dir):
    done = _gtm("simulate", "get_current_weather", "--args", '{"city": "Oslo"}', "--engine", "transformers", "--json",
                "--engine-option", "max_tokens=160", cache_dir=gtm_cache_dir)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["tool"] == "get_current_weather" and result["structured"] is not None
    assert result["engine"] == "transformers" or result["fallback"], result  # a fallback is always flagged


def test_a_bad_engine_option_is_refused_before_any_model_loads(gtm_cache_dir):
    done = _gtm("simulate", "get_current_weather", "--engine", "transformers", "--engine-option", "max_batch=0", cache_dir=gtm_cache_dir)
    assert done.returncode != 0 and "max_batch" in done.stderr
