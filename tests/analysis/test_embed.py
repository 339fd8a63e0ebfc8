"""Embeddings: tool texts, the on-disk cache, and the packaged default model."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.embed import Embedder, EmbeddingCacheWarning, EmbeddingError, tool_text
from analysis.market import ToolRecord
from gtm_core.spec import ToolSpec


def test_tool_text_splits_names_and_lists_parameters():
    """The text holds the name as words, the description and the parameter names."""
    record = ToolRecord("Exa", "web_searchExa", "Search the web", {"properties": {"numResults": {}}}, "market")
    assert tool_text(record) == "web search exa: Search the web. Parameters: num results."
    spec = ToolSpec(name="getWeather", description="Weather now.", parameters={"type": "object", "properties": {"city": {"type": "string"}}})
    assert tool_text(spec) == "get weather: Weather now. Parameters: city."
    assert tool_text({"name": "ping"}) == "ping"


def test_embeddings_are_normalised_float32_rows(fake_model, tmp_path):
    """embed returns one unit-length float32 row per text, duplicates included."""
    vectors = Embedder(cache_dir=tmp_path, progress=False).embed(["a", "b", "a"])
    assert vectors.shape == (3, 16) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert np.array_equal(vectors[0], vectors[2])


def test_a_second_run_reads_the_cache_and_calls_no_model(fake_model, tmp_path):
    """A new Embedder over the same cache folder embeds seen texts without a model call."""
    texts = [f"tool number {i}" for i in range(150)]
    first = Embedder(cache_dir=tmp_path, batch_size=64, progress=False)
    expected = first.embed(texts)
    assert first.model_calls == 3 and sum(len(c) for c in fake_model.calls) == 150
    second = Embedder(cache_dir=tmp_path, batch_size=64, progress=False)
    assert np.array_equal(second.embed(texts), expected)
    assert second.model_calls == 0
    third = Embedder(cache_dir=tmp_path, batch_size=64, progress=False)
    third.embed([*texts, "a new tool"])
    assert fake_model.calls[-1] == ["a new tool"]


def test_the_cache_keeps_models_apart(fake_model, tmp_path):
    """Vectors cached for one model are not served for another model id."""
    Embedder(cache_dir=tmp_path, progress=False).embed(["x"])
    other = Embedder("some/other-model", cache_dir=tmp_path, progress=False)
    other.embed(["x"])
    assert other.model_calls == 1


def test_a_damaged_cache_is_rebuilt_with_a_warning(fake_model, tmp_path):
    """A cache file that is not a database is moved aside with a warning, and embedding goes on."""
    Embedder(cache_dir=tmp_path, progress=False).embed(["x", "y"])
    (tmp_path / "embeddings.sqlite").write_bytes(b"this is not sqlite" * 100)
    for extra in ("embeddings.sqlite-wal", "embeddings.sqlite-shm"):
        (tmp_path / extra).unlink(missing_ok=True)
    embedder = Embedder(cache_dir=tmp_path, progress=False)
    with pytest.warns(EmbeddingCacheWarning, match="damaged"):
        vectors = embedder.embed(["x", "y"])
    assert vectors.shape == (2, 16) and embedder.model_calls == 1
    assert (tmp_path / "embeddings.sqlite.damaged").exists()
    again = Embedder(cache_dir=tmp_path, progress=False)
    again.embed(["x", "y"])
    assert again.model_calls == 0


def test_no_cache_keeps_nothing_on_disk(fake_model, tmp_path):
    """With cache=False nothing is written and every run calls the model."""
    Embedder(cache_dir=tmp_path, cache=False, progress=False).embed(["x"])
    assert list(tmp_path.iterdir()) == []


def test_importing_analysis_loads_no_torch():
    """The analysis modules import without torch or sentence-transformers."""
    import subprocess
    import sys

    code = "import sys, analysis.embed, analysis.overlap, analysis.project, analysis.regions, analysis.market, analysis.cli; print('torch' in sys.modules or 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_the_packaged_model_embeds_offline_with_meaningful_similarity(tmp_path, monkeypatch):
    """The default model loads from site-packages with the hub off, and related tools are closer."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = Embedder(cache_dir=tmp_path, progress=False)
    vectors = embedder.embed(["get weather forecast for a city", "current temperature in a town", "merge a pull request"])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert embedder.model_id == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.slow
def test_a_model_that_cannot_load_offline_says_it_needs_internet(tmp_path, monkeypatch):
    """An unknown hub name fails with an EmbeddingError that mentions internet."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EmbeddingError, match="internet"):
        Embedder("no-such-org/no-such-model-xyz", cache_dir=tmp_path, progress=False).embed(["x"])
