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


def test_check_without_data_or_index_says_to_set_gtm_data_dir_or_pass_an_index(tmp_path, monkeypatch):
    monkeypatch.setenv("GTM_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.setenv("GTM_CACHE_DIR", str(tmp_path / "cache"))
    result = run("weather: Weather for a city")
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "GTM_DATA_DIR" in line and "--index" in line


def test_check_with_a_broken_index_file_is_a_one_line_error(tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not an index")
    result = run("weather: Weather for a city", "--index", str(broken))
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "not a scope index" in line


def test_the_default_index_lives_under_gtm_cache_dir_and_depends_on_the_sample(tmp_path, monkeypatch):
    monkeypatch.setenv("GTM_CACHE_DIR", str(tmp_path))
    full, sampled = cli_check.default_index_path(), cli_check.default_index_path(100)
    assert full.parent == tmp_path / "scope" and full.suffix == ".npz" and full != sampled


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_check_builds_an_index_from_the_public_data_once_and_reuses_it(training_apis_path, market_path, tmp_path):
    index = tmp_path / "scope.npz"
    args = ["get_weather: Look up the weather forecast for a city", "--json", "--index", str(index), "--sample", "300"]
    first = CliRunner().invoke(check, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert index.exists()
    second = CliRunner().invoke(check, args, catch_exceptions=False)
    assert second.exit_code == 0
    a, b = json_lines(first.stdout)[0], json_lines(second.stdout)[0]
    assert a["verdict"] == b["verdict"] and a["score"] == pytest.approx(b["score"], abs=0.02)
    assert "building the scope index" in first.stderr and "building" not in second.stderr


def test_check_is_a_subcommand_of_gtm_scope(index_path):
    from analysis.cli import scope

    result = CliRunner().invoke(scope, ["check", "weather: Weather for a city", "--json", "--index", str(index_path)])
    assert result.exit_code == 0, result.output
    assert json_lines(result.output)[0]["tool"] == "weather"
    assert "check" in CliRunner().invoke(scope, ["--help"]).output
