"""The whole market-overlap analysis in one call: embed, measure, project, sweep, find regions.

:func:`overlap_report` is what ``gtm scope overlap`` runs; notebooks call it for the same
numbers as DataFrames (``report.points``, ``report.coverage.frame()``, ``report.sweep``,
``report.regions["market"]``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .market import ToolRecord, records_frame
from .neighbours import self_nearest_similarity
from .overlap import (
    DEFAULT_BINS,
    DEFAULT_N_BOOT,
    DEFAULT_QUANTILE,
    CoverageResult,
    GridOverlapResult,
    coverage,
    grid_overlap,
    threshold_sweep,
)
from .regions import DEFAULT_N_CLUSTERS, exclusive_regions

if TYPE_CHECKING:
    import pandas as pd

    from .embed import Embedder

__all__ = ["OverlapReport", "overlap_report", "sample_records"]


def sample_records(records: Sequence[ToolRecord], n: int | None, *, seed: int = 0) -> list[ToolRecord]:
    """``n`` records drawn without replacement (seeded, original order kept); all when ``n`` is
    None or not smaller than the set."""
    if n is None or n >= len(records):
        return list(records)
    if n < 1:
        raise ValueError(f"The 'sample' parameter must be an int >= 1. Got {n!r} instead.")
    keep = np.sort(np.random.default_rng(seed).choice(len(records), size=n, replace=False))
    return [records[i] for i in keep]


@dataclass
class OverlapReport:
    """The results of :func:`overlap_report`; every table is a DataFrame."""

    market: list[ToolRecord]
    training: list[ToolRecord]
    model_id: str
    coverage: CoverageResult
    grid: GridOverlapResult | None
    method: str | None
    sweep: pd.DataFrame
    regions: dict[str, pd.DataFrame]
    points: pd.DataFrame  # one row per tool: records_frame + side, covered, nn_similarity, x, y
    timings: dict[str, float] = field(default_factory=dict)
    vectors: np.ndarray | None = field(default=None, repr=False)  # market rows first, then training

    def to_dict(self, *, n_regions: int = 10) -> dict[str, Any]:
        def regions(frame: pd.DataFrame) -> list[dict[str, Any]]:
            cols = ["region", "label", "words", "size", "share", "examples", "servers"]
            return [
                {k: (v if not isinstance(v, np.generic) else v.item()) for k, v in row.items()}
                for row in frame[cols].head(n_regions).to_dict(orient="records")
            ]

        sweep = self.sweep.astype(object).where(self.sweep.notna(), None)
        return {
            "model": self.model_id,
            "tools": {"market": len(self.market), "training": len(self.training)},
            "coverage": self.coverage.to_dict(),
            "grid": None if self.grid is None else {"method": self.method, **self.grid.to_dict()},
            "sweep": sweep.to_dict(orient="records"),
            "regions": {side: regions(frame) for side, frame in self.regions.items()},
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


def overlap_report(
    market: Sequence[ToolRecord],
    training: Sequence[ToolRecord],
    *,
    embedder: Embedder | None = None,
    method: str | None = "tsne",
    quantile: float = DEFAULT_QUANTILE,
    bins: int = DEFAULT_BINS,
    n_boot: int = DEFAULT_N_BOOT,
    n_clusters: int = DEFAULT_N_CLUSTERS,
    seed: int = 0,
    sweep_quantiles: Sequence[float] = (0.01, 0.05, 0.1, 0.25, 0.5),
    sweep_bins: Sequence[int] = (20, 30, 50, 75, 100),
) -> OverlapReport:
    """Embed both sets, measure coverage both ways, project (``method``: "tsne", "umap" or
    None for no map) and measure the grid overlap, sweep the settings, and cluster the tools
    each side covers alone."""
    import pandas as pd

    from .embed import Embedder

    market, training = list(market), list(training)
    if not market or not training:
        raise ValueError("overlap_report needs at least one market tool and one training API")
    embedder = embedder or Embedder()
    timings: dict[str, float] = {}

    start = time.perf_counter()
    vectors = embedder.embed_records(market + training)
    timings["embed"] = time.perf_counter() - start
    va, vb = vectors[: len(market)], vectors[len(market) :]

    start = time.perf_counter()
    self_nn = self_nearest_similarity(vb)
    cov = coverage(va, vb, quantile=quantile, n_boot=n_boot, seed=seed, self_nn_b=self_nn)
    timings["coverage"] = time.perf_counter() - start

    grid = None
    xy = None
    if method:
        from .project import project

        start = time.perf_counter()
        xy = project(vectors, method, seed=seed)  # type: ignore[arg-type]
        timings[f"project_{method}"] = time.perf_counter() - start
        start = time.perf_counter()
        grid = grid_overlap(xy[: len(market)], xy[len(market) :], bins=bins, n_boot=n_boot, seed=seed)
        timings["grid"] = time.perf_counter() - start

    start = time.perf_counter()
    sweep = threshold_sweep(
        va,
        vb,
        quantiles=sweep_quantiles,
        points_a=None if xy is None else xy[: len(market)],
        points_b=None if xy is None else xy[len(market) :],
        bins=sweep_bins,
    )
    timings["sweep"] = time.perf_counter() - start

    start = time.perf_counter()
    regions = {
        "market": exclusive_regions(market, va, cov.covered_a, n_clusters=n_clusters, seed=seed),
        "training": exclusive_regions(training, vb, cov.covered_b, n_clusters=n_clusters, seed=seed),
    }
    timings["regions"] = time.perf_counter() - start

    points = records_frame(market + training)
    points["side"] = ["market"] * len(market) + ["training"] * len(training)
    points["covered"] = np.concatenate([cov.covered_a, cov.covered_b])
    points["nn_similarity"] = np.concatenate([cov.nn_sim_a, cov.nn_sim_b])
    nn_labels = [training[i].label for i in cov.nn_idx_a] + [market[i].label for i in cov.nn_idx_b]
    points["nearest_other"] = nn_labels
    if xy is not None:
        points["x"], points["y"] = xy[:, 0], xy[:, 1]
    return OverlapReport(
        market=market,
        training=training,
        model_id=embedder.model_id,
        coverage=cov,
        grid=grid,
        method=method,
        sweep=sweep,
        regions=regions,
        points=pd.DataFrame(points),
        timings=timings,
        vectors=vectors,
    )
