"""The ``gtm catalog`` commands: output, --json contracts and error paths."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gtm_core import Catalog, ToolSpec
from gtm_core.cli import cli

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    field="Weather",
    subfield="Current",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    required=["city"],
    response={"type": "object", "properties": {"temperature": {"type": "number"}}},
)
ORDER = ToolSpec("create_order", "Create an order.", field="Commerce", subfield="Orders")


@pytest.fixture
def catalog_file(tmp_path):
    return str(Catalog([WEATHER, ORDER]).save(tmp_path / "cat.jsonl"))


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    return result


def test_stats_json_has_integer_tools_and_fields_and_a_per_field_breakdown(catalog_file):
    """``stats --json`` is a stable contract: integer tools and fields, and by_field."""
    result = run("catalog", "stats", catalog_file, "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert (stats["tools"], stats["fields"]) == (2, 2)
    assert stats["by_field"]["Weather"]["tools"] == 1


def test_stats_prints_a_table(catalog_file):
    """Without --json, stats prints labelled counts and a field table."""
    result = run("catalog", "stats", catalog_file)
    assert result.exit_code == 0
    assert "tools" in result.output and "Commerce" in result.output


def test_validate_passes_a_clean_catalog_and_fails_a_broken_one(catalog_file, tmp_path):
    """validate exits 0 on a clean catalog and 1 with each problem listed on a broken one."""
    assert run("catalog", "validate", catalog_file).exit_code == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"name": "bad name", "description": "d"}) + "\n{oops\n", encoding="utf-8")
    result = run("catalog", "validate", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:1: bad name:" in result.output
    assert f"{bad}:2:" in result.output
    report = json.loads(run("catalog", "validate", str(bad), "--json").output)
    assert report["errors"] == 2 and report["by_code"] == {"unreadable-line": 1, "illegal-name": 1}


def test_validate_strict_stops_at_an_unreadable_line(tmp_path):
    """--strict turns the first broken line into a one-line error."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    result = run("catalog", "validate", str(bad), "--strict")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and f"{bad}:1" in result.output
    assert "Traceback" not in result.output


def test_list_filters_and_prints_json_lines(catalog_file):
    """list --field selects tools; --json prints one spec per line."""
    result = run("catalog", "list", catalog_file, "--field", "Commerce", "--json")
    assert [json.loads(line)["name"] for line in result.output.splitlines()] == ["create_order"]


def test_search_finds_by_description_words(catalog_file):
    """search ranks tools by the query words in their name and description."""
    result = run("catalog", "search", "weather city", catalog_file, "--json")
    assert json.loads(result.output)[0]["name"] == "get_weather"


@pytest.mark.parametrize("as_format, key", [("gtm", "parameters"), ("openai", "function"), ("mcp", "inputSchema"), ("rows", "field")])
def test_show_prints_the_spec_in_each_format(catalog_file, as_format, key):
    """show --as FORMAT prints the tool converted to that format."""
    result = run("catalog", "show", "get_weather", catalog_file, "--as", as_format)
    assert result.exit_code == 0
    assert key in json.loads(result.output)


def test_show_of_an_unknown_tool_suggests_names_in_one_line(catalog_file):
    """An unknown tool is one clear error line with suggestions and exit 1."""
    result = run("catalog", "show", "get_wether", catalog_file)
    assert result.exit_code == 1
    assert result.output.strip() == "Error: unknown tool 'get_wether'; did you mean 'get_weather'?"


def test_import_converts_an_mcp_dump_into_a_catalog(tmp_path):
    """import reads a tools/list dump and writes GTM JSONL that loads back."""
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps({"tools": [{"name": "echo", "description": "Echo.", "inputSchema": {"type": "object"}}]}), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("catalog", "import", str(dump), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "imported 1 tools (mcp)" in result.output
    assert Catalog.load(out).names == ["echo"]


def test_import_of_a_file_with_no_tools_fails_clearly(tmp_path):
    """A file with nothing tool-like is an error, not an empty catalog."""
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    result = run("catalog", "import", str(empty), "-o", str(tmp_path / "o.jsonl"))
    assert result.exit_code == 1 and "no tools found" in result.output


def test_import_requires_an_output_file(catalog_file):
    """-o is required and click says so."""
    result = run("catalog", "import", catalog_file)
    assert result.exit_code == 2 and "-o" in result.output


@pytest.mark.parametrize(
    "args, words",
    [
        ((), "exactly one kind"),
        (("--mcp-stdio", "x", "--mcp-url", "http://127.0.0.1:1/mcp"), "exactly one kind"),
        (("some.json", "--mcp-stdio", "x"), "exactly one kind"),
        (("--mcp-stdio", "x", "--header", "A: b"), "--header goes with --mcp-url"),
        (("--mcp-url", "http://127.0.0.1:1/mcp", "--header", "no colon"), "'Name: value'"),
        (("--mcp-stdio", "x", "--format", "openai"), "does not apply to an MCP server"),
    ],
)
def test_import_takes_files_or_exactly_one_mcp_server(args, words, tmp_path):
    """FILEs, --mcp-stdio and --mcp-url exclude each other; a bad --header is a usage error."""
    result = run("catalog", "import", *args, "-o", str(tmp_path / "o.jsonl"))
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output


def test_dedup_writes_the_kept_tools_and_says_what_it_dropped(tmp_path):
    """dedup drops the later near-duplicate and reports it."""
    path = Catalog([WEATHER, ToolSpec("getWeather", "dup"), ORDER]).save(tmp_path / "c.jsonl")
    out = tmp_path / "kept.jsonl"
    result = run("catalog", "dedup", str(path), "-o", str(out), "--json")
    report = json.loads(result.output)
    assert report["kept"] == 2 and report["dropped"][0]["name"] == "getWeather"
    assert Catalog.load(out).names == ["get_weather", "create_order"]


@pytest.mark.parametrize(
    "args, words",
    [
        (("catalog", "stats", "/no/such/file.jsonl"), "no such file or folder"),
        (("catalog", "import", "/no/such.json", "-o", "/tmp/x.jsonl"), "no such file"),
        (("catalog", "dedup", "--threshold", "2", "-o", "/tmp/x.jsonl"), "--threshold"),
        (("catalog", "list", "--format", "yaml"), "--format"),
    ],
)
def test_errors_are_one_clear_line_and_a_non_zero_exit(args, words):
    """Bad paths and bad options give a message naming the problem, never a traceback."""
    result = run(*args)
    assert result.exit_code != 0
    assert words in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["stats", "validate", "list", "search", "show", "import", "dedup"])
def test_every_command_has_help(command):
    """--help works on every catalog command."""
    result = run("catalog", command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output
