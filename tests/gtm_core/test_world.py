"""The entity world: operations read from tool names, records merged into responses."""

from __future__ import annotations

import pytest

from gtm_core import Catalog, Simulator, ToolSpec
from gtm_core.episodes import EpisodeLimits
from gtm_core.world import entity_operation


def _spec(name, *params, required=None):
    props = {p: {"type": "string"} for p in params}
    return ToolSpec(name, "d", parameters={"type": "object", "properties": props}, required=required or [])


@pytest.mark.parametrize(
    "spec, expected",
    [
        (_spec("create_order", "item"), ("create", "order", None)),
        (_spec("get_order", "order_id"), ("get", "order", "order_id")),
        (_spec("getCalendarEvent", "calendarEventId"), ("get", "calendar_event", "calendarEventId")),
        (_spec("update_support_ticket", "support_ticket_id"), ("update", "support_ticket", "support_ticket_id")),
        (_spec("delete_file", "id"), ("delete", "file", "id")),
        (_spec("list_calendar_events"), ("list", "calendar_event", None)),
        (_spec("list_categories"), ("list", "category", None)),
        (_spec("remove_member", "member_ref_id", required=["member_ref_id"]), ("delete", "member", "member_ref_id")),
    ],
)
def test_operations_are_read_from_names_and_parameters(spec, expected):
    """Verb + entity names give the operation, the entity and its id parameter."""
    op = entity_operation(spec)
    assert (op.kind, op.entity, op.id_parameter) == expected


@pytest.mark.parametrize("spec", [_spec("get_weather", "city"), _spec("translate_text", "text"), _spec("ping")])
def test_tools_that_are_not_entity_operations_get_none(spec):
    """A get without an id parameter, or a verb that is no CRUD verb, is no entity operation."""
    assert entity_operation(spec) is None


def _task_sim(**options):
    schema = {"type": "object", "properties": {"task_id": {"type": "string"}, "title": {"type": "string"},
              "status": {"type": "string", "enum": ["open", "done"]}}, "required": ["task_id", "title", "status"]}  # fmt: skip
    listing = {"type": "object", "properties": {"tasks": {"type": "array", "items": schema}, "total": {"type": "integer"}}, "required": ["tasks", "total"]}
    specs = [
        ToolSpec("create_task", "d", parameters={"type": "object", "properties": {"title": {"type": "string"}}}, required=["title"], response=schema),
        ToolSpec("get_task", "d", parameters={"type": "object", "properties": {"task_id": {"type": "string"}}}, required=["task_id"], response=schema),
        ToolSpec("update_task", "d", parameters={"type": "object", "properties": {"task_id": {"type": "string"}, "title": {"type": "string"}}},
                 required=["task_id"], response=schema),  # fmt: skip
        ToolSpec("complete_task", "d", parameters={"type": "object", "properties": {"task_id": {"type": "string"}}}, required=["task_id"], response=schema),
        ToolSpec("delete_task", "d", parameters={"type": "object", "properties": {"task_id": {"type": "string"}}}, required=["task_id"]),
        ToolSpec("list_tasks", "d", parameters={"type": "object", "properties": {"status": {"type": "string"}}}, response=listing),
    ]
    return Simulator(Catalog(specs), **options)


def test_create_get_update_delete_list_stay_consistent():
    """A created task comes back from get, changes with update, shows in list and goes with delete."""
    sim = _task_sim()
    created = sim.simulate("create_task", {"title": "Pay rent"}).structured
    assert created["title"] == "Pay rent" and created["status"] == "open"
    key = created["task_id"]
    assert sim.simulate("get_task", {"task_id": key}).structured == created
    sim.simulate("update_task", {"task_id": key, "title": "Pay rent today"})
    assert sim.simulate("complete_task", {"task_id": key}).structured["status"] == "done"
    listed = sim.simulate("list_tasks", {}).structured
    assert listed["tasks"] == [{"task_id": key, "title": "Pay rent today", "status": "done"}] and listed["total"] == 1
    sim.simulate("delete_task", {"task_id": key})
    gone = sim.simulate("get_task", {"task_id": key})
    assert gone.is_error and gone.error_kind == "not_found"
    assert len(sim.episode("default").world) == 0


def test_lists_filter_known_records_by_equal_arguments():
    """list_tasks(status="done") shows only the done tasks the episode knows, and counts them."""
    sim = _task_sim()
    first = sim.simulate("create_task", {"title": "a"}).structured["task_id"]
    second = sim.simulate("create_task", {"title": "b"}).structured["task_id"]
    sim.simulate("complete_task", {"task_id": second})
    listed = sim.simulate("list_tasks", {"status": "done"}).structured
    assert [t["task_id"] for t in listed["tasks"]] == [second] and listed["total"] == 1
    assert first in sim.simulate("list_tasks", {"status": "open"}).content


def test_the_first_answer_about_an_unknown_id_becomes_the_truth():
    """Open rule: a get of an id never created records what the tool said, so a second get agrees."""
    sim = _task_sim()
    first = sim.simulate("get_task", {"task_id": "t7"}, episode="e")
    second = sim.simulate("get_task", {"task_id": "t7"}, episode="e")
    assert not first.is_error and first.structured == second.structured


def test_the_closed_rule_answers_a_made_up_key_with_not_found():
    """Once an episode has tasks (auto rule), or always with the closed rule, a made-up id is not found."""
    sim = _task_sim()
    sim.simulate("create_task", {"title": "a"}, episode="auto")
    made_up = sim.simulate("get_task", {"task_id": "nope"}, episode="auto")
    assert made_up.is_error and made_up.error_kind == "not_found"
    closed = _task_sim(unknown_keys="closed")
    assert closed.simulate("get_task", {"task_id": "t7"}).error_kind == "not_found"
    open_episode = closed.episode("free", unknown_keys="open")
    assert open_episode.world.unknown_keys == "open"
    assert not closed.simulate("get_task", {"task_id": "t7"}, episode="free").is_error


def test_the_world_stops_remembering_when_full():
    """With max_entities=2 a third task is answered but not stored."""
    sim = _task_sim(episode_limits=EpisodeLimits(max_entities=2))
    for i in range(3):
        assert not sim.simulate("create_task", {"title": str(i)}).is_error
    assert len(sim.episode("default").world) == 2


def test_a_create_never_takes_a_foreign_key_for_its_own_id():
    """create_reservation(restaurant_id) makes a reservation; the restaurant's id is not its id."""
    spec = ToolSpec("create_reservation", "d", parameters={"type": "object", "properties": {"restaurant_id": {"type": "string"}}}, required=["restaurant_id"])
    operation = entity_operation(spec)
    assert operation is not None and operation.kind == "create" and operation.id_parameter is None
    assert operation.id_field == "reservation_id"


def test_a_record_never_changes_the_json_type_of_an_answer_field():
    """An id sent as 42 stays 42, and a text id is not forced into an integer field."""
    job = ToolSpec("get_job", "d", parameters={"type": "object", "properties": {"id": {"type": "integer"}}}, required=["id"],
                   response={"type": "object", "properties": {"id": {"type": "integer"}, "title": {"type": "string"}}, "required": ["id", "title"]})  # fmt: skip
    quote = ToolSpec("get_quote", "d", parameters={"type": "object", "properties": {"id": {"type": "string"}}}, required=["id"],
                     response={"type": "object", "properties": {"id": {"type": "integer"}, "text": {"type": "string"}}, "required": ["id", "text"]})  # fmt: skip
    sim = Simulator(Catalog([job, quote]))
    assert sim.simulate("get_job", {"id": 42}).structured["id"] == 42
    assert isinstance(sim.simulate("get_quote", {"id": "41444"}).structured["id"], int)
