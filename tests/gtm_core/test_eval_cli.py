"""gtm eval: reproducible plans on held-out tools, the exact JSON keys, tables, side by side."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from eval_tools import small_catalog

from gtm_core import Catalog, ToolSpec
from gtm_core.cli import cli
from gtm_core.engines.schema import SchemaEngine
from gtm_core.evaluation import build_plan, evaluate
from gtm_core.evaluation.cases import flow_arguments

SINGLE_KEYS = {"Format", "Logic", "Sem", "Comp", "All", "n"}
MULTI_KEYS = {"Format", "Logic", "Sem", "Comp", "Cons", "Cons(det)", "All", "n"}
ERROR_KEYS = {"Det", "Help", "All", "n"}


@pytest.fixture
def catalog_file(tmp_path):
    path = tmp_path / "tools.jsonl"
    Catalog(small_catalog()).save(path)
    return path


def invoke(*args):
    result = CliRunner().invoke(cli, ["eval", *args])
    assert result.exit_code == 0, result.output
    return result


def test_eval_json_has_exactly_the_table_1_keys(catalog_file):
    """Each scenario object holds exactly its metric names and n, beside avg."""
    data = json.loads(invoke("--engine", "schema", "--catalog", str(catalog_file), "--n", "10", "--json", "--quiet").output)
    assert set(data["single"]) == SINGLE_KEYS
    assert set(data["multi"]) == MULTI_KEYS
    assert set(data["error"]) == ERROR_KEYS
    assert data["single"]["n"] == 10 and data["multi"]["n"] == 10 and data["error"]["n"] >= 10
    assert isinstance(data["avg"], float) and data["judge"] is None
    assert data["single"]["Logic"] is None and data["multi"]["Cons(det)"] is not None


def test_the_same_seed_gives_the_same_results_and_another_seed_other_tools(catalog_file, tmp_path):
    """Tool draw, calls and answers are reproducible: same seed, same details, call for call."""
    details = [tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"]
    for path, seed in zip(details, ("7", "7", "8")):
        invoke("--catalog", str(catalog_file), "--n", "5", "--seed", seed, "--details", str(path), "--quiet")
    assert details[0].read_text(encoding="utf-8") == details[1].read_text(encoding="utf-8")
    tools = [[json.loads(line)["tool"] for line in p.read_text(encoding="utf-8").splitlines()] for p in details]
    assert tools[0] != tools[2]


def test_the_table_shows_every_scenario_and_avg(catalog_file, tmp_path):
    """The text output is a table per engine; --out writes the same JSON as --json prints."""
    out = tmp_path / "results.json"
    result = invoke("--catalog", str(catalog_file), "--n", "4", "--out", str(out), "--quiet")
    lines = result.output.splitlines()
    assert lines[0].startswith("schema: 4 held-out tools, seed 0, argument checks on, judge: none")
    assert lines[1].split() == ["scenario", "n", "Format", "Logic", "Sem", "Comp", "Cons", "Cons(det)", "Det", "Help", "All"]
    assert [line.split()[0] for line in lines[2:5]] == ["single", "multi", "error"]
    assert lines[5].startswith("Avg ")
    assert set(json.loads(out.read_text(encoding="utf-8"))) >= {"single", "multi", "error", "avg"}


def test_compare_puts_engines_side_by_side_on_the_same_cases(catalog_file):
    """--compare evaluates each engine on one plan; JSON is keyed by the engine as named."""
    result = invoke("--compare", "schema", "--catalog", str(catalog_file), "--n", "3", "--quiet")
    assert "side by side" not in result.output  # one engine: no summary
    result = CliRunner().invoke(cli, ["eval", "--compare", "schema,schema", "--catalog", str(catalog_file), "--n", "3"])
    assert result.exit_code == 2 and "same engine twice" in result.output
    result = CliRunner().invoke(cli, ["eval", "--compare", "schema", "--engine", "schema", "--catalog", str(catalog_file)])
    assert result.exit_code == 2 and "leave out --engine" in result.output


def test_the_schema_engine_is_refused_as_judge_on_the_command_line(catalog_file):
    """--judge schema is a usage error that says why and what to use."""
    result = CliRunner().invoke(cli, ["eval", "--catalog", str(catalog_file), "--n", "2", "--judge", "schema"])
    assert result.exit_code == 2
    assert "schema engine cannot judge" in result.output and "llamacpp, transformers, openai or lmdeploy" in result.output


def test_excluded_tools_are_never_drawn(catalog_file, tmp_path):
    """--exclude with training JSONL keeps the trained tools out of the held-out set."""
    from gtm_core.prompt import training_record

    specs = small_catalog()
    trained = tmp_path / "train.jsonl"
    trained.write_text("".join(json.dumps(training_record(s, {}, {"ok": True})) + "\n" for s in specs[:8]), encoding="utf-8")
    details = tmp_path / "d.jsonl"
    invoke("--catalog", str(catalog_file), "--n", "12", "--exclude", str(trained), "--details", str(details), "--quiet")
    drawn = {json.loads(line)["tool"] for line in details.read_text(encoding="utf-8").splitlines() if '"scenario": "single"' in line}
    assert drawn == {s.name for s in specs[8:]}


def test_multi_turn_episodes_carry_ids_from_one_answer_into_the_next_call():
    """get_order follows create_order, and the order_id the first answer made is the second call's argument."""
    plan = build_plan(small_catalog(), 12, seed=0)
    episode = next(e for e in plan.multi if e.anchor == "get_order")
    assert episode.link == "flow" and episode.tools[1] == "get_order" and episode.tools[0] in ("create_order", "update_order")
    report = evaluate(SchemaEngine(), plan)
    case = next(c for c in report.cases if c.scenario == "multi" and c.tool == "get_order")
    first, second = case.calls[0], case.calls[1]
    assert second["arguments"]["order_id"] == json.loads(first["response"])["order_id"]
    assert case.metrics["Cons(det)"] is True


def test_a_flowed_value_is_only_taken_where_the_call_stays_valid():
    """An earlier answer's field fills a parameter of the same name only if the checks accept the value."""
    spec = ToolSpec("get_stock_quote", parameters={"type": "object", "properties": {"symbol": {"type": "string", "maxLength": 5}}}, required=["symbol"])
    arguments, flows = flow_arguments(spec, {"symbol": "ABC"}, [{"symbol": "TOOLONG"}], turn=1)
    assert arguments == {"symbol": "ABC"} and flows == []
    arguments, flows = flow_arguments(spec, {"symbol": "ABC"}, [{"symbol": "XYZ"}, None], turn=2)
    assert arguments == {"symbol": "XYZ"} and flows[0].source_turn == 0 and flows[0].turn == 2


def test_error_cases_are_detectable_mutations_and_deleted_ids():
    """Every bad call is one the schema reveals, the kinds taken in turn, plus get-after-delete."""
    plan = build_plan(small_catalog(), 12, seed=0)
    kinds = {case.kind for case in plan.error}
    assert {"type_error", "missing_required", "excess_parameter", "invalid_value"} <= kinds
    deleted = [case for case in plan.error if case.kind == "not_found"]
    assert deleted and all(case.setup[0][0] == "delete_order" for case in deleted)
    report = evaluate(SchemaEngine(), plan)
    assert report.to_dict()["error"]["Det"] == 100.0
    unchecked = evaluate(SchemaEngine(), plan, check=False).to_dict()["error"]
    assert unchecked["Det"] < 100.0  # the schema engine itself only catches deleted ids


def test_progress_goes_to_stderr_and_stdout_keeps_only_the_results(catalog_file):
    """Progress bars (labels when stderr is no terminal) never mix into the JSON on stdout."""
    result = CliRunner().invoke(cli, ["eval", "--catalog", str(catalog_file), "--n", "3", "--json"])
    assert result.exit_code == 0
    assert "schema: single-turn" in result.stderr and "schema: errors" in result.stderr
    assert set(json.loads(result.stdout)) >= {"single", "multi", "error", "avg"}


@pytest.mark.data
def test_the_schema_baseline_runs_on_300_held_out_training_apis(training_apis_path):
    """The README's baseline command: 300 tools of the public training APIs, every scenario full."""
    data = json.loads(invoke("--catalog", str(training_apis_path), "--n", "300", "--json", "--quiet").output)
    assert data["single"]["n"] == 300 and data["multi"]["n"] == 300 and data["error"]["n"] >= 300
    assert data["single"]["Format"] == 100.0 and data["error"]["Det"] == 100.0
