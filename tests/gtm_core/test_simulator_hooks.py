"""The Simulator's public hooks for faces in front of it: refusals, forks and calls answered elsewhere."""

from __future__ import annotations

import json

from gtm_core import Catalog, ToolSpec
from gtm_core.simulator import Simulator

TICKETS = Catalog(
    [
        ToolSpec(
            "create_ticket",
            "Open a support ticket.",
            parameters={"type": "object", "properties": {"subject": {"type": "string"}}, "additionalProperties": False},
            required=["subject"],
            response={"type": "object", "properties": {"ticket_id": {"type": "string"}, "subject": {"type": "string"}}, "required": ["ticket_id", "subject"]},
        ),
        ToolSpec(
            "get_ticket",
            "Read a support ticket.",
            parameters={"type": "object", "properties": {"ticket_id": {"type": "string"}}, "additionalProperties": False},
            required=["ticket_id"],
            response={"type": "object", "properties": {"ticket_id": {"type": "string"}, "subject": {"type": "string"}}, "required": ["ticket_id", "subject"]},
        ),
    ]
)
SEARCH = ToolSpec(
    "search_tools",
    "Search the tools.",
    parameters={"type": "object", "properties": {"query": {"type": "string"}}, "additionalProperties": False},
    required=["query"],
)


def test_an_unknown_tool_refusal_is_an_error_result_recorded_in_the_episode():
    sim = Simulator(TICKETS)
    result = sim.unknown_tool("get_tiket", ["get_ticket"], episode="e1")
    assert result.is_error and result.error_kind == "unknown_tool" and result.episode == "e1"
    body = json.loads(result.content)["error"]
    assert body["type"] == "unknown_tool" and body["suggestions"] == ["get_ticket"] and "Did you mean 'get_ticket'" in body["message"]
    assert sim.episode("e1").history[-1].tool == "get_tiket"


def test_check_call_checks_a_spec_outside_the_catalog_and_passes_good_arguments():
    sim = Simulator(TICKETS)
    assert sim.check_call(SEARCH, {"query": "weather"}, episode="e1") is None
    refused = sim.check_call(SEARCH, {"query": 3, "extra": True}, episode="e1")
    assert refused is not None and refused.is_error and refused.error_kind == "excess_parameter"
    assert json.loads(refused.content)["error"]["tool"] == "search_tools"
    not_an_object = sim.check_call(SEARCH, "[1, 2]", episode="e1")
    assert not_an_object is not None and "JSON object" in json.loads(not_an_object.content)["error"]["message"]


def test_a_refusal_before_simulation_has_the_common_body_and_is_not_recorded():
    sim = Simulator(TICKETS)
    result = sim.refuse("create_ticket", "arguments_too_large", 413, "PAYLOAD_TOO_LARGE", "too big", episode="e2")
    assert json.loads(result.content) == {"error": {"code": 413, "status": "PAYLOAD_TOO_LARGE", "type": "arguments_too_large", "message": "too big"}}
    assert result.error_kind == "arguments_too_large" and result.episode == "e2"
    assert "e2" not in sim.episodes


def test_a_fork_starts_with_the_episodes_world_and_never_writes_back():
    sim = Simulator(TICKETS)
    created = sim.simulate("create_ticket", {"subject": "Printer on fire"}, episode="main").structured
    fork = sim.fork_episode("main", "what-if")
    assert fork.id == "what-if" and len(fork.history) == 1
    read = sim.simulate("get_ticket", {"ticket_id": created["ticket_id"]}, episode="what-if").structured
    assert read["subject"] == "Printer on fire"
    sim.simulate("create_ticket", {"subject": "Only in the fork"}, episode="what-if")
    assert len(sim.episode("main").history) == 1 and len(sim.episode("what-if").history) == 3
    assert len(sim.episode("main").world) == 1 < len(sim.episode("what-if").world)


def test_a_call_answered_elsewhere_joins_the_history_that_later_calls_see():
    sim = Simulator(TICKETS)
    sim.record_external("e3", "get_ticket", {"ticket_id": "T-1"}, {"ticket_id": "T-1", "subject": "real"}, is_error=False, size=40)
    (item,) = sim.episode("e3").history
    assert (item.tool, item.arguments, item.response, item.is_error) == ("get_ticket", {"ticket_id": "T-1"}, {"ticket_id": "T-1", "subject": "real"}, False)
    history, hidden = sim.episode("e3").context()
    assert history == (item,) and hidden is None
