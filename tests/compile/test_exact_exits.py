"""Values and slopes at exact zeros (players who give up) equal the model's documented limits.

docs/model.md, "Values at exact zeros": with theta_i > 0 and p_i = 0, s_i/(1+s_i) = 1 when
x_s,i > 0 and 0 when also x_s,i = 0; the Tullock contest with sum_k p_k = 0 gives q = 0;
0^0 = 1, so theta = 0 is ordinary. The limits below are written independently in numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp
from conftest import combine_risk
from dynapai_sym import models


def limit_payoff(xs, xp, A, alpha, B, beta, theta, d, r, *, risk, w, csf, kappa=1.0):
    """The one-period payoff with the documented limits at exact zeros (numpy, independent)."""
    n = len(xs)
    p = B * xp**beta
    a = A * xs**alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        den = a + p**theta  # 0^0 = 1: theta = 0 is ordinary
        safe = np.where(den > 0, a / den, 0.0)  # p = 0, theta > 0: 1 if x_s > 0, else 0
        total = p.sum()
        q = (np.where(total > 0, p / total, 0.0) if csf == "default" else kappa * p / (1 + kappa * total))
    sigma = combine_risk(safe, risk, w)
    u = np.array([sigma[i] * q[i] - d[i] * np.sum((1 - sigma) * q) - r[i] * (xs[i] + xp[i]) for i in range(n)])
    return u, sigma, q


EXITS = {
    "one gives up": ([1.3, 0.0, 0.7], [0.9, 0.0, 1.1]),
    "no performance, some safety": ([1.3, 0.4, 0.7], [0.9, 0.0, 1.1]),
    "two give up": ([0.0, 0.0, 0.7], [0.0, 0.0, 1.1]),
    "everyone gives up": ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    "nobody performs": ([0.5, 0.0, 0.2], [0.0, 0.0, 0.0]),
}


def _model(risk, csf, theta, seed=5):
    rng = np.random.default_rng(seed)
    n = 3
    A, B = rng.uniform(5, 20, n), rng.uniform(5, 20, n)
    alpha, beta = rng.uniform(0.3, 0.7, n), rng.uniform(0.3, 0.7, n)
    d, r, w = rng.uniform(0, 2, n), rng.uniform(0.02, 0.2, n), rng.uniform(0.5, 2, n)
    risk_func = {"winner_only": dp.RiskFunc.winner_only(theta),
                 "multiplicative": dp.RiskFunc.multiplicative(theta, w),
                 "additive": dp.RiskFunc.additive(theta, w)}[risk]
    csf_obj = dp.CSF.default() if csf == "default" else dp.CSF.maybe_no_win(0.8)
    pf = dp.PayoffFunc(dp.ProdFunc(A, alpha, B, beta), risk_func, d=d, r=r, csf=csf_obj)
    return pf, dict(A=A, alpha=alpha, B=B, beta=beta, theta=np.asarray(theta, float), d=d, r=r, w=w)


@pytest.mark.parametrize("risk", ["winner_only", "multiplicative", "additive"])
@pytest.mark.parametrize("csf", ["default", "maybe_no_win"])
@pytest.mark.parametrize("case", sorted(EXITS))
def test_values_at_exact_zeros_are_the_documented_limits(risk, csf, case):
    theta = [0.5, 0.8, 0.0]  # the third player's theta = 0: ordinary even at p = 0
    pf, par = _model(risk, csf, theta)
    xs, xp = (np.array(v) for v in EXITS[case])
    u, sigma, q = limit_payoff(xs, xp, **par, risk=risk, csf=csf, kappa=0.8)
    actions = dp.Actions.from_inputs(xs, xp)
    got = pf(actions)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, u, rtol=1e-12, atol=1e-14)
    qty = pf.quantities(actions)
    np.testing.assert_allclose(qty["sigma"], sigma, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(qty["q"], q, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("risk", ["winner_only", "multiplicative", "additive"])
@pytest.mark.parametrize("case", ["one gives up", "two give up", "no performance, some safety"])
def test_slopes_of_players_still_in_the_race_are_the_limits(risk, case):
    """At an exit profile the other players' own slopes are finite and equal finite differences of
    the (now defined) payoff; the exiting player's own inputs are singular corners."""
    pf, _ = _model(risk, "default", [0.5, 0.8, 0.3])
    z = np.column_stack(EXITS[case]).reshape(-1)
    g, _ = pf.compiled.static(z, pf.state_vector(), pf.param_vector())
    h = 1e-6
    for i in range(3):
        for c in range(2):
            j = 2 * i + c
            if z[j] == 0.0:
                continue  # on the bound: a one-sided, possibly infinite slope
            up, down = z.copy(), z.copy()
            up[j] += h
            down[j] -= h
            fd = (pf(up.reshape(3, 2))[i] - pf(down.reshape(3, 2))[i]) / (2 * h)
            assert np.isfinite(g[i, c])
            assert g[i, c] == pytest.approx(fd, rel=1e-6, abs=1e-8), (i, c)
    game = dp.Aggregator(pf).game(1)
    G = game.kkt_function(z)
    corners = game.singular_corners(z, G)
    gave_up = [j for j in range(6) if z[j] == 0.0 and z[j - (j % 2)] == 0.0 and z[j - (j % 2) + 1] == 0.0]
    assert all(corners[j] for j in gave_up)


def test_multi_period_payoffs_are_defined_when_a_player_sits_a_period_out():
    agg = models.invest_aggregator(2, end_on_win=True)
    X = np.full((3, 2, 4), 0.5)
    X[1, 1, :] = 0.0  # player 2 sits period 1 out entirely
    U = agg.u(dp.Strategies(X))
    assert np.all(np.isfinite(U))
    # the limit is approached continuously
    Y = X.copy()
    Y[1, 1, :2] = 1e-14
    np.testing.assert_allclose(agg.u(dp.Strategies(Y)), U, atol=1e-5)


def test_an_exit_equilibrium_is_certified_exactly_at_zero():
    """Two strong players race; two weak ones (costly inputs) give up: exactly 0, certified."""
    prod = dp.ProdFunc(a=[10, 10, 3, 3.0], alpha=[0.5] * 4, b=[10, 10, 3, 3.0], beta=[0.5] * 4)
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.5] * 4), d=[1.0] * 4, r=[0.1, 0.1, 0.6, 0.6])
    agg = dp.Aggregator(pf)
    res = agg.solve()
    assert res.success, res.message
    X = res.strategies.data[0]
    assert np.all(X[2:] == 0.0) and np.all(X[:2] > 0.1)
    assert res.kkt_residual <= 1e-10
    # nobody gains by an independent search from here, the weak players included
    from conftest import independent_best_gain

    assert np.all(independent_best_gain(agg, res, starts=4) <= 1e-7 * (1 + np.abs(res.payoffs)))
