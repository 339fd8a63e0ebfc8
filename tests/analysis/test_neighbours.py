"""The one nearest-neighbour search of the scope analysis, on small seeded vectors with known answers."""

from __future__ import annotations

import numpy as np
import pytest

import analysis.overlap
from analysis.neighbours import mutual_nearest, nearest, nearest_neighbours, self_nearest_similarity, top_k, unit_rows


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_nearest_neighbours_match_a_brute_force_search(rng):
    """The chunked search finds the same neighbours and similarities as a full sort."""
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(200, 8))
    sims, idx = nearest_neighbours(a, b, k=3)
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    full = an @ bn.T
    assert np.array_equal(idx, np.argsort(-full, axis=1)[:, :3])
    assert np.allclose(sims, np.sort(full, axis=1)[:, ::-1][:, :3], atol=1e-5)


def test_mutual_nearest_agrees_with_two_one_way_searches(rng):
    """One pass gives both directions' nearest neighbours."""
    a, b = rng.normal(size=(250, 6)), rng.normal(size=(120, 6))
    sim_a, idx_a, sim_b, idx_b = mutual_nearest(a, b)
    assert np.array_equal(idx_a, nearest_neighbours(a, b)[1][:, 0])
    assert np.array_equal(idx_b, nearest_neighbours(b, a)[1][:, 0])
    assert np.allclose(sim_b, nearest_neighbours(b, a)[0][:, 0], atol=1e-6)


def test_a_point_is_not_its_own_nearest_neighbour(rng):
    """Leave-one-out similarities stay below 1 for distinct points."""
    vectors = rng.normal(size=(50, 5))
    assert (self_nearest_similarity(vectors) < 0.999).all()



def test_top_k_gives_the_largest_entries_first_and_the_lower_index_on_a_tie():
    """Rows are ranked best first; a tie for the best keeps the first column; k past the row is the row."""
    sims = np.array([[0.1, 0.9, 0.9, 0.3], [0.5, 0.2, 0.7, 0.7]], dtype=np.float32)
    values, idx = top_k(sims, 1)
    assert idx.tolist() == [[1], [2]] and values.tolist() == [[pytest.approx(0.9)], [pytest.approx(0.7)]]
    values, idx = top_k(sims, 3)
    assert np.allclose(values, [[0.9, 0.9, 0.3], [0.7, 0.7, 0.5]]) and idx[:, 2].tolist() == [3, 0]
    assert top_k(sims, 9)[1].tolist() == [[1, 2, 3, 0], [2, 3, 0, 1]]
    assert top_k(sims, 0)[0].shape == (2, 0)


def test_the_block_size_does_not_change_the_result(rng):
    """Searching 7 query rows at a time finds exactly the neighbours one block finds (similarities equal to float32 rounding:
    BLAS may sum a block of 7 rows in another order than a block of 50)."""
    queries, base = unit_rows(rng.normal(size=(50, 6))), unit_rows(rng.normal(size=(40, 6)))
    (whole_sims, whole_idx), (block_sims, block_idx) = nearest(queries, base, k=4, rows=1000), nearest(queries, base, k=4, rows=7)
    assert np.array_equal(whole_idx, block_idx)
    assert np.allclose(whole_sims, block_sims, rtol=0, atol=1e-6)


def test_excluded_rows_are_never_neighbours_and_missing_ones_are_minus_infinity(rng):
    """exclude bans base rows per query row; with too few left the rest of the k are -inf."""
    vectors = unit_rows(rng.normal(size=(4, 3)))
    sims, idx = nearest(vectors, vectors, k=3, exclude_self=True, exclude={0: [1, 2]})
    assert idx[0, 0] == 3 and np.isneginf(sims[0, 1:]).all()
    assert all(row not in idx[row] for row in range(1, 4)) and np.isfinite(sims[1:]).all()


def test_bad_shapes_are_refused_with_what_was_wrong():
    """A 1-D array or vectors of different sizes are a ValueError that gives the shapes."""
    with pytest.raises(ValueError, match=r"2-D array of vectors.*\(5,\)"):
        unit_rows(np.ones(5))
    with pytest.raises(ValueError, match="queries have 3 dimensions but base has 4"):
        nearest(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="at least one base vector"):
        nearest(np.ones((1, 3)), np.ones((1, 3)), exclude_self=True)


def test_the_overlap_measures_use_this_search():
    """analysis.overlap re-exports these functions rather than keeping a search of its own."""
    assert analysis.overlap.nearest_neighbours is nearest_neighbours
    assert analysis.overlap.mutual_nearest is mutual_nearest
    assert analysis.overlap.self_nearest_similarity is self_nearest_similarity
