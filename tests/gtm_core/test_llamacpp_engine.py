"""The llamacpp engine: options, model names, the error branch, and real answers from Qwen2.5-Coder-0.5B."""

from __future__ import annotations

import asyncio
import importlib.util
import json

import pytest

from gtm_core import Simulator, ToolSpec
from gtm_core.answers import answer_schema, conform_answer, error_reachable
from gtm_core.engines import get_engine
from gtm_core.engines.base import EngineError
from gtm_core.engines.config import resolve_engine_config
from gtm_core.engines.llamacpp import LlamaCppEngine, default_threads
from gtm_core.fake import conforms
from gtm_core.generation import ChatRequest, GenerationRequest

needs_llama_cpp = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed: run .ci/setup")

WEATHER = ToolSpec(
    "get_current_weather", "Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}, "units": {"type": "string", "enum": ["metric", "imperial"]}}},
    required=["city"],
    response={"type": "object", "properties": {"city": {"type": "string"}, "temperature_c": {"type": "number", "minimum": -90, "maximum": 60},
                                                "conditions": {"type": "string"}}, "required": ["city", "temperature_c", "conditions"]},
)  # fmt: skip
CONVERT = ToolSpec(
    "convertTemperature", "Convert a temperature between C, F and K.",
    parameters={"type": "object", "properties": {"value": {"type": "number"}, "toUnit": {"type": "string", "enum": ["C", "F", "K"]}}},
    required=["value", "toUnit"],
    response={"type": "object", "properties": {"value": {"type": "number"}, "unit": {"type": "string"}}, "required": ["value", "unit"]},
)  # fmt: skip


def test_the_engine_is_registered_and_checks_its_options_by_name():
    """get_engine("llamacpp") builds it without loading anything; bad options name the option and the value."""
    engine = get_engine("llamacpp", model="qwen2.5-coder-0.5b", threads=1)
    assert isinstance(engine, LlamaCppEngine) and engine._llama is None and engine.threads == 1
    with pytest.raises(ValueError, match=r"'context_size' option of the llamacpp engine must be an integer >= 256\. Got 10"):
        LlamaCppEngine(context_size=10)
    with pytest.raises(ValueError, match=r"'threads' option .* Got 0 instead"):
        LlamaCppEngine(threads=0)
    config = resolve_engine_config("llamacpp", "qwen2.5-coder-0.5b", ["context_size=2048"])
    assert config.options == {"model": "qwen2.5-coder-0.5b", "context_size": 2048}


def test_threads_default_to_half_the_cpus_and_at_least_one():
    """On a shared 2-core machine one thread is the default (two were 5-20x slower there)."""
    assert default_threads() >= 1 and LlamaCppEngine().threads == default_threads()


def test_a_known_model_that_is_not_installed_fails_the_call_with_the_install_command(tmp_path):
    """The call becomes an engine_error result naming `gtm models install`; the simulator keeps serving."""
    engine = LlamaCppEngine("qwen2.5-coder-1.5b", cache_dir=tmp_path)
    with pytest.raises(EngineError, match=r"gtm models install qwen2\.5-coder-1\.5b"):
        engine.locate()
    with Simulator([WEATHER], engine=engine) as simulator:
        result = simulator.simulate("get_current_weather", {"city": "Oslo"})
        assert result.is_error and result.error_kind == "engine_error" and "gtm models install qwen2.5-coder-1.5b" in result.content
        assert not simulator.simulate("get_current_weather", {"city": 5}).error_kind == "engine_error"  # argument checks still answer


def test_an_error_is_reachable_only_where_an_argument_may_name_something_that_does_not_exist():
    """Free text (a city) may not exist; enumerated values, numbers and an entity the world holds always do."""
    assert error_reachable(GenerationRequest(WEATHER, {"city": "Atlantis"}))
    assert not error_reachable(GenerationRequest(WEATHER, {"city": "Oslo"}, entity={"city": "Oslo"}))
    assert not error_reachable(GenerationRequest(CONVERT, {"value": 100, "toUnit": "F"}))
    assert not error_reachable(GenerationRequest(WEATHER, {"city": "Oslo"}, options={"allow_error": False}))
    assert "anyOf" not in answer_schema(CONVERT, allow_error=error_reachable(GenerationRequest(CONVERT, {"value": 1, "toUnit": "K"})))


def test_conforming_keeps_a_number_the_model_computed_and_echoes_text_arguments():
    """100 C asked in F: the model's 212 stays although the argument named value is 100; a misspelt echo is fixed."""
    fixed, _ = conform_answer({"value": 212, "unit": "F"}, CONVERT, {"value": 100, "toUnit": "F"})
    assert fixed == {"value": 212, "unit": "F"}
    nested = ToolSpec("get_place", "x", parameters={"type": "object", "properties": {"city": {"type": "string"}}},
                      response={"type": "object", "properties": {"place": {"type": "object", "properties": {"city": {"type": "string"}}}}})  # fmt: skip
    assert conform_answer({"place": {"city": "oslo "}}, nested, {"city": "Oslo"})[0] == {"place": {"city": "Oslo"}}


def _without_bounds(schema):
    if isinstance(schema, dict):
        return {k: _without_bounds(v) for k, v in schema.items() if k not in ("minimum", "maximum")}
    return [_without_bounds(v) for v in schema] if isinstance(schema, list) else schema


# ---- a real model --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def qwen(qwen05_gguf):
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: run .ci/setup")
    engine = LlamaCppEngine(str(qwen05_gguf), max_tokens=96, context_size=2048)
    engine.load()
    yield engine
    asyncio.run(engine.aclose())


@pytest.mark.slow
@needs_llama_cpp
def test_qwen_answers_valid_calls_with_json_that_follows_the_answer_schema(qwen):
    """Raw completions are strict JSON under the answer schema (ranges aside); the results carry the echoed city."""
    requests = [GenerationRequest(WEATHER, {"city": city}, seed=i) for i, city in enumerate(["Oslo", "Tokyo"])]
    chats = [qwen.chat_request(r) for r in requests]
    texts = asyncio.run(qwen.complete(chats))
    for chat, text in zip(chats, texts):
        assert conforms(json.loads(text), _without_bounds(chat.json_schema))  # llama.cpp's grammars do not enforce ranges
    with Simulator([WEATHER, CONVERT], engine=qwen) as simulator:
        result = simulator.simulate("get_current_weather", {"city": "Oslo"})
        assert not result.is_error and result.structured["city"] == "Oslo" and -90 <= result.structured["temperature_c"] <= 60
        converted = simulator.simulate("convertTemperature", {"value": 100, "toUnit": "F"})
        assert not converted.is_error and set(converted.structured) == {"value", "unit"}
    assert qwen.tokens_generated > 0 and qwen.generate_seconds > 0


@pytest.mark.slow
@needs_llama_cpp
def test_a_cancelled_call_gives_up_its_place_and_the_next_call_is_answered(qwen):
    """A call cancelled mid-decoding stops; the queue goes on with the next call."""
    long = ChatRequest(messages=[{"role": "user", "content": "Count from 1 to 500, one number a line."}], max_tokens=400)
    short = ChatRequest(messages=[{"role": "user", "content": "Say OK."}], max_tokens=4)

    async def scenario() -> tuple[float, str]:
        task = asyncio.create_task(qwen.complete([long]))
        await asyncio.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        started = asyncio.get_running_loop().time()
        [text] = await asyncio.wait_for(qwen.complete([short]), 120)
        return asyncio.get_running_loop().time() - started, text

    tokens = qwen.tokens_generated
    _, text = asyncio.run(scenario())
    assert isinstance(text, str) and qwen.tokens_generated - tokens < 200  # the long call did not run to its 400 tokens


@pytest.mark.slow
@needs_llama_cpp
def test_a_call_past_its_timeout_fails_with_the_option_to_raise(qwen05_gguf):
    """timeout_s bounds the decoding of a call; the error names the option."""
    engine = LlamaCppEngine(str(qwen05_gguf), timeout_s=0.5, context_size=1024)
    engine.load()
    try:
        with pytest.raises(EngineError, match=r"raise timeout_s"):
            asyncio.run(engine.complete([ChatRequest(messages=[{"role": "user", "content": "Write a long story."}], max_tokens=300)]))
    finally:
        asyncio.run(engine.aclose())
