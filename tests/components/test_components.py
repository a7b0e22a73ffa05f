"""Values of each component against hand computation (the one-period model of docs/model.md)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynapai_sym as dp
from conftest import combine_risk
from dynapai_sym import models


def hand_payoff(xs, xp, A, alpha, B, beta, theta, d, r, *, risk="winner_only", w=None,
                csf="default", kappa=1.0, rho=None, dmat=None, disaster="per_winner", cost=None):
    """Straightforward numpy implementation of the one-period model (docs/model.md), written independently."""
    n = len(xs)
    p = B * xp**beta
    s = A * xs**alpha * p ** (-theta)
    sigma = combine_risk(s / (1 + s), risk, w)
    q = p / p.sum() if csf == "default" else kappa * p / (1 + kappa * p.sum())
    rho = np.eye(n) if rho is None else rho
    dmat = np.repeat(np.asarray(d)[:, None], n, axis=1) if dmat is None else dmat
    c = r * (xs + xp) if cost is None else cost
    u = np.empty(n)
    for i in range(n):
        reward = np.sum(sigma * q * rho[i])
        if disaster == "per_winner":
            loss = np.sum((1 - sigma) * q * dmat[i])
        else:
            loss = (1 - np.sum(sigma * q)) * dmat[i, i]
        u[i] = reward - loss - c[i]
    return u, s, p, sigma, q


def test_readme_example_prints_reference_value(capsys):
    prod_func = dp.ProdFunc(a=[10.0, 10.0], alpha=[0.5, 0.5], b=[10.0, 10.0], beta=[0.5, 0.5])
    payoff_func = dp.PayoffFunc(prod_func=prod_func, risk_func=dp.RiskFunc.winner_only([0.5, 0.5]),
                                d=[1.0, 1.0], r=[0.1, 0.1])
    actions = dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0])
    print(f"Payoff from actions: {payoff_func(actions)}")
    assert capsys.readouterr().out.strip() == "Payoff from actions: [-0.2099315 -0.2099315]"
    np.testing.assert_allclose(payoff_func(actions), [-0.2099315] * 2, atol=5e-8)


@pytest.mark.parametrize("risk", ["winner_only", "multiplicative", "additive"])
@pytest.mark.parametrize("csf", ["default", "maybe_no_win"])
def test_payoff_matches_hand_computation(risk, csf):
    rng = np.random.default_rng(3)
    n = 3
    A, B = rng.uniform(1, 10, n), rng.uniform(1, 10, n)
    alpha, beta, theta = rng.uniform(0.2, 0.9, n), rng.uniform(0.2, 0.9, n), rng.uniform(0, 1, n)
    d, r = rng.uniform(0, 2, n), rng.uniform(0.01, 0.2, n)
    w = rng.uniform(0.5, 2, n)
    xs, xp = rng.uniform(0.1, 3, n), rng.uniform(0.1, 3, n)
    risk_func = {"winner_only": dp.RiskFunc.winner_only(theta),
                 "multiplicative": dp.RiskFunc.multiplicative(theta, w),
                 "additive": dp.RiskFunc.additive(theta, w)}[risk]
    kappa = 0.7
    csf_obj = dp.CSF.default() if csf == "default" else dp.CSF.maybe_no_win(kappa)
    pf = dp.PayoffFunc(dp.ProdFunc(A, alpha, B, beta), risk_func, d=d, r=r, csf=csf_obj)
    u, s, p, sigma, q = hand_payoff(xs, xp, A, alpha, B, beta, theta, d, r, risk=risk, w=w,
                                    csf=csf, kappa=kappa)
    actions = dp.Actions.from_inputs(xs, xp)
    np.testing.assert_allclose(pf(actions), u, rtol=1e-12)
    qty = pf.quantities(actions)
    np.testing.assert_allclose(qty["s"], s, rtol=1e-12)
    np.testing.assert_allclose(qty["p"], p, rtol=1e-12)
    np.testing.assert_allclose(qty["sigma"], sigma, rtol=1e-12)
    np.testing.assert_allclose(qty["q"], q, rtol=1e-12)
    for i in range(n):
        assert pf.u_i(i, actions) == pytest.approx(u[i], rel=1e-12)


def test_linear_reward_and_disaster_matrix():
    rew = dp.RewardFunc.linear_reward(win_a=[1.0, 2.0], win_b=[0.1, 0.2], lose_a=[0.3, -0.1],
                                      lose_b=[0.05, 0.0])
    dmat = np.array([[1.0, 2.0], [0.5, 1.5]])
    prod = dp.ProdFunc([10.0, 8.0], [0.5, 0.6], [10.0, 9.0], [0.5, 0.4])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.5, 0.3]), d=dmat, r=[0.1, 0.2], reward_func=rew)
    xs, xp = np.array([1.0, 2.0]), np.array([0.5, 1.5])
    p = np.array([10.0, 9.0]) * xp ** np.array([0.5, 0.4])
    rho = np.array([[1.0 + 0.1 * p[0], 0.3 + 0.05 * p[0]], [-0.1 + 0.0 * p[1], 2.0 + 0.2 * p[1]]])
    u, *_ = hand_payoff(xs, xp, np.array([10.0, 8.0]), np.array([0.5, 0.6]), np.array([10.0, 9.0]),
                        np.array([0.5, 0.4]), np.array([0.5, 0.3]), None, np.array([0.1, 0.2]),
                        rho=rho, dmat=dmat)
    np.testing.assert_allclose(pf(dp.Actions.from_inputs(xs, xp)), u, rtol=1e-12)


def test_disaster_forms_agree_iff_someone_always_wins():
    prod = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [10.0, 10.0], [0.5, 0.5])
    risk = dp.RiskFunc.winner_only([0.5, 0.5])
    acts = dp.Actions.from_inputs([1.0, 0.5], [2.0, 0.3])
    per_winner = dp.PayoffFunc(prod, risk, d=[1.0, 2.0], r=[0.1, 0.1])
    assert per_winner.disaster == "per_winner"
    old = dp.PayoffFunc(prod, risk, d=[1.0, 2.0], r=[0.1, 0.1], disaster="complement")
    np.testing.assert_allclose(per_winner(acts), old(acts), rtol=1e-12)
    per_winner_nw = dp.PayoffFunc(prod, risk, d=[1.0, 2.0], r=[0.1, 0.1], csf=dp.CSF.maybe_no_win(0.1))
    old_nw = dp.PayoffFunc(prod, risk, d=[1.0, 2.0], r=[0.1, 0.1], csf=dp.CSF.maybe_no_win(0.1),
                           disaster="complement")
    q = 0.1 * np.array([10 * 2**0.5, 10 * 0.3**0.5])
    q = q / (1 + q.sum())
    # the complement form also charges d_i when nobody wins: difference = (1 - sum q) d_i
    np.testing.assert_allclose(per_winner_nw(acts) - old_nw(acts), (1 - q.sum()) * np.array([1.0, 2.0]),
                               rtol=1e-10)
    # the older name of the default form still works, with a deprecation warning
    with pytest.warns(DeprecationWarning, match="per_winner"):
        alias = dp.PayoffFunc(prod, risk, d=[1.0, 2.0], r=[0.1, 0.1], csf=dp.CSF.maybe_no_win(0.1),
                              disaster="seed")
    assert alias.disaster == "per_winner"
    np.testing.assert_allclose(alias(acts), per_winner_nw(acts), rtol=1e-12)
    with pytest.raises(ValueError, match="disaster must be one of"):
        dp.PayoffFunc(prod, risk, d=[1.0, 2.0], r=[0.1, 0.1], disaster="winner")


def test_costs():
    n = 2
    X = np.array([[1.0, 2.0, 0.5, 0.25, 0.2, 0.4], [3.0, 1.0, 0.0, 1.0, 0.6, 0.0]])
    r, ri, rs = np.array([0.1, 0.2]), np.array([0.01, 0.03]), np.array([0.5, 0.7])
    cf = dp.CostFunc.fixed_sharing(r, ri, rs)
    sym = cf.cost(dp.symbols.action_symbols(n, 6), None, None)
    vals = {s: v for s, v in cf.param_values.items()}
    for i in range(n):
        subs = dict(zip(dp.symbols.action_symbols(n, 6)[i], X[i])) | vals
        expected = r[i] * (X[i, 0] + X[i, 1]) + ri[i] * (X[i, 2] + X[i, 3]) + rs[i] * (X[i, 4] + X[i, 5])
        assert float(sym[i].subs(subs)) == pytest.approx(expected)
    quad = dp.CostFunc.quadratic([0.1, 0.2], [[0.01, 0.02], [0.03, 0.04]])
    qs = quad.cost(dp.symbols.action_symbols(n, 2), None, None)
    subs = {a: v for row, xr in zip(dp.symbols.action_symbols(n, 2), X[:, :2]) for a, v in zip(row, xr)}
    subs |= quad.param_values
    assert float(qs[1].subs(subs)) == pytest.approx(0.2 * 3 + 0.03 * 9 / 2 + 0.2 * 1 + 0.04 * 1 / 2)
    lin = dp.CostFunc.linear(np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]]))
    assert lin.k == 4
    ls = lin.cost(dp.symbols.action_symbols(n, 4), None, None)
    subs = {a: v for row, xr in zip(dp.symbols.action_symbols(n, 4), X[:, :4]) for a, v in zip(row, xr)}
    subs |= lin.param_values
    assert float(ls[0].subs(subs)) == pytest.approx(0.1 * 1 + 0.2 * 2 + 0.3 * 0.5 + 0.4 * 0.25)


def test_each_player_pays_its_own_prices():
    prod = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [10.0, 10.0], [0.5, 0.5])
    risk = dp.RiskFunc.winner_only([0.5, 0.5])
    acts = dp.InvestActions(np.array([[1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 0.0]]))
    cheap = dp.PayoffFunc(prod, risk, d=[1.0, 1.0], r=[0.1, 0.1], r_inv=[0.0, 0.0])
    pricey = dp.PayoffFunc(prod, risk, d=[1.0, 1.0], r=[0.1, 0.1], r_inv=[0.0, 0.5])
    diff = cheap(acts) - pricey(acts)
    np.testing.assert_allclose(diff, [0.0, 0.5], atol=1e-14)


def test_threshold_costs_switch_at_the_safety_threshold():
    prod = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [10.0, 10.0], [0.5, 0.5])
    risk = dp.RiskFunc.winner_only([0.5, 0.5])
    cert = dp.CostFunc.certification(r0=[0.2, 0.2], rs=[0.1, 0.1], s_thresh=3.0)
    pen = dp.CostFunc.penalty(r=[0.1, 0.1], penalty=[0.5, 0.5], s_thresh=3.0)
    base = dp.PayoffFunc(prod, risk, d=[1.0, 1.0], r=[0.1, 0.1])
    acts = dp.Actions.from_inputs([1.0, 0.01], [2.0, 2.0])  # s = [2.66, 0.27]: both below 3
    acts_safe = dp.Actions.from_inputs([4.0, 0.01], [2.0, 2.0])  # s1 = 5.3 above
    pc = dp.PayoffFunc(prod, risk, d=[1.0, 1.0], cost_func=cert)
    pp = dp.PayoffFunc(prod, risk, d=[1.0, 1.0], cost_func=pen)
    np.testing.assert_allclose(base(acts) - pc(acts), 0.1 * (acts.xs + acts.xp), atol=1e-14)
    np.testing.assert_allclose(base(acts_safe) - pc(acts_safe), [0.0, 0.1 * 2.01], atol=1e-14)
    np.testing.assert_allclose(base(acts) - pp(acts), [0.5, 0.5], atol=1e-14)
    np.testing.assert_allclose(base(acts_safe) - pp(acts_safe), [0.0, 0.5], atol=1e-14)
    assert not pc.structure.smooth


def test_custom_contest_with_exponent_matches_hand_formula():
    phi = sp.Symbol("phi")
    csf = dp.CSF.custom(lambda p: [pi**phi / sum(pj**phi for pj in p) for pi in p], params={phi: 2.0})
    pf = dp.PayoffFunc(dp.ProdFunc([10.0] * 2, [0.5] * 2, [10.0] * 2, [0.5] * 2),
                       dp.RiskFunc.winner_only([0.5, 0.5]), d=[1.0, 1.0], r=[0.1, 0.1], csf=csf)
    acts = dp.Actions.from_inputs([1.0, 2.0], [2.0, 1.0])
    qty = pf.quantities(acts)
    p = 10 * np.array([2.0, 1.0]) ** 0.5
    np.testing.assert_allclose(qty["q"], p**2 / np.sum(p**2), rtol=1e-12)
    # expressions written with plain sympy symbols by name work too
    p1, p2 = sp.symbols("p1 p2")
    csf2 = dp.CSF.custom([p1**2 / (p1**2 + p2**2), p2**2 / (p1**2 + p2**2)])
    pf2 = pf.replace(csf=csf2)
    np.testing.assert_allclose(pf2(acts), pf(acts), rtol=1e-12)
    assert pf2.structure.params != pf.structure.params  # phi is a parameter only in the first


def test_custom_risk_function():
    s1, s2 = dp.symbols.intermediate("s", 2)
    risk = dp.RiskFunc.custom([0.5, 0.5], [s1 / (1 + s1) * s2 / (1 + s2)] * 2)
    mult = dp.RiskFunc.multiplicative([0.5, 0.5])
    prod = dp.ProdFunc([10.0] * 2, [0.5] * 2, [10.0] * 2, [0.5] * 2)
    acts = dp.Actions.from_inputs([1.0, 3.0], [2.0, 1.0])
    a = dp.PayoffFunc(prod, risk, d=[1.0, 1.0], r=[0.1, 0.1])
    b = dp.PayoffFunc(prod, mult, d=[1.0, 1.0], r=[0.1, 0.1])  # n / sum w = 1: the same product
    np.testing.assert_allclose(a(acts), b(acts), rtol=1e-12)


def test_parameter_change_does_not_recompile():
    a = models.readme_payoff(theta=0.5)
    b = models.readme_payoff(theta=0.9)
    assert a.structure == b.structure
    assert a.compiled is b.compiled
    acts = dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0])
    assert not np.allclose(a(acts), b(acts))


def test_expand_from_broadcasts_lists():
    prod = dp.ProdFunc([10.0] * 2, [0.5] * 2, [10.0] * 2, [0.5] * 2)
    pfs = dp.PayoffFunc.expand_from(
        prod_func_list=[prod],
        risk_func_list=[dp.RiskFunc.winner_only([0.5, 0.5]), dp.RiskFunc.winner_only([1.0, 1.0])],
        d_list=[[1.0, 1.0]], r_list=[[0.1, 0.1], [0.2, 0.2]], csf_list=[dp.CSF.maybe_no_win()])
    assert len(pfs) == 4
    thetas = sorted({float(pf.risk_func.theta[0]) for pf in pfs})
    assert thetas == [0.5, 1.0]
    assert all(pf.csf.form == "maybe_no_win" for pf in pfs)


def test_actions_types_and_views():
    a = dp.Actions.from_inputs([1.0, 2.0], [3.0, 4.0])
    assert type(a) is dp.Actions and a.n == 2 and a.data.shape == (2, 2)
    np.testing.assert_array_equal(a.xp, [3.0, 4.0])
    b = dp.Actions.from_inputs([1, 2], [3, 4], inv_s=[0, 1], inv_p=[1, 0])
    assert type(b) is dp.InvestActions and b.data.shape == (2, 4)
    c = dp.Actions.from_inputs([1, 2], [3, 4], [0, 1], [1, 0], [0.5, 0.1], [0.2, 0.3])
    assert type(c) is dp.SharingActions
    np.testing.assert_array_equal(c.share_s, [0.5, 0.1])
    s = dp.Strategies([a, a, a])
    assert s.data.shape == (3, 2, 2) and s.t == 3


def test_latex_names_come_from_one_glossary():
    pf = models.readme_payoff()
    text = sp.latex(pf.payoff_expr(0), symbol_names=pf.glossary())
    assert r"x_{s,1}" in text and r"\theta_{1}" in text


def test_models_and_results_survive_pickling():
    """Needed to send work to other processes (joblib, dask)."""
    import pickle

    pf = models.readme_payoff()
    agg = dp.Aggregator(pf)
    res = agg.solve()
    acts = dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0])
    for obj in (pf.prod_func, pf.risk_func, pf.cost_func, acts, res.strategies):
        assert pickle.loads(pickle.dumps(obj)) == obj or type(pickle.loads(pickle.dumps(obj))) is type(obj)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(pf))(acts), pf(acts))
    again = pickle.loads(pickle.dumps(agg)).solve()
    np.testing.assert_allclose(again.strategies.data, res.strategies.data, rtol=1e-12)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(res)).strategies.data, res.strategies.data)


def test_custom_contest_latex_is_written_for_its_own_number_of_players():
    from dynapai_sym.symbols import intermediate

    p = intermediate("p", 3)
    listed = dp.CSF.custom([pj / (1 + sum(p)) for pj in p])
    assert listed.to_latex().count(r"\\") == 2 and "q_{3}" in listed.to_latex()  # three rows, not two
    tullock_squared = dp.CSF.custom(lambda p: [pj**2 / sum(pk**2 for pk in p) for pj in p])
    assert "q_{" not in tullock_squared.to_latex() and "p_n" in tullock_squared.to_latex()  # general form
    assert tullock_squared.to_latex(4).count(r"\\") == 3 and "p_{4}^{2}" in tullock_squared.to_latex(4)
