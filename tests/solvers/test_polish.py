"""Newton in log coordinates on the free inputs (``solvers/polish.py``)."""

import numpy as np
import pytest

from dynapai_sym.solvers.kkt import solve_kkt
from dynapai_sym.solvers.polish import log_newton, met_to_rounding, rounding_allowance


class _TinyRoot:
    r"""Conditions of three inputs:

    * :math:`G_0 = c\,x_0^{-1/2} - 1`, root :math:`x_0^* = c^2` (``c = 2e-6``: 4e-12), the slope
      of a production term :math:`x^{1/2}` minus a price, far below the others;
    * :math:`G_1 = 1 - x_1 + 0.1\,x_0^{1/2}`, an ordinary input of order one that depends on it;
    * :math:`G_2 = -1`: an input pushed to its bound, started just above it.
    """

    static = True

    def __init__(self, c: float = 2e-6):
        self.c = c
        self.lower = np.zeros(3)
        self.upper = np.full(3, np.inf)
        self.evaluations = 0

    def kkt_function(self, x):
        self.evaluations += 1
        with np.errstate(all="ignore"):
            return np.array([self.c / np.sqrt(x[0]) - 1.0, 1.0 - x[1] + 0.1 * np.sqrt(x[0]), -1.0])

    def kkt_jacobian(self, x):
        G = self.kkt_function(x)
        J = np.zeros((3, 3))
        with np.errstate(all="ignore"):
            J[0, 0] = -0.5 * self.c * x[0] ** -1.5
            J[1, 0] = 0.05 / np.sqrt(x[0])
        J[1, 1] = -1.0
        return G, J

    def singular_corners(self, x, G, JG=None):
        return (x <= self.lower) & ~np.isfinite(G)

    def payoffs(self, x):
        return np.zeros(1)

    def natural_residual(self, x, G=None):
        G = self.kkt_function(x) if G is None else G
        return x - np.maximum(x + G, self.lower)

    def kkt_residual(self, x, G=None):
        return float(np.max(np.abs(self.natural_residual(x, G))))


def test_log_newton_finds_a_root_twelve_orders_below_the_other_inputs():
    game = _TinyRoot()
    run = log_newton(game, np.array([1e-6, 0.5, 1e-15]), tol=1e-12)
    assert run.converged, run.message
    np.testing.assert_allclose(run.x[0], 4e-12, rtol=1e-9)
    np.testing.assert_allclose(run.x[1], 1.0 + 0.1 * 2e-6, rtol=1e-12)
    assert run.x[2] == 1e-15  # held: its condition pushes it to the bound and it is within 1e-11 of it
    assert run.residual <= 1e-12
    assert run.iterations <= 30


@pytest.mark.parametrize("start", [1e-14, 1e-9, 1e-2])
def test_log_newton_converges_from_far_below_and_above_the_root(start):
    run = log_newton(_TinyRoot(), np.array([start, 2.0, 0.0]), tol=1e-12)
    assert run.converged, run.message
    np.testing.assert_allclose(run.x[0], 4e-12, rtol=1e-9)


def test_newton_in_the_inputs_does_not_reach_the_tiny_root_from_far_above_but_log_newton_does():
    """The motivation: steps in x overshoot to the bound, where the condition is not finite."""
    start = np.array([1e-2, 2.0, 0.0])
    plain = solve_kkt(_TinyRoot(), start, tol=1e-12, max_iter=40)
    polished = log_newton(_TinyRoot(), start, tol=1e-12, max_iter=40)
    assert polished.converged
    assert not plain.converged or plain.iterations > polished.iterations


def test_log_newton_reports_a_stall_and_keeps_the_best_point():
    class _NoRoot(_TinyRoot):
        def kkt_function(self, x):  # G_0 = 1 + x0 > 0 for every x0 >= 0: no root, the input grows
            G = super().kkt_function(x)
            G[0] = 1.0 + 0.0 * x[0]
            return G

        def kkt_jacobian(self, x):
            G, J = super().kkt_jacobian(x)
            J[0, 0] = 0.0
            J[1, 0] = 0.0
            return G, J

    run = log_newton(_NoRoot(), np.array([1e-3, 1.0, 0.0]), tol=1e-12)
    assert not run.converged
    assert run.message in ("stalled", "iteration limit")
    assert np.all(np.isfinite(run.x))


class _Fixed:
    """Conditions given as numbers (natural residual only)."""

    def __init__(self, G):
        self.G = np.asarray(G, dtype=float)
        self.lower = np.zeros(len(self.G))
        self.upper = np.full(len(self.G), np.inf)

    def natural_residual(self, x, G=None):
        return x - np.maximum(x + self.G, self.lower)


def test_a_condition_too_steep_to_resolve_in_floating_point_counts_as_met_within_four_ulps():
    """At x = 4e-12 one unit in the last place is 8e-28; with a slope of 7.5e18 the condition moves
    by 6e-9 per unit: a residual of 1.9e-8 is within four of them. The same residual with a slope
    of 1e17 (0.1e-9 per unit), or at an ordinary input, is not."""
    x = np.array([4e-12, 0.5])
    game = _Fixed([1.9e-8, 0.0])
    steep = np.diag([-7.5e18, -1.0])
    assert met_to_rounding(game, x, game.G, steep, 1e-8)
    assert not met_to_rounding(game, x, game.G, np.diag([-1e17, -1.0]), 1e-8)
    assert not met_to_rounding(game, x, game.G, None, 1e-8)
    ordinary = _Fixed([0.0, 1.9e-8])
    assert not met_to_rounding(ordinary, x, ordinary.G, steep, 1e-8)
    allowance = rounding_allowance(x, steep)
    np.testing.assert_allclose(allowance[0], 4 * 7.5e18 * np.spacing(4e-12))
    assert allowance[1] < 1e-15


def test_a_slope_that_is_not_a_number_gives_no_allowance():
    x = np.array([4e-12])
    game = _Fixed([1.9e-8])
    assert not met_to_rounding(game, x, game.G, np.array([[np.nan]]), 1e-8)
    assert not met_to_rounding(game, x, game.G, np.array([[-np.inf]]), 1e-8)
