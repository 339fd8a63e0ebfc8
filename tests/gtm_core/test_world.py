"""The entity world: operations read from tool names, records merged into responses."""

from __future__ import annotations

import pytest

from gtm_core import ToolSpec
from gtm_core.world import EntityWorld, entity_operation


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


def _ops():
    return {
        kind: entity_operation(_spec(name, *params))
        for kind, name, params in [
            ("create", "create_task", ("title",)),
            ("get", "get_task", ("task_id",)),
            ("update", "update_task", ("task_id", "title")),
            ("delete", "delete_task", ("task_id",)),
            ("list", "list_tasks", ("status",)),
        ]
    }


def test_create_get_update_delete_list_stay_consistent():
    """A created task comes back from get, changes with update, shows in list and goes with delete."""
    world, op = EntityWorld(), _ops()
    created = world.apply(op["create"], {"title": "Pay rent"}, {"task_id": "t1", "title": "x", "status": "open"})
    assert created["title"] == "Pay rent"
    got = world.apply(op["get"], {"task_id": "t1"}, {"task_id": "t1", "title": "other", "status": "done"})
    assert got == {"task_id": "t1", "title": "Pay rent", "status": "open"}
    world.apply(op["update"], {"task_id": "t1", "title": "Pay rent today"}, {"task_id": "t1", "title": "zzz"})
    listed = world.apply(op["list"], {}, {"tasks": [{"task_id": "t9", "title": "fake", "status": "open"}], "total": 1})
    assert listed["tasks"][0] == {"task_id": "t1", "title": "Pay rent today", "status": "open"}
    assert listed["total"] >= 1
    world.apply(op["delete"], {"task_id": "t1"}, {"task_id": "t1", "deleted": True})
    assert world.lookup(op["get"], {"task_id": "t1"}) == ("t1", None, True)
    assert len(world) == 0


def test_lists_filter_known_records_by_equal_arguments():
    """list_tasks(status="done") shows only the done tasks the episode knows."""
    world, op = EntityWorld(), _ops()
    world.apply(op["create"], {"title": "a"}, {"task_id": "t1", "status": "open"})
    world.apply(op["create"], {"title": "b"}, {"task_id": "t2", "status": "done"})
    listed = world.apply(op["list"], {"status": "done"}, {"tasks": [{"task_id": "g", "status": "done"}] * 3})
    assert [t["task_id"] for t in listed["tasks"]][0] == "t2"
    assert "t1" not in [t["task_id"] for t in listed["tasks"]]


def test_the_first_answer_about_an_unknown_id_becomes_the_truth():
    """A get of an id never created records what the tool said, so a second get agrees."""
    world, op = EntityWorld(), _ops()
    first = world.apply(op["get"], {"task_id": "t7"}, {"task_id": "t7", "title": "Water plants"})
    second = world.apply(op["get"], {"task_id": "t7"}, {"task_id": "t7", "title": "Something else"})
    assert first == second


def test_the_world_stops_remembering_when_full():
    """With max_records=2 a third entity is answered but not stored."""
    world, op = EntityWorld(max_records=2), _ops()
    for i in range(3):
        world.apply(op["create"], {"title": str(i)}, {"task_id": f"t{i}"})
    assert len(world) == 2


def test_a_create_never_takes_a_foreign_key_for_its_own_id():
    """create_reservation(restaurant_id) makes a reservation; the restaurant's id is not its id."""
    spec = ToolSpec("create_reservation", "d", parameters={"type": "object", "properties": {"restaurant_id": {"type": "string"}}}, required=["restaurant_id"])
    operation = entity_operation(spec)
    assert operation is not None and operation.kind == "create" and operation.id_parameter is None
    assert operation.id_field == "reservation_id"


def test_a_record_never_changes_the_json_type_of_an_answer_field():
    """An id sent as 42 stays 42, and a text id is not forced into an integer field."""
    world = EntityWorld()
    spec = ToolSpec("get_job", "d", parameters={"type": "object", "properties": {"id": {"type": "integer"}}}, required=["id"])
    op = entity_operation(spec)
    assert world.apply(op, {"id": 42}, {"id": 7, "title": "Cook"}) == {"id": 42, "title": "Cook"}
    text_spec = ToolSpec("get_quote", "d", parameters={"type": "object", "properties": {"id": {"type": "string"}}}, required=["id"])
    text_op = entity_operation(text_spec)
    assert world.apply(text_op, {"id": "41444"}, {"id": 5, "text": "hi"})["id"] == 5
