"""`gtm scope overlap` end to end."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gtm_core.cli import cli


def _write_market(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_scope_is_listed_and_has_its_subcommands():
    """`gtm scope --help` lists overlap, crawl and the lazily added check."""
    result = CliRunner().invoke(cli, ["scope", "--help"])
    assert result.exit_code == 0
    assert all(name in result.output for name in ("overlap", "crawl", "check"))
    assert CliRunner().invoke(cli, ["scope", "check", "--help"]).exit_code == 0


def test_overlap_runs_on_small_files_with_a_fake_model(fake_model, tmp_path):
    """On small market and training files the JSON output holds both coverages and the regions."""
    market = tmp_path / "market.jsonl"
    _write_market(market, [{"server": f"s{i % 5}", "tool": f"tool_{i}", "description": f"does thing {i}"} for i in range(60)])
    training = tmp_path / "training.jsonl"
    training.write_text(
        "".join(json.dumps({"name": f"api_{i}", "description": f"api number {i}"}) + "\n" for i in range(40)), encoding="utf-8"
    )
    args = ["scope", "overlap", "--market", str(market), "--training", str(training), "--method", "none",
            "--n-boot", "50", "--clusters", "3", "--cache-dir", str(tmp_path / "cache"), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tools"] == {"market": 60, "training": 40}
    share = data["coverage"]["market_in_training"]
    assert share["interval"][0] <= share["share"] <= share["interval"][1]
    assert data["grid"] is None and set(data["regions"]) == {"market", "training"}


def test_html_without_a_map_is_a_usage_error(tmp_path):
    """--html with --method none explains that the map needs a projection."""
    result = CliRunner().invoke(cli, ["scope", "overlap", "--method", "none", "--html", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and "--method tsne or umap" in result.output


@pytest.mark.slow
@pytest.mark.data
def test_overlap_on_a_sample_of_the_real_data_prints_figures_and_regions(market_path, training_apis_path, tmp_path):
    """600 tools of each side: both coverages with intervals, the sweep and regions each side."""
    args = ["scope", "overlap", "--market", str(market_path), "--training", str(training_apis_path),
            "--sample", "600", "--method", "none"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "market tools covered by training APIs" in out and "training APIs covered by market tools" in out
    assert "How the overlap moves with the threshold" in out
    assert "Regions only the market covers" in out and "Regions only the training APIs cover" in out
    assert out.count("e.g. ") >= 6
