"""The Simulator: the path of one call, batches, episodes, cache, faults and engine failures."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict

import jsonschema
import pytest

from gtm_core import Catalog, ToolSpec
from gtm_core.engines.base import Engine
from gtm_core.faults import FaultInjector
from gtm_core.results import ToolCall
from gtm_core.sampler import sample_arguments
from gtm_core.simulator import Simulator
from gtm_core.world import entity_operation

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 1},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
        },
        "additionalProperties": False,
    },
    required=["city"],
    response={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "temperature": {"type": "number", "minimum": -60, "maximum": 60},
            "conditions": {"type": "string", "enum": ["sunny", "cloudy", "rain", "snow"]},
        },
        "required": ["city", "temperature", "conditions"],
    },
)


@pytest.fixture
def sim():
    return Simulator(Catalog([WEATHER]), seed=7)


@pytest.fixture(scope="module")
def shipped():
    return Catalog.shipped()


def test_a_valid_call_gets_a_schema_valid_answer_with_every_result_field(sim):
    """The answer parses, follows the response schema, echoes the city and says who answered."""
    result = sim.simulate("get_weather", {"city": "Lisbon"}, episode="e1")
    assert not result.is_error and result.error_kind is None
    assert result.engine == "schema" and result.cached is False and result.latency_ms >= 0
    assert json.loads(result.content) == result.structured
    jsonschema.validate(result.structured, WEATHER.response)
    assert result.structured["city"] == "Lisbon"
    assert (result.tool, result.episode) == ("get_weather", "e1")


def test_same_call_same_seed_gives_the_same_bytes():
    """Two simulators with one seed answer a call identically; another seed answers differently."""
    first = Simulator(Catalog([WEATHER]), seed=1).simulate("get_weather", {"city": "Oslo"})
    again = Simulator(Catalog([WEATHER]), seed=1).simulate("get_weather", {"city": "Oslo"})
    other = [Simulator(Catalog([WEATHER]), seed=s).simulate("get_weather", {"city": "Oslo"}).content for s in range(2, 6)]
    assert first.content == again.content
    assert any(text != first.content for text in other)


@pytest.mark.parametrize(
    "arguments, kind, words",
    [
        ({"city": 5}, "type_error", "city"),
        ({}, "missing_required", "city"),
        ({"city": "Oslo", "verbose": True}, "excess_parameter", "verbose"),
        ({"city": "Oslo", "units": "kelvin"}, "invalid_value", "units"),
        ({"city": "Oslo", "days": 30}, "invalid_value", "days"),
        ('{"city": ', "arguments_not_object", ""),
        ([1, 2], "arguments_not_object", ""),
    ],
)
def test_bad_arguments_get_a_flagged_error_naming_the_parameter(sim, arguments, kind, words):
    """Each of the error kinds is caught before any engine runs and reported in the tool's error body."""
    result = sim.simulate("get_weather", arguments)
    assert result.is_error and result.error_kind == kind and result.engine == "checks"
    assert words in result.content
    assert "error" in result.structured


def test_an_unknown_tool_suggests_the_closest_names(sim):
    """Calling a misspelt tool is an error result (not an exception) that suggests the right name."""
    result = sim.simulate("get_wether", {"city": "Oslo"})
    assert result.is_error and result.error_kind == "unknown_tool"
    assert "get_weather" in result.content


def test_every_error_kind_of_a_batch_is_reported_and_the_rest_answered(sim):
    """A batch mixing good and bad calls answers each in order."""
    calls = [ToolCall("get_weather", {"city": "A"}), ToolCall("nope", {}), ToolCall("get_weather", {"city": 1})]
    results = sim.simulate_batch(calls)
    assert [r.is_error for r in results] == [False, True, True]


def test_the_async_api_matches_the_sync_api(sim):
    """asimulate and asimulate_batch give the same answers as their sync forms."""
    calls = [ToolCall("get_weather", {"city": c}, "e") for c in ("A", "B", "C")]
    sync = [r.content for r in Simulator(Catalog([WEATHER]), seed=7).simulate_batch(calls)]
    single = asyncio.run(sim.asimulate("get_weather", {"city": "A"}, episode="e"))
    batch = asyncio.run(Simulator(Catalog([WEATHER]), seed=7).asimulate_batch(calls))
    assert single.content == sync[0]
    assert [r.content for r in batch] == sync


def test_cache_hits_are_identical_and_flagged(tmp_path):
    """With a cache file, a repeated call is answered from it, the same bytes, even in a new simulator."""
    path = tmp_path / "cache.sqlite3"
    first = Simulator(Catalog([WEATHER]), cache=path).simulate("get_weather", {"city": "Rome"}, episode="a")
    second = Simulator(Catalog([WEATHER]), cache=path).simulate("get_weather", {"city": "Rome"}, episode="b")
    assert (first.cached, second.cached) == (False, True)
    assert first.content == second.content


def test_a_damaged_cache_file_does_not_stop_the_simulator(tmp_path):
    """A cache file full of garbage is rebuilt and calls are answered."""
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    result = Simulator(Catalog([WEATHER]), cache=path).simulate("get_weather", {"city": "Rome"})
    assert not result.is_error


def _families(catalog):
    """Entity families of a catalog: entity -> {operation kind: spec}."""
    families = defaultdict(dict)
    for spec in catalog:
        op = entity_operation(spec)
        if op is not None:
            families[op.entity][op.kind] = spec
    return {e: ops for e, ops in families.items() if set(ops) >= {"create", "get", "update", "delete", "list"}}


def test_the_shipped_catalog_has_at_least_ten_stateful_families(shipped):
    """create/get/update/delete/list families are recognised from the shipped tools' names."""
    assert len(_families(shipped)) >= 10


def test_stateful_families_stay_consistent_through_an_episode(shipped):
    """For every family: create -> get -> update -> get -> list -> delete -> get is one consistent story."""
    sim = Simulator(shipped, seed=3)
    for entity, ops in sorted(_families(shipped).items()):
        episode = f"ep-{entity}"
        create_args = sample_arguments(ops["create"], rng=1, optional=1.0)
        created = sim.simulate(ops["create"].name, create_args, episode=episode)
        assert not created.is_error, created.content
        op = entity_operation(ops["get"])
        entity_id = created.structured[op.id_field]
        got = sim.simulate(ops["get"].name, {op.id_parameter: entity_id}, episode=episode)
        assert not got.is_error, got.content
        for key, value in create_args.items():
            if key in got.structured:
                assert got.structured[key] == value, (entity, key)
        update_args = sample_arguments(ops["update"], rng=2, optional=1.0) | {entity_operation(ops["update"]).id_parameter: entity_id}
        sim.simulate(ops["update"].name, update_args, episode=episode)
        after = sim.simulate(ops["get"].name, {op.id_parameter: entity_id}, episode=episode)
        for key, value in update_args.items():
            if key in after.structured:
                assert after.structured[key] == value, (entity, key)
        listed = sim.simulate(ops["list"].name, {}, episode=episode)
        assert entity_id in listed.content, entity
        deleted = sim.simulate(ops["delete"].name, {entity_operation(ops["delete"]).id_parameter: entity_id}, episode=episode)
        assert not deleted.is_error
        gone = sim.simulate(ops["get"].name, {op.id_parameter: entity_id}, episode=episode)
        assert gone.is_error and gone.error_kind == "not_found", entity
        other_episode = sim.simulate(ops["get"].name, {op.id_parameter: entity_id}, episode=episode + "-other")
        assert not other_episode.is_error


def test_two_creates_with_the_same_arguments_make_two_entities(shipped):
    """A create is not idempotent: the same arguments twice give two different ids."""
    sim = Simulator(shipped)
    family = next(iter(_families(shipped).values()))
    args = sample_arguments(family["create"], rng=5)
    id_field = entity_operation(family["get"]).id_field
    first, second = (sim.simulate(family["create"].name, args, episode="e") for _ in range(2))
    assert first.structured[id_field] != second.structured[id_field]


def test_episodes_do_not_share_entities(shipped):
    """Deleting an entity in one episode leaves another episode's world alone."""
    sim = Simulator(shipped)
    family = next(iter(_families(shipped).values()))
    get_op = entity_operation(family["get"])
    created = sim.simulate(family["create"].name, sample_arguments(family["create"], rng=1), episode="one")
    entity_id = created.structured[get_op.id_field]
    sim.simulate(family["delete"].name, {entity_operation(family["delete"]).id_parameter: entity_id}, episode="one")
    assert sim.simulate(family["get"].name, {get_op.id_parameter: entity_id}, episode="one").is_error
    assert not sim.simulate(family["get"].name, {get_op.id_parameter: entity_id}, episode="two").is_error


def test_concurrent_calls_from_threads_and_tasks_are_safe(shipped):
    """Eight threads and one asyncio batch of 400 calls over 20 episodes all get answers."""
    sim = Simulator(shipped)
    specs = [s for s in shipped if sim.resource_model.operation(s.name) is None][:40]
    calls = [ToolCall(s.name, sample_arguments(s, rng=i), f"e{i % 20}") for i, s in enumerate(specs * 10)]
    errors: list[str] = []

    def work(chunk):
        for call in chunk:
            if sim.simulate(call).is_error:
                errors.append(call.tool)

    threads = [threading.Thread(target=work, args=(calls[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    batch = asyncio.run(sim.asimulate_batch(calls))
    for t in threads:
        t.join()
    assert errors == [] and not any(r.is_error for r in batch)
    assert sum(ep.calls for ep in (sim.episode(f"e{i}") for i in range(20))) == 2 * len(calls)


class _RecordingEngine(Engine):
    """A fake engine that records its requests (a unit-test seam, not a product engine)."""

    name = "recording"

    def __init__(self, fail: bool = False):
        self.requests = []
        self.fail = fail

    async def generate(self, requests):
        if self.fail:
            raise RuntimeError("model server is down")
        self.requests.extend(requests)
        return [json.dumps({"city": r.arguments.get("city"), "temperature": 1, "conditions": "rain"}) for r in requests]


def test_engines_see_hidden_context_and_history():
    """The episode's hidden context and earlier calls reach the engine's request."""
    engine = _RecordingEngine()
    sim = Simulator(Catalog([WEATHER]), engine=engine)
    sim.episode("task-1", hidden_context={"answer": "Paris"})
    sim.simulate("get_weather", {"city": "A"}, episode="task-1")
    sim.simulate("get_weather", {"city": "B"}, episode="task-1")
    last = engine.requests[-1]
    assert last.hidden_context == {"answer": "Paris"}
    assert [h.arguments["city"] for h in last.history] == ["A"]


def test_a_dead_engine_gives_error_results_and_the_simulator_keeps_serving():
    """An engine that raises turns into engine_error results; later calls still work."""
    engine = _RecordingEngine(fail=True)
    sim = Simulator(Catalog([WEATHER]), engine=engine)
    result = sim.simulate("get_weather", {"city": "A"})
    assert result.is_error and result.error_kind == "engine_error" and "down" in result.content
    engine.fail = False
    assert not sim.simulate("get_weather", {"city": "A"}).is_error


def test_fault_injection_fails_the_chosen_share_of_calls_deterministically():
    """With rate 0.3 about 30% of calls fail transiently, the same ones on a rerun, and retries can pass."""
    def run():
        sim = Simulator(Catalog([WEATHER]), faults=FaultInjector(rate=0.3, seed=9))
        return [sim.simulate("get_weather", {"city": f"c{i}"}) for i in range(400)]

    first, second = run(), run()
    failed = [r for r in first if r.is_error]
    assert 0.2 < len(failed) / len(first) < 0.4
    assert {r.error_kind for r in failed} <= {"rate_limit", "timeout", "server_error"}
    assert [r.content for r in first] == [r.content for r in second]
    sim = Simulator(Catalog([WEATHER]), faults=FaultInjector(rate=0.5, seed=1))
    attempts = [sim.simulate("get_weather", {"city": "Oslo"}) for _ in range(20)]
    assert any(a.is_error for a in attempts) and any(not a.is_error for a in attempts)


def test_faults_are_off_by_default(sim):
    """No call fails unless fault injection is asked for."""
    assert not any(sim.simulate("get_weather", {"city": f"c{i}"}).is_error for i in range(200))


def test_a_call_with_no_arguments_at_all_is_checked_like_an_empty_object(sim):
    """ToolCall(tool, None) is a missing-parameter error, not a crash; with checks off, text that is no object is still refused."""
    assert sim.simulate(ToolCall("get_weather", None)).error_kind == "missing_required"
    unchecked = Simulator(Catalog([WEATHER]), check=False)
    assert unchecked.simulate("get_weather", "[1, 2]").error_kind == "arguments_not_object"
    assert not unchecked.simulate("get_weather", {"city": 5}).is_error
