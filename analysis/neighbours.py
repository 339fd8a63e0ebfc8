"""Exact nearest neighbours by cosine similarity: the one search the overlap and the applicability use.

Similarities are dot products of rows, computed one block of query rows at a time so that
memory stays bounded (a block of the similarity matrix is about ``CHUNK_BYTES``, or
``rows`` query rows when given). ``nearest`` searches rows as they are given (the scope
index keeps normalised rows); ``nearest_neighbours`` normalises them first and clips the
similarities to [-1, 1], as cosine similarities are.

Order of the ``k`` neighbours: most similar first; equal similarities keep the lower index
first where the search compares them (always for ``k=1``; within the kept ``k`` otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

__all__ = [
    "CHUNK_BYTES",
    "mutual_nearest",
    "nearest",
    "nearest_neighbours",
    "self_nearest_similarity",
    "similarity_blocks",
    "top_k",
    "unit_rows",
]

CHUNK_BYTES = 64 * 2**20
"""About how large one block of the similarity matrix may be (float32)."""


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """The rows as float32 of length 1 (zero rows stay zero). Raises ValueError unless 2-D."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors (n, d); got shape {vectors.shape}")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: np.ndarray = vectors / norms
    return unit


def similarity_blocks(queries: np.ndarray, base: np.ndarray, *, rows: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, queries[start:start + n] @ base.T)`` for consecutive blocks of query rows.

    ``rows`` fixes the rows of a block; by default a block holds about ``CHUNK_BYTES``.
    """
    if rows is None:
        rows = max(1, CHUNK_BYTES // (4 * max(1, base.shape[0])))
    if rows < 1:
        raise ValueError(f"The 'rows' parameter of similarity_blocks must be an int >= 1. Got {rows!r} instead.")
    for start in range(0, queries.shape[0], rows):
        yield start, queries[start : start + rows] @ base.T


def top_k(similarities: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest entries of each row, largest first: ``(values, column indices)``.

    ``k`` larger than the row is the whole row; ``k=0`` gives empty (n, 0) arrays.
    """
    n, columns = similarities.shape
    k = min(k, columns)
    if k <= 0:
        return np.zeros((n, 0), dtype=similarities.dtype), np.zeros((n, 0), dtype=np.int64)
    if k == 1:
        top = np.argmax(similarities, axis=1)[:, None]
        return np.take_along_axis(similarities, top, axis=1), top.astype(np.int64, copy=False)
    if k < columns:
        part = np.argpartition(-similarities, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(columns), (n, 1))
    values = np.take_along_axis(similarities, part, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(values, order, axis=1), np.take_along_axis(part, order, axis=1).astype(np.int64, copy=False)


def nearest(
    queries: np.ndarray,
    base: np.ndarray,
    *,
    k: int = 1,
    exclude_self: bool = False,
    exclude: Mapping[int, Sequence[int]] | None = None,
    rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``base`` with the largest dot product with each query row:
    ``(similarities, indices)``, each (n_queries, k), as the rows are (no normalising).

    ``exclude_self=True`` is for ``queries is base``: a row is not its own neighbour (and ``k``
    is at most ``len(base) - 1``). ``exclude`` maps a query row to base rows it may not take;
    where fewer than ``k`` remain, the rest are ``-inf`` (index of one excluded row).
    ``rows`` sets the query rows per block (see ``similarity_blocks``).
    """
    if queries.shape[1] != base.shape[1]:
        raise ValueError(f"queries have {queries.shape[1]} dimensions but base has {base.shape[1]}")
    available = base.shape[0] - (1 if exclude_self else 0)
    if available < 1:
        raise ValueError("a nearest-neighbour search needs at least one base vector (two with exclude_self)")
    k = min(k, available)
    n = queries.shape[0]
    sims = np.empty((n, k), dtype=np.result_type(queries.dtype, base.dtype))
    idx = np.empty((n, k), dtype=np.int64)
    for start, block in similarity_blocks(queries, base, rows=rows):
        positions = np.arange(block.shape[0])
        if exclude_self:
            block[positions, start + positions] = -np.inf
        if exclude:
            for position in positions:
                banned = exclude.get(start + int(position))
                if banned is not None:
                    block[position, banned] = -np.inf
        values, top = top_k(block, k)
        sims[start : start + block.shape[0]] = values
        idx[start : start + block.shape[0]] = top
    return sims, idx


def nearest_neighbours(
    queries: np.ndarray, base: np.ndarray, *, k: int = 1, exclude_self: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most cosine-similar rows of ``base`` for each row of ``queries``, best first:
    ``(similarities, indices)``, each of shape (n_queries, k).

    ``exclude_self=True`` is for ``queries is base``: a row is not its own neighbour.
    Exact: normalised dot products, computed in chunks of rows that bound memory.
    """
    sims, idx = nearest(unit_rows(queries), unit_rows(base), k=k, exclude_self=exclude_self)
    return np.clip(sims, -1.0, 1.0), idx


def mutual_nearest(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each row's nearest neighbour in the other set, both ways, from one pass over the
    similarity matrix: ``(sim_a, idx_a, sim_b, idx_b)`` (1-D arrays)."""
    a, b = unit_rows(a), unit_rows(b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the sets have {a.shape[1]} and {b.shape[1]} dimensions")
    sim_a = np.empty(len(a), dtype=np.float32)
    idx_a = np.empty(len(a), dtype=np.int64)
    sim_b = np.full(len(b), -np.inf, dtype=np.float32)
    idx_b = np.zeros(len(b), dtype=np.int64)
    for start, block in similarity_blocks(a, b):
        best = np.argmax(block, axis=1)
        idx_a[start : start + len(best)] = best
        sim_a[start : start + len(best)] = block[np.arange(len(best)), best]
        col = np.argmax(block, axis=0)
        col_sim = block[col, np.arange(block.shape[1])]
        better = col_sim > sim_b
        sim_b[better] = col_sim[better]
        idx_b[better] = start + col[better]
    return np.clip(sim_a, -1, 1), idx_a, np.clip(sim_b, -1, 1), idx_b


def self_nearest_similarity(vectors: np.ndarray) -> np.ndarray:
    """For each row, the cosine similarity to its nearest *other* row (leave-one-out)."""
    return nearest_neighbours(vectors, vectors, k=1, exclude_self=True)[0][:, 0]
