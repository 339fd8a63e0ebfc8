"""Tool generation: teacher drafts become valid ToolSpecs; invalid ones are refused, near-duplicates dropped."""

from __future__ import annotations

import json

from gtm_core import Catalog, ToolSpec
from gtm_core.carg import SynthSettings, synthesize
from gtm_core.carg.teacher import design_tools_tool, draft_to_spec
from gtm_core.engines.base import Engine
from gtm_core.engines.schema import SchemaEngine
from gtm_core.fake import conforms


def field(name, kind="string", required=True, **more):
    return {"name": name, "type": kind, "description": f"The {name.replace('_', ' ')}.", "required": required, **more}


DRAFTS = [
    {"name": "get_weather_forecast", "description": "Forecast of the weather for a city.", "parameters": [field("city"), field("days", "integer", False)],
     "response_fields": [field("city"), field("summary")]},
    {"name": "get_weather_forecasts", "description": "Forecasts of the weather for a city.", "parameters": [field("city")],
     "response_fields": [field("summary")]},
    {"name": "create_invoice", "description": "Create an invoice for a customer.", "parameters": [field("customer_id"), field("due", format="date")],
     "response_fields": [field("invoice_id")]},
    {"name": "Get Weather!", "description": "A name no MCP client accepts.", "parameters": [field("city")], "response_fields": [field("city")]},
]  # fmt: skip


class Scripted(Engine):
    """A plain engine (not a language model) that answers the virtual tools from fixed texts."""

    name = "scripted"

    async def generate(self, requests):
        out = []
        for request in requests:
            if request.spec.name == "expand_subfields":
                out.append(json.dumps({"subfields": [{"name": "Forecasts", "description": "Weather forecasts."}]}))
            elif request.spec.name == "design_tools":
                out.append(json.dumps({"tools": DRAFTS}))
            else:
                out.append(SchemaEngine().generate_sync([request])[0])
        return out


def test_a_draft_becomes_a_tool_spec_with_json_schemas():
    """Parameters and response fields become JSON Schema properties; required flags become the required list."""
    spec = draft_to_spec(DRAFTS[2], field="Finance", subfield="Invoices", source="carg:test")
    assert spec.input_schema == {
        "type": "object",
        "properties": {"customer_id": {"type": "string", "description": "The customer id."},
                       "due": {"type": "string", "description": "The due.", "format": "date"}},
        "required": ["customer_id", "due"],
    }  # fmt: skip
    assert spec.response == {"type": "object", "properties": {"invoice_id": {"type": "string", "description": "The invoice id."}}, "required": ["invoice_id"]}
    assert (spec.field, spec.subfield, spec.source) == ("Finance", "Invoices", "carg:test")


def test_the_schema_engine_answers_design_tools_with_valid_drafts():
    """Offline, the virtual tool's answer follows its own response schema (generic content, right shape)."""
    spec = design_tools_tool(3)
    from gtm_core.generation import GenerationRequest

    value = json.loads(SchemaEngine().generate_sync([GenerationRequest(spec, {"field": "Weather", "subfield": "Forecasts", "count": 3}, seed=4)])[0])
    assert conforms(value, spec.response_schema) and len(value["tools"]) == 3


def test_invalid_tools_are_refused_and_near_duplicate_names_dropped(tmp_path):
    """An illegal MCP name is refused by validation; get_weather_forecasts goes as a near-duplicate of get_weather_forecast."""
    summary = synthesize(tmp_path, SynthSettings(seed_fields=1, subfields_per_field=1, tools_per_subfield=4, single=0, multi=0, errors=0),
                         teacher=Scripted(), progress=False)  # fmt: skip
    assert Catalog.load(tmp_path / "tools.jsonl").names == ["get_weather_forecast", "create_invoice"]
    dropped = [json.loads(line) for line in (tmp_path / "tools.dropped.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(d["name"], d["reason"]) for d in dropped] == [("Get Weather!", "invalid"), ("get_weather_forecasts", "duplicate")]
    assert "illegal-name" in dropped[0]["problems"][0]
    assert "similarity" in dropped[1]["problems"][0]
    assert summary["stages"]["tools"]["dropped"] == {"invalid": 1, "duplicate": 1}
    assert summary["stages"]["tools"]["pass_rate"] == 0.5


def test_from_catalog_drops_invalid_tools_and_repeated_names_but_keeps_similar_real_ones(tmp_path):
    """A user's tools are not deduplicated by similarity: get_order and get_orders are both real."""
    tools = [
        ToolSpec("get_order", "One order."),
        ToolSpec("get_orders", "Every order."),
        ToolSpec("get_order", "The same name again."),
        ToolSpec("broken", "Requires what it lacks.", required=["nowhere"]),
    ]
    path = tmp_path / "mine.jsonl"
    Catalog(tools).save(path)
    synthesize(tmp_path / "out", SynthSettings(from_catalog=(str(path),), single=0, multi=0, errors=0), teacher=SchemaEngine(), progress=False)
    assert Catalog.load(tmp_path / "out" / "tools.jsonl").names == ["get_order", "get_orders"]
    reasons = [json.loads(line)["reason"] for line in (tmp_path / "out" / "tools.dropped.jsonl").read_text(encoding="utf-8").splitlines()]
    assert reasons == ["duplicate", "invalid"]
