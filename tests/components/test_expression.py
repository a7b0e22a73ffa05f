"""Components written as player expressions and the payoff written whole: equal to the built-ins when
written as the built-in formulas, one compile per form, symmetry, new parameters, derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynapai_sym as dp
from dynapai_sym import models
from dynapai_sym.compile import compile_model
from dynapai_sym.components import PayoffExpr
from dynapai_sym.errors import InvalidArgumentError

BUILTIN_PARAMS = dict(A=10.0, alpha=0.5, B=10.0, beta=0.5)


def central_jacobian(f, x, eps=1e-6):
    cols = []
    for j in range(len(x)):
        e = np.zeros_like(x)
        e[j] = eps * max(1.0, abs(x[j]))
        cols.append((f(x + e) - f(x - e)) / (2 * e[j]))
    return np.stack(cols, axis=-1)


def written_readme(risk=True, production=True) -> dp.PayoffFunc:
    prod = (dp.ProdFunc.expression(s="A * x_s**alpha * p**(-theta)", p="B * x_p**beta", params=BUILTIN_PARAMS, n=2)
            if production else dp.ProdFunc(a=[10.0, 10.0], alpha=[0.5, 0.5], b=[10.0, 10.0], beta=[0.5, 0.5]))
    risk_func = (dp.RiskFunc.expression("s / (1 + s)", theta=[0.5, 0.5]) if risk
                 else dp.RiskFunc.winner_only([0.5, 0.5]))
    return dp.PayoffFunc(prod, risk_func, d=[1.0, 1.0], r=[0.1, 0.1])


@pytest.mark.parametrize("risk,production", [(True, False), (False, True), (True, True)])
def test_builtin_formulas_written_out_give_the_builtin_equilibrium(risk, production):
    ref = dp.Aggregator(models.readme_payoff()).solve()
    pf = written_readme(risk, production)
    res = dp.Aggregator(pf).solve()
    assert res.success and ref.success
    np.testing.assert_allclose(res.strategies.data, ref.strategies.data, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.payoffs, ref.payoffs, rtol=0, atol=1e-10)
    assert pf.is_symmetric()
    # the same expressions, so the same structure: one compile serves both
    assert pf.structure == models.readme_payoff().structure
    assert pf.compiled is models.readme_payoff().compiled


def test_one_compile_per_form_whatever_the_values():
    compile_model.cache_clear()
    risks = [dp.RiskFunc.expression("s**2 / (k + s**2)", theta=[0.5, 0.5], params={"k": k}) for k in (1.0, 2.0, 3.0)]
    pfs = [dp.PayoffFunc(models.readme_payoff().prod_func, rf, d=[1.0, 1.0], r=[0.1, 0.1]) for rf in risks]
    assert len({id(pf.structure) for pf in pfs}) == 1
    for pf in pfs:
        pf(dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0]))
    assert compile_model.cache_info().misses == 1
    values = [pf(dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0]))[0] for pf in pfs]
    assert values[0] < values[1] < values[2] or values[0] > values[1] > values[2]  # k matters


def test_new_parameters_are_per_player_parameters_of_the_model():
    risk = dp.RiskFunc.expression("s**2 / (k + s**2)", theta=[0.5, 0.5], params={"k": [1.0, 3.0]})
    pf = dp.PayoffFunc(models.readme_payoff().prod_func, risk, d=[1.0, 1.0], r=[0.1, 0.1])
    k1, k2 = sp.Symbol("k1", real=True), sp.Symbol("k2", real=True)
    assert pf.param_values[k1] == 1.0 and pf.param_values[k2] == 3.0
    assert k1 in pf.structure.params and k2 in pf.structure.params
    assert not pf.is_symmetric()
    assert "k_{1}" in pf.to_latex() and "k_{2}" in pf.to_latex()
    sigma = pf.quantities(dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0]))["sigma"]
    s = pf.quantities(dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0]))["s"]
    np.testing.assert_allclose(sigma, s**2 / (np.array([1.0, 3.0]) + s**2), rtol=1e-12)


def test_disaster_and_cost_expressions_match_hand_formulas():
    prod = models.readme_payoff().prod_func
    dis = dp.DisasterCost.expression("d * (1 + h * x_p)", params={"d": 1.0, "h": [0.1, 0.3]})
    cost = dp.CostFunc.expression("r * x_s + r * x_p**2", k=2, params={"r": 0.1}, n=2)
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.5, 0.5]), d=dis, cost_func=cost)
    ref = models.readme_payoff()
    xs, xp = np.array([1.0, 1.5]), np.array([2.0, 0.5])
    act = dp.Actions.from_inputs(xs, xp)
    q = ref.quantities(act)
    d = 1 + np.array([0.1, 0.3]) * xp
    loss = np.array([np.sum((1 - q["sigma"]) * q["q"]) * d[i] for i in range(2)])
    win = q["sigma"] * q["q"]
    expected = win - loss - (0.1 * xs + 0.1 * xp**2)
    np.testing.assert_allclose(pf(act), expected, rtol=1e-12)


def test_payoff_written_whole_reproduces_the_builtin_form_and_can_change_it():
    def u(i, v, lam=None):
        n = len(v.q)
        win = sp.Add(*[v.sigma[j] * v.q[j] * v.rho[i][j] for j in range(n)])
        loss = sp.Add(*[(1 - v.sigma[j]) * v.q[j] * v.d[i][j] for j in range(n)])
        return win - (1 if lam is None else v.param(lam)[i]) * loss - v.c[i]

    ref = models.readme_payoff()
    same = ref.replace(payoff=PayoffExpr(u, n=2))
    weighted = ref.replace(payoff=PayoffExpr(lambda i, v: u(i, v, "lam"), n=2, params={"lam": 3.0}))
    act = dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0])
    np.testing.assert_allclose(same(act), ref(act), rtol=1e-13)
    assert same.is_symmetric() and weighted.is_symmetric()
    q = ref.quantities(act)
    loss = np.sum((1 - q["sigma"]) * q["q"])
    np.testing.assert_allclose(weighted(act), ref(act) - 2.0 * loss, rtol=1e-12)
    res = dp.Aggregator(same).solve()
    np.testing.assert_allclose(res.strategies.data, dp.Aggregator(ref).solve().strategies.data, atol=1e-10)
    asym = ref.replace(payoff=PayoffExpr(lambda i, v: u(i, v) - (v.x_s[0] if i == 0 else 0), n=2))
    assert not asym.is_symmetric()


CASES = {
    "production": lambda: dp.PayoffFunc(
        dp.ProdFunc.expression(s="A * x_s**alpha / (1 + g * p)", p="B * x_p**beta + 0.1 * sqrt(x_s)",
                               params=dict(A=[4.0, 6.0], alpha=0.6, B=[3.0, 5.0], beta=0.4, g=[0.2, 0.5])),
        dp.RiskFunc.expression("s / (1 + s)", theta=[0.3, 0.6]), d=[1.0, 1.5], r=[0.1, 0.2]),
    "risk": lambda: dp.PayoffFunc(
        models.readme_payoff().prod_func,
        dp.RiskFunc.expression("1 - exp(-k * s) * (1 + log(1 + p)) / (2 + p)", theta=[0.5, 0.4],
                               params={"k": [0.7, 1.1]}), d=[1.0, 2.0], r=[0.1, 0.1]),
    "disaster_cost": lambda: dp.PayoffFunc(
        models.readme_payoff().prod_func, dp.RiskFunc.winner_only([0.5, 0.5]),
        d=dp.DisasterCost.expression("d * (1 + h * x_p**2)", params={"d": [1.0, 2.0], "h": 0.2}),
        cost_func=dp.CostFunc.expression("r * (x_s + x_p) + e * s * x_s", k=2, params={"r": 0.1, "e": [0.01, 0.02]})),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_derivatives_of_written_components_match_finite_differences(case):
    pf = CASES[case]()
    model = pf.compiled
    y, th = pf.state_vector(), pf.param_vector()
    rng = np.random.default_rng(3)
    for _ in range(2):
        z = rng.uniform(0.3, 2.5, model.m)
        g, J = model.static(z, y, th)
        U = central_jacobian(lambda v: model.payoffs(v, y, th), z)
        own = np.array([[U[i, i * model.k + c] for c in range(model.k)] for i in range(model.n)])
        np.testing.assert_allclose(g, own, rtol=1e-6, atol=1e-9)
        Jfd = central_jacobian(lambda v: model.static(v, y, th)[0].reshape(-1), z)
        np.testing.assert_allclose(J.reshape(model.m, model.m), Jfd, rtol=1e-5, atol=1e-8)


def test_written_components_refuse_unknown_names_and_missing_values():
    with pytest.raises(InvalidArgumentError, match="unknown name 'q'.*known names"):
        dp.RiskFunc.expression("s / (q + s)", theta=[0.5, 0.5])
    with pytest.raises(InvalidArgumentError, match="unknown name 'k'"):
        dp.ProdFunc.expression(s="k * x_s", p="x_p", n=2)
    with pytest.raises(InvalidArgumentError, match="cannot name a parameter"):
        dp.RiskFunc.expression("s", theta=[0.5, 0.5], params={"x_s": 1.0})
    with pytest.raises(InvalidArgumentError, match="cannot name a parameter"):
        dp.RiskFunc.expression("s", theta=[0.5, 0.5], params={"k2": 1.0})
    with pytest.raises(InvalidArgumentError, match="attribute access"):
        dp.RiskFunc.expression("s.__class__", theta=[0.5, 0.5])


def test_written_components_are_typeset_for_a_generic_player():
    prod = dp.ProdFunc.expression(s="A * x_s**alpha * p**(-theta)", p="B * x_p**beta", params=BUILTIN_PARAMS, n=2)
    risk = dp.RiskFunc.expression("s**2 / (k + s**2)", theta=[0.5, 0.5], params={"k": 2.0})
    dis = dp.DisasterCost.expression("d * (1 + h * x_p)", params={"d": 1.0, "h": 0.1}, n=2)
    cost = dp.CostFunc.expression("r_inv * i_s + r * (x_s + x_p)", k=4, params={"r": 0.1, "r_inv": 0.01}, n=2)
    assert prod.to_latex() == (r"p_i = B_{i} x_{p,i}^{\beta_{i}}, \qquad "
                               r"s_i = A_{i} p_{i}^{- \theta_{i}} x_{s,i}^{\alpha_{i}}")
    assert risk.to_latex() == r"\sigma_i = \frac{s_{i}^{2}}{k_{i} + s_{i}^{2}}"
    assert dis.to_latex() == r"d_{ij} = d_{i} \left(h_{i} x_{p,i} + 1\right)"
    assert cost.to_latex() == r"c_i = i_{s,i} r^{\mathrm{inv}}_{i} + r_{i} \left(x_{p,i} + x_{s,i}\right)"
    pf = dp.PayoffFunc(prod, risk, d=dis, cost_func=cost)
    text = dp.to_latex(pf)
    assert text.count("{") == text.count("}")
    assert r"\frac{s_{i}^{2}}{k_{i} + s_{i}^{2}}" in text and "h_{2}" in text


def test_derivatives_of_a_payoff_written_whole_match_finite_differences():
    def u(i, v):
        n = len(v.q)
        win = sp.Add(*[v.sigma[j] * v.q[j] * v.rho[i][j] for j in range(n)])
        loss = sp.Add(*[(1 - v.sigma[j]) * v.q[j] * v.d[i][j] for j in range(n)])
        return win - v.param("lam")[i] * loss ** 2 - v.c[i] * (1 + v.x_p[i])

    pf = models.readme_payoff(3).replace(payoff=PayoffExpr(u, n=3, params={"lam": [1.0, 2.0, 3.0]}))
    assert not pf.is_symmetric()
    model = pf.compiled
    y, th = pf.state_vector(), pf.param_vector()
    z = np.random.default_rng(5).uniform(0.3, 2.5, model.m)
    g, J = model.static(z, y, th)
    U = central_jacobian(lambda v: model.payoffs(v, y, th), z)
    own = np.array([[U[i, i * model.k + c] for c in range(model.k)] for i in range(model.n)])
    np.testing.assert_allclose(g, own, rtol=1e-6, atol=1e-9)
    Jfd = central_jacobian(lambda v: model.static(v, y, th)[0].reshape(-1), z)
    np.testing.assert_allclose(J.reshape(model.m, model.m), Jfd, rtol=1e-5, atol=1e-8)


def test_user_written_custom_components_are_symmetric_when_relabelling_permutes_them_alike():
    k, phi = sp.Symbol("k"), sp.Symbol("phi")
    P1, P2 = sp.symbols("p1 p2", positive=True)
    assert dp.RiskFunc.custom([0.5, 0.5], lambda s, p: [si / (k + si) for si in s], params={k: 1.0}).is_symmetric()
    assert not dp.RiskFunc.custom([0.5, 0.5], lambda s, p: [s[0] / (k + s[0]), s[1] / (2 * k + s[1])],
                                  params={k: 1.0}).is_symmetric()
    assert not dp.RiskFunc.custom([0.5, 0.6], lambda s, p: [si / (k + si) for si in s], params={k: 1.0}).is_symmetric()
    assert dp.CSF.custom([P1**phi / (1 + P1**phi + P2**phi), P2**phi / (1 + P1**phi + P2**phi)],
                         params={phi: 2.0}).is_symmetric()
    assert not dp.CSF.custom([P1 / (1 + P1 + P2), P2 / (2 + P1 + P2)]).is_symmetric()
    assert dp.CostFunc.custom(3, 2, lambda X, s, p: [0.1 * (x[0] + x[1]) for x in X]).is_symmetric()
    assert not dp.CostFunc.custom(3, 2, lambda X, s, p: [0.1 * x[0] + (0.2 if i == 2 else 0.1) * x[1]
                                                         for i, x in enumerate(X)]).is_symmetric()
    assert dp.RewardFunc.custom(2, lambda p: [[1 + p[0], 0], [0, 1 + p[1]]]).is_symmetric()
    assert not dp.RewardFunc.custom(2, lambda p: [[1, 0], [0, 2]]).is_symmetric()
    # indexed extra parameters must carry equal values for every player
    k1, k2 = sp.symbols("k1 k2")
    sym = dp.RiskFunc.custom([0.5, 0.5], [sp.Symbol("s1", positive=True) / (k1 + sp.Symbol("s1", positive=True)),
                                          sp.Symbol("s2", positive=True) / (k2 + sp.Symbol("s2", positive=True))],
                             params={k1: 1.0, k2: 1.0})
    asym = dp.RiskFunc.custom([0.5, 0.5], sym.sigma(*[sp.symbols(f"{b}1 {b}2", positive=True) for b in "sp"]),
                              params={k1: 1.0, k2: 2.0})
    assert sym.is_symmetric() and not asym.is_symmetric()
    pf = dp.PayoffFunc(models.readme_payoff().prod_func, sym, d=[1.0, 1.0], r=[0.1, 0.1])
    res = dp.Aggregator(pf).solve()
    assert res.success and pf.is_symmetric()
    np.testing.assert_allclose(res.strategies.data[0, 0], res.strategies.data[0, 1], rtol=1e-9)


def test_a_disaster_cost_may_depend_on_the_winner():
    ref = models.readme_payoff()
    dis = dp.DisasterCost.expression("d * (1 + h * p_winner) + x_s * s", params={"d": [1.0, 2.0], "h": 0.5}, n=2)
    pf = ref.replace(d=dis)
    assert dis.to_latex() == r"d_{ij} = d_{i} \left(h_{i} p_{j} + 1\right) + s_{i} x_{s,i}"
    act = dp.Actions.from_inputs([1.0, 1.5], [2.0, 0.5])
    q = ref.quantities(act)
    d = np.array([[di * (1 + 0.5 * q["p"][j]) + xs * q["s"][i] for j in range(2)]
                  for i, (di, xs) in enumerate(zip([1.0, 2.0], [1.0, 1.5]))])
    loss = np.array([np.sum((1 - q["sigma"]) * q["q"] * d[i]) for i in range(2)])
    expected = q["sigma"] * q["q"] - loss - 0.1 * np.array([3.0, 2.0])
    np.testing.assert_allclose(pf(act), expected, rtol=1e-12)
    model = pf.compiled
    y, th = pf.state_vector(), pf.param_vector()
    z = np.array([1.0, 2.0, 1.5, 0.5])
    g, _ = model.static(z, y, th)
    U = central_jacobian(lambda v: model.payoffs(v, y, th), z)
    np.testing.assert_allclose(g, [[U[i, i * 2 + c] for c in range(2)] for i in range(2)], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("build,error,match", [
    (lambda: dp.ProdFunc.expression(s="x_s", p=None, n=2), TypeError, "production.p: an expression must be a string"),
    (lambda: dp.RiskFunc.expression("s", theta=[0.5, 0.5], params=[1.0]), TypeError, "params must be a mapping"),
    (lambda: dp.RiskFunc.expression("s * k", theta=[0.5, 0.5], params={"k": "a"}), TypeError, r"params\['k'\]"),
    (lambda: dp.RiskFunc.expression("s * k", theta=[0.5, 0.5], params={"k": [1, 2, 3]}), ValueError,
     "one entry per player"),
    (lambda: dp.RiskFunc.expression("s * k", theta=[0.5, 0.5], params={"k": float("nan")}), ValueError, "finite"),
    (lambda: dp.RiskFunc.expression("s", theta=[0.5, 0.5], params={"theta": 1.0}), ValueError, "theta argument"),
    (lambda: dp.ProdFunc.expression(s="A * x_s", p="x_p", params={"A": -1.0}, n=2), ValueError, "positive"),
    (lambda: dp.CostFunc.expression("r * x_s", k=3, params={"r": 1.0}, n=2), ValueError, "2, 4 or 6"),
    (lambda: dp.CostFunc.expression("r * i_s", k=2, params={"r": 1.0}, n=2), ValueError, "unknown name 'i_s'"),
    (lambda: dp.DisasterCost.expression("d", params={"d": 1.0}), ValueError, "give n"),
    (lambda: PayoffExpr("u", n=2), TypeError, "u must be a function"),
    (lambda: PayoffExpr(lambda i, v: "x", n=2), TypeError, "u for player 1 must be a sympy expression"),
    (lambda: models.readme_payoff().replace(payoff=PayoffExpr(lambda i, v: v.q[i], n=3)), ValueError,
     "payoff has 3 players"),
])
def test_bad_arguments_to_written_components_are_named(build, error, match):
    with pytest.raises(error, match=match) as info:
        build()
    assert isinstance(info.value, dp.DynapaiError)


def test_dynamic_blocks_of_a_written_production_with_moving_state_match_finite_differences():
    # invest actions: A and B move between periods and enter the written production
    prod = dp.ProdFunc.expression(s="A * x_s**alpha * p**(-theta) + g * sqrt(A)", p="B * x_p**beta",
                                  params=dict(A=[8.0, 11.0], alpha=0.5, B=[2.0, 3.0], beta=0.6, g=0.3))
    risk = dp.RiskFunc.expression("s**2 / (k + s**2)", theta=[0.4, 0.5], params={"k": [1.0, 2.0]})
    pf = dp.PayoffFunc(prod, risk, d=[1.0, 1.5], r=[0.1, 0.1], r_inv=[0.01, 0.02], csf=dp.CSF.maybe_no_win(0.5))
    model = pf.compiled
    assert model.ds == 4  # A1, A2, B1, B2 move
    th, y = pf.param_vector(), pf.state_vector()
    z = np.random.default_rng(2).uniform(0.3, 2.0, model.m)
    v = np.concatenate([z, y])
    u_v, u_vv, f_v, f_vv, q_v, q_vv = model.dynamic(z, y, th)

    def values(w):
        return model.values(w[:model.m], w[model.m:], th)

    np.testing.assert_allclose(u_v, central_jacobian(lambda w: values(w)[0], v), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(q_v, central_jacobian(lambda w: np.atleast_1d(values(w)[2]), v)[0], rtol=1e-6,
                               atol=1e-10)
    hess = central_jacobian(lambda w: model.first(w[:model.m], w[model.m:], th)[0].reshape(-1), v)
    np.testing.assert_allclose(u_vv.reshape(-1, v.size), hess, rtol=1e-5, atol=1e-8)
    # the solve is honest: a certified answer, or the profile that comes closest with a deviation
    # that gains in the payoff itself (here, as a rule: player 2 gives its investment up; the
    # profile where it invests 0.78 was once certified)
    agg = dp.Aggregator(pf, gammas=[0.9, 0.9])
    res = agg.solve(2)
    if not res.success:
        assert res.status == "no pure equilibrium found", res.status
        dev = res.deviation
        X = res.strategies.data
        Y = X.copy()
        Y[:, dev.player, :] = dev.schedule
        gain = agg.u(dp.Strategies(Y))[dev.player] - agg.u(dp.Strategies(X))[dev.player]
        np.testing.assert_allclose(gain, dev.gain, rtol=1e-6)
        assert gain > 1e-7 * (1 + abs(agg.u(dp.Strategies(X))[dev.player]))
