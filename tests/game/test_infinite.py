"""The infinite horizon: stationary objective, equilibrium, Bellman check, planner."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize

import dynapai_sym as dp
from dynapai_sym import models
from dynapai_sym.errors import InvalidArgumentError


@pytest.fixture(scope="module")
def agg():
    return models.basic_aggregator(2, end_on_win=True)  # gammas 0.1, 0.9; maybe-no-win contest


@pytest.fixture(scope="module")
def stationary(agg):
    return agg.solve(math.inf)


def test_stationary_equilibrium_is_certified(stationary):
    assert stationary.success and stationary.status == "certified equilibrium"
    assert stationary.strategies.t == 1
    assert stationary.kkt_residual < 1e-10
    assert stationary.bellman is not None and stationary.bellman.passed


def test_stationary_value_equals_the_finite_horizon_objective_at_T_2000(agg, stationary):
    x = stationary.strategies.data  # (1, n, k)
    long = np.repeat(x, 2000, axis=0)
    U_finite = agg.u(long)
    assert np.max(np.abs(U_finite - stationary.payoffs)) < 1e-9
    assert np.allclose(agg.u_stationary(stationary), stationary.payoffs, rtol=1e-14)


def test_finite_horizon_first_period_actions_approach_the_stationary_ones(agg, stationary):
    x_inf = stationary.strategies.data[0]
    distances = []
    for T in (1, 2, 4, 8, 16):
        res = agg.solve(T)
        assert res.success
        distances.append(float(np.max(np.abs(res.strategies.data[0] - x_inf))))
    # the sequence measured when this was written: 7.8e-2, 2.7e-2, 3.2e-3, 4.6e-5, 9.4e-9
    assert all(b < a for a, b in zip(distances, distances[1:]))
    assert distances[-1] < 1e-7


def _u_and_Q(x, i):
    """u_i and Q = sum_j q_j of models.basic_aggregator (A = 10, B = 1, alpha = beta = theta = 0.5,
    d = 1, r = 0.1, maybe-no-win with kappa = 1, winner-only risk), written out in numpy."""
    xs, xp = x[:, 0], x[:, 1]
    p = xp**0.5
    top = 10.0 * xs**0.5
    den = top + p**0.5
    safe = np.divide(top, den, out=np.zeros_like(top), where=den > 0)
    q = p / (1.0 + p.sum())
    u = safe[i] * q[i] - np.sum((1.0 - safe) * q) * 1.0 - 0.1 * (xs[i] + xp[i])
    return u, q.sum()


def _bellman(x, i, gamma, V, starts):
    """max over player i's action a of u_i(a, x_-i) + gamma (1 - Q(a, x_-i)) V (multi-start L-BFGS-B)."""
    def rhs(a):
        y = x.copy()
        y[i] = a
        u, Q = _u_and_Q(y, i)
        return u + gamma * (1 - Q) * V

    best, arg = rhs(x[i]), x[i]
    for start in starts:
        out = minimize(lambda a: -rhs(a), start, method="L-BFGS-B", bounds=[(0, None)] * 2,
                       options={"ftol": 1e-15, "gtol": 1e-12})
        if -out.fun > best:
            best, arg = -out.fun, out.x
    return best, arg


def test_bellman_check_is_independently_verified(agg, stationary):
    x = stationary.strategies.data[0]
    gammas = agg.gammas
    rng = np.random.default_rng(7)
    for i in range(2):
        u, Q = _u_and_Q(x, i)
        V = u / (1 - gammas[i] * (1 - Q))
        assert V == pytest.approx(stationary.payoffs[i], rel=1e-12)
        best, _ = _bellman(x, i, gammas[i], V, np.vstack([x[i], rng.uniform(0.0, 3.0, (20, 2))]))
        # the Bellman operator at V_i gives V_i back: the stationary value is its fixed point
        assert best == pytest.approx(V, abs=1e-12)
        assert stationary.bellman.bellman[i] == pytest.approx(V, abs=1e-10)
        # value iteration from 0 converges to the same V_i (a contraction of modulus gamma_i)
        W = 0.0
        for _ in range(500):
            W_new, _ = _bellman(x, i, gammas[i], W, [x[i]])
            if abs(W_new - W) < 1e-13:
                break
            W = W_new
        assert W == pytest.approx(V, abs=1e-9)


def test_a_failed_bellman_check_is_not_success(agg, stationary):
    from dynapai_sym.solvers import SolverOptions
    from dynapai_sym.solvers.stationary import bellman_check
    game = agg.stationary_game()
    x = game.layout.pack(stationary.strategies.data) * np.array([1.5, 1.0, 1.0, 1.0])  # player 1 off its best
    check = bellman_check(game, x, SolverOptions())
    assert not check.passed and check.gains[0] > 1e-6
    assert "player 1" in check.describe()


def test_objective_expr_at_infinity(agg, stationary):
    U = agg.objective_expr(math.inf)
    pf = agg.state.beliefs[0]
    x = stationary.strategies.data[0]
    subs = {s: v for s, v in pf.param_values.items()}
    subs.update({sym: float(v) for sym, v in zip(pf.structure.actions, x.reshape(-1))})
    subs.update({sp.Symbol(f"gamma{i + 1}", positive=True): g for i, g in enumerate(agg.gammas)})
    for i in range(2):
        assert float(U[i].subs(subs)) == pytest.approx(stationary.payoffs[i], rel=1e-12)
    gamma1 = sp.Symbol("gamma1", positive=True)
    assert sp.simplify(U[0] * (1 - gamma1 * (1 - pf.win_probability)) - pf.payoff_expr(0)) == 0


def test_without_end_on_win_the_stationary_equilibrium_is_the_static_one():
    pf = models.readme_payoff()
    agg = dp.Aggregator(pf, gammas=[0.5, 0.8])
    res = agg.solve(math.inf)
    static = dp.Aggregator(pf).solve()
    assert res.success and res.bellman.passed
    assert np.allclose(res.strategies.data, static.strategies.data, atol=1e-9)
    assert np.allclose(res.payoffs, static.payoffs / (1 - np.array([0.5, 0.8])), rtol=1e-9)


def test_moving_state_and_bad_discounts_give_clear_errors():
    with pytest.raises(InvalidArgumentError, match="do not move the state.*investment or sharing"):
        models.invest_aggregator(2, end_on_win=True).solve(math.inf)
    with pytest.raises(InvalidArgumentError, match="do not move the state"):
        models.sharing_aggregator(2).solve_planner(math.inf)
    with pytest.raises(InvalidArgumentError, match="below 1"):
        dp.Aggregator(models.readme_payoff(), gammas=[1.0, 0.9]).solve(math.inf)
    with pytest.raises(InvalidArgumentError, match="gammas"):
        dp.Aggregator(models.readme_payoff()).solve(math.inf)


def test_infinite_horizon_planner(agg, stationary):
    gap = agg.welfare_gap(math.inf)
    assert gap.planner.success, gap.planner.message
    assert gap.planner.horizon == math.inf
    assert gap.planner.welfare >= stationary.payoffs.sum()
    assert gap.planner.welfare == pytest.approx(agg.u_stationary(gap.planner).sum(), rel=1e-12)
    # over an infinite horizon ending on a win, no disaster means the eventual win is safe
    res = gap.nash
    D, Q = np.sum(res.q[0] * (1 - res.sigma[0])), np.sum(res.q[0])
    assert gap.safety_nash == pytest.approx(1 - D / Q)


def test_planner_with_one_discount_factor_passes_its_bellman_check_and_is_approached_in_T(agg):
    same = dp.Aggregator(agg.state, gammas=[0.8, 0.8], end_on_win=True)
    plan = same.solve_planner(math.inf)
    assert plan.success and plan.bellman is not None and plan.bellman.passed
    x = plan.strategies.data[0]
    W = plan.welfare
    # independently: max over the joint profile of sum_i u_i + gamma (1 - Q) W gives W back
    def rhs(v):
        y = v.reshape(2, 2)
        u = sum(_u_and_Q(y, i)[0] for i in range(2))
        return u + 0.8 * (1 - _u_and_Q(y, 0)[1]) * W

    rng = np.random.default_rng(3)
    best = rhs(x.reshape(-1))
    for start in np.vstack([x.reshape(-1), rng.uniform(0.0, 2.0, (20, 4))]):
        out = minimize(lambda v: -rhs(v), start, method="L-BFGS-B", bounds=[(0, None)] * 4,
                       options={"ftol": 1e-15, "gtol": 1e-12})
        best = max(best, -out.fun)
    assert best == pytest.approx(W, abs=1e-10)
    # the finite-horizon planner approaches it from below as T grows
    gaps = []
    for T in (4, 8, 16):
        res = same.solve_planner(T)
        assert res.success
        assert res.welfare <= W + 1e-12
        gaps.append(W - res.welfare)
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-5
    # with different discount factors the planner's optimum is among stationary plans, and says so
    other = agg.solve_planner(math.inf)
    assert other.success and other.bellman is None
    assert any("stationary plans" in note for note in other.notes)


def test_heterogeneous_beliefs_over_the_infinite_horizon():
    base = models.basic_aggregator(2, end_on_win=True).state.beliefs[0]
    optimist = base.replace(d=[0.2, 0.2])
    het = dp.Aggregator([base, optimist], gammas=[0.5, 0.9], end_on_win=True)
    res = het.solve(math.inf)
    assert res.success and res.bellman.passed
    x = res.strategies.data
    # each player's stationary value by its own belief
    for i, pf in enumerate((base, optimist)):
        U = dp.Aggregator(pf, gammas=[0.5, 0.9], end_on_win=True).u_stationary(x)
        assert res.payoffs[i] == pytest.approx(U[i], rel=1e-12)
    gap = het.welfare_gap(math.inf, belief=1)
    assert gap.planner.success and gap.planner.belief == 1
    assert gap.welfare_planner >= gap.welfare_nash
