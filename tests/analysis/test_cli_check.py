"""`gtm scope check`: text, spec, catalog and tools/list inputs; JSON Lines and table output; errors."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

import analysis.cli_check as cli_check
from analysis.applicability import ScopeIndex
from analysis.cli_check import check
from analysis.market import ToolRecord
from analysis.verdicts import VERDICTS


class BagOfWords:
    """A deterministic stand-in for the sentence embedder (hashed word counts)."""

    model_id = "test/bag-of-words"

    def embed(self, texts):
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 256] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


def rec(name, description, server=None, source="training"):
    return ToolRecord(server=server, name=name, description=description, input_schema={}, source=source)


@pytest.fixture
def index_path(tmp_path, monkeypatch):
    training = [
        rec("get_weather", "Get the weather forecast for a city"),
        rec("convert_units", "Convert a value between units of length"),
        rec("sql_query", "Run a SQL query on a database table"),
        rec("translate_text", "Translate a text into another language"),
    ]
    market = [
        rec("slack_post_message", "Post a message to a Slack channel", "Slack", "market"),
        rec("web_search", "Search the web", "Search", "market"),
    ]
    path = ScopeIndex.build(training, market, embedder=BagOfWords()).save(tmp_path / "scope.npz")
    monkeypatch.setattr(cli_check, "_make_embedder", lambda model_id=None: BagOfWords())
    return path


def run(*args):
    return CliRunner().invoke(check, list(args), catch_exceptions=False)


def json_lines(output):
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_check_json_prints_one_object_per_tool_with_score_verdict_reasons_and_neighbours(index_path):
    result = run("slack_post: Post a message to a Slack channel", "--json", "--index", str(index_path))
    assert result.exit_code == 0, result.output
    (obj,) = json_lines(result.output)
    assert {"tool", "score", "verdict", "reasons", "neighbours", "coverage", "similarity", "market_similarity", "market_only", "flags"} <= set(obj)
    assert 0.0 <= obj["score"] <= 1.0 and obj["verdict"] in VERDICTS
    assert obj["tool"] == "slack_post" and obj["flags"]["platform"] == ["slack"]
    assert all({"side", "name", "similarity"} <= set(n) for n in obj["neighbours"])
    assert [n["side"] for n in obj["neighbours"]] == ["training"] * 3 + ["market"] * 2


def test_check_scores_every_tool_of_a_catalog_in_order(index_path, tmp_path):
    catalog = tmp_path / "tools.jsonl"
    catalog.write_text(
        "".join(
            json.dumps({"name": n, "description": d, "parameters": {"type": "object", "properties": {}}}) + "\n"
            for n, d in [("weather_now", "Current weather for a city"), ("to_miles", "Convert kilometres to miles")]
        )
    )
    result = run("--catalog", str(catalog), "--json", "--index", str(index_path), "-k", "1")
    assert result.exit_code == 0, result.output
    objs = json_lines(result.output)
    assert [o["tool"] for o in objs] == ["weather_now", "to_miles"]
    assert all(len(o["neighbours"]) == 2 for o in objs)


def test_check_reads_an_mcp_tools_list_dump_and_a_single_spec_file(index_path, tmp_path):
    dump = tmp_path / "my-server.json"
    dump.write_text(json.dumps({"tools": [
        {"name": "merge_pull_request", "description": "Merge a pull request on GitHub", "inputSchema": {"type": "object"}},
        {"name": "list_rows", "description": "Query a SQL table", "inputSchema": {"type": "object"}},
    ]}))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"type": "function", "function": {"name": "translate", "description": "Translate text", "parameters": {"type": "object", "properties": {}}}}))
    result = run("--tools-list", str(dump), "--spec", str(spec), "--json", "--index", str(index_path))
    assert result.exit_code == 0, result.output
    objs = json_lines(result.output)
    assert len(objs) == 3
    names = [o["tool"].split("/")[-1] for o in objs]
    assert sorted(names) == ["list_rows", "merge_pull_request", "translate"]
    merged = next(o for o in objs if o["tool"].endswith("merge_pull_request"))
    assert merged["flags"]["platform"] == ["github"] and merged["flags"]["side_effects"] == ["merge"]


def test_check_prints_a_compact_table_for_several_tools_and_the_details_for_one(index_path):
    table = run("weather: Weather forecast for a city", "slack_post: Post to a Slack channel", "--index", str(index_path))
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["VERDICT", "SCORE", "COVERAGE", "TOOL", "NEAREST", "TRAINING", "API", "REASONS"]
    assert len(lines) == 3 and "platform: slack" in lines[2]
    one = run("convert_units: Convert a value between units of length", "--index", str(index_path))
    assert one.exit_code == 0, one.output
    assert one.output.startswith("convert_units: simulate (score 1.00, coverage 1.00)")
    assert "nearest training tools:" in one.output and "nearest market tools:" in one.output


def test_check_without_a_tool_is_a_usage_error(index_path):
    result = run("--index", str(index_path))
    assert result.exit_code == 2 and "give a TEXT" in result.output


def test_check_with_no_index_anywhere_says_to_run_build_index_and_builds_nothing(tmp_path, monkeypatch):
    import analysis.index_path as index_path

    monkeypatch.setenv("GTM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GTM_SCOPE_INDEX", raising=False)
    monkeypatch.setattr(index_path, "shipped_index_path", lambda: tmp_path / "not-shipped.npz")
    result = run("weather: Weather for a city")
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "no scope index" in line and "gtm scope build-index" in line
    assert not (tmp_path / "cache").exists()


def test_check_with_a_missing_index_file_names_the_command_that_makes_it(tmp_path):
    result = run("weather: Weather for a city", "--index", str(tmp_path / "absent.npz"))
    assert result.exit_code == 1
    assert "no such index file" in result.output and "gtm scope build-index -o" in result.output


def test_check_with_a_broken_index_file_is_a_one_line_error(tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not an index")
    result = run("weather: Weather for a city", "--index", str(broken))
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "not a scope index" in line


def test_check_finds_the_index_in_gtm_scope_index_then_the_built_one_then_the_shipped_one(index_path, tmp_path, monkeypatch):
    import analysis.index_path as where

    shipped = tmp_path / "shipped.npz"
    monkeypatch.setattr(where, "shipped_index_path", lambda: shipped)
    monkeypatch.setenv("GTM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GTM_SCOPE_INDEX", raising=False)
    shipped.write_bytes(index_path.read_bytes())
    assert where.find_index() == shipped
    built = where.built_index_path()
    built.parent.mkdir(parents=True)
    built.write_bytes(index_path.read_bytes())
    assert where.find_index() == built and built.parent == tmp_path / "cache" / "scope"
    monkeypatch.setenv("GTM_SCOPE_INDEX", str(index_path))
    assert where.find_index() == index_path
    assert run("weather: Weather for a city", "--json").exit_code == 0


def test_check_reads_one_tool_per_line_of_a_file_texts_and_json_objects(index_path, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text('weather_now: Current weather for a city\n\n{"name": "to_miles", "description": "Convert kilometres to miles"}\n')
    result = run("--file", str(queries), "--json", "--index", str(index_path))
    assert result.exit_code == 0, result.output
    assert [o["tool"] for o in json_lines(result.output)] == ["weather_now", "to_miles"]
    queries.write_text("{not json\n")
    bad = run("--file", str(queries), "--index", str(index_path))
    assert bad.exit_code == 1 and "queries.txt:1" in bad.output and "JSON tool object" in bad.output


def test_check_is_a_subcommand_of_gtm_scope(index_path):
    from analysis.cli import scope

    result = CliRunner().invoke(scope, ["check", "weather: Weather for a city", "--json", "--index", str(index_path)])
    assert result.exit_code == 0, result.output
    assert json_lines(result.output)[0]["tool"] == "weather"
    assert "check" in CliRunner().invoke(scope, ["--help"]).output
