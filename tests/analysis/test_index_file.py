"""The scope index on disk: reduced vectors, no description texts, the model and data versions
inside, a clear error for a file of another version; ``gtm scope build-index`` and ``serve``."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from test_applicability import MARKET, TRAINING, BagOfWords

from analysis.applicability import ScopeIndex
from analysis.cli_index import build_index
from analysis.index_file import dequantize, fit_projection, quantize, reduce_vectors
from analysis.queries import ScopeIndexError


@pytest.fixture
def index() -> ScopeIndex:
    return ScopeIndex.build(TRAINING, MARKET, embedder=BagOfWords())


def test_int8_rows_come_back_within_a_rounding_step_and_normalised():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(50, 32)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    stored = quantize(rows, "int8")
    assert stored["q"].dtype == np.int8 and stored["scale"].shape == (50,)
    back = dequantize(stored)
    assert np.allclose(np.linalg.norm(back, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(back * rows, axis=1)) > 0.999


def test_the_projection_keeps_the_dot_products_of_vectors_that_lie_in_few_dimensions():
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 24))
    rows = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    projection = fit_projection(rows, 4)
    assert projection.shape == (24, 4)
    reduced = reduce_vectors(rows, projection, "float32")
    assert np.allclose(reduced @ reduced.T, rows @ rows.T, atol=1e-4)
    with pytest.raises(ScopeIndexError, match="dims must be between 1 and 24"):
        fit_projection(rows, 25)


def test_a_reduced_index_saves_and_loads_back_scoring_the_same(index, tmp_path):
    reduced = index.reduced(dims=8, storage="int8")
    assert reduced.training_vectors.shape[1] == 8 and reduced.info["reduction"] == {"dims": 8, "model_dims": 512, "storage": "int8"}
    loaded = ScopeIndex.load(reduced.save(tmp_path / "scope.npz"), embedder=BagOfWords())
    query = "hourly_forecast: Weather forecast for a city by the hour"
    a, b = reduced.score(query), loaded.score(query)
    assert (a.verdict, a.coverage, a.similarity) == (b.verdict, b.coverage, pytest.approx(b.similarity, abs=1e-6))
    assert [n["name"] for n in a.neighbours] == [n["name"] for n in b.neighbours]
    assert loaded.platform_terms == reduced.platform_terms and loaded.model_id == "test/bag-of-words"


def test_a_reduced_index_projects_queries_of_the_models_own_dimensions(index):
    reduced = index.reduced(dims=16, storage="float16")
    vectors = BagOfWords().embed(["get weather: Get the weather forecast for a city."])
    assert reduced.to_index_space(vectors).shape == (1, 16)
    with pytest.raises(ScopeIndexError, match="dimensions"):
        reduced.to_index_space(np.ones((1, 7), np.float32))


def test_an_index_file_holds_names_and_numbers_but_no_description_text(index, tmp_path):
    path = index.reduced(dims=8).save(tmp_path / "scope.npz")
    with zipfile.ZipFile(path) as archive:
        raw = b"".join(archive.read(name) for name in archive.namelist())
    header = json.loads(gzip.decompress(np.load(path)["meta"].tobytes()))
    text = json.dumps(header)
    assert "get_hourly_weather" in text and "slack_post_message" in text
    for record in TRAINING + MARKET:
        assert record.description not in text and record.description.encode() not in raw
    loaded = ScopeIndex.load(path, embedder=BagOfWords())
    assert all(r.description == "" for r in loaded.training + loaded.market)
    assert loaded.score("weather: forecast", k=1).neighbours[0]["description"] is None


def test_an_index_of_another_version_says_to_build_it_again(index, tmp_path):
    path = tmp_path / "old.npz"
    blob = gzip.compress(json.dumps({"version": 1, "model_id": "m"}).encode())
    np.savez(path, meta=np.frombuffer(blob, dtype=np.uint8))
    with pytest.raises(ScopeIndexError, match=r"version 1, this toolkit reads version 2: make it again with `gtm scope build-index`"):
        ScopeIndex.load(path)


def _write_data(folder):
    (folder / "training_apis").mkdir(parents=True)
    (folder / "market").mkdir()
    with gzip.open(folder / "training_apis" / "training_apis.jsonl.gz", "wt") as fh:
        for r in TRAINING:
            fh.write(json.dumps({"name": r.name, "description": r.description, "parameters": {"type": "object", "properties": {}}, "source": "seal-tools"}) + "\n")
    with gzip.open(folder / "market" / "mcp_market.jsonl.gz", "wt") as fh:
        for r in MARKET:
            fh.write(json.dumps({"server": r.server, "tool": r.name, "description": r.description, "input_schema": None, "source": "toolsdk-registry"}) + "\n")


def test_build_index_writes_an_index_from_a_data_folder_with_the_data_versions_inside(fake_model, tmp_path):
    _write_data(tmp_path / "data")
    out = tmp_path / "scope.npz"
    result = CliRunner().invoke(
        build_index, ["--data", str(tmp_path / "data"), "-o", str(out), "--dims", "8"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "8 training APIs, 6 market tools, 8 dims int8" in result.output
    loaded = ScopeIndex.load(out)
    files = {d["file"]: d for d in loaded.info["data"]}
    assert files["training_apis.jsonl.gz"]["rows"] == {"seal-tools": 8}
    assert files["mcp_market.jsonl.gz"]["rows"] == {"toolsdk-registry": 6}
    assert all(len(d["sha256"]) == 64 and d["bytes"] > 0 for d in files.values())
    assert loaded.model_id == "sentence-transformers/all-MiniLM-L6-v2" and loaded.training_vectors.shape == (8, 8)


def test_build_index_without_data_names_the_ways_to_give_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GTM_DATA_DIR", str(tmp_path / "none"))
    result = CliRunner().invoke(build_index, ["-o", str(tmp_path / "x.npz")])
    assert result.exit_code == 1
    assert "--data DIR" in result.output and "GTM_DATA_DIR" in result.output and "gtm data fetch" in result.output


def test_scope_serve_answers_one_json_line_per_tool_line_and_an_error_line_for_a_bad_one(index, tmp_path):
    path = index.reduced(dims=8).save(tmp_path / "scope.npz")
    here = str(__import__("pathlib").Path(__file__).resolve().parent)
    script = (
        "import sys, analysis.cli_check as c\n"
        f"sys.path.insert(0, {here!r})\n"
        "from test_applicability import BagOfWords\n"
        "c._make_embedder = lambda model_id=None: BagOfWords()\n"
        "from analysis.cli_index import serve\n"
        f"serve.main(['--index', {str(path)!r}, '-k', '1'], standalone_mode=True)\n"
    )
    lines = 'weather_now: Current weather for a city\n{"name": "to_miles", "description": "Convert km to miles"}\n{oops\n'
    done = subprocess.run([sys.executable, "-c", script], input=lines, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a.get("tool") for a in answers[:2]] == ["weather_now", "to_miles"]
    assert "JSON tool object" in answers[2]["error"]
    assert "scope index ready" in done.stderr
