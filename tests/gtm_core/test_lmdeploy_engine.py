"""The lmdeploy engine: a clear error where lmdeploy is missing, a real run where it is installed.

lmdeploy needs a CUDA GPU and its own torch, so the real run is skipped on CPU machines; the
model it loads is named by GTM_LMDEPLOY_MODEL (a Hugging Face id or a local folder).
"""

from __future__ import annotations

import asyncio
import builtins
import importlib.util
import json
import os
import sys
from typing import Any

import jsonschema
import pytest

from gtm_core.engines.base import EngineError
from gtm_core.engines.lmdeploy_pipeline import LmdeployEngine
from gtm_core.generation import ChatRequest

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "temperature_c": {"type": "number"}},
    "required": ["city", "temperature_c"],
}
REQUEST = ChatRequest(
    messages=[
        {"role": "system", "content": "You are a weather API. Answer only with the JSON response."},
        {"role": "user", "content": 'get_weather({"city": "Paris"})'},
    ],
    json_schema=SCHEMA,
    max_tokens=96,
)


def test_without_lmdeploy_the_engine_says_how_to_get_it_or_what_to_use_instead(monkeypatch):
    """The first call fails with EngineError naming the extra and the openai engine route."""
    real_import = builtins.__import__

    def no_lmdeploy(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "lmdeploy" or name.startswith("lmdeploy."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "lmdeploy", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_lmdeploy)
    engine = LmdeployEngine("Qwen/Qwen2.5-0.5B-Instruct")  # building the engine loads nothing
    with pytest.raises(EngineError) as caught:
        asyncio.run(engine.complete([REQUEST]))
    message = str(caught.value)
    assert "needs a CUDA GPU" in message and "pip install 'gtm-toolkit[lmdeploy]'" in message
    assert "lmdeploy serve api_server" in message and "--engine openai" in message


def test_the_lmdeploy_engine_needs_a_model_name():
    """There is no embedded default that lmdeploy can load, so the model must be named."""
    with pytest.raises(ValueError, match="'model' option of the lmdeploy engine"):
        LmdeployEngine()


def _lmdeploy_unusable() -> str | None:
    if importlib.util.find_spec("lmdeploy") is None:
        return "lmdeploy is not installed (it needs a CUDA GPU: pip install 'gtm-toolkit[lmdeploy]')"
    if not os.environ.get("GTM_LMDEPLOY_MODEL"):
        return "set GTM_LMDEPLOY_MODEL to a model lmdeploy can load (a Hugging Face id or folder)"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_lmdeploy_unusable() is not None, reason=_lmdeploy_unusable() or "")
def test_lmdeploy_answers_a_batch_with_json_that_follows_the_schema():
    """On a GPU machine: two requests in one pipeline call, both valid under the schema."""
    engine = LmdeployEngine(os.environ["GTM_LMDEPLOY_MODEL"])
    try:
        texts = asyncio.run(engine.complete([REQUEST, REQUEST]))
    finally:
        asyncio.run(engine.aclose())
    assert len(texts) == 2
    for text in texts:
        jsonschema.validate(json.loads(text), SCHEMA)
