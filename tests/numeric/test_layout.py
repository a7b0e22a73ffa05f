"""ActionLayout: the flat action vector x[t m + i k + c] and its batches, against hand-built arrays."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pytest

from dynapai_sym import layout as layout_module
from dynapai_sym.layout import ActionLayout

SHAPES = [(1, 2, 2), (3, 2, 4), (2, 4, 6), (4, 3, 1)]


def labelled(lay: ActionLayout) -> np.ndarray:
    """A flat profile whose entry (t, i, c) is the number 100 t + 10 i + c, written by the formula."""
    x = np.empty(lay.N)
    for t, i, c in itertools.product(range(lay.T), range(lay.n), range(lay.k)):
        x[t * lay.m + i * lay.k + c] = 100 * t + 10 * i + c
    return x


def test_docstring_examples_run():
    result = doctest.testmod(layout_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5
    assert result.failed == 0


@pytest.mark.parametrize("T,n,k", SHAPES)
def test_sizes_and_round_trips(T, n, k):
    lay = ActionLayout(T, n, k)
    assert (lay.m, lay.N) == (n * k, T * n * k)
    x = labelled(lay)
    X = lay.unpack(x)
    assert X.shape == (T, n, k)
    assert X[T - 1, n - 1, k - 1] == 100 * (T - 1) + 10 * (n - 1) + (k - 1)
    np.testing.assert_array_equal(lay.pack(X), x)
    Z = lay.periods(x)
    assert Z.shape == (T, lay.m)
    for t, i, c in itertools.product(range(T), range(n), range(k)):
        assert X[t, i, c] == Z[t, i * k + c] == 100 * t + 10 * i + c
    # batches of profiles: (B, N) <-> (B, T, n, k) <-> paths (T, m, B)
    profiles = np.stack([x, x + 1000.0, x + 2000.0])
    np.testing.assert_array_equal(lay.pack(lay.unpack(profiles)), profiles)
    np.testing.assert_array_equal(lay.periods(profiles)[1], Z + 1000.0)
    paths = lay.paths(profiles)
    assert paths.shape == (T, lay.m, 3)
    np.testing.assert_array_equal(paths[:, :, 2], Z + 2000.0)
    np.testing.assert_array_equal(lay.profiles(paths), profiles)


def test_unpack_and_periods_are_views():
    lay = ActionLayout(2, 2, 2)
    x = np.zeros(lay.N)
    lay.unpack(x)[1, 0, 1] = 5.0
    lay.periods(x)[0, 3] = 7.0
    assert x[1 * 4 + 0 * 2 + 1] == 5.0 and x[0 * 4 + 1 * 2 + 1] == 7.0


@pytest.mark.parametrize("T,n,k", SHAPES)
def test_player_slices(T, n, k):
    lay = ActionLayout(T, n, k)
    x = labelled(lay)
    seen = []
    for i in range(n):
        idx = lay.own_index(i)
        expected = np.array([t * lay.m + i * k + c for t in range(T) for c in range(k)])
        np.testing.assert_array_equal(idx, expected)
        seen.extend(idx)
        own = lay.own(x, i)
        assert own.shape == (T, k)
        np.testing.assert_array_equal(own, lay.unpack(x)[:, i, :])
        np.testing.assert_array_equal(lay.periods(x)[:, lay.own_slice(i)], own)
        np.testing.assert_array_equal(lay.flat_schedules(own), x[idx])
        np.testing.assert_array_equal(lay.schedules(x[idx]), own)
        np.testing.assert_array_equal(lay.own_rows(own), x[idx])
        # with_own replaces player i only, from a schedule or its flat form, and copies
        new = -np.arange(T * k, dtype=float).reshape(T, k) - 1.0
        for given in (new, new.reshape(-1)):
            y = lay.with_own(x, i, given)
            np.testing.assert_array_equal(lay.own(y, i), new)
            others = np.setdiff1d(np.arange(lay.N), idx)
            np.testing.assert_array_equal(y[others], x[others])
        np.testing.assert_array_equal(x, labelled(lay))  # x itself untouched
    # the players' entries partition the profile
    assert sorted(seen) == list(range(lay.N))


@pytest.mark.parametrize("T,n,k", SHAPES)
def test_period_slices_partition_the_profile(T, n, k):
    lay = ActionLayout(T, n, k)
    x = labelled(lay)
    for t in range(T):
        np.testing.assert_array_equal(x[lay.period_slice(t)], lay.periods(x)[t])
        np.testing.assert_array_equal(x[lay.period_slice(0, t)], lay.periods(x)[:t].reshape(-1))
    assert lay.period_slice(0, T) == slice(0, lay.N)


def hand_built_against(lay, i, schedules, x):
    """Paths (T, m, B): one profile per schedule, built entry by entry from the formula."""
    B = len(schedules)
    Z = np.empty((lay.T, lay.m, B))
    for b in range(B):
        y = np.array(x, dtype=float)
        for t, c in itertools.product(range(lay.T), range(lay.k)):
            y[t * lay.m + i * lay.k + c] = schedules[b][t, c]
        Z[:, :, b] = y.reshape(lay.T, lay.m)
    return Z


@pytest.mark.parametrize("T,n,k", SHAPES)
def test_against_equals_a_hand_built_batch(T, n, k):
    lay = ActionLayout(T, n, k)
    rng = np.random.default_rng(T * 100 + n * 10 + k)
    x = rng.uniform(size=lay.N)
    schedules = rng.uniform(size=(5, T, k))
    for i in range(n):
        Z = lay.against(i, schedules, x)
        np.testing.assert_array_equal(Z, hand_built_against(lay, i, schedules, x))
        np.testing.assert_array_equal(lay.against(i, lay.flat_schedules(schedules), x), Z)  # (B, T k) too
        np.testing.assert_array_equal(lay.own_of_paths(Z, i), schedules)
        # the others' actions are x's in every path
        for j in range(n):
            if j != i:
                np.testing.assert_array_equal(lay.own_of_paths(Z, j), np.repeat(lay.own(x, j)[None], 5, axis=0))


@pytest.mark.parametrize("T,n,k", SHAPES)
def test_against_profiles_and_grid_equal_hand_built_batches(T, n, k):
    lay = ActionLayout(T, n, k)
    rng = np.random.default_rng(7)
    X = rng.uniform(size=(4, lay.N))
    schedules = rng.uniform(size=(3, T, k))
    for i in range(n):
        Z = lay.against_profiles(i, schedules[0], X)
        assert Z.shape == (T, lay.m, 4)
        for h in range(4):
            np.testing.assert_array_equal(Z[:, :, h], hand_built_against(lay, i, schedules[:1], X[h])[:, :, 0])
        np.testing.assert_array_equal(lay.against_profiles(i, lay.flat_schedules(schedules[0]), X), Z)
        grid = lay.against_grid(i, schedules, X)
        assert grid.shape == (T, lay.m, 3 * 4)
        for c, h in itertools.product(range(3), range(4)):
            np.testing.assert_array_equal(grid[:, :, c * 4 + h], lay.against_profiles(i, schedules[c], X)[:, :, h])


def test_rows_follow_the_profile_and_own_orders():
    lay = ActionLayout(3, 2, 2)
    rng = np.random.default_rng(1)
    J = rng.uniform(size=(lay.T, lay.n, lay.k, 5))
    flat = lay.pack_rows(J)
    assert flat.shape == (lay.N, 5)
    for t, i, c in itertools.product(range(lay.T), range(lay.n), range(lay.k)):
        np.testing.assert_array_equal(flat[t * lay.m + i * lay.k + c], J[t, i, c])
    H = rng.uniform(size=(lay.T, lay.k, 7))
    rows = lay.own_rows(H)
    assert rows.shape == (lay.T * lay.k, 7)
    for t, c in itertools.product(range(lay.T), range(lay.k)):
        np.testing.assert_array_equal(rows[t * lay.k + c], H[t, c])
