"""The shared language-model path: prompt, constrain, parse, conform, retry once, fall back (flagged)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from gtm_core import Simulator, ToolSpec
from gtm_core.cache import ResponseCache
from gtm_core.engines.base import EngineError
from gtm_core.engines.chat import RETRY_TEMPERATURE, ChatEngine
from gtm_core.generation import ChatRequest

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    required=["city"],
    response={
        "type": "object",
        "properties": {"city": {"type": "string"}, "humidity": {"type": "integer", "minimum": 0, "maximum": 100}},
        "required": ["city", "humidity"],
    },
)


class ScriptedEngine(ChatEngine):
    """Answers from a script of texts (or raises), and keeps the chat requests it was given."""

    name = "scripted"

    def __init__(self, script: list[str | Exception], **options) -> None:
        super().__init__(**options)
        self.script = list(script)
        self.seen: list[ChatRequest] = []

    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        self.seen.extend(requests)
        out = []
        for _ in requests:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            out.append(step)
        return out


def simulate(engine: ChatEngine, arguments=None, **options):
    with Simulator([WEATHER], engine=engine, **options) as sim:
        return sim.simulate("get_weather", arguments or {"city": "Oslo"}, episode="e")


def test_a_good_answer_is_conformed_and_answers_the_call():
    engine = ScriptedEngine(['Here you go: {"city": "Osl", "humidity": 250}'])
    result = simulate(engine)
    assert not result.is_error and result.engine == "scripted" and result.fallback is None
    assert result.structured == {"city": "Oslo", "humidity": 100}


def test_the_request_carries_the_prompt_and_the_answer_schema_when_constraining():
    engine = ScriptedEngine(['{"city": "Oslo", "humidity": 5}', '{"city": "Oslo", "humidity": 5}'])
    simulate(engine)
    request = engine.seen[0]
    assert request.messages[0]["role"] == "system" and "Tool: get_weather" in request.messages[0]["content"]
    assert request.json_schema is not None and "anyOf" in request.json_schema
    unconstrained = ScriptedEngine(['{"city": "Oslo", "humidity": 5}'], constrain=False)
    simulate(unconstrained)
    assert unconstrained.seen[0].json_schema is None


def test_the_tools_own_error_comes_back_as_an_error_result():
    engine = ScriptedEngine(['{"error": {"code": 404, "message": "no city called Atlantis"}}'])
    result = simulate(engine, {"city": "Atlantis"})
    assert result.is_error and result.error_kind == "tool_error" and result.engine == "scripted"
    assert "Atlantis" in result.content


def test_an_unusable_answer_is_asked_for_once_more_with_sampling_and_another_seed():
    engine = ScriptedEngine(["I am the weather API.", '{"city": "Oslo", "humidity": 10}'])
    result = simulate(engine)
    assert result.structured == {"city": "Oslo", "humidity": 10} and result.fallback is None
    first, retry = engine.seen
    assert retry.temperature == RETRY_TEMPERATURE and retry.seed == first.seed + 1


def test_two_unusable_answers_fall_back_to_the_schema_engine_flagged_and_not_cached(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    engine = ScriptedEngine(["nothing", "still nothing", "again", '{"city": "Oslo", "humidity": 1}'])
    with Simulator([WEATHER], engine=engine, cache=cache) as sim:
        first = sim.simulate("get_weather", {"city": "Oslo"})
        second = sim.simulate("get_weather", {"city": "Oslo"})
    assert first.engine == "schema" and "no usable answer" in first.fallback and not first.is_error
    assert json.loads(first.content)["city"] == "Oslo"
    assert not second.cached and second.engine == "scripted"  # the fallback was not cached


def test_without_the_fallback_an_unusable_answer_is_an_engine_error_for_that_call_only():
    engine = ScriptedEngine(["junk", "junk", '{"city": "Rome", "humidity": 3}'], fallback=False)
    with Simulator([WEATHER], engine=engine) as sim:
        bad = sim.simulate("get_weather", {"city": "Oslo"})
        good = sim.simulate("get_weather", {"city": "Rome"})
    assert bad.is_error and bad.error_kind == "engine_error" and "fallback" in bad.content
    assert not good.is_error


def test_a_failing_engine_gives_an_engine_error_and_the_simulator_keeps_serving():
    engine = ScriptedEngine([EngineError("connection refused at http://127.0.0.1:9/v1"), '{"city": "Oslo", "humidity": 2}'])
    with Simulator([WEATHER], engine=engine) as sim:
        failed = sim.simulate("get_weather", {"city": "Oslo"})
        later = sim.simulate("get_weather", {"city": "Oslo"}, episode="other")
    assert failed.is_error and failed.error_kind == "engine_error" and "connection refused" in failed.content
    assert not later.is_error


@pytest.mark.parametrize(("option", "value"), [("max_tokens", 0), ("temperature", -1), ("usefulness", 2.0)])
def test_bad_shared_options_are_refused_with_what_to_fix(option, value):
    with pytest.raises(ValueError, match=option):
        ScriptedEngine([], **{option: value})
