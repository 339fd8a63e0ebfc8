"""Loading the packaged embedding model switches the Hugging Face hub off for the load only."""

from __future__ import annotations

import os
import sys
import types

import pytest

from gtm_core.embeddings import HUB_OFFLINE_ENV, Embedder, EmbeddingError, hub_offline, packaged_model_path

constants = pytest.importorskip("huggingface_hub.constants")


@pytest.mark.parametrize("before", [None, "0", "1"])
def test_hub_offline_switches_the_hub_off_inside_and_restores_the_variable_after(monkeypatch, before):
    """Inside the block the variable is "1" and the hub client is offline; afterwards both are as before."""
    if before is None:
        monkeypatch.delenv(HUB_OFFLINE_ENV, raising=False)
    else:
        monkeypatch.setenv(HUB_OFFLINE_ENV, before)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", before == "1")
    with hub_offline():
        assert os.environ[HUB_OFFLINE_ENV] == "1"
        assert constants.is_offline_mode()
    assert os.environ.get(HUB_OFFLINE_ENV) == before
    assert constants.HF_HUB_OFFLINE is (before == "1")


def test_hub_offline_restores_the_variable_when_the_load_fails(monkeypatch):
    """An exception inside the block still puts the variable back."""
    monkeypatch.delenv(HUB_OFFLINE_ENV, raising=False)
    with pytest.raises(RuntimeError), hub_offline():
        raise RuntimeError("the loader failed")
    assert HUB_OFFLINE_ENV not in os.environ


class _RecordingModel:
    """Stands in for SentenceTransformer: remembers whether the hub was off while it loaded."""

    seen: list[tuple[str, str | None, bool]] = []

    def __init__(self, source: str, device: str | None = None) -> None:
        self.seen.append((source, os.environ.get(HUB_OFFLINE_ENV), constants.is_offline_mode()))


def test_loading_the_packaged_model_leaves_hf_hub_offline_as_it_was(monkeypatch, tmp_path):
    """The default model loads with the hub off; after the load the variable is unset again, as before."""
    try:
        packaged = str(packaged_model_path())
    except EmbeddingError:
        pytest.skip("the packaged model comes with the [analysis] extra")
    monkeypatch.delenv(HUB_OFFLINE_ENV, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setitem(sys.modules, "sentence_transformers", types.SimpleNamespace(SentenceTransformer=_RecordingModel))
    _RecordingModel.seen.clear()
    model = Embedder(cache_dir=tmp_path, progress=False, backend="sentence-transformers")._load_model()
    assert isinstance(model, _RecordingModel)
    assert _RecordingModel.seen == [(packaged, "1", True)]
    assert HUB_OFFLINE_ENV not in os.environ and not constants.is_offline_mode()


def test_a_named_model_loads_with_the_hub_as_the_user_set_it(monkeypatch, tmp_path):
    """A model name or folder given by the user is loaded without touching HF_HUB_OFFLINE."""
    monkeypatch.setenv(HUB_OFFLINE_ENV, "0")
    monkeypatch.setitem(sys.modules, "sentence_transformers", types.SimpleNamespace(SentenceTransformer=_RecordingModel))
    _RecordingModel.seen.clear()
    Embedder(str(tmp_path), cache_dir=tmp_path, progress=False)._load_model()
    assert _RecordingModel.seen[0][1] == "0"
    assert os.environ[HUB_OFFLINE_ENV] == "0"
