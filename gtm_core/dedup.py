"""Near-duplicate removal over tool names, as in the paper: cosine similarity above 0.8.

A name becomes a vector of its character trigrams (over the lower-cased words of the name,
so ``getWeather`` and ``get_weather`` are the same) plus its words; two tools whose vectors'
cosine similarity exceeds the threshold are duplicates, and the later one is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .catalog import Catalog, tokenize
from .spec import ToolSpec

__all__ = ["DEFAULT_THRESHOLD", "Dropped", "deduplicate", "name_vectors"]

DEFAULT_THRESHOLD = 0.8
_BLOCK = 1024  # rows of the similarity matrix computed at once


@dataclass(frozen=True)
class Dropped:
    """A tool removed as a near-duplicate of one that was kept."""

    tool: ToolSpec
    kept: ToolSpec
    similarity: float

    def __str__(self) -> str:
        return f"dropped {self.tool.name!r} (similarity {self.similarity:.3f} to kept {self.kept.name!r})"


def _features(name: str) -> list[str]:
    words = tokenize(name) or [name.lower()]
    text = f" {' '.join(words)} "
    grams = [text[i : i + 3] for i in range(len(text) - 2)]
    return grams + [f"w:{w}" for w in words]


def name_vectors(names: Iterable[str]) -> sparse.csr_matrix:
    """L2-normalised sparse count vectors of the names' trigrams and words."""
    vocabulary: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for row, name in enumerate(names):
        counts: dict[int, int] = {}
        for feature in _features(name):
            col = vocabulary.setdefault(feature, len(vocabulary))
            counts[col] = counts.get(col, 0) + 1
        norm = float(np.sqrt(sum(c * c for c in counts.values()))) or 1.0
        for col, count in counts.items():
            rows.append(row)
            cols.append(col)
            vals.append(count / norm)
    shape = (max(rows, default=-1) + 1, len(vocabulary))
    return sparse.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float32)


def deduplicate(catalog: Catalog | Iterable[ToolSpec], *, threshold: float = DEFAULT_THRESHOLD) -> tuple[Catalog, list[Dropped]]:
    """Keep the first of every group of tools whose names are more similar than ``threshold``.

    Exact repeats of a name are always duplicates. Returns the kept catalog
    and what was dropped, each with the kept tool it resembled.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"the dedup threshold must be a number in (0, 1), got {threshold}")
    specs = list(catalog)
    if not specs:
        return Catalog(), []
    vectors = name_vectors(s.name for s in specs)
    # Similar pairs (i < j) above the threshold, found block by block to bound memory.
    pairs: dict[int, list[tuple[int, float]]] = {}
    for start in range(0, len(specs), _BLOCK):
        block = (vectors[start : start + _BLOCK] @ vectors.T).tocoo()
        rows = block.row + start
        mask = (block.col > rows) & (block.data > threshold)
        for i, j, sim in zip(rows[mask].tolist(), block.col[mask].tolist(), block.data[mask].tolist()):
            pairs.setdefault(i, []).append((j, sim))
    dropped_by: dict[int, tuple[int, float]] = {}
    kept: list[int] = []
    for i in range(len(specs)):
        if i in dropped_by:
            continue
        kept.append(i)
        for j, sim in pairs.get(i, ()):
            dropped_by.setdefault(j, (i, min(sim, 1.0)))
    result = Catalog(specs[i] for i in sorted(kept))
    drops = [Dropped(specs[j], specs[i], sim) for j, (i, sim) in sorted(dropped_by.items())]
    return result, drops
