"""2-D projections of embeddings for the overlap map: t-SNE (scikit-learn) and UMAP (umap-learn).

Both are seeded, so the same vectors and seed give the same map. Vectors wider than
``pca_components`` are first reduced with PCA, which keeps the neighbourhoods the map draws and
makes t-SNE's neighbour search several times faster (``benchmarks/scope.py`` measures it).
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

__all__ = ["DEFAULT_PCA_COMPONENTS", "METHODS", "project", "reduce_pca"]

METHODS = ("tsne", "umap")
DEFAULT_PCA_COMPONENTS = 50


def reduce_pca(vectors: np.ndarray, n_components: int | None = DEFAULT_PCA_COMPONENTS, *, seed: int = 0) -> np.ndarray:
    """``vectors`` reduced to ``n_components`` with PCA; unchanged when already that narrow
    or when ``n_components`` is None or 0."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if not n_components or vectors.shape[1] <= n_components or vectors.shape[0] <= n_components:
        return vectors
    from sklearn.decomposition import PCA

    return PCA(n_components=n_components, random_state=seed).fit_transform(vectors).astype(np.float32)


def project(
    vectors: np.ndarray,
    method: Literal["tsne", "umap"] = "tsne",
    *,
    seed: int = 0,
    pca_components: int | None = DEFAULT_PCA_COMPONENTS,
    perplexity: float = 30.0,
    n_neighbors: int = 15,
) -> np.ndarray:
    """Project ``vectors`` (n, d) onto the plane: an (n, 2) float32 array.

    ``method`` is ``"tsne"`` or ``"umap"``; ``seed`` fixes the result; ``pca_components``
    reduces the vectors first (None or 0: no PCA). ``perplexity`` (t-SNE) and
    ``n_neighbors`` (UMAP) shrink automatically for tiny inputs.
    """
    if method not in METHODS:
        raise ValueError(f"The 'method' parameter of project must be one of {', '.join(METHODS)}. Got {method!r} instead.")
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"project needs a 2-D array of vectors (n, d); got shape {vectors.shape}")
    n = vectors.shape[0]
    if n < 3:
        raise ValueError(f"project needs at least 3 vectors to draw a map; got {n}")
    reduced = reduce_pca(vectors, pca_components, seed=seed)
    if method == "tsne":
        return _tsne(reduced, seed=seed, perplexity=min(perplexity, (n - 1) / 3))
    return _umap(reduced, seed=seed, n_neighbors=max(2, min(n_neighbors, n - 1)))


def _tsne(vectors: np.ndarray, *, seed: int, perplexity: float) -> np.ndarray:
    from sklearn.manifold import TSNE

    model = TSNE(
        n_components=2,
        perplexity=perplexity,
        init="pca",
        learning_rate="auto",
        metric="cosine",
        random_state=seed,
    )
    return model.fit_transform(vectors).astype(np.float32)


def _umap(vectors: np.ndarray, *, seed: int, n_neighbors: int) -> np.ndarray:
    with warnings.catch_warnings():
        # umap-learn and numba/pynndescent emit deprecation and "n_jobs overridden by
        # random_state" warnings on import and fit; they say nothing about our data.
        # ("Tensorflow not installed" ImportWarning, too).
        warnings.simplefilter("ignore")
        try:
            import umap
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError("UMAP needs umap-learn: pip install 'gtm-toolkit[analysis]'") from exc
        model = umap.UMAP(
            n_components=2,
            n_neighbors=n_neighbors,
            min_dist=0.1,
            metric="cosine",
            random_state=seed,
            init="spectral" if vectors.shape[0] > n_neighbors + 2 else "random",
        )
        return np.asarray(model.fit_transform(vectors), dtype=np.float32)
