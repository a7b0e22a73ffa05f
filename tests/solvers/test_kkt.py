"""The complementarity reformulation behind the KKT Newton search."""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym.solvers.kkt import mcp_residual, penalized_fischer_burmeister, solve_kkt


def test_penalized_function_is_zero_exactly_at_complementarity():
    a = np.array([0.0, 0.0, 2.0, 0.0, 1.0, -1.0, 0.5, 0.0])
    b = np.array([0.0, 3.0, 0.0, -1.0, 1.0, 0.0, 0.5, 1e-300])
    phi, _, _ = penalized_fischer_burmeister(a, b)
    complementary = (a >= 0) & (b >= 0) & (a * b == 0)
    np.testing.assert_array_equal(phi == 0, complementary)


@pytest.mark.parametrize("seed", range(5))
def test_penalized_function_slopes_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=200) * 3, rng.normal(size=200) * 3
    keep = (np.abs(a) > 1e-3) & (np.abs(b) > 1e-3) & (np.abs(b - 1) > 1e-3)  # away from the kinks
    a, b = a[keep], b[keep]
    _, da, db = penalized_fischer_burmeister(a, b)
    h = 1e-6
    fa = (penalized_fischer_burmeister(a + h, b)[0] - penalized_fischer_burmeister(a - h, b)[0]) / (2 * h)
    fb = (penalized_fischer_burmeister(a, b + h)[0] - penalized_fischer_burmeister(a, b - h)[0]) / (2 * h)
    np.testing.assert_allclose(da, fa, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, fb, rtol=1e-6, atol=1e-8)


def test_residual_grows_where_plain_fischer_burmeister_levels_off():
    """Far out along an input whose condition is a constant price, plain FB levels off at the
    price (a plateau where Newton wanders); the penalized residual grows, so a search leaves."""
    x = np.array([1e1, 1e3, 1e5])
    F = np.full(3, 0.05)  # minus the scaled gradient: the price, the payoff flat
    lower, upper = np.zeros(3), np.full(3, np.inf)
    phi, _, _ = mcp_residual(x, F, lower, upper, penalized=True)
    assert np.all(np.diff(phi) > 0) and phi[-1] > 1.0
    plain, _, _ = mcp_residual(x, F, lower, upper)
    np.testing.assert_allclose(plain, F, rtol=1e-2)


def test_penalty_is_capped_near_a_singular_corner():
    """a -> 0 with an infinite slope (b -> inf): the row stays linear in a (Newton keeps its rate)."""
    a = np.array([1e-2, 1e-4, 1e-6])
    b = 1.0 / np.sqrt(a)  # the slope of a payoff like C - D sqrt(x) near 0
    phi, da, _ = penalized_fischer_burmeister(a, b)
    np.testing.assert_allclose(phi / a, 1.0, rtol=1e-3)
    np.testing.assert_allclose(da, 1.0, rtol=1e-3)


@pytest.mark.parametrize("theta, r", [(0.9, 0.05), (0.95, 0.1), (1.0, 0.02)])
def test_newton_from_the_default_start_reaches_the_equilibrium_when_safety_erodes_fast(theta, r):
    """With theta near 1, the Newton search from the default start drifts to huge x_p (where the
    Fischer–Burmeister merit fades); the penalized rescue from the same start reaches the
    equilibrium, so the solve needs no best-response start."""
    agg = dp.Scenario.from_params(n=2, r=[r], varying="r", theta=theta).aggregators[0]
    game = agg.game(1)
    run = solve_kkt(game, agg._init(None, 1))
    assert run.converged and run.iterations < 40
    res = agg.solve(1)
    assert res.success
    np.testing.assert_allclose(res.strategies.data.ravel(), run.x, rtol=1e-9, atol=1e-12)
    assert not any("best response" in note for note in res.notes)
