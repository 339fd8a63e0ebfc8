"""Fixtures of the scope-analysis tests: a fake embedding model, so most tests load no model."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the scope analysis needs the [analysis] extra")


class FakeSentenceModel:
    """Stands in for a SentenceTransformer: a deterministic vector per text, and a call log."""

    dim = 16

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts, **_: object) -> np.ndarray:
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).normal(size=self.dim))
        out = np.asarray(rows, dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def fake_model(monkeypatch) -> FakeSentenceModel:
    """Every Embedder of the test uses one FakeSentenceModel instead of loading a real one."""
    from analysis.embed import Embedder

    model = FakeSentenceModel()
    monkeypatch.setattr(Embedder, "_load_model", lambda self: model)
    return model
