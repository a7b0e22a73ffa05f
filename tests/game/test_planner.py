"""The planner's optimum: a 1-D symmetric reduction, an unattained supremum, independent searches."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import brentq, minimize

import dynapai_sym as dp
from dynapai_sym import models
from dynapai_sym.errors import InvalidArgumentError, InvalidTypeError


def _symmetric_model(n, A, B, alpha, beta, theta, d, r, kappa):
    prod = dp.ProdFunc(a=np.full(n, A), alpha=np.full(n, alpha), b=np.full(n, B), beta=np.full(n, beta))
    pf = dp.PayoffFunc(prod_func=prod, risk_func=dp.RiskFunc.winner_only(np.full(n, theta)),
                       csf=dp.CSF.maybe_no_win(kappa), d=np.full(n, d), r=np.full(n, r))
    return dp.Aggregator(pf)


def symmetric_planner(n, A, B, alpha, beta, theta, d, r, kappa):
    r"""The planner's symmetric optimum by the 1-D reduction of docs/model.md.

    At a symmetric profile (x_s, x_p) = (a, b): p = B b^beta, s = A a^alpha p^-theta,
    sigma = s/(1+s), q = kappa p/(1 + n kappa p) and W = n [q (sigma (1 + n d) - n d) - r (a + b)].
    For fixed b the safety condition q (1 + n d) alpha s / (a (1 + s)^2) = r has one root a*(b)
    (its left side falls in a); by the envelope theorem the optimum solves
    dW/db = n [q' (sigma (1 + n d) - n d) - q (1 + n d) sigma (1 - sigma) beta theta / b - r] = 0
    with q' = kappa beta p / (b (1 + n kappa p)^2), at a = a*(b).
    """
    def parts(a, b):
        p = B * b**beta
        s = A * a**alpha * p ** (-theta)
        return p, s, s / (1 + s), kappa * p / (1 + n * kappa * p)

    def a_star(b):
        def foc(a):
            _, s, _, q = parts(a, b)
            return q * (1 + n * d) * alpha * s / (a * (1 + s) ** 2) - r
        return brentq(foc, 1e-14, 1e6, xtol=1e-16, rtol=1e-15, maxiter=500)

    def dW_db(b):
        a = a_star(b)
        p, _, sig, q = parts(a, b)
        dq = kappa * beta * p / (b * (1 + n * kappa * p) ** 2)
        return dq * (sig * (1 + n * d) - n * d) - q * (1 + n * d) * sig * (1 - sig) * beta * theta / b - r

    bs = np.geomspace(1e-6, 1e3, 400)
    vals = [dW_db(b) for b in bs]
    k = next(j for j in range(len(bs) - 1) if vals[j] > 0 >= vals[j + 1])
    b = brentq(dW_db, bs[k], bs[k + 1], xtol=1e-16, rtol=1e-15, maxiter=500)
    a = a_star(b)
    p, _, sig, q = parts(a, b)
    return a, b, n * (q * (sig * (1 + n * d) - n * d) - r * (a + b))


SYMMETRIC = [
    dict(n=2, A=10.0, B=1.0, alpha=0.5, beta=0.5, theta=0.5, d=1.0, r=0.1, kappa=1.0),
    dict(n=3, A=10.0, B=1.0, alpha=0.5, beta=0.5, theta=0.5, d=1.0, r=0.1, kappa=1.0),
    dict(n=4, A=10.0, B=1.0, alpha=0.5, beta=0.5, theta=0.5, d=1.0, r=0.1, kappa=1.0),
    dict(n=2, A=20.0, B=1.0, alpha=0.4, beta=0.5, theta=0.3, d=2.0, r=0.05, kappa=1.0),
]


@pytest.mark.parametrize("params", SYMMETRIC, ids=lambda p: f"n{p['n']}-A{p['A']}")
def test_symmetric_static_planner_matches_the_1d_reduction(params):
    agg = _symmetric_model(**params)
    res = agg.solve_planner()
    assert res.success and res.status == "certified optimum"
    a, b, W = symmetric_planner(**params)
    X = res.strategies.data[0]
    assert np.max(np.abs(X[:, 0] - a)) < 1e-10
    assert np.max(np.abs(X[:, 1] - b)) < 1e-10
    assert res.welfare == pytest.approx(W, abs=1e-12)
    assert res.kkt_residual < 1e-10
    nash = agg.solve()
    assert nash.success
    assert res.welfare >= nash.payoffs.sum()
    assert np.allclose(res.payoffs, agg.u(res), rtol=1e-12)


def test_planner_may_prefer_one_racer_to_the_symmetric_profile():
    # cheap performance and a scarce prize: one racer pays the safety cost once
    params = dict(n=2, A=5.0, B=2.0, alpha=0.6, beta=0.4, theta=0.3, d=0.5, r=0.05, kappa=2.0)
    agg = _symmetric_model(**params)
    res = agg.solve_planner()
    assert res.success
    _, _, W_sym = symmetric_planner(**params)
    assert res.welfare > W_sym + 1e-3
    X = res.strategies.data[0]
    assert np.sum(np.all(X == 0.0, axis=1)) == 1  # exactly one player stays out, at exactly 0
    assert res.welfare >= agg.solve().payoffs.sum()


def test_tullock_readme_model_is_an_unattained_supremum():
    agg = dp.Aggregator(models.readme_payoff())
    res = agg.solve_planner()
    assert not res.success
    assert res.status == "unattained supremum"
    # the supremum: someone always wins, so W <= sum_j q_j (sigma_j - (1 - sigma_j) d) <= 1 (d = 1, win 1)
    assert res.limit == pytest.approx(1.0, abs=1e-4)
    assert res.welfare < 1.0
    assert "no optimum attained" in res.message
    values = [w for _, w in res.floors]
    assert values[0] < values[1] < values[2] < 1.0
    # the path: x_s = eps, x_p = eps^3 for both players; welfare rises towards the limit
    pf = agg.state.beliefs[0]
    path = [pf(dp.Actions.from_inputs([e, e], [e**3, e**3])).sum() for e in (1e-1, 1e-3, 1e-5, 1e-8)]
    assert np.all(np.diff(path) > 0) and path[-1] < res.limit + 1e-9
    nash = agg.solve()
    assert res.limit >= nash.payoffs.sum()
    gap = agg.welfare_gap()
    assert gap.welfare_planner == pytest.approx(res.limit)
    assert gap.welfare_planner >= gap.welfare_nash


def _asymmetric_three():
    prod = dp.ProdFunc(a=[8.0, 10.0, 12.0], alpha=[0.5, 0.4, 0.6], b=[1.0, 1.5, 0.8], beta=[0.5, 0.6, 0.4])
    pf = dp.PayoffFunc(prod_func=prod, risk_func=dp.RiskFunc.winner_only([0.5, 0.3, 0.4]),
                       csf=dp.CSF.maybe_no_win(1.5), d=[1.0, 0.5, 2.0], r=[0.1, 0.08, 0.12])
    return dp.Aggregator(pf)


def _independent_welfare(x, weights):
    """u_i of the model of _asymmetric_three written out in numpy (maybe-no-win, winner-only risk)."""
    A, al = np.array([8.0, 10.0, 12.0]), np.array([0.5, 0.4, 0.6])
    B, be = np.array([1.0, 1.5, 0.8]), np.array([0.5, 0.6, 0.4])
    th, d, r, kappa = np.array([0.5, 0.3, 0.4]), np.array([1.0, 0.5, 2.0]), np.array([0.1, 0.08, 0.12]), 1.5
    xs, xp = x[0::2], x[1::2]
    p = B * xp**be
    top = A * xs**al
    den = top + p**th
    safe = np.divide(top, den, out=np.zeros(3), where=den > 0)  # a player with no inputs: q = 0 anyway
    q = kappa * p / (1 + kappa * p.sum())
    u = safe * q - d * np.sum((1 - safe) * q) - r * (xs + xp)
    return float(weights @ u)


@pytest.mark.parametrize("weights", [None, [1.0, 2.0, 0.5]])
def test_asymmetric_three_players_against_an_independent_multistart_search(weights):
    agg = _asymmetric_three()
    res = agg.solve_planner(weights=weights)
    assert res.success, res.message
    w = np.ones(3) if weights is None else np.asarray(weights)
    x = res.strategies.data.reshape(-1)
    assert res.welfare == pytest.approx(_independent_welfare(x, w), rel=1e-12)
    rng = np.random.default_rng(12345)
    best = -np.inf
    # L-BFGS-B in log coordinates from random starts (numeric gradients), for every set of players
    # in the race (the others at exactly 0: no interior search reaches a corner exactly)
    for active in itertools.chain.from_iterable(itertools.combinations(range(3), c) for c in (1, 2, 3)):
        cols = np.array([2 * i + c for i in active for c in (0, 1)])

        def neg(v, cols=cols):
            full = np.zeros(6)
            full[cols] = np.exp(v)
            return -_independent_welfare(full, w)

        for _ in range(8):
            out = minimize(neg, np.log(rng.uniform(0.01, 3.0, cols.size)), method="L-BFGS-B",
                           bounds=[(-30, 5)] * cols.size, options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 3000})
            best = max(best, -out.fun)
    assert best <= res.welfare + 1e-9
    assert best >= res.welfare - 1e-8  # the independent search finds the same optimum
    nash = agg.solve()
    assert nash.success
    assert res.welfare >= float(w @ nash.payoffs)


@pytest.mark.parametrize("make,T", [(lambda: models.basic_aggregator(2, end_on_win=True), 3),
                                    (lambda: models.basic_aggregator(2, end_on_win=True), 5),
                                    (lambda: models.invest_aggregator(2, end_on_win=True), 2),
                                    (lambda: models.sharing_aggregator(2), 2)])
def test_multi_period_planner_is_certified_and_beats_nash(make, T):
    agg = make()
    gap = agg.welfare_gap(T)
    res = gap.planner
    assert res.success, res.message
    assert res.kkt_residual < 1e-8
    assert res.welfare == pytest.approx(float(agg.u(res).sum()), rel=1e-12)
    assert gap.nash.success
    assert res.welfare >= gap.nash.payoffs.sum() - 1e-12
    assert gap.welfare_difference >= 0
    assert 0 <= gap.safety_planner <= 1 and 0 <= gap.safety_nash <= 1
    # a local perturbation never gains
    x = res.strategies.data
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = np.clip(x * (1 + 1e-3 * rng.standard_normal(x.shape)), 0, None)
        if agg.k == 6:
            y[..., 4:] = np.clip(y[..., 4:], 0, 1)
        assert agg.u(y).sum() <= res.welfare + 1e-12


def test_heterogeneous_beliefs_use_the_chosen_belief():
    base = models.basic_aggregator(2, end_on_win=True).state.beliefs[0]
    optimist = base.replace(d=[0.2, 0.2])
    agg = dp.Aggregator([base, optimist])
    r0 = agg.solve_planner(belief=0)
    r1 = agg.solve_planner(belief=1)
    assert r0.success and r1.success
    assert r0.belief == 0 and r1.belief == 1
    # each planner's welfare is the sum of the objectives under its own belief
    W0 = dp.Aggregator(base).u(r0).sum()
    W1 = dp.Aggregator(optimist).u(r1).sum()
    assert r0.welfare == pytest.approx(W0, rel=1e-12)
    assert r1.welfare == pytest.approx(W1, rel=1e-12)
    assert r1.welfare > r0.welfare  # a lower disaster cost is worth more
    with pytest.raises(InvalidArgumentError, match="belief"):
        agg.solve_planner(belief=2)
    with pytest.raises(InvalidTypeError, match="belief"):
        agg.solve_planner(belief="first")


def test_welfare_gap_measures():
    agg = models.basic_aggregator(2, end_on_win=True)
    gap = agg.welfare_gap()
    W_n, W_p = gap.nash.payoffs.sum(), gap.planner.welfare
    assert gap.welfare_nash == pytest.approx(W_n, rel=1e-12)
    assert gap.price_of_anarchy == pytest.approx(W_p / W_n)
    assert gap.welfare_difference == pytest.approx(W_p - W_n)
    assert np.allclose(gap.payoff_change, gap.planner.payoffs - gap.nash.payoffs)
    # one period: no disaster with probability 1 - sum_j q_j (1 - sigma_j)
    for res, safety in ((gap.nash, gap.safety_nash), (gap.planner, gap.safety_planner)):
        assert safety == pytest.approx(1 - np.sum(res.q[0] * (1 - res.sigma[0])))
    assert gap.safety_gap == pytest.approx(gap.safety_planner - gap.safety_nash)
    assert gap.safety_gap > 0  # the planner races less and more safely
    d = gap.as_dict()
    assert set(d) >= {"price_of_anarchy", "safety_gap", "payoff_change_1", "payoff_change_2"}
    assert "price of anarchy" in str(gap)


def test_multi_period_safety_is_the_probability_of_no_disaster_over_the_horizon():
    agg = models.basic_aggregator(2, end_on_win=True)
    gap = agg.welfare_gap(3)
    for res, safety in ((gap.nash, gap.safety_nash), (gap.planner, gap.safety_planner)):
        D = np.sum(res.q * (1 - res.sigma), axis=1)
        Q = np.sum(res.q, axis=1)
        reach = np.array([1.0, 1 - Q[0], (1 - Q[0]) * (1 - Q[1])])
        assert safety == pytest.approx(1 - np.sum(reach * D), rel=1e-12)


def test_bad_planner_arguments():
    agg = models.basic_aggregator(2, end_on_win=True)
    with pytest.raises(InvalidArgumentError, match="weights"):
        agg.solve_planner(weights=[0.0, 0.0])
    with pytest.raises(InvalidArgumentError, match="weights"):
        agg.solve_planner(weights=[1.0, -1.0])
    with pytest.raises(InvalidArgumentError, match="t"):
        agg.solve_planner(t=0)
