"""Overlap measures on synthetic vectors and points with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.overlap import coverage, grid_overlap, threshold_sweep


def _cloud(centre: np.ndarray, n: int, rng: np.random.Generator, spread: float = 0.1) -> np.ndarray:
    return centre + spread * rng.normal(size=(n, centre.size))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_identical_sets_cover_each_other_fully(rng):
    """A set compared with itself is covered entirely both ways, interval included."""
    vectors = rng.normal(size=(400, 12))
    result = coverage(vectors, vectors, n_boot=200)
    assert result.a_in_b == result.b_in_a == 1.0
    assert result.a_in_b_interval == (1.0, 1.0)


def test_disjoint_sets_barely_cover_each_other(rng):
    """Two tight clouds in opposite directions cover almost none of each other."""
    centre = np.zeros(10)
    centre[0] = 1.0
    a, b = _cloud(centre, 300, rng), _cloud(-centre, 200, rng)
    result = coverage(a, b, n_boot=200)
    assert result.a_in_b < 0.02 and result.b_in_a < 0.02


def test_a_half_shared_market_is_half_covered_and_the_interval_holds_it(rng):
    """A market half drawn from the training clouds and half from a new one is ~50% covered."""
    dim = 20
    centres = np.eye(dim)
    training = np.vstack([_cloud(centres[i], 100, rng) for i in range(5)])
    market = np.vstack([_cloud(centres[i], 60, rng) for i in range(5)] + [_cloud(centres[9], 300, rng)])
    result = coverage(market, training, n_boot=500, seed=1)
    assert 0.4 < result.a_in_b < 0.6
    low, high = result.a_in_b_interval
    assert low <= result.a_in_b <= high and high - low < 0.2
    frame = result.frame()
    assert list(frame["tools"]) == ["market", "training"]
    assert frame.loc[0, "covered"] == int(result.covered_a.sum())


def test_coverage_is_reproducible_with_a_seed(rng):
    """The same seed gives the same intervals."""
    a, b = rng.normal(size=(200, 8)), rng.normal(size=(150, 8))
    first, second = coverage(a, b, seed=3, n_boot=100), coverage(a, b, seed=3, n_boot=100)
    assert first.a_in_b_interval == second.a_in_b_interval


def test_a_fixed_radius_skips_calibration(rng):
    """radius=0 counts only exact matches; radius=2 counts everything."""
    a, b = rng.normal(size=(50, 4)), rng.normal(size=(40, 4))
    assert coverage(a, b, radius=2.0, n_boot=0).a_in_b == 1.0
    assert coverage(a, b, radius=0.0, n_boot=0).a_in_b == 0.0
    with pytest.raises(ValueError, match="'radius'"):
        coverage(a, b, radius=3.0)


def test_each_set_can_be_calibrated_on_its_own_density(rng):
    """each-nn gives each direction the threshold of its reference set."""
    a, b = rng.normal(size=(100, 4)), 0.05 * rng.normal(size=(100, 4)) + 1.0
    result = coverage(a, b, calibration="each-nn", n_boot=0)
    assert result.threshold != result.threshold_b


def test_identical_point_sets_share_every_cell():
    """The same points on the grid give an overlap of 1."""
    points = np.random.default_rng(0).uniform(size=(300, 2))
    result = grid_overlap(points, points, bins=10, n_boot=100)
    assert result.overlap == 1.0 and result.interval[1] == 1.0


def test_points_in_separate_halves_share_no_cell():
    """Two sets in the left and right halves of the map occupy no common cell."""
    rng = np.random.default_rng(0)
    left = rng.uniform([0, 0], [0.49, 1], size=(200, 2))
    right = rng.uniform([0.51, 0], [1, 1], size=(200, 2))
    result = grid_overlap(left, right, bins=10, n_boot=100)
    assert result.overlap == 0.0 and result.cells_both == 0


def test_grid_overlap_counts_shared_cells_exactly():
    """Three cells for A, two for B, one in common: overlap 1/4, A shares 1/3 and B 1/2."""
    a = np.array([[0.05, 0.05], [0.55, 0.05], [0.95, 0.95]])
    b = np.array([[0.05, 0.06], [0.05, 0.95]])
    result = grid_overlap(a, b, bins=2, n_boot=200)
    assert result.overlap == pytest.approx(1 / 4)
    assert result.a_shared == pytest.approx(1 / 3) and result.b_shared == pytest.approx(1 / 2)
    assert result.interval[0] <= result.overlap <= result.interval[1]


def test_the_sweep_moves_coverage_down_as_the_threshold_rises(rng):
    """Higher calibration quantiles mean stricter thresholds and lower coverage."""
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(200, 8))
    pa, pb = rng.uniform(size=(300, 2)), rng.uniform(size=(200, 2))
    sweep = threshold_sweep(a, b, quantiles=(0.05, 0.5, 0.95), points_a=pa, points_b=pb, bins=(5, 50))
    cov = sweep[sweep["kind"] == "coverage"]
    assert cov["threshold"].is_monotonic_increasing
    assert cov["market_in_training"].is_monotonic_decreasing
    assert np.allclose(cov["training_self"], [0.95, 0.5, 0.05], atol=0.02)
    grid = sweep[sweep["kind"] == "grid"]
    assert grid["overlap"].is_monotonic_decreasing
