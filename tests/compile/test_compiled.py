"""Every derivative the package produces, against central finite differences and by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

import dynapai_sym as dp
from dynapai_sym.compile import CompiledModel, available_backends

RISKS = ["winner_only", "multiplicative", "additive"]
CSFS = ["default", "maybe_no_win"]
REWARDS = ["default", "linear"]
DISASTERS = ["vector", "matrix", "complement"]
COSTS = ["fixed", "separate", "quadratic"]


def build(n, risk, csf, reward, disaster, cost, seed=0):
    rng = np.random.default_rng(seed)
    prod = dp.ProdFunc(rng.uniform(2, 10, n), rng.uniform(0.3, 0.8, n), rng.uniform(2, 10, n),
                       rng.uniform(0.3, 0.8, n))
    theta = rng.uniform(0.1, 0.9, n)
    w = rng.uniform(0.5, 1.5, n)
    risk_func = {"winner_only": dp.RiskFunc.winner_only(theta),
                 "multiplicative": dp.RiskFunc.multiplicative(theta, w),
                 "additive": dp.RiskFunc.additive(theta, w)}[risk]
    csf_obj = dp.CSF.default() if csf == "default" else dp.CSF.maybe_no_win(0.3)
    reward_func = dp.RewardFunc(n) if reward == "default" else dp.RewardFunc.linear_reward(
        rng.uniform(0.5, 1.5, n), rng.uniform(0, 0.1, n), rng.uniform(0, 0.3, n), rng.uniform(0, 0.05, n))
    d = rng.uniform(0.5, 2, (n, n)) if disaster == "matrix" else rng.uniform(0.5, 2, n)
    cost_func = {"fixed": dp.CostFunc.fixed_basic(rng.uniform(0.05, 0.2, n)),
                 "separate": dp.CostFunc.separate(rng.uniform(0.05, 0.2, n), rng.uniform(0.05, 0.2, n)),
                 "quadratic": dp.CostFunc.quadratic(rng.uniform(0.05, 0.2, n), rng.uniform(0.01, 0.05, n))}[cost]
    return dp.PayoffFunc(prod, risk_func, d=d, cost_func=cost_func, csf=csf_obj, reward_func=reward_func,
                         disaster="complement" if disaster == "complement" else "per_winner")


def central_jacobian(f, x, eps=1e-6):
    cols = []
    for j in range(len(x)):
        e = np.zeros_like(x)
        e[j] = eps * max(1.0, abs(x[j]))
        cols.append((f(x + e) - f(x - e)) / (2 * e[j]))
    return np.stack(cols, axis=-1)


COMBOS = list(itertools.product(RISKS, CSFS, REWARDS, DISASTERS, COSTS))


@pytest.mark.parametrize("risk,csf,reward,disaster,cost", COMBOS)
def test_static_gradient_and_jacobian_match_finite_differences(risk, csf, reward, disaster, cost):
    pf = build(3, risk, csf, reward, disaster, cost)
    model = pf.compiled
    y, th = pf.state_vector(), pf.param_vector()
    rng = np.random.default_rng(7)
    for _ in range(2):
        z = rng.uniform(0.2, 3.0, model.m)
        g, J = model.static(z, y, th)
        U = central_jacobian(lambda v: model.payoffs(v, y, th), z)  # (n, m)
        own = np.array([[U[i, i * model.k + c] for c in range(model.k)] for i in range(model.n)])
        np.testing.assert_allclose(g, own, rtol=1e-6, atol=1e-9)
        Jfd = central_jacobian(lambda v: model.static(v, y, th)[0].reshape(-1), z)
        np.testing.assert_allclose(J.reshape(model.m, model.m), Jfd, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("risk,csf", list(itertools.product(RISKS, CSFS)))
def test_dynamic_blocks_match_finite_differences(risk, csf):
    pf = build(2, risk, csf, "linear", "vector", "fixed", seed=2)
    model = pf.compiled
    th = pf.param_vector()
    z = np.random.default_rng(1).uniform(0.3, 2.0, model.m)
    y = pf.state_vector()
    u_v, u_vv, f_v, f_vv, q_v, q_vv = model.dynamic(z, y, th)
    np.testing.assert_allclose(u_v[:, : model.m], central_jacobian(lambda v: model.payoffs(v, y, th), z),
                               rtol=1e-6, atol=1e-9)
    hess_fd = central_jacobian(lambda v: model.first(v, y, th)[0][:, : model.m].reshape(-1), z)
    np.testing.assert_allclose(u_vv[:, : model.m, : model.m].reshape(-1, model.m), hess_fd,
                               rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(u_vv, np.swapaxes(u_vv, 1, 2))  # symmetric
    q_fd = central_jacobian(lambda v: np.atleast_1d(model.values(v, y, th)[2]), z)[0]
    np.testing.assert_allclose(q_v[: model.m], q_fd, rtol=1e-6, atol=1e-10)


@pytest.mark.slow
def test_cse_and_plain_builds_agree():
    pf = build(3, "multiplicative", "maybe_no_win", "linear", "matrix", "quadratic", seed=4)
    z = np.random.default_rng(5).uniform(0.2, 2.0, 6)
    y, th = pf.state_vector(), pf.param_vector()
    results = []
    for backend in available_backends():
        for cse in (True, False):
            model = CompiledModel(pf.structure, cse=cse, backend=backend)
            results.append((model.values(z, y, th), model.static(z, y, th)))
    ref_vals, ref_static = results[0]
    for vals, static in results[1:]:
        for a, b in zip(vals + static, ref_vals + ref_static):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14)


def test_batched_evaluation_equals_pointwise():
    pf = build(2, "additive", "default", "default", "vector", "fixed")
    model = pf.compiled
    y, th = pf.state_vector(), pf.param_vector()
    Z = np.random.default_rng(0).uniform(0.2, 2, (model.m, 5))
    u = model.payoffs(Z, y, th)
    assert u.shape == (2, 5)
    for b in range(5):
        np.testing.assert_allclose(u[:, b], model.payoffs(Z[:, b], y, th), rtol=1e-13)


@pytest.mark.parametrize("case", ["static", "invest", "sharing"])
def test_one_profile_calls_and_parameter_columns_equal_the_general_path(case):
    """The hot paths of a compiled block (one profile through the unchecked entry point; candidate
    columns each with its own point's parameters) give the general batched path's values exactly."""
    agg = {"static": lambda: dp.Aggregator(build(3, "multiplicative", "maybe_no_win", "linear", "matrix", "separate")),
           "invest": lambda: dp.models.invest_aggregator(2, end_on_win=True),
           "sharing": lambda: dp.models.sharing_aggregator(2)}[case]()
    pf = agg.state.beliefs[0]
    model = pf.compiled
    y, th = np.asarray(pf.state_vector(), dtype=float), np.asarray(pf.param_vector(), dtype=float)
    rng = np.random.default_rng(3)
    Z = rng.uniform(0.0, 2.0, (model.m, 7))
    Z[:, 0] = 0.0  # exact zeros too
    for name in ("_values", "_static", "_quantities", "_first"):
        block = getattr(model, name)
        batched = block(Z, y, th)
        # the general path: parameters broadcast along the batch, then every column at once
        general = block._general(Z, y, th)
        per_column = block(Z, np.repeat(y[:, None], Z.shape[1], axis=1), np.repeat(th[:, None], Z.shape[1], axis=1))
        for one, two, three in zip(batched, general, per_column):
            np.testing.assert_array_equal(one, two)
            np.testing.assert_array_equal(one, three)
        for b in range(Z.shape[1]):
            single = block(np.ascontiguousarray(Z[:, b]), y, th)
            for one, many in zip(single, batched):
                np.testing.assert_array_equal(one, many[..., b])
    # columns with parameters of their own: three parameter sets, columns spread over them
    thetas = np.stack([th, th * 1.1, th * 0.9], axis=1)
    ys = np.stack([y, y * 1.2, y], axis=1)
    idx = np.array([0, 2, 1, 1, 0, 2, 2])
    cols = model.payoff_columns(Z, ys, thetas, idx)
    for b in range(Z.shape[1]):
        np.testing.assert_array_equal(cols[b], model.payoffs(np.ascontiguousarray(Z[:, b]), ys[:, idx[b]].copy(),
                                                             thetas[:, idx[b]].copy()))


def test_symbolic_focs_equal_hand_derived():
    """theta = 0, winner-only risk, Tullock contest: known first-order conditions."""
    pf = dp.PayoffFunc(dp.ProdFunc([3.0, 3.0], [1.0, 1.0], [2.0, 2.0], [0.6, 0.6]),
                       dp.RiskFunc.winner_only([0.0, 0.0]), d=[0.7, 0.7], r=[0.05, 0.05])
    X = pf.action_symbols
    A1, B1, B2 = sp.Symbol("A1", positive=True), sp.Symbol("B1", positive=True), sp.Symbol("B2", positive=True)
    alpha1 = sp.Symbol("alpha1", positive=True)
    beta1, beta2 = sp.Symbol("beta1", positive=True), sp.Symbol("beta2", positive=True)
    theta1 = sp.Symbol("theta1", positive=True)
    d1, r1, winA1 = (sp.Symbol(nm, real=True) for nm in ("d1", "r1", "winA1"))
    xs1, xp1, _xs2, xp2 = X[0][0], X[0][1], X[1][0], X[1][1]
    p1, p2 = B1 * xp1**beta1, B2 * xp2**beta2
    s1 = A1 * xs1**alpha1 * p1 ** (-theta1)
    sigma1 = s1 / (1 + s1)
    q1 = p1 / (p1 + p2)
    # u_1 = sigma1 q1 winA1 - d1 [(1 - sigma1) q1 + (1 - sigma2) q2] - r1 (xs1 + xp1)
    foc_xs_hand = winA1 * q1 * sp.diff(sigma1, xs1) + d1 * q1 * sp.diff(sigma1, xs1) - r1
    focs = pf.focs()
    assert sp.simplify(focs[0, 0] - foc_xs_hand) == 0
    jac = pf.jacobian()
    assert jac.shape == (4, 4)
    assert sp.simplify(jac[0, 0] - sp.diff(foc_xs_hand, xs1)) == 0
    kkt = pf.kkt()
    assert len(kkt.conditions()) == 4 and kkt.variables[0] == xs1


def test_compiled_gradient_equals_symbolic_focs():
    pf = build(2, "winner_only", "maybe_no_win", "linear", "matrix", "fixed", seed=9)
    focs = pf.focs()
    z = np.array([0.7, 1.3, 0.4, 2.2])
    subs = dict(zip(pf.structure.actions, z)) | pf.param_values
    sym = np.array(focs.subs(subs).evalf(), dtype=float)
    g, _ = pf.compiled.static(z, pf.state_vector(), pf.param_vector())
    np.testing.assert_allclose(g, sym, rtol=1e-12)


@pytest.mark.skipif("symengine" not in available_backends(), reason="compares the symengine backend with sympy")
@pytest.mark.parametrize("share_map", ["fraction", "exp"])
@pytest.mark.slow
def test_sharing_kinks_same_on_both_backends(share_map):
    """max(0, .) in the sharing transition: symengine (as three-piece Piecewise) and sympy (Heaviside)
    give the same values and derivatives, off the kink and exactly on it (derivative 1/2 there)."""
    from dynapai_sym.models import sharing_aggregator

    pf = sharing_aggregator(3, share_map=share_map).state.beliefs[0]
    th = pf.param_vector()
    models = [CompiledModel(pf.structure, backend=b) for b in ("sympy", "symengine")]
    rng = np.random.default_rng(3)
    z = rng.uniform(0.1, 1.5, models[0].m)
    y_apart = pf.state_vector() + rng.uniform(0.0, 0.5, len(pf.state_vector()))
    ds = len(pf.state_vector())
    y_tied = np.full(ds, 2.0)  # every state equal: every max(0, A_j - A_i) sits on its kink
    for y in (y_apart, y_tied):
        ref, fast = (m.dynamic(z, y, th) for m in models)
        for a, b in zip(ref, fast):
            np.testing.assert_allclose(b, a, rtol=1e-11, atol=1e-13)
        for a, b in zip(models[0].values(z, y, th), models[1].values(z, y, th)):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)
    assert "sympy" not in models[1].backend  # the kinks no longer need sympy's lambdify


@pytest.mark.parametrize("case", ["invest_end_on_win", "sharing", "het"])
def test_batched_player_gradient_matches_single_and_finite_differences(case):
    """NumericGame.player_gradient_batch (the batched adjoint used by the deviation search) equals
    the single-path gradient and central differences of the payoff, path by path."""
    from dynapai_sym.models import invest_aggregator, sharing_aggregator

    if case == "invest_end_on_win":
        agg, T = invest_aggregator(2, end_on_win=True), 4
    elif case == "sharing":
        agg, T = sharing_aggregator(3), 3
    else:
        base = invest_aggregator(2).state.beliefs[0]
        agg, T = dp.Aggregator(dp.State.het_beliefs([base.replace(d=[2.0, 2.0]), base]), gammas=[0.9, 0.7]), 3
    game = agg.game(T)
    rng = np.random.default_rng(7)
    x = np.minimum(rng.uniform(0.2, 1.0, game.N), game.upper)
    for i in range(game.n):
        up = game.upper[game.own_index(i)].reshape(T, game.k)
        own = np.minimum(rng.uniform(0.2, 1.0, (5, T, game.k)), 0.9 * np.minimum(up, 10.0))
        values, grads = game.player_gradient_batch(i, own, x)
        assert values.shape == (5,) and grads.shape == (5, T, game.k)
        for b in range(5):
            xv = x.copy()
            xv[game.own_index(i)] = own[b].reshape(-1)
            v, g = game.player_gradient(i, xv)
            assert values[b] == pytest.approx(v, rel=1e-12)
            np.testing.assert_allclose(grads[b].reshape(-1), g, rtol=1e-10, atol=1e-13)
            fd = central_jacobian(lambda z, i=i, xv=xv: np.atleast_1d(
                game.player_objective(i, z.reshape(1, T, game.k), xv)), own[b].reshape(-1))[0]
            np.testing.assert_allclose(grads[b].reshape(-1), fd, rtol=1e-5, atol=1e-8)
