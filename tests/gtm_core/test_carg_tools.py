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
                out.append(json.dumps({"subfields": [{"name": "Forecasts", "description": "Weather forecasts, and invoices for them."}]}))
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


def test_a_schema_teacher_is_warned_about_up_front_and_its_placeholder_tools_are_refused(tmp_path):
    """The schema engine cannot design tools: the warning comes before the run, the summary keeps
    and shows it, and none of its drafts (names such as koxh_x0m) passes the word checks."""
    from click.testing import CliRunner

    from gtm_core.cli import cli

    result = CliRunner().invoke(cli, ["synth", "run", "--out", str(tmp_path), "--seed-fields", "2", "--subfields-per-field", "1",
                                      "--tools-per-subfield", "3", "--single", "0", "--multi", "0", "--errors", "0"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: the schema engine is the teacher")
    assert "PLACEHOLDERS" in result.stdout and result.stdout.rstrip().splitlines()[-1].startswith("WARNING: the schema engine")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["warnings"] and summary["stages"]["tools"]["kept"] == 0
    dropped = [json.loads(line) for line in (tmp_path / "tools.dropped.jsonl").read_text().splitlines()]
    assert len(dropped) == 6 and all("not made of words" in " ".join(d["problems"]) or "share a word" in " ".join(d["problems"]) for d in dropped)


def test_a_schema_teacher_on_real_tools_gets_no_warning(tmp_path):
    from gtm_core.carg.pipeline import teacher_warnings

    assert teacher_warnings(SchemaEngine(), SynthSettings(from_catalog=("tools.jsonl",))) == []
    assert teacher_warnings(SchemaEngine(), SynthSettings(), ["single"]) == []
    assert teacher_warnings(Scripted(), SynthSettings()) == []
    assert teacher_warnings(SchemaEngine(), SynthSettings()) != []


def test_names_that_are_not_words_and_tools_foreign_to_their_field_are_refused():
    from gtm_core.carg.wordcheck import field_text, word_problems

    crypto = field_text("Cryptocurrency", "Beginner Photography Tips", "Digital assets: market prices, wallets and on-chain data.")
    (junk_name, foreign) = word_problems(ToolSpec("koxh_x0m", "All items are available and ready to ship."), crypto)
    assert "'koxh', 'x0m'" in junk_name and "share a word with its field" in foreign
    assert word_problems(ToolSpec("get_token_price", "Current price of a token."), crypto) == []
    storage = field_text("Cloud", "Object Storage", "Buckets, objects and hashes.")
    for name in ("s3_list_buckets", "getSHA256Hash", "list_buckets_v2"):
        assert word_problems(ToolSpec(name, "List the storage buckets."), storage) == [], name
    assert word_problems(ToolSpec("q6_1vu_68_g", "List the buckets."), storage)[0].startswith("the name 'q6_1vu_68_g' is not made of words")
