"""Projections: shapes, determinism with a seed, and neighbourhoods kept.

UMAP cases are slow: numba compiles umap-learn on first use (~30 s).
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.project import project, reduce_pca


def _clusters(n_per: int = 40, dim: int = 64) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, dim)) * 3
    return np.vstack([c + rng.normal(size=(n_per, dim)) for c in centres]).astype(np.float32)


@pytest.mark.parametrize("method", ["tsne", pytest.param("umap", marks=pytest.mark.slow)])
def test_a_projection_is_two_columns_and_repeats_with_its_seed(method):
    """Each method gives an (n, 2) array, identical for the same seed."""
    vectors = _clusters()
    first = project(vectors, method, seed=7, pca_components=20)
    second = project(vectors, method, seed=7, pca_components=20)
    assert first.shape == (120, 2) and first.dtype == np.float32
    assert np.array_equal(first, second)


@pytest.mark.parametrize("method", ["tsne", pytest.param("umap", marks=pytest.mark.slow)])
def test_separate_clusters_stay_separate_on_the_map(method):
    """Points of one cluster are nearer their own centre on the map than another cluster's."""
    xy = project(_clusters(), method, seed=0)
    centres = np.array([xy[i * 40 : (i + 1) * 40].mean(axis=0) for i in range(3)])
    nearest = np.argmin(((xy[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    assert (nearest == np.repeat(np.arange(3), 40)).mean() > 0.95


def test_pca_reduces_only_wide_inputs():
    """PCA keeps narrow inputs as they are and cuts wide ones to the asked width."""
    vectors = _clusters()
    assert reduce_pca(vectors, 10).shape == (120, 10)
    assert reduce_pca(vectors[:, :8], 10).shape == (120, 8)
    assert reduce_pca(vectors, None).shape == (120, 64)


def test_an_unknown_method_names_the_choices():
    """A wrong method raises ValueError listing tsne and umap."""
    with pytest.raises(ValueError, match="tsne, umap"):
        project(_clusters(), "pca")  # type: ignore[arg-type]
