"""The state-transition benchmark's tool sets: every scripted step's checks pass with the schema
engine, and the resource model places every tool that is meant to have an operation."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "state.py"
_SPEC = importlib.util.spec_from_file_location("state_benchmark", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
state = importlib.util.module_from_spec(_SPEC)
sys.modules["state_benchmark"] = state
_SPEC.loader.exec_module(state)

SETS = state.load_sets(state.SETS)


def test_there_are_at_least_thirty_tool_sets_in_five_naming_styles():
    assert len(SETS) >= 30
    assert {s["style"].split(",")[0] for s in SETS} >= {"snake_case", "camelCase", "PascalCase", "kebab-case", "Verb Noun"}


@pytest.mark.parametrize("tool_set", SETS, ids=[s["name"] for s in SETS])
def test_every_step_of_every_scripted_episode_passes_its_state_checks(tool_set):
    result = state.run_set(tool_set)
    failed = [f"{s['episode']} step {s['step']} {s['call']}: {s['failures']}" for s in result["steps"] if s["failures"]]
    assert not failed
    placement = result["placement"]
    assert placement["wrong"] == [] and placement["placed_but_none"] == []


def test_a_failed_check_is_reported_not_hidden():
    """A step whose expectation the world cannot meet is counted as failed, with what it got."""
    tool_set = dict(SETS[0])
    episode = {"name": "wrong", "steps": [{"call": tool_set["episodes"][0]["steps"][0]["call"],
               "arguments": tool_set["episodes"][0]["steps"][0]["arguments"], "expect": {"no_such_field": 1}}]}  # fmt: skip
    tool_set["episodes"] = [episode]
    steps = state.run_set(tool_set)["steps"]
    assert steps[0]["failures"] == ["no_such_field: wanted 1, got (missing)"]


def test_paths_pick_fields_across_naming_styles_and_spread_lists():
    answer = {"items": [{"ticketId": "a"}, {"ticketId": "b"}], "totalCount": 2}
    assert state.pick(answer, "items[*].ticket_id") == ["a", "b"]
    assert state.pick(answer, "items#") == 2
    assert state.pick(answer, "total_count") == 2
    assert state.resolve({"id": "$x.items[*].ticketId"}, {"x": answer}) == {"id": ["a", "b"]}
