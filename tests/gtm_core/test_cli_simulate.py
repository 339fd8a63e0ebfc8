"""``gtm simulate``: one call or a file of calls, text or --json output, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gtm_core import Catalog, ToolSpec
from gtm_core.cli import cli

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}}},
    required=["city"],
    response={"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}}, "required": ["city", "temperature"]},
)
RESULT_KEYS = {"content", "structured", "is_error", "error_kind", "engine", "cached", "latency_ms"}


@pytest.fixture
def catalog_file(tmp_path):
    return str(Catalog([WEATHER]).save(tmp_path / "cat.jsonl"))


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_json_output_is_the_whole_tool_result(catalog_file):
    result = run("simulate", "get_weather", "--args", '{"city": "Oslo"}', "--catalog", catalog_file, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert RESULT_KEYS <= set(body)
    assert body["is_error"] is False and body["engine"] == "schema" and body["structured"]["city"] == "Oslo"
    assert json.loads(body["content"]) == body["structured"]


def test_the_same_seed_prints_the_same_answer(catalog_file):
    def answer(seed):
        return json.loads(run("simulate", "get_weather", "--args", '{"city": "Oslo"}', "--catalog", catalog_file, "--seed", seed, "--json").output)["content"]

    assert answer("3") == answer("3")


def test_a_bad_call_prints_the_tools_error_flagged(catalog_file):
    result = run("simulate", "get_weather", "--args", '{"days": 0}', "--catalog", catalog_file, "--json")
    body = json.loads(result.output)
    assert result.exit_code == 0
    assert body["is_error"] is True and body["error_kind"] == "missing_required"
    assert "city" in body["content"]


def test_arguments_that_are_not_json_are_a_one_line_error_and_a_non_zero_exit(catalog_file):
    result = run("simulate", "get_weather", "--args", "{city: Oslo", "--catalog", catalog_file, "--json")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --args is not valid JSON (Expecting property name enclosed in double quotes at character 1); give a JSON object, e.g. --args '{\"city\": \"Oslo\"}'"


def test_json_arguments_that_are_not_an_object_get_the_tools_arguments_error(catalog_file):
    body = json.loads(run("simulate", "get_weather", "--args", "[1, 2]", "--catalog", catalog_file, "--json").output)
    assert body["is_error"] and body["error_kind"] == "arguments_not_object"


def test_an_unknown_tool_suggests_names(catalog_file):
    body = json.loads(run("simulate", "get_wether", "--catalog", catalog_file, "--json").output)
    assert body["error_kind"] == "unknown_tool" and "get_weather" in body["content"]


def test_a_calls_file_runs_in_one_episode_world():
    """create then get through --calls: the get returns what the create made."""
    catalog = Catalog.shipped()
    create = catalog.get("create_order")
    from gtm_core.sampler import sample_arguments

    created = json.loads(run("simulate", "create_order", "--args", json.dumps(sample_arguments(create, rng=1)), "--json").output)
    order_id = created["structured"]["order_id"]
    lines = [
        json.dumps({"tool": "create_order", "arguments": sample_arguments(create, rng=1)}),
        json.dumps({"tool": "get_order", "arguments": {"order_id": order_id}}),
        json.dumps({"tool": "delete_order", "arguments": {"order_id": order_id}}),
        json.dumps({"tool": "get_order", "arguments": {"order_id": order_id}}),
    ]
    result = run("simulate", "--calls", "-", "--episode", "e1", "--json", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    first, got, deleted, gone = (json.loads(line) for line in result.output.strip().splitlines())
    assert got["structured"]["order_id"] == first["structured"]["order_id"] == order_id
    assert not deleted["is_error"] and gone["error_kind"] == "not_found"


def test_text_output_prints_the_answer_and_a_status_line(catalog_file):
    result = CliRunner().invoke(cli, ["simulate", "get_weather", "--args", '{"city": "Oslo"}', "--catalog", catalog_file])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["city"] == "Oslo"
    assert "get_weather: ok, engine schema" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give either TOOL"),
        (("get_weather", "--engine", "nope"), "unknown engine 'nope'"),
        (("get_weather", "--catalog", "/no/such/file.jsonl"), "/no/such/file.jsonl"),
    ],
)
def test_usage_errors_are_one_clear_line_without_a_traceback(catalog_file, args, message):
    extra = () if "--catalog" in args else ("--catalog", catalog_file)
    result = run("simulate", *args, *extra)
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output


def test_a_broken_calls_line_names_its_line(catalog_file):
    result = run("simulate", "--calls", "-", "--catalog", catalog_file, input='{"tool": "get_weather", "arguments": {"city": "a"}}\nnot json\n')
    assert result.exit_code != 0 and "calls line 2" in result.output


def test_the_installed_command_answers():
    """The console script runs in a fresh process (the real entry point, not CliRunner)."""
    out = subprocess.run(
        [sys.executable, "-m", "gtm_core", "simulate", "get_current_weather", "--args", '{"city": "Lisbon"}', "--json"],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["structured"]["city"] == "Lisbon"
