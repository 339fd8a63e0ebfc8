"""The resource model over tool sets in naming styles the shipped catalog does not use."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gtm_core import Catalog, Simulator, ToolSpec
from gtm_core.cli import cli
from gtm_core.resources import infer_resources
from gtm_core.resources.snapshot import diff


def _obj(props, required=None):
    return {"type": "object", "properties": props, "required": list(required or props)}


S = {"type": "string"}
TICKET = _obj({"ticket_id": {"type": "string", "pattern": "^TCK-[0-9]{4}$"}, "subject": S, "priority": {"type": "string", "enum": ["low", "high"]},
               "status": {"type": "string", "enum": ["closed", "open", "pending"]}})  # fmt: skip


def _tickets():
    return Catalog([
        ToolSpec("create_support_ticket", "Open a ticket.", parameters=_obj({"subject": S, "priority": {"type": "string", "enum": ["low", "high"]}}), response=TICKET),
        ToolSpec("get_support_ticket", "Read a ticket.", parameters=_obj({"ticket_id": S}), response=TICKET),
        ToolSpec("ticket_close", "Close a ticket.", parameters=_obj({"ticket_id": S}), response=TICKET),
        ToolSpec("list_support_tickets", "List tickets.", parameters=_obj({"status": S}, []),
                 response=_obj({"tickets": {"type": "array", "items": TICKET}, "count": {"type": "integer"}})),
    ])  # fmt: skip


def test_a_ticket_reads_back_what_was_created_and_closes():
    """create_support_ticket -> get_support_ticket(ticket_id) agrees, starts open, ticket_close closes it."""
    sim = Simulator(_tickets())
    created = sim.simulate("create_support_ticket", {"subject": "Printer on fire", "priority": "high"}).structured
    assert created["status"] == "open" and created["ticket_id"].startswith("TCK-")
    got = sim.simulate("get_support_ticket", {"ticket_id": created["ticket_id"]}).structured
    assert got == created
    sim.simulate("ticket_close", {"ticket_id": created["ticket_id"]})
    assert sim.simulate("get_support_ticket", {"ticket_id": created["ticket_id"]}).structured["status"] == "closed"
    listed = sim.simulate("list_support_tickets", {"status": "closed"}).structured
    assert [t["ticket_id"] for t in listed["tickets"]] == [created["ticket_id"]] and listed["count"] == 1
    assert sim.simulate("list_support_tickets", {"status": "open"}).structured == {"tickets": [], "count": 0}


def test_camel_case_todo_items_are_marked_done():
    """addTodoItem -> getTodoItem(itemId) -> markTodoItemDone: the item reads back done."""
    item = _obj({"itemId": S, "title": S, "state": {"type": "string", "enum": ["todo", "done"]}})
    sim = Simulator(Catalog([
        ToolSpec("addTodoItem", "", parameters=_obj({"title": S}), response=item),
        ToolSpec("getTodoItem", "", parameters=_obj({"itemId": S}), response=item),
        ToolSpec("markTodoItemDone", "", parameters=_obj({"itemId": S}), response=item),
    ]))  # fmt: skip
    made = sim.simulate("addTodoItem", {"title": "Buy milk"}).structured
    assert made["state"] == "todo"
    sim.simulate("markTodoItemDone", {"itemId": made["itemId"]})
    assert sim.simulate("getTodoItem", {"itemId": made["itemId"]}).structured == {**made, "state": "done"}


def test_book_table_makes_a_booking_that_get_booking_reads():
    """book_table's booking_ref is the key get_booking takes; a made-up ref is not found after."""
    booking = _obj({"booking_ref": S, "party_size": {"type": "integer"}, "time": S})
    sim = Simulator(Catalog([
        ToolSpec("book_table", "", parameters=_obj({"party_size": {"type": "integer"}, "time": S}), response=booking),
        ToolSpec("get_booking", "", parameters=_obj({"booking_ref": S}), response=booking),
        ToolSpec("cancel_booking", "", parameters=_obj({"booking_ref": S}), response=_obj({"ok": {"type": "boolean"}})),
    ]))  # fmt: skip
    model = sim.resource_model
    assert model.operation("book_table").resource == "booking" and model.operation("cancel_booking").kind == "delete"
    made = sim.simulate("book_table", {"party_size": 4, "time": "19:30"}).structured
    assert sim.simulate("get_booking", {"booking_ref": made["booking_ref"]}).structured == made
    assert sim.simulate("get_booking", {"booking_ref": "made-up"}).error_kind == "not_found"
    sim.simulate("cancel_booking", {"booking_ref": made["booking_ref"]})
    assert sim.simulate("get_booking", {"booking_ref": made["booking_ref"]}).error_kind == "not_found"


def test_a_document_written_at_a_path_reads_back():
    """write_document(path, body) -> read_document(path) returns the body (the caller chose the key)."""
    doc = _obj({"path": S, "body": S})
    sim = Simulator(Catalog([ToolSpec("write_document", "", parameters=_obj({"path": S, "body": S}), response=doc),
                             ToolSpec("read_document", "", parameters=_obj({"path": S}), response=doc)]))  # fmt: skip
    sim.simulate("write_document", {"path": "/notes/a.md", "body": "hello"})
    assert sim.simulate("read_document", {"path": "/notes/a.md"}).structured == {"path": "/notes/a.md", "body": "hello"}


def test_snapshots_seeds_and_their_diff_show_the_world():
    """A seeded order is readable; the snapshot diff shows the ticket made and closed."""
    sim = Simulator(_tickets())
    episode = sim.episode("e", seed={"support_ticket": [{"ticket_id": "TCK-0001", "subject": "Seeded"}]})
    before = episode.snapshot()
    assert before["resources"]["support_ticket"]["records"]["TCK-0001"]["status"] == "open"
    assert sim.simulate("get_support_ticket", {"ticket_id": "TCK-0001"}, episode="e").structured["subject"] == "Seeded"
    sim.simulate("ticket_close", {"ticket_id": "TCK-0001"}, episode="e")
    change = diff(before, episode.snapshot())
    assert change["changed"] == [{"resource": "support_ticket", "key": "TCK-0001", "fields": {"status": ["open", "closed"]}}]
    json.dumps(episode.snapshot())


def test_an_annotation_wins_over_inference_and_a_bad_one_is_reported():
    """x-gtm-resource states the operation; a malformed one lands among the unplaced with the reason."""
    stated = ToolSpec("ticket_close", "", parameters={**_obj({"ticket_id": S}), "x-gtm-resource": {"operation": "read", "resource": "support_ticket"}})
    broken = ToolSpec("get_support_ticket", "", parameters={**_obj({"ticket_id": S}), "x-gtm-resource": {"operation": "smash"}})
    model = infer_resources([*list(_tickets())[:1], stated, broken])
    assert model.operation("ticket_close").kind == "read" and model.operation("ticket_close").annotated
    assert "smash" in next(u.reason for u in model.unplaced if u.tool == "get_support_ticket")


def test_gtm_catalog_resources_prints_the_model(tmp_path):
    """The CLI names each resource's key and each tool's operation; --json is the model."""
    path = tmp_path / "tickets.jsonl"
    _tickets().save(path)
    shown = CliRunner().invoke(cli, ["catalog", "resources", str(path)])
    assert shown.exit_code == 0 and "support_ticket: key ticket_id" in shown.output and "transition" in shown.output
    as_json = json.loads(CliRunner().invoke(cli, ["catalog", "resources", str(path), "--json"]).output)
    assert {o["tool"] for o in as_json["operations"]} == {s.name for s in _tickets()}


def test_a_key_without_the_resources_name_is_the_one_its_creator_returns():
    """create_parcel returns tracking_number and nothing else key-like: readers keyed by it read parcels,
    but schedule_interview(candidate_id) stays a create, since the interview has its own interview_id."""
    parcel = _obj({"tracking_number": S, "recipient": S})
    model = infer_resources([
        ToolSpec("create_parcel", "d", parameters=_obj({"recipient": S}), response=parcel),
        ToolSpec("get_parcel", "d", parameters=_obj({"tracking_number": S}), response=parcel),
        ToolSpec("schedule_interview", "d", parameters=_obj({"candidate_id": S}), response=_obj({"interview_id": S, "candidate_id": S})),
    ])
    assert model.resources["parcel"].key == "tracking_number"
    assert model.operation("get_parcel").key_parameter == "tracking_number"
    assert model.operation("schedule_interview").kind == "create"


def test_an_unknown_verb_that_names_a_state_is_a_transition_and_list_fields_start_empty():
    """endRental(rentalId) leads to "ended"; a playlist made without tracks has none, whatever the engine said."""
    rental = _obj({"rentalId": S, "status": {"type": "string", "enum": ["active", "ended"]}})
    playlist = _obj({"playlistId": S, "name": S, "tracks": {"type": "array", "items": S}})
    sim = Simulator(Catalog([
        ToolSpec("startRental", "d", parameters=_obj({"station": S}), response=rental),
        ToolSpec("endRental", "d", parameters=_obj({"rentalId": S}), response=rental),
        ToolSpec("endOfDayReport", "d", parameters=_obj({"day": S}), response=_obj({"text": S})),
        ToolSpec("createPlaylist", "d", parameters=_obj({"name": S}), response=playlist),
        ToolSpec("addTracks", "d", parameters=_obj({"playlistId": S, "tracks": {"type": "array", "items": S}}), response=playlist),
    ]))
    assert sim.resource_model.operation("endRental").to_state == "ended"
    assert sim.resource_model.operation("endOfDayReport") is None
    assert sim.resource_model.operation("addTracks").kind == "add_items"
    made = sim.simulate("createPlaylist", {"name": "Focus"}).structured
    assert made["tracks"] == []
    assert sim.simulate("addTracks", {"playlistId": made["playlistId"], "tracks": ["t1"]}).structured["tracks"] == ["t1"]


ENTITY = _obj({"name": S, "kind": S, "notes": {"type": "array", "items": S}})
EDGE = _obj({"from": S, "to": S, "label": S})
GRAPH = _obj({"entities": {"type": "array", "items": ENTITY}, "links": {"type": "array", "items": EDGE}})


def _graph():
    """A knowledge graph written for this test: entities made in bulk, links between them, reads by names."""
    return Catalog([
        ToolSpec("create_entities", "Make entities.", parameters=_obj({"entities": {"type": "array", "items": ENTITY}}),
                 response=_obj({"entities": {"type": "array", "items": ENTITY}})),
        ToolSpec("remove_entities", "Delete entities.", parameters=_obj({"entityNames": {"type": "array", "items": S}})),
        ToolSpec("create_links", "Link entities.", parameters=_obj({"links": {"type": "array", "items": EDGE}}),
                 response=_obj({"links": {"type": "array", "items": EDGE}})),
        ToolSpec("open_nodes", "Read entities by name.", parameters=_obj({"names": {"type": "array", "items": S}}), response=GRAPH),
        ToolSpec("read_graph", "The whole graph.", parameters=_obj({}), response=GRAPH),
    ])  # fmt: skip


def test_a_reader_that_takes_names_reads_the_records_its_response_holds_rather_than_making_them():
    model = infer_resources(_graph())
    assert model.operations["open_nodes"].kind == "list" and model.operations["open_nodes"].resource == "entity"
    assert model.operations["open_nodes"].batch == "names"
    assert model.operations["create_entities"].kind == "create"
    assert model.operations["read_graph"].kind == "list"


def test_links_show_with_either_end_and_go_when_an_end_is_deleted():
    sim = Simulator(_graph(), unknown_keys="closed")
    sim.simulate("create_entities", {"entities": [{"name": "A", "kind": "p", "notes": []}, {"name": "B", "kind": "p", "notes": []}]})
    assert sim.simulate("read_graph", {}).structured["links"] == []  # nothing linked yet: no invented links
    sim.simulate("create_links", {"links": [{"from": "A", "to": "B", "label": "knows"}]})
    opened = sim.simulate("open_nodes", {"names": ["B"]}).structured
    assert [e["name"] for e in opened["entities"]] == ["B"] and opened["links"] == [{"from": "A", "to": "B", "label": "knows"}]
    sim.simulate("remove_entities", {"entityNames": ["B"]})
    graph = sim.simulate("read_graph", {}).structured
    assert [e["name"] for e in graph["entities"]] == ["A"] and graph["links"] == []


def _files():
    text = _obj({"content": S})
    path = _obj({"path": S})
    return Catalog([
        ToolSpec("write_file", "Write a file.", parameters=_obj({"path": S, "content": S}), response=text),
        ToolSpec("read_file", "Read a file.", parameters=path, response=text),
        ToolSpec("create_directory", "Make a folder.", parameters=path, response=text),
        ToolSpec("list_directory", "List a folder.", parameters=path, response=text),
    ])  # fmt: skip


def test_a_folder_listing_given_as_text_holds_the_paths_directly_under_it():
    sim = Simulator(_files())
    sim.simulate("write_file", {"path": "/d/a.txt", "content": "x"})
    sim.simulate("create_directory", {"path": "/d/sub"})
    sim.simulate("write_file", {"path": "/d/sub/b.txt", "content": "y"})
    assert sim.simulate("list_directory", {"path": "/d"}).structured == {"content": "a.txt\nsub/"}
    assert sim.simulate("list_directory", {"path": "/d/sub/"}).structured == {"content": "b.txt"}


def test_reasons_say_an_before_a_vowel_sound():
    from gtm_core.resources.naming import article

    assert [article(w) for w in ("entity", "order", "ticket", "user", "hour", "unit", "item")] == ["an", "an", "a", "a", "an", "a", "an"]
    model = infer_resources(_graph())
    assert "an entity" in model.operations["remove_entities"].reason and "a entity" not in json.dumps(model.to_dict())


def test_a_list_named_with_how_it_lists_is_a_list_of_the_resource_before_the_preposition():
    catalog = Catalog([*_files(), ToolSpec("list_directory_with_sizes", "List a folder with sizes.", parameters=_obj({"path": S}), response=_obj({"content": S}))])
    model = infer_resources(catalog)
    assert model.operations["list_directory_with_sizes"].resource == "directory" and "directory_size" not in model.resources


def test_a_read_that_takes_no_key_is_listed_as_no_resource_tool_not_as_unplaced(tmp_path):
    weather = ToolSpec("get_weather", "Weather by city.", parameters=_obj({"city": S}), response=_obj({"temp_c": {"type": "number"}}))
    model = infer_resources([*_tickets(), weather])
    assert [u.tool for u in model.not_resource] == ["get_weather"] and "get_weather" not in [u.tool for u in model.unplaced]
    assert model.placed_share() == 1.0
    path = tmp_path / "tools.jsonl"
    path.write_text("".join(json.dumps(s.to_dict()) + "\n" for s in [*_tickets(), weather]), encoding="utf-8")
    out = CliRunner().invoke(cli, ["catalog", "resources", str(path)])
    assert out.exit_code == 0, out.output
    assert "not a resource tool (1):\n  get_weather: verb 'get' reads, but takes no key" in out.output
    assert out.output.rstrip().endswith("0 unplaced, 1 not resource tools")
    as_json = json.loads(CliRunner().invoke(cli, ["catalog", "resources", "--json", str(path)]).output)
    assert as_json["not_resource_tools"][0]["tool"] == "get_weather" and as_json["unplaced"] == []


def test_a_state_that_a_transition_tool_leads_to_is_not_the_initial_state():
    """`confirm` makes a reservation confirmed, so a new one starts in the enum's first state no tool leads to (held)."""
    record = {"type": "object", "properties": {"reservationCode": {"type": "string"}, "guestName": {"type": "string"},
                                               "state": {"type": "string", "enum": ["held", "confirmed", "checked_in", "cancelled"]}},
              "required": ["reservationCode", "guestName", "state"]}  # fmt: skip
    key = {"type": "object", "properties": {"reservationCode": {"type": "string"}}, "required": ["reservationCode"]}
    tools = [
        ToolSpec("Reserve Room", "Reserve a room.", parameters={"type": "object", "properties": {"guestName": {"type": "string"}}}, required=["guestName"], response=record),
        ToolSpec("Get Reservation", "Look a reservation up.", parameters=key, required=["reservationCode"], response=record),
        ToolSpec("Confirm Reservation", "Confirm a held reservation.", parameters=key, required=["reservationCode"], response=record),
    ]
    sim = Simulator(Catalog(tools))
    made = sim.simulate("Reserve Room", {"guestName": "Ada"}, episode="e").structured
    assert made["state"] == "held"
    sim.simulate("Confirm Reservation", {"reservationCode": made["reservationCode"]}, episode="e")
    assert sim.simulate("Get Reservation", {"reservationCode": made["reservationCode"]}, episode="e").structured["state"] == "confirmed"
