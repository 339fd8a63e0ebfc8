"""Plausible objects for tools without a response schema: shaped by what the tool does, echoing the call."""

from __future__ import annotations

import json
import random

from gtm_core.fake import fake_object_for
from gtm_core.spec import ToolSpec


def _spec(name, description="", parameters=None, response=None):
    return ToolSpec(name, description, parameters=parameters or {"type": "object", "properties": {}}, response=response)


def test_a_weather_tool_without_a_response_schema_reports_the_weather():
    """A weather tool's fake object has a temperature and conditions for the asked place."""
    spec = _spec("get_current_weather", "Current weather for a city")
    body = fake_object_for(spec, random.Random(3), {"city": "Lisbon"})
    assert body["location"] == "Lisbon" and isinstance(body["temperature"], float) and body["condition"]


def test_a_search_tool_without_a_response_schema_lists_results():
    """A search tool's fake object holds results with a title, url and snippet."""
    body = fake_object_for(_spec("search_articles", "Search news articles"), random.Random(3), {"query": "jazz"})
    assert body["query"] == "jazz" and body["results"]
    assert all({"title", "url", "snippet"} <= set(r) for r in body["results"])


def test_a_create_tool_without_a_response_schema_returns_an_id_and_the_arguments():
    """A create tool's fake object has the new entity's id, a status and the arguments."""
    body = fake_object_for(_spec("createInvoice", "Create an invoice"), random.Random(3), {"customer": "Ana", "amount": 12.5})
    assert body["success"] is True and body["invoice_id"].startswith("inv_")
    assert body["customer"] == "Ana" and body["amount"] == 12.5


def test_a_generic_tool_without_a_response_schema_returns_a_record_of_its_subject():
    """Any other tool gets success and a record named after its subject that echoes the arguments."""
    spec = _spec("getWaterTransportationInfo", "Retrieve water transport information", response="Returns the price and company")
    body = fake_object_for(spec, random.Random(3), {"location": "Porto"})
    record = body["water_transportation"]
    assert body["success"] is True and record["location"] == "Porto" and "price" in record and "company" in record
    json.dumps(body)
