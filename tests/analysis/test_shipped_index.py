"""The scope index the package ships: found with no data folder, made from the public data it
names, and holding no description text of it."""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile

import numpy as np
import pytest

from analysis.applicability import ScopeIndex
from analysis.embed import DEFAULT_MODEL
from analysis.index_path import find_index, shipped_index_path

SHIPPED = shipped_index_path()
pytestmark = pytest.mark.skipif(not SHIPPED.is_file(), reason="this copy of the package has no shipped scope index")


def test_the_shipped_index_is_found_with_no_data_folder_and_no_built_index(tmp_path, monkeypatch):
    monkeypatch.setenv("GTM_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.setenv("GTM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GTM_SCOPE_INDEX", raising=False)
    assert find_index() == SHIPPED


def test_the_shipped_index_names_its_model_and_the_data_files_it_was_made_from():
    index = ScopeIndex.load(SHIPPED)
    assert index.model_id == DEFAULT_MODEL and index.storage == "int8"
    assert (len(index.training), len(index.market)) == (10_024, 18_925)
    files = {d["file"]: d for d in index.info["data"]}
    assert set(files) == {"training_apis.jsonl.gz", "mcp_market.jsonl.gz"}
    assert sum(files["training_apis.jsonl.gz"]["rows"].values()) == 10_024
    assert all(len(d["sha256"]) == 64 for d in files.values())


@pytest.mark.data
def test_the_shipped_index_was_made_from_these_data_files(training_apis_path, market_path):
    files = {d["file"]: d for d in ScopeIndex.load(SHIPPED).info["data"]}
    for path in (training_apis_path, market_path):
        assert files[path.name]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), path


@pytest.mark.data
def test_no_description_of_the_public_data_is_in_the_shipped_file(training_apis_path, market_path):
    with zipfile.ZipFile(SHIPPED) as archive:
        header = gzip.decompress(np.load(SHIPPED)["meta"].tobytes()).decode("utf-8")
        assert set(archive.namelist()) >= {"meta.npy", "training_q.npy", "market_q.npy", "calibration.npy"}
    descriptions = []
    for path in (training_apis_path, market_path):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh):
                if number % 50 == 0:
                    text = json.loads(line).get("description") or ""
                    if len(text) > 40:
                        descriptions.append(text[:40])
    assert len(descriptions) > 300
    assert [d for d in descriptions if d in header] == []
