"""How much two tool sets overlap, measured in the embedding space and on the 2-D map.

**Coverage** (embedding space). A tool of set A is *covered* by set B when its nearest
neighbour in B is at least as similar as ``threshold`` (cosine similarity; ``radius`` is the
same limit as a cosine distance, ``1 - threshold``). The threshold is calibrated on B's own
density: with ``calibration="training-nn"`` it is the ``quantile``-quantile of the similarities
between each tool of B (the training set) and its nearest *other* tool of B. With the default
``quantile=0.1``, 90% of the training APIs have a neighbour at least that close, so "covered"
means "as close to the training set as its own tools are to each other". The same threshold is
used both ways, so the two shares compare. ``calibration="each-nn"`` calibrates each direction
on its reference set instead.

**Grid overlap** (2-D map). Cover the joint bounding box of both point sets with
``bins x bins`` cells; the overlap is the share of occupied cells that both sets occupy
(Jaccard index of the two sets of occupied cells).

Both come with bootstrap intervals: coverage resamples the tools of A and the calibration
set's neighbour similarities (percentile interval); the grid resamples the points of each set,
and since a resample occupies fewer cells than the data, its replicates are shifted by their
mean bias before the percentiles are taken.
Nearest neighbours are exact (``analysis.neighbours``: normalised dot products in row chunks);
``nearest_neighbours``, ``mutual_nearest`` and ``self_nearest_similarity`` are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from .neighbours import mutual_nearest, nearest_neighbours, self_nearest_similarity, unit_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CALIBRATIONS",
    "CoverageResult",
    "GridOverlapResult",
    "calibrate_threshold",
    "coverage",
    "grid_overlap",
    "mutual_nearest",
    "nearest_neighbours",
    "self_nearest_similarity",
    "threshold_sweep",
]

CALIBRATIONS = ("training-nn", "each-nn")
DEFAULT_QUANTILE = 0.1
DEFAULT_BINS = 50
DEFAULT_N_BOOT = 1000
DEFAULT_CONFIDENCE = 0.95


# ---- calibration ---------------------------------------------------------------------------
def calibrate_threshold(reference_nn: np.ndarray, quantile: float = DEFAULT_QUANTILE) -> float:
    """The similarity threshold: the ``quantile`` of a set's own nearest-neighbour similarities."""
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"The 'quantile' parameter must be a float in the range [0, 1]. Got {quantile!r} instead.")
    return float(np.quantile(np.asarray(reference_nn, dtype=np.float64), quantile))


def _interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(samples, [tail, 1.0 - tail])
    return float(low), float(high)


def _check_boot(n_boot: int, confidence: float) -> None:
    if n_boot < 0:
        raise ValueError(f"The 'n_boot' parameter must be an int >= 0. Got {n_boot!r} instead.")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"The 'confidence' parameter must be a float in the range (0, 1). Got {confidence!r} instead.")


# ---- coverage ------------------------------------------------------------------------------
@dataclass
class CoverageResult:
    """Coverage of each set by the other, with bootstrap intervals.

    ``a_in_b`` is the share of A whose nearest B lies within the threshold (``covered_a`` marks
    which); ``b_in_a`` the same the other way. ``threshold`` is a cosine similarity and
    ``radius = 1 - threshold`` a cosine distance; with ``each-nn`` calibration the two
    directions have their own (``threshold_b`` is the one used for B).
    """

    names: tuple[str, str]
    threshold: float
    threshold_b: float
    quantile: float | None
    calibration: str
    a_in_b: float
    b_in_a: float
    a_in_b_interval: tuple[float, float]
    b_in_a_interval: tuple[float, float]
    confidence: float
    n_boot: int
    nn_sim_a: np.ndarray = field(repr=False)  # each A's similarity to its nearest B
    nn_idx_a: np.ndarray = field(repr=False)  # ... and that B's index
    nn_sim_b: np.ndarray = field(repr=False)
    nn_idx_b: np.ndarray = field(repr=False)

    @property
    def radius(self) -> float:
        return 1.0 - self.threshold

    @property
    def covered_a(self) -> np.ndarray:
        """Boolean mask over A: covered by B."""
        return self.nn_sim_a >= self.threshold

    @property
    def covered_b(self) -> np.ndarray:
        """Boolean mask over B: covered by A."""
        return self.nn_sim_b >= self.threshold_b

    def frame(self) -> pd.DataFrame:
        """One row per direction: covered set, reference set, share, interval, threshold, counts."""
        import pandas as pd

        a, b = self.names
        rows = [
            (a, b, self.a_in_b, *self.a_in_b_interval, self.threshold, int(self.covered_a.sum()), len(self.nn_sim_a)),
            (b, a, self.b_in_a, *self.b_in_a_interval, self.threshold_b, int(self.covered_b.sum()), len(self.nn_sim_b)),
        ]
        out = pd.DataFrame(rows, columns=["tools", "covered_by", "share", "low", "high", "threshold", "covered", "n"])
        out["radius"] = 1.0 - out["threshold"]
        out["quantile"] = self.quantile
        out["calibration"] = self.calibration
        out["confidence"] = self.confidence
        return out

    to_frame = frame

    def to_dict(self) -> dict[str, object]:
        a, b = self.names
        return {
            "calibration": self.calibration,
            "quantile": self.quantile,
            "threshold": round(self.threshold, 6),
            "threshold_b": round(self.threshold_b, 6),
            "confidence": self.confidence,
            "n_boot": self.n_boot,
            f"{a}_in_{b}": {"share": self.a_in_b, "interval": list(self.a_in_b_interval), "n": len(self.nn_sim_a)},
            f"{b}_in_{a}": {"share": self.b_in_a, "interval": list(self.b_in_a_interval), "n": len(self.nn_sim_b)},
        }


def _bootstrap_coverage(
    nn_sim: np.ndarray,
    reference_nn: np.ndarray | None,
    threshold: float,
    quantile: float | None,
    n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Bootstrap shares: resample the covered set's tools and, when the threshold is
    calibrated, the calibration set's neighbour similarities too."""
    n = len(nn_sim)
    out = np.empty(n_boot, dtype=np.float64)
    # Resampling positions of the sorted similarities is resampling the tools; sorted, the
    # share above a threshold is the count of draws at or after one searchsorted position.
    sorted_sim = np.sort(nn_sim)
    for i in range(n_boot):
        if reference_nn is not None and quantile is not None:
            t = np.quantile(reference_nn[rng.integers(0, len(reference_nn), len(reference_nn))], quantile)
        else:
            t = threshold
        first = np.searchsorted(sorted_sim, t, side="left")
        out[i] = np.count_nonzero(rng.integers(0, n, n) >= first) / n
    return out


def coverage(
    a: np.ndarray,
    b: np.ndarray,
    *,
    radius: float | None = None,
    calibration: Literal["training-nn", "each-nn"] = "training-nn",
    quantile: float = DEFAULT_QUANTILE,
    n_boot: int = DEFAULT_N_BOOT,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
    names: tuple[str, str] = ("market", "training"),
    self_nn_b: np.ndarray | None = None,
    self_nn_a: np.ndarray | None = None,
) -> CoverageResult:
    """Coverage of A (e.g. the market) by B (the training APIs) and of B by A.

    ``radius`` (a cosine distance) fixes the threshold at ``1 - radius`` for both directions and
    skips calibration; otherwise the threshold is the ``quantile`` of B's own nearest-neighbour
    similarities (``training-nn``), or each reference set's own (``each-nn``). ``self_nn_a`` /
    ``self_nn_b`` pass those similarities when already computed (see
    :func:`self_nearest_similarity`).
    """
    if calibration not in CALIBRATIONS:
        raise ValueError(
            f"The 'calibration' parameter of coverage must be one of {', '.join(CALIBRATIONS)}. Got {calibration!r} instead."
        )
    _check_boot(n_boot, confidence)
    a, b = unit_rows(a), unit_rows(b)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("coverage needs at least one vector in each set")
    sim_a, idx_a, sim_b, idx_b = mutual_nearest(a, b)

    rng = np.random.default_rng(seed)
    if radius is not None:
        if not 0.0 <= radius <= 2.0:
            raise ValueError(f"The 'radius' parameter of coverage must be a cosine distance in [0, 2]. Got {radius!r} instead.")
        threshold = threshold_b = 1.0 - radius
        ref_for_a = ref_for_b = None
        used_quantile: float | None = None
    else:
        if len(b) < 2 or (calibration == "each-nn" and len(a) < 2):
            raise ValueError("calibration needs at least two vectors in each reference set; pass radius= instead")
        ref_for_a = self_nn_b if self_nn_b is not None else self_nearest_similarity(b)
        threshold = calibrate_threshold(ref_for_a, quantile)
        if calibration == "each-nn":
            ref_for_b = self_nn_a if self_nn_a is not None else self_nearest_similarity(a)
            threshold_b = calibrate_threshold(ref_for_b, quantile)
        else:
            ref_for_b, threshold_b = ref_for_a, threshold
        used_quantile = quantile

    a_in_b = float(np.mean(sim_a >= threshold))
    b_in_a = float(np.mean(sim_b >= threshold_b))
    if n_boot:
        boot_a = _bootstrap_coverage(sim_a, ref_for_a, threshold, used_quantile, n_boot, rng)
        boot_b = _bootstrap_coverage(sim_b, ref_for_b, threshold_b, used_quantile, n_boot, rng)
        interval_a, interval_b = _interval(boot_a, confidence), _interval(boot_b, confidence)
    else:
        interval_a, interval_b = (a_in_b, a_in_b), (b_in_a, b_in_a)
    return CoverageResult(
        names=names,
        threshold=threshold,
        threshold_b=threshold_b,
        quantile=used_quantile,
        calibration=calibration if radius is None else "radius",
        a_in_b=a_in_b,
        b_in_a=b_in_a,
        a_in_b_interval=interval_a,
        b_in_a_interval=interval_b,
        confidence=confidence,
        n_boot=n_boot,
        nn_sim_a=sim_a,
        nn_idx_a=idx_a,
        nn_sim_b=sim_b,
        nn_idx_b=idx_b,
    )


# ---- grid overlap --------------------------------------------------------------------------
@dataclass
class GridOverlapResult:
    """Overlap of two 2-D point sets on a ``bins x bins`` grid over their joint bounding box.

    ``overlap``: the share of occupied cells that both sets occupy. ``a_shared`` /
    ``b_shared``: the share of each set's occupied cells that the other also occupies.
    ``a_points_shared`` / ``b_points_shared``: the share of each set's points in shared cells.
    """

    names: tuple[str, str]
    bins: int
    overlap: float
    interval: tuple[float, float]
    a_shared: float
    b_shared: float
    a_points_shared: float
    b_points_shared: float
    cells_a: int
    cells_b: int
    cells_both: int
    confidence: float
    n_boot: int

    def frame(self) -> pd.DataFrame:
        """One row: the overlap with its interval, the per-set shares and the cell counts."""
        import pandas as pd

        a, b = self.names
        return pd.DataFrame(
            [
                {
                    "bins": self.bins,
                    "overlap": self.overlap,
                    "low": self.interval[0],
                    "high": self.interval[1],
                    f"{a}_cells_shared": self.a_shared,
                    f"{b}_cells_shared": self.b_shared,
                    f"{a}_points_shared": self.a_points_shared,
                    f"{b}_points_shared": self.b_points_shared,
                    f"{a}_cells": self.cells_a,
                    f"{b}_cells": self.cells_b,
                    "both_cells": self.cells_both,
                    "confidence": self.confidence,
                }
            ]
        )

    to_frame = frame

    def to_dict(self) -> dict[str, object]:
        a, b = self.names
        return {
            "bins": self.bins,
            "overlap": self.overlap,
            "interval": list(self.interval),
            f"{a}_cells_shared": self.a_shared,
            f"{b}_cells_shared": self.b_shared,
            f"{a}_points_shared": self.a_points_shared,
            f"{b}_points_shared": self.b_points_shared,
            "cells": {a: self.cells_a, b: self.cells_b, "both": self.cells_both},
        }


def _cells(points: np.ndarray, low: np.ndarray, span: np.ndarray, bins: int) -> np.ndarray:
    """The flat grid-cell index of each point."""
    scaled = np.floor((points - low) / span * bins).astype(np.int64)
    np.clip(scaled, 0, bins - 1, out=scaled)
    return scaled[:, 0] * bins + scaled[:, 1]


def _grid_stats(cells_a: np.ndarray, cells_b: np.ndarray, bins: int) -> tuple[float, float, float, float, float, int, int, int]:
    occ_a = np.bincount(cells_a, minlength=bins * bins) > 0
    occ_b = np.bincount(cells_b, minlength=bins * bins) > 0
    both = occ_a & occ_b
    either = occ_a | occ_b
    n_a, n_b, n_both = int(occ_a.sum()), int(occ_b.sum()), int(both.sum())
    return (
        n_both / max(1, int(either.sum())),
        n_both / max(1, n_a),
        n_both / max(1, n_b),
        float(both[cells_a].mean()) if len(cells_a) else 0.0,
        float(both[cells_b].mean()) if len(cells_b) else 0.0,
        n_a,
        n_b,
        n_both,
    )


def grid_overlap(
    points_a: np.ndarray,
    points_b: np.ndarray,
    *,
    bins: int = DEFAULT_BINS,
    n_boot: int = DEFAULT_N_BOOT,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
    names: tuple[str, str] = ("market", "training"),
) -> GridOverlapResult:
    """The share of occupied ``bins x bins`` grid cells that both 2-D point sets occupy."""
    if bins < 1:
        raise ValueError(f"The 'bins' parameter of grid_overlap must be an int >= 1. Got {bins!r} instead.")
    _check_boot(n_boot, confidence)
    pa, pb = np.asarray(points_a, dtype=np.float64), np.asarray(points_b, dtype=np.float64)
    for pts, what in ((pa, "points_a"), (pb, "points_b")):
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
            raise ValueError(f"grid_overlap needs {what} as a non-empty (n, 2) array; got shape {pts.shape}")
    both = np.vstack([pa, pb])
    low = both.min(axis=0)
    span = both.max(axis=0) - low
    span[span == 0] = 1.0
    cells_a, cells_b = _cells(pa, low, span, bins), _cells(pb, low, span, bins)
    overlap, a_shared, b_shared, a_pts, b_pts, n_a, n_b, n_both = _grid_stats(cells_a, cells_b, bins)
    if n_boot:
        rng = np.random.default_rng(seed)
        boot = np.empty(n_boot)
        for i in range(n_boot):
            ra = cells_a[rng.integers(0, len(cells_a), len(cells_a))]
            rb = cells_b[rng.integers(0, len(cells_b), len(cells_b))]
            boot[i] = _grid_stats(ra, rb, bins)[0]
        # A resample repeats points, so it occupies fewer cells than the data: the bootstrap
        # distribution sits below the estimate. Shift it by that bias (the percentile
        # interval of the bias-corrected replicates).
        low, high = _interval(boot - boot.mean() + overlap, confidence)
        interval = (max(0.0, low), min(1.0, high))
    else:
        interval = (overlap, overlap)
    return GridOverlapResult(
        names=names,
        bins=bins,
        overlap=overlap,
        interval=interval,
        a_shared=a_shared,
        b_shared=b_shared,
        a_points_shared=a_pts,
        b_points_shared=b_pts,
        cells_a=n_a,
        cells_b=n_b,
        cells_both=n_both,
        confidence=confidence,
        n_boot=n_boot,
    )


# ---- sweeps --------------------------------------------------------------------------------
def threshold_sweep(
    a: np.ndarray,
    b: np.ndarray,
    *,
    quantiles: Sequence[float] = (0.01, 0.05, 0.1, 0.25, 0.5),
    points_a: np.ndarray | None = None,
    points_b: np.ndarray | None = None,
    bins: Sequence[int] = (20, 30, 50, 75, 100),
    names: tuple[str, str] = ("market", "training"),
    n_boot: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """How the overlap moves with the calibration quantile (coverage, both ways) and, when the
    2-D points are given, with the grid size. One row per setting: ``kind`` ("coverage" or
    "grid"), ``setting`` (the quantile or the bins), the threshold, the share(s) and, with
    ``n_boot``, their intervals."""
    import pandas as pd

    a, b = unit_rows(a), unit_rows(b)
    ref = self_nearest_similarity(b)
    sim_a, _, sim_b, _ = mutual_nearest(a, b)
    an, bn = names
    rows = []
    rng = np.random.default_rng(seed)
    for q in quantiles:
        t = calibrate_threshold(ref, q)
        row = {
            "kind": "coverage",
            "setting": float(q),
            "threshold": t,
            f"{an}_in_{bn}": float(np.mean(sim_a >= t)),
            f"{bn}_in_{an}": float(np.mean(sim_b >= t)),
            f"{bn}_self": float(np.mean(ref >= t)),
        }
        if n_boot:
            row[f"{an}_in_{bn}_low"], row[f"{an}_in_{bn}_high"] = _interval(
                _bootstrap_coverage(sim_a, ref, t, q, n_boot, rng), DEFAULT_CONFIDENCE
            )
            row[f"{bn}_in_{an}_low"], row[f"{bn}_in_{an}_high"] = _interval(
                _bootstrap_coverage(sim_b, ref, t, q, n_boot, rng), DEFAULT_CONFIDENCE
            )
        rows.append(row)
    if points_a is not None and points_b is not None:
        for size in bins:
            grid = grid_overlap(points_a, points_b, bins=int(size), n_boot=n_boot, seed=seed, names=names)
            row = {
                "kind": "grid",
                "setting": float(size),
                "overlap": grid.overlap,
                f"{an}_cells_shared": grid.a_shared,
                f"{bn}_cells_shared": grid.b_shared,
            }
            if n_boot:
                row["overlap_low"], row["overlap_high"] = grid.interval
            rows.append(row)
    return pd.DataFrame(rows)
