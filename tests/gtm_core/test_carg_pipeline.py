"""The CARG pipeline end to end: offline with the schema engine, from a catalog, through the CLI."""

from __future__ import annotations

import json

import pytest
from carg_teachers import CatalogTeacher
from click.testing import CliRunner

from gtm_core import Catalog, ToolSpec, validate_catalog
from gtm_core.carg import OutputFolderError, SynthSettings, format_summary, synthesize
from gtm_core.cli import cli
from gtm_core.engines.schema import SchemaEngine

FILES = ["config.json", "taxonomy.jsonl", "tools.generated.jsonl", "tools.jsonl", "tools.dropped.jsonl",
         "single.jsonl", "multi.jsonl", "errors.jsonl", "train.jsonl", "summary.json"]  # fmt: skip


def small_settings(**changes) -> SynthSettings:
    base = dict(seed_fields=2, subfields_per_field=2, tools_per_subfield=3, single=2, multi=4, errors=2, embedder="tfidf", batch_size=5)
    return SynthSettings(**{**base, **changes})


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def orders_catalog() -> list[ToolSpec]:
    order = {"type": "object", "properties": {"order_id": {"type": "string"}, "item": {"type": "string"}, "quantity": {"type": "integer"}},
             "required": ["order_id", "item", "quantity"]}  # fmt: skip
    return [
        ToolSpec("create_order", "Create an order for an item of the shop.",
                 parameters={"type": "object", "properties": {"item": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}}},
                 required=["item", "quantity"], response=order),  # fmt: skip
        ToolSpec("get_order", "Get an order of the shop by its id.", parameters={"type": "object", "properties": {"order_id": {"type": "string"}}},
                 required=["order_id"], response=order),  # fmt: skip
        ToolSpec("get_weather", "Current weather for a city.", parameters={"type": "object", "properties": {"city": {"type": "string"}}},
                 required=["city"], response={"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}},
                                              "required": ["city", "temperature"]}),  # fmt: skip
    ]


def assert_chat_records(lines):
    for record in lines:
        messages = record["messages"]
        assert messages and all(isinstance(m["role"], str) and isinstance(m["content"], str) for m in messages)
        assert messages[0]["role"] == "system" and messages[-1]["role"] == "assistant"
        assert record["scenario"] in ("single", "multi", "error") and record["tool"]


def test_the_whole_pipeline_runs_offline_with_the_schema_engine(tmp_path):
    """Seed fields become subfields, tools, single-turn, multi-turn and error examples, with no model
    (the schema engine answers; the tools are designed from the shipped catalog, which it cannot do)."""
    summary = synthesize(tmp_path, small_settings(), teacher=CatalogTeacher(), progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    stages = summary["stages"]
    assert stages["taxonomy"]["fields"] == 2 and stages["taxonomy"]["subfields"] == 4
    tools = Catalog.load(tmp_path / "tools.jsonl")
    assert len(tools) == stages["tools"]["kept"] > 0
    assert [p for p in validate_catalog(tools) if p.severity == "error"] == []
    assert all(spec.field and spec.subfield for spec in tools)
    assert stages["single"]["examples"] == 2 * len(tools)
    assert stages["multi"]["episodes"] > 0 and stages["multi"]["embedder"] == "tfidf"
    assert stages["errors"]["examples"] == 2 * len(tools) and stages["errors"]["pass_rate"] == 1.0
    train = read_jsonl(tmp_path / "train.jsonl")
    assert summary["train"]["records"] == len(train) > 0
    assert {r["scenario"] for r in train} == {"single", "multi", "error"}
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["train"] == summary["train"]
    assert summary["coherence"] == "deterministic checks (no judge given)"
    assert "train.jsonl:" in format_summary(summary)


def test_every_train_line_is_a_chat_record_ending_with_the_assistants_answer(tmp_path):
    """Each line has messages of role/content strings, system first and the assistant's answer last."""
    synthesize(tmp_path, small_settings(), teacher=CatalogTeacher(), progress=False)
    lines = read_jsonl(tmp_path / "train.jsonl")
    assert_chat_records(lines)
    multi = [r for r in lines if r["scenario"] == "multi" and r["turn"] > 0]
    assert multi and all(any(m["role"] == "user" and m["content"].startswith("Call:") for m in r["messages"][1:-2]) for r in multi)
    errors = [r for r in lines if r["scenario"] == "error"]
    assert errors and all(r["is_error"] and json.loads(r["messages"][-1]["content"])["error"]["message"] for r in errors)


def test_from_catalog_skips_the_taxonomy_and_uses_the_given_tools(tmp_path):
    """Given tools are used as they are; a multi-turn episode links the created order into the get."""
    catalog = tmp_path / "tools_in.jsonl"
    Catalog(orders_catalog()).save(catalog)
    out = tmp_path / "out"
    summary = synthesize(out, small_settings(from_catalog=(str(catalog),), multi=2), teacher=SchemaEngine(), progress=False)
    assert not (out / "taxonomy.jsonl").exists()
    assert summary["stages"]["taxonomy"] == {"status": "skipped (--from-catalog)"}
    assert Catalog.load(out / "tools.jsonl").names == ["create_order", "get_order", "get_weather"]
    episodes = read_jsonl(out / "multi.jsonl")
    orders = next(e for e in episodes if e["tools"] == ["create_order", "get_order"])
    created, fetched = orders["turns"]
    assert fetched["arguments"]["order_id"] == created["response"]["order_id"]
    assert orders["passed"] and orders["checks"]["consistency"]["pass"]


@pytest.mark.data
def test_from_catalog_on_public_training_tools(tmp_path, training_apis_path):
    """Twenty tools of the public training APIs go through every stage with high pass rates."""
    summary = synthesize(tmp_path, small_settings(from_catalog=(str(training_apis_path),), max_tools=20, multi=6),
                         teacher=SchemaEngine(), progress=False)  # fmt: skip
    stages = summary["stages"]
    assert stages["tools"]["kept"] == 20
    assert stages["single"]["examples"] == 40 and stages["single"]["first_attempt"]["format_pass_rate"] == 1.0
    assert stages["single"]["pass_rate"] >= 0.7
    assert stages["multi"]["episodes"] == 6
    assert stages["errors"]["pass_rate"] == 1.0
    assert_chat_records(read_jsonl(tmp_path / "train.jsonl"))


def test_a_folder_made_with_other_settings_is_refused_until_overwritten(tmp_path):
    """Continuing a folder with another seed would mix two runs: it is refused, naming the setting."""
    synthesize(tmp_path, small_settings(seed_fields=1, multi=0, single=1, errors=0), teacher=SchemaEngine(), progress=False)
    with pytest.raises(OutputFolderError, match="seed: 0 before, 1 now"):
        synthesize(tmp_path, small_settings(seed_fields=1, multi=0, single=1, errors=0, seed=1), teacher=SchemaEngine(), progress=False)


def test_the_cli_runs_the_pipeline_and_prints_the_summary_table(tmp_path):
    """gtm synth run writes the folder and prints a row per stage; --json prints the summary object."""
    catalog = tmp_path / "tools_in.jsonl"
    Catalog(orders_catalog()).save(catalog)
    out = tmp_path / "out"
    args = ["synth", "run", "--out", str(out), "--from-catalog", str(catalog), "--embedder", "tfidf", "--multi", "2", "--no-progress"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    for stage in ("taxonomy", "tools", "single", "multi", "errors"):
        assert stage in result.output
    assert "teacher: schema" in result.output
    again = CliRunner().invoke(cli, [*args, "--json"])
    assert again.exit_code == 0 and json.loads(again.output)["stages"]["tools"]["kept"] == 3
    other = CliRunner().invoke(cli, [*args, "--seed", "5"])
    assert other.exit_code == 1 and "--overwrite" in other.output
    assert CliRunner().invoke(cli, [*args, "--seed", "5", "--overwrite"]).exit_code == 0


def test_the_cli_refuses_the_schema_engine_as_judge(tmp_path):
    """A judge must be a language model; the usage error says what to do instead."""
    result = CliRunner().invoke(cli, ["synth", "single", "--out", str(tmp_path), "--judge", "schema"])
    assert result.exit_code == 2 and "deterministic coherence checks" in result.output


def test_a_stage_command_needs_the_stage_before_it(tmp_path):
    """gtm synth single in an empty folder says which command makes the tools."""
    result = CliRunner().invoke(cli, ["synth", "single", "--out", str(tmp_path), "--no-progress"])
    assert result.exit_code == 1 and "gtm synth tools" in result.output
