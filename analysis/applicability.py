"""Applicability: can this tool be simulated safely by a GTM?

A :class:`ScopeIndex` holds the training APIs and the market tools with their embeddings, and a
calibration of the training set against itself. :meth:`ScopeIndex.score` places one tool
beside them and returns an :class:`~analysis.verdicts.Applicability`: a calibrated coverage, a
score, a verdict, the reasons and the nearest training APIs and market tools.

This module owns the index and the coverage; the other parts live in their own modules (and
their public names are re-exported here):

- :mod:`analysis.flags`: the vocabularies and the flags (platform, side effects, private data,
  real-time facts): :func:`find_flags`, :func:`learn_platform_terms`.
- :mod:`analysis.verdicts`: the score, the verdict rules and the result: :func:`decide`,
  :class:`Applicability`, the verdicts, :data:`LOW`, :data:`MID`, :data:`MARKET_MARGIN`,
  :data:`DISCOUNTS`.
- :mod:`analysis.queries`: any tool to score as a record: :func:`as_record`.
- :mod:`analysis.neighbours`: the exact nearest-neighbour search (the one ``analysis.overlap``
  uses too) behind the calibration and the scoring.

The coverage
------------
Let ``s(t)`` be the cosine similarity between tool ``t`` and its nearest training API (the
mean of the ``k`` nearest when the index is built with ``coverage_k > 1``; 1 by default).
The index computes the same statistic for every training API against the *other* training
APIs (leave-one-out; APIs with the very same text are not counted as neighbours, so exact
copies do not inflate it). That is the reference distribution ``C``. The **coverage** is the
tool's mid-rank percentile in ``C``::

    coverage(t) = (#{c in C : c < s(t)} + 0.5 * #{c in C : c == s(t)}) / |C|

So 0.5 means "as close to the training set as the median training API is to its nearest
neighbour", 0.05 means "farther than 95% of training APIs are from theirs". Because it is a
rank within the data's own neighbour distances, it reads the same for any embedding model and
any training set. A sample of the training side keeps that meaning roughly (the tool's and the
training APIs' neighbours thin out together) but may drop every training API of a rare kind
(the public data holds a handful of SQL tools), so verdicts should come from an index with
every training API; the market side may be sampled freely. A tool whose text is a training
API's text has coverage 1. The public training data is dense (families of near-identical
APIs), so coverage is demanding: there, LOW corresponds to a cosine similarity of about 0.62.
``LOW = 0.10`` (:mod:`analysis.verdicts`, with the score and the verdict rules) is the radius
of ``analysis.overlap``'s default coverage (its 10% quantile): a tool with coverage >= LOW is
"covered" in that sense too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .flags import PLATFORMS, PRIVATE_WORDS, REALTIME_WORDS, SIDE_EFFECT_WORDS, find_flags, learn_platform_terms
from .index_file import INDEX_VERSION
from .market import ToolRecord
from .neighbours import nearest
from .queries import ScopeIndexError, as_record, query_label
from .verdicts import (
    DISCOUNTS,
    DO_NOT_SIMULATE,
    FINE_TUNE_FIRST,
    LOW,
    MARKET_MARGIN,
    MID,
    SIMULATE,
    VERDICT_MEANING,
    VERDICTS,
    WARM_UP,
    Applicability,
    decide,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Applicability",
    "DISCOUNTS",
    "DO_NOT_SIMULATE",
    "FINE_TUNE_FIRST",
    "INDEX_VERSION",
    "LOW",
    "MARKET_MARGIN",
    "MID",
    "PLATFORMS",
    "PRIVATE_WORDS",
    "REALTIME_WORDS",
    "SIDE_EFFECT_WORDS",
    "SIMULATE",
    "ScopeIndex",
    "ScopeIndexError",
    "VERDICTS",
    "VERDICT_MEANING",
    "WARM_UP",
    "as_record",
    "decide",
    "find_flags",
    "index_key",
    "learn_platform_terms",
    "leave_one_out",
    "scores_frame",
]

_FEW_TEXTS = 16  # up to this many texts a query skips the embedding cache


class TextEmbedder(Protocol):
    """What the index needs of an embedder (``analysis.embed.Embedder`` is one)."""

    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...



# ---- the index ----------------------------------------------------------------------------
def _sample(records: list[ToolRecord], n: int | None, seed: int) -> list[ToolRecord]:
    if n is None or n >= len(records):
        return list(records)
    if n < 1:
        raise ScopeIndexError(f"a sample needs at least one tool, got {n}")
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(records), size=n, replace=False))
    return [records[i] for i in keep]


def _texts(records: Sequence[ToolRecord]) -> list[str]:
    from .embed import tool_text

    return [tool_text(r) if r.name else r.description for r in records]


def leave_one_out(vectors: np.ndarray, texts: Sequence[str] | None = None, *, k: int = 1, chunk: int = 1024) -> np.ndarray:
    """For each row, the mean similarity to its ``k`` nearest *other* rows; rows with the
    same text (exact copies) are not counted as neighbours. Sorted ascending."""
    n = len(vectors)
    if n < 2:
        raise ScopeIndexError("the calibration needs at least two training APIs")
    groups: dict[str, list[int]] = defaultdict(list)
    if texts is not None:
        for i, t in enumerate(texts):
            groups[t].append(i)
    copies = {i: g for g in groups.values() if len(g) > 1 for i in g}
    vals, _ = nearest(vectors, vectors, k=k, exclude_self=True, exclude=copies, rows=chunk)
    vals = np.where(np.isfinite(vals), vals, np.nan)
    out = np.nan_to_num(np.nanmean(vals, axis=1), nan=-1.0).astype(np.float32) if vals.size else np.full(n, -1.0, np.float32)
    return np.sort(out)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread for a few short texts. Measured on two shared cores: one query
    took ~25 ms on one thread and ~500 ms on two (the threads contend with other processes and
    wait on each other); big batches keep torch's default."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class ScopeIndex:
    """The training APIs and the market tools with their embeddings, ready to score tools.

    Build it with :meth:`build` (embeds both sides, through the embedder's disk cache), keep it
    with :meth:`save` and read it back with :meth:`load`; then :meth:`score` takes well under
    100 ms a tool (one embedding and two matrix-vector products).

    ``embedder`` is anything with ``embed(texts) -> normalised rows`` and ``model_id``; the
    index refuses to score with an embedder of another model than it was built with.
    """

    def __init__(
        self,
        training: Sequence[ToolRecord],
        training_vectors: np.ndarray,
        market: Sequence[ToolRecord],
        market_vectors: np.ndarray,
        *,
        embedder: TextEmbedder | None = None,
        model_id: str | None = None,
        calibration: np.ndarray | None = None,
        platform_terms: Sequence[str] | None = None,
        coverage_k: int = 1,
        neighbours_k: int = 5,
        info: Mapping[str, Any] | None = None,
        projection: np.ndarray | None = None,
        storage: str = "float16",
    ) -> None:
        self.training = list(training)
        self.market = list(market)
        self.training_vectors = np.ascontiguousarray(training_vectors, dtype=np.float32)
        self.market_vectors = np.ascontiguousarray(market_vectors, dtype=np.float32)
        if len(self.training) != len(self.training_vectors) or len(self.market) != len(self.market_vectors):
            raise ScopeIndexError("each record needs exactly one vector")
        if not self.training:
            raise ScopeIndexError("the index needs training APIs")
        if self.market_vectors.size and self.market_vectors.shape[1] != self.training_vectors.shape[1]:
            raise ScopeIndexError("the training and market vectors have different sizes")
        self.embedder = embedder
        self.model_id = model_id or getattr(embedder, "model_id", None) or "unknown"
        self.coverage_k = max(1, int(coverage_k))
        self.neighbours_k = int(neighbours_k)
        if calibration is None:
            calibration = leave_one_out(self.training_vectors, _texts(self.training), k=self.coverage_k)
        self.calibration = np.sort(np.asarray(calibration, dtype=np.float32))
        if platform_terms is None:
            platform_terms = learn_platform_terms(self.market, self.training) if self.market else []
        self.platform_terms = list(platform_terms)
        self.info = dict(info or {})
        if projection is not None and projection.shape[1] != self.training_vectors.shape[1]:
            raise ScopeIndexError(f"a projection to {projection.shape[1]} dimensions for vectors of {self.training_vectors.shape[1]}")
        self.projection = None if projection is None else np.asarray(projection, dtype=np.float32)
        self.storage = storage
        self._quick: TextEmbedder | None = None

    def __repr__(self) -> str:
        return (
            f"ScopeIndex({len(self.training)} training APIs, {len(self.market)} market tools, "
            f"model={self.model_id!r})"
        )

    # ---- building ------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        training: Sequence[ToolRecord] | str | Path | None = None,
        market: Sequence[ToolRecord] | str | Path | None = None,
        *,
        embedder: TextEmbedder | None = None,
        sample: int | None = None,
        seed: int = 0,
        coverage_k: int = 1,
        neighbours_k: int = 5,
    ) -> ScopeIndex:
        """Embed the training APIs and the market tools (records, specs or a Catalog; default:
        the public data of ``GTM_DATA_DIR``; a path loads that file) and calibrate. ``sample`` keeps that many
        tools of each side, drawn with ``seed``."""
        from .market import load_market, load_training

        started = time.perf_counter()
        if training is None or isinstance(training, (str, Path)):
            training = load_training(training)
        if market is None or isinstance(market, (str, Path)):
            market = load_market(market)
        training = _sample([as_record(t, source="training") for t in training], sample, seed)
        market = _sample([as_record(t, source="market") for t in market], sample, seed + 1)
        if embedder is None:
            from .embed import Embedder

            embedder = Embedder()
        training_vectors = embedder.embed(_texts(training))
        market_vectors = embedder.embed(_texts(market)) if market else np.zeros((0, training_vectors.shape[1]), np.float32)
        index = cls(
            training,
            training_vectors,
            market,
            market_vectors,
            embedder=embedder,
            coverage_k=coverage_k,
            neighbours_k=neighbours_k,
            info={"sample": sample, "seed": seed},
        )
        index.info["build_seconds"] = round(time.perf_counter() - started, 3)
        return index

    # ---- reducing, saving and loading ---------------------------------------------------------
    def reduced(self, *, dims: int | None = None, storage: str = "int8") -> ScopeIndex:
        """This index with fewer dimensions (``dims``; None keeps the model's) and vectors rounded
        to ``storage`` (see :mod:`analysis.index_file`): the vectors a saved copy computes with,
        and a calibration made again in that space. Needs the records' texts (an index that was
        built, not loaded)."""
        from .index_file import fit_projection, reduce_vectors

        if self.projection is not None:
            raise ScopeIndexError("this index is already reduced; reduce the index it was built from")
        both = np.concatenate([self.training_vectors, self.market_vectors]) if self.market_vectors.size else self.training_vectors
        projection = None if dims is None or dims >= both.shape[1] else fit_projection(both, dims)
        training = reduce_vectors(self.training_vectors, projection, storage)
        market = reduce_vectors(self.market_vectors, projection, storage) if self.market_vectors.size else np.zeros((0, training.shape[1]), np.float32)
        info = dict(self.info, reduction={"dims": int(training.shape[1]), "model_dims": int(self.training_vectors.shape[1]), "storage": storage})
        return ScopeIndex(
            self.training, training, self.market, market,
            embedder=self.embedder, model_id=self.model_id, platform_terms=self.platform_terms,
            coverage_k=self.coverage_k, neighbours_k=self.neighbours_k, info=info,
            projection=projection, storage=storage,
        )

    def save(self, path: str | Path) -> Path:
        """Write the index to one ``.npz`` file (see :mod:`analysis.index_file`: vectors in the
        index's ``storage``, names, servers, origins and categories but no descriptions),
        atomically."""
        from .index_file import IndexFile, records_rows, write

        return write(
            path,
            IndexFile(
                model_id=self.model_id,
                training=records_rows(self.training),
                market=records_rows(self.market),
                training_vectors=self.training_vectors,
                market_vectors=self.market_vectors,
                calibration=self.calibration,
                projection=self.projection,
                storage=self.storage,
                platform_terms=self.platform_terms,
                coverage_k=self.coverage_k,
                neighbours_k=self.neighbours_k,
                info=self.info,
            ),
        )

    @classmethod
    def load(cls, path: str | Path, *, embedder: TextEmbedder | None = None) -> ScopeIndex:
        """Read an index written by :meth:`save`. Without ``embedder``, one for the index's
        model is made on the first query. Loaded records have no descriptions."""
        from .index_file import read

        piece = read(path)
        if embedder is not None and getattr(embedder, "model_id", piece.model_id) != piece.model_id:
            raise ScopeIndexError(f"{path} was built with the model {piece.model_id!r}, not {embedder.model_id!r}")

        def records(rows: list[list[Any]], source: str) -> list[ToolRecord]:
            return [ToolRecord(server, name, "", {}, source, origin, category) for server, name, origin, category in rows]

        return cls(
            records(piece.training, "training"),
            piece.training_vectors,
            records(piece.market, "market"),
            piece.market_vectors,
            embedder=embedder,
            model_id=piece.model_id,
            calibration=piece.calibration,
            platform_terms=piece.platform_terms,
            coverage_k=piece.coverage_k,
            neighbours_k=piece.neighbours_k,
            info=piece.info,
            projection=piece.projection,
            storage=piece.storage,
        )

    # ---- scoring ---------------------------------------------------------------------------
    def _embedder(self) -> TextEmbedder:
        if self.embedder is None:
            from .embed import DEFAULT_MODEL, Embedder

            self.embedder = Embedder(None if self.model_id == DEFAULT_MODEL else self.model_id, progress=False)
        if getattr(self.embedder, "model_id", self.model_id) != self.model_id:
            raise ScopeIndexError(f"the index was built with {self.model_id!r}, the embedder is {self.embedder.model_id!r}")
        return self.embedder

    def percentile(self, similarity: np.ndarray | float) -> np.ndarray:
        """The mid-rank percentile of similarities within the calibration (the coverage)."""
        s = np.asarray(similarity, dtype=np.float32)
        below = np.searchsorted(self.calibration, s, side="left")
        upto = np.searchsorted(self.calibration, s, side="right")
        return np.clip((below + 0.5 * (upto - below)) / len(self.calibration), 0.0, 1.0)

    def score(self, tool: Any, *, k: int | None = None) -> Applicability:
        """Score one tool (a ToolSpec, ToolRecord, mapping, ``(name, description)`` pair or a
        ``"name: description"`` text); ``k`` neighbours of each side (default: the index's)."""
        return self.score_many([tool], k=k)[0]

    def _query_embedder(self, n: int) -> TextEmbedder:
        """The embedder for ``n`` texts: for a few, a twin of a disk-caching Embedder that skips
        the cache (a cache write costs more than embedding one short text)."""
        embedder = self._embedder()
        from .embed import Embedder

        if n <= _FEW_TEXTS and isinstance(embedder, Embedder) and embedder.cache:
            if self._quick is None:
                self._quick = Embedder(
                    embedder.model, cache=False, progress=False, batch_size=embedder.batch_size, device=embedder.device
                )
            return self._quick
        return embedder

    def embed_tools(self, tools: Iterable[Any]) -> tuple[list[ToolRecord], np.ndarray]:
        """The records of ``tools`` and their vectors, embedded with the index's model."""
        records = [as_record(t) for t in tools]
        if not records:
            return records, np.zeros((0, self.training_vectors.shape[1]), np.float32)
        embedder = self._query_embedder(len(records))
        if len(records) <= _FEW_TEXTS:
            with _one_thread():
                vectors = embedder.embed(_texts(records))
        else:
            vectors = embedder.embed(_texts(records))
        return records, np.asarray(vectors, dtype=np.float32)

    def score_many(
        self, tools: Iterable[Any], *, k: int | None = None, batch_size: int = 512
    ) -> list[Applicability]:
        """Score many tools (a Catalog, a list of records, specs or texts), embedded in one
        batch and compared in blocks of ``batch_size``."""
        records, vectors = self.embed_tools(tools)
        return self.score_vectors(records, vectors, k=k, batch_size=batch_size)

    def score_vectors(
        self, records: Sequence[ToolRecord], vectors: np.ndarray, *, k: int | None = None, batch_size: int = 512
    ) -> list[Applicability]:
        """Score tools whose vectors are known (rows of the index's model; a reduced index
        projects them into its own dimensions)."""
        k = self.neighbours_k if k is None else k
        vectors = self.to_index_space(vectors)
        results: list[Applicability] = []
        kt = max(k, self.coverage_k)
        t_vals, t_idxs = nearest(vectors, self.training_vectors, k=kt, rows=batch_size)
        if self.market_vectors.size:
            m_vals, m_idxs = nearest(vectors, self.market_vectors, k=max(k, 1), rows=batch_size)
        else:
            m_vals, m_idxs = np.zeros((len(records), 0), np.float32), np.zeros((len(records), 0), np.int64)
        for start in range(0, len(records), batch_size):
            t_idx, t_val = t_idxs[start : start + batch_size], t_vals[start : start + batch_size]
            m_idx, m_val = m_idxs[start : start + batch_size], m_vals[start : start + batch_size]
            stat = t_val[:, : self.coverage_k].mean(axis=1)
            coverages = self.percentile(stat)
            for row, record in enumerate(records[start : start + batch_size]):
                neighbours = [self._neighbour("training", self.training[i], v) for i, v in zip(t_idx[row, :k], t_val[row, :k])]
                neighbours += [self._neighbour("market", self.market[i], v) for i, v in zip(m_idx[row, :k], m_val[row, :k])]
                flags = find_flags(record, self.platform_terms)
                coverage = float(coverages[row])
                similarity = float(stat[row])
                market_sim = float(m_val[row, 0]) if m_val.shape[1] else math.nan
                region = None
                if m_val.shape[1] and market_sim - similarity >= MARKET_MARGIN and coverage < MID:
                    nearest_m = self.market[int(m_idx[row, 0])]
                    region = (
                        f"the market tool {query_label(nearest_m)!r} is much closer ({market_sim:.2f}) "
                        f"than any training API ({similarity:.2f})"
                    )
                verdict, score, reasons = decide(coverage, flags, market_only=region)
                if t_val.shape[1]:
                    closest = self.training[int(t_idx[row, 0])]
                    reasons[0] += f" (nearest: {query_label(closest)!r}, similarity {t_val[row, 0]:.2f})"
                results.append(
                    Applicability(
                        tool=query_label(record),
                        score=score,
                        verdict=verdict,
                        reasons=reasons,
                        neighbours=neighbours,
                        coverage=coverage,
                        similarity=similarity,
                        market_similarity=market_sim,
                        flags=flags,
                        market_only=region is not None,
                    )
                )
        return results

    def to_index_space(self, vectors: np.ndarray) -> np.ndarray:
        """Rows of the model's vectors as this index compares them: projected and normalised
        again where the index keeps fewer dimensions."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.projection is None or vectors.shape[1] == self.training_vectors.shape[1] != self.projection.shape[0]:
            return vectors
        if vectors.shape[1] != self.projection.shape[0]:
            raise ScopeIndexError(f"vectors of {vectors.shape[1]} dimensions for an index of a {self.projection.shape[0]}-dimensional model")
        projected = vectors @ self.projection
        norms = np.linalg.norm(projected, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return projected / norms

    @staticmethod
    def _neighbour(side: str, record: ToolRecord, similarity: float) -> dict[str, Any]:
        text = record.description
        description = (text if len(text) <= 200 else text[:197] + "...") if text else None
        return {
            "side": side,
            "name": record.name,
            "server": record.server,
            "origin": record.origin,
            "similarity": round(float(similarity), 4),
            "description": description,
        }

    def scores_frame(self, tools: Iterable[Any], *, k: int | None = None) -> pd.DataFrame:
        """Score ``tools`` and return :func:`scores_frame` of the results."""
        return scores_frame(self.score_many(tools, k=k))

    def calibration_frame(self) -> pd.DataFrame:
        """The calibration as a table: the similarity at each percentile of the training
        APIs' leave-one-out nearest-neighbour similarities."""
        import pandas as pd

        qs = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
        return pd.DataFrame({"percentile": qs, "similarity": np.quantile(self.calibration, qs)})


def scores_frame(results: Iterable[Applicability]) -> pd.DataFrame:
    """One row per scored tool: tool, score, verdict, coverage, similarity, market_similarity,
    market_only, the four flags (the words that raised them, joined), nearest_training,
    nearest_market, reasons (joined with "; ")."""
    import pandas as pd

    rows = []
    for r in results:
        training = [n for n in r.neighbours if n["side"] == "training"]
        market = [n for n in r.neighbours if n["side"] == "market"]
        rows.append(
            {
                "tool": r.tool,
                "score": r.score,
                "verdict": r.verdict,
                "coverage": r.coverage,
                "similarity": r.similarity,
                "market_similarity": r.market_similarity,
                "market_only": r.market_only,
                "platform": ", ".join(r.flags.get("platform", [])),
                "side_effects": ", ".join(r.flags.get("side_effects", [])),
                "private_data": ", ".join(r.flags.get("private_data", [])),
                "realtime": ", ".join(r.flags.get("realtime", [])),
                "nearest_training": training[0]["name"] if training else None,
                "nearest_market": (f"{market[0]['server']}/{market[0]['name']}" if market[0]["server"] else market[0]["name"]) if market else None,
                "reasons": "; ".join(r.reasons),
            }
        )
    columns = [
        "tool", "score", "verdict", "coverage", "similarity", "market_similarity", "market_only",
        "platform", "side_effects",
        "private_data", "realtime", "nearest_training", "nearest_market", "reasons",
    ]
    return pd.DataFrame(rows, columns=columns)


def index_key(*parts: Any) -> str:
    """A short hash of what an index was built from (for cache file names)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]
