"""Multi-period games (docs/model.md, "Many periods"): gradients through time, weighting, certified equilibria."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize

import dynapai_sym as dp
from dynapai_sym import models


def payoff(k: int, csf=None, n: int = 2, seed: int = 0, share_map="fraction", **kw):
    rng = np.random.default_rng(seed)
    prod = dp.ProdFunc(rng.uniform(5, 12, n), rng.uniform(0.3, 0.7, n), rng.uniform(1, 3, n),
                       rng.uniform(0.3, 0.7, n))
    risk = dp.RiskFunc.winner_only(rng.uniform(0.2, 0.8, n))
    r = rng.uniform(0.05, 0.15, n)
    if k == 2:
        cost = dp.CostFunc.fixed_basic(r)
    elif k == 4:
        cost = dp.CostFunc.fixed_invest(r, rng.uniform(0.01, 0.05, n))
    else:
        cost = dp.CostFunc.fixed_sharing(r, rng.uniform(0.01, 0.05, n), rng.uniform(0.001, 0.01, n))
    return dp.PayoffFunc(prod, risk, d=rng.uniform(0.5, 1.5, n), cost_func=cost,
                         csf=csf or dp.CSF.maybe_no_win(0.5), share_map=share_map, **kw)


def central(f, x, eps=1e-6):
    cols = []
    for j in range(len(x)):
        e = np.zeros_like(x)
        h = eps * max(1.0, abs(x[j]))
        e[j] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def random_profile(game, rng):
    x = rng.uniform(0.2, 2.0, game.N)
    if game.k == 6:
        X = x.reshape(game.T, game.n, game.k)
        X[..., 4:] = rng.uniform(0.1, 0.9, X[..., 4:].shape)
    return x


@pytest.mark.parametrize("k", [2, 4, 6])
@pytest.mark.parametrize("end_on_win", [False, True])
@pytest.mark.parametrize("het", [False, True])
def test_gradients_and_jacobian_through_time_match_finite_differences(k, end_on_win, het):
    T = 3
    if het:
        state = [payoff(k, seed=1), payoff(k, seed=2)]
    else:
        state = payoff(k, seed=1)
    agg = dp.Aggregator(state, gammas=[0.9, 0.7], end_on_win=end_on_win)
    game = agg.game(T)
    x = random_profile(game, np.random.default_rng(4))
    # gradient of each player's objective in its own actions, against finite differences of U
    for i in range(2):
        val, grad = game.player_gradient(i, x)
        assert val == pytest.approx(game.payoffs(x)[i], rel=1e-12)
        idx = game.own_index(i)
        def U_own(v, i=i, idx=idx):
            y = x.copy()
            y[idx] = v
            return game.payoffs(y)[i]
        fd = central(U_own, x[idx])
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-10)
    # exact Jacobian of the scaled conditions
    G, J = game.kkt_jacobian(x)
    np.testing.assert_allclose(G, game.kkt_function(x), rtol=1e-12, atol=1e-15)
    Jfd = central(game.kkt_function, x)
    np.testing.assert_allclose(J, Jfd, rtol=1e-5, atol=1e-8)


def test_scaled_conditions_are_gradients_divided_by_period_weights():
    agg = models.invest_aggregator(2, end_on_win=True)
    game = agg.game(4)
    x = random_profile(game, np.random.default_rng(0))
    G = game.kkt_function(x).reshape(4, 2, 4)
    W = game.weights(x)  # (n, T)
    for i in range(2):
        _, grad = game.player_gradient(i, x)
        np.testing.assert_allclose(G[:, i, :], grad.reshape(4, 4) / W[i][:, None], rtol=1e-12)


def test_aggregate_weights_periods_as_specified():
    """U_i = sum_t gamma_i^t P_t u_i(t), states moved by investment, P_t = prod (1 - sum q)."""
    pf = payoff(4, seed=3)
    gammas = np.array([0.8, 0.6])
    agg = dp.Aggregator(pf, gammas=gammas, end_on_win=True)
    rng = np.random.default_rng(1)
    X = rng.uniform(0.1, 1.0, (3, 2, 4))
    strategies = dp.Strategies(X)
    A, B = pf.prod_func.a.copy(), pf.prod_func.b.copy()
    total, survive = np.zeros(2), 1.0
    probas = []
    for t in range(3):
        probas.append(survive)
        prod_t = dp.ProdFunc(A, pf.prod_func.alpha, B, pf.prod_func.beta)
        pf_t = pf.replace(prod_func=prod_t)
        acts = dp.InvestActions(X[t])
        total += gammas**t * survive * pf_t(acts)
        survive *= 1 - pf_t.quantities(acts)["q"].sum()
        A, B = A + X[t, :, 2], B + X[t, :, 3]
    np.testing.assert_allclose(agg.u(strategies), total, rtol=1e-12)
    np.testing.assert_allclose(agg.probas(strategies)[:, 0], probas, rtol=1e-12)
    states = agg.states(strategies)
    assert states.shape == (3, 2, 2)
    np.testing.assert_allclose(states[2, :, 0], pf.prod_func.a + X[0, :, 2] + X[1, :, 2])
    np.testing.assert_allclose(agg.state0()[:, 1], pf.prod_func.b)
    with pytest.raises(ValueError, match="end_on_win"):
        dp.Aggregator(pf, gammas=gammas).probas(strategies)


def test_one_period_equals_static_and_basic_periods_repeat_it():
    pf = models.readme_payoff()
    static = dp.Aggregator(pf).solve()
    agg = dp.Aggregator(pf, gammas=[1.0, 1.0])
    one = agg.solve(1)
    np.testing.assert_allclose(one.strategies.data, static.strategies.data, rtol=1e-12)
    many = agg.solve(4)
    assert many.success
    np.testing.assert_allclose(many.strategies.data, np.repeat(static.strategies.data, 4, axis=0), rtol=1e-8)
    np.testing.assert_allclose(many.payoffs, 4 * static.payoffs, rtol=1e-8)


def independent_gain_multi(agg, res, seed=0):
    """Gain of each player's re-optimised schedule, found without the package's derivatives.

    Unconstrained L-BFGS-B with finite-difference gradients in transformed
    coordinates (x = exp(v); shares = logistic(v)), from the equilibrium, a
    scaled-down schedule, a drop-out-after-the-first-period schedule and random starts.
    """
    X = res.strategies.data
    T, n, k = X.shape
    rng = np.random.default_rng(seed)
    base = agg.u(res.strategies)
    share = np.zeros((T, k), dtype=bool)
    if k == 6:
        share[:, 4:] = True

    def to_x(v):
        v = v.reshape(T, k)
        v = np.clip(v, -300, 30)
        return np.where(share, 1 / (1 + np.exp(-v)), np.exp(v))

    def to_v(x):
        x = np.clip(x, 1e-9, None)
        return np.where(share, np.log(np.clip(x, 1e-9, 1 - 1e-9) / (1 - np.clip(x, 1e-9, 1 - 1e-9))),
                        np.log(x)).ravel()

    gains = []
    for i in range(n):
        def neg(v, i=i):
            Y = X.copy()
            Y[:, i, :] = to_x(v)
            val = agg.u(dp.Strategies(Y))[i]
            return -val if np.isfinite(val) else 1e9
        own = X[:, i, :]
        dropout = own.copy()
        dropout[1:] = 1e-6
        starts = [own, own * 0.3, dropout] + [rng.uniform(0.01, 2, (T, k)) for _ in range(2)]
        best = -np.inf
        for s0 in starts:
            out = minimize(neg, to_v(s0), method="L-BFGS-B")
            best = max(best, -out.fun)
        gains.append(best - base[i])
    return np.array(gains)


def test_invest_equilibrium_T5_is_certified_with_zero_last_period_investment():
    agg = models.invest_aggregator(2)
    res = agg.solve(5)
    assert res.success, res.message
    assert res.kkt_residual <= 1e-8
    X = res.strategies.data
    assert np.all(X[-1, :, 2:] == 0.0)  # investment in the last period is pure cost: exactly 0
    assert np.all(independent_gain_multi(agg, res) <= 1e-6)


def test_end_on_win_invest_T5_is_certified():
    agg = models.invest_aggregator(2, end_on_win=True)
    res = agg.solve(5)
    assert res.success, res.message
    assert np.all(res.strategies.data[-1, :, 2:] == 0.0)
    probas = agg.probas(res)
    assert probas[0, 0] == 1.0 and np.all(np.diff(probas[:, 0]) < 0)
    assert np.all(independent_gain_multi(agg, res) <= 1e-6)


def test_sharing_T3_is_certified():
    agg = models.sharing_aggregator(2)
    res = agg.solve(3)
    assert res.success, res.message
    X = res.strategies.data
    assert np.all((X[..., 4:] >= 0) & (X[..., 4:] <= 1))
    assert np.all(X[-1, :, 2:] == 0.0)  # nothing done in the last period moves a state that matters
    assert np.all(independent_gain_multi(agg, res) <= 1e-6)


def test_heterogeneous_beliefs_are_certified_and_differ_from_common():
    prod_optimist = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [1.0, 1.0], [0.5, 0.5])
    prod_pessimist = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [1.0, 1.0], [0.5, 0.5])
    kw = dict(csf=dp.CSF.maybe_no_win(), r=[0.1, 0.1], r_inv=[0.01, 0.01])
    b0 = dp.PayoffFunc(prod_optimist, dp.RiskFunc.winner_only([0.5, 0.5]), d=[0.5, 0.5], **kw)
    b1 = dp.PayoffFunc(prod_pessimist, dp.RiskFunc.winner_only([0.5, 0.5]), d=[2.0, 2.0], **kw)
    agg = dp.Aggregator(dp.State.het_beliefs([b0, b1]), gammas=[0.9, 0.9])
    res = agg.solve(3)
    assert res.success, res.message
    common = dp.Aggregator(b0, gammas=[0.9, 0.9]).solve(3)
    assert not np.allclose(res.strategies.data, common.strategies.data)
    assert np.all(independent_gain_multi(agg, res) <= 1e-6)


def test_every_belief_state_moves_including_player_zero():
    b = [payoff(4, seed=5), payoff(4, seed=6)]
    agg = dp.Aggregator(b, gammas=[0.9, 0.9])
    X = np.full((2, 2, 4), 0.5)
    states = agg.states(dp.Strategies(X))  # (beliefs, T, n, 2)
    for j in range(2):
        np.testing.assert_allclose(states[j, 1, :, 0], b[j].prod_func.a + 0.5)
        np.testing.assert_allclose(states[j, 1, :, 1], b[j].prod_func.b + 0.5)


def test_share_map_exp_reproduces_the_reference_engine_transition():
    pf = payoff(6, seed=2, share_map="exp")
    agg = dp.Aggregator(pf, gammas=[0.9, 0.9])
    X = np.zeros((2, 2, 6))
    X[..., :2] = 1.0
    X[0, :, 4] = 2.0  # unbounded under "exp"
    states = agg.states(dp.Strategies(X))
    a = pf.prod_func.a
    lead = np.maximum(0, a[::-1] - a)
    np.testing.assert_allclose(states[1, :, 0], a + (1 - np.exp(-2.0)) * lead)
    frac = dp.Aggregator(payoff(6, seed=2), gammas=[0.9, 0.9])
    with pytest.raises(ValueError, match="fractions"):
        frac.u(dp.Strategies(X))


def test_custom_transition_with_depreciation():
    delta = sp.Symbol("delta")
    trans = dp.Transition.custom(lambda X, A, B: {A[i]: (1 - delta) * A[i] + X[i][2] for i in range(2)} |
                                 {B[i]: B[i] + X[i][3] for i in range(2)}, params={delta: 0.1})
    pf = payoff(4, seed=1, transition=trans)
    agg = dp.Aggregator(pf, gammas=[0.9, 0.9])
    X = np.full((2, 2, 4), 0.5)
    states = agg.states(dp.Strategies(X))
    np.testing.assert_allclose(states[1, :, 0], 0.9 * pf.prod_func.a + 0.5)
    res = agg.solve(3)
    assert res.success, res.message


def test_share_is_reported_indeterminate_when_it_has_no_effect():
    """Symmetric states and a free share: the share changes nothing, so it is not determined."""
    n = 2
    cost = dp.CostFunc.fixed_sharing(np.full(n, 0.1), np.full(n, 0.01), np.zeros(n))
    prod = dp.ProdFunc(np.full(n, 10.0), np.full(n, 0.5), np.full(n, 1.0), np.full(n, 0.5))
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only(np.full(n, 0.5)), csf=dp.CSF.maybe_no_win(),
                       d=np.full(n, 1.0), cost_func=cost)
    res = dp.Aggregator(pf, gammas=[0.9, 0.9]).solve(2)
    assert res.success, res.message
    assert res.indeterminate is not None
    assert np.all(res.indeterminate[..., 4:])  # every share
    assert not np.any(res.indeterminate[..., :2])
    assert "indeterminate" in str(res)


def no_pure_game():
    phi = sp.Symbol("phi")
    csf = dp.CSF.custom(lambda p: [pi**phi / sum(pj**phi for pj in p) for pi in p], params={phi: 3.0})
    prod = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [1.0, 1.0], [1.0, 1.0])
    return dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.0, 0.0]), d=[0.0, 0.0], r=[0.1, 0.1], csf=csf)


def test_local_solution_defeated_by_global_deviation_then_mixed_samples():
    agg = dp.Aggregator(no_pure_game(), gammas=[0.9, 0.9])
    res = agg.solve(2)
    assert not res.success
    assert res.status == dp.Status.NO_PURE
    cert = res.certificate
    assert cert.kkt_ok and cert.second_order_ok  # the first- and second-order conditions hold...
    assert res.deviation.gain > 0  # ...but a global deviation wins
    mixed = agg.solve(2, method="mixed", options={"hist_size": 6, "mixed_samples": 12})
    assert mixed.samples.shape == (12, 2, 2, 2)
    assert mixed.status == dp.Status.MIXED
    assert mixed.success is False  # a sampled mixed strategy is never reported as a certified equilibrium
    assert mixed.exploitability is not None and mixed.exploitability.shape == (2,)


def test_symbolic_objective_for_small_horizons_matches_numbers():
    agg = models.invest_aggregator(2, end_on_win=True)
    U = agg.objective_expr(2)
    pf = agg.state.beliefs[0]
    X = np.random.default_rng(2).uniform(0.2, 1.0, (2, 2, 4))
    subs = {sp.Symbol(f"{a.name}_t{t}", **a.assumptions0): X[t].reshape(-1)[j]
            for t in range(2) for j, a in enumerate(pf.structure.actions)}
    subs |= pf.param_values
    subs |= dict(zip(dp.symbols.player_symbols("gamma", 2, positive=True), agg.gammas))
    vals = [float(u.xreplace(subs)) for u in U]
    np.testing.assert_allclose(vals, agg.u(dp.Strategies(X)), rtol=1e-12)
    focs = agg.focs_expr(2)
    assert len(focs[0]) == 2 * 4
    with pytest.raises(ValueError, match="small horizons"):
        agg.objective_expr(20)


def test_bad_multi_period_input():
    agg = models.invest_aggregator(2)
    with pytest.raises(TypeError, match="InvestActions"):
        agg.u(dp.Strategies(np.ones((2, 2, 2))))
    with pytest.raises(ValueError, match="init has 2 periods"):
        agg.solve(3, init=np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match="non-negative"):
        agg.solve(2, init=-np.ones((2, 2, 4)))
    with pytest.raises(TypeError, match="state must be"):
        dp.Aggregator("model")
    with pytest.raises(ValueError, match="one payoff function per player"):
        dp.State.het_beliefs([models.readme_payoff()])


def _give_up_game(r_inv_second: float = 0.01) -> tuple[dp.Aggregator, int]:
    """Invest model, T = 2, player 2 pays twice player 1's price: its first-order point (invest to
    compete) loses to giving up (no investment, next to nothing in period 2)."""
    prod = dp.ProdFunc(a=[10.0, 10.0], alpha=[0.5, 0.5], b=[1.0, 1.0], beta=[0.5, 0.5])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.25, 0.25]), d=[1.0, 1.0], r=[0.05, 0.1],
                       r_inv=[0.01, r_inv_second], csf=dp.CSF.maybe_no_win())
    return dp.Aggregator(pf, gammas=[0.9, 0.9]), 2


def _assert_certified_or_defeated(agg, res, min_gain: float) -> None:
    """A certified answer survives an independent multi-start search; a refusal comes with a
    deviation that really gains more than ``min_gain`` (re-evaluated by Aggregator.u)."""
    if res.success:
        assert np.all(independent_gain_multi(agg, res) <= 1e-6)
        return
    dev = res.deviation
    X = res.strategies.data
    Y = X.copy()
    Y[:, dev.player] = dev.schedule
    assert agg.u(dp.Strategies(Y))[dev.player] - agg.u(dp.Strategies(X))[dev.player] > min_gain


def test_give_up_deviation_defeats_a_first_order_point():
    """A profile where both players' first- and second-order conditions hold, but one player gains
    by giving up (a joint move: stop investing and almost stop in the later period), is never
    certified; the deviation reported is real (re-evaluated by Aggregator.u)."""
    agg, T = _give_up_game()
    res = agg.solve(T)
    assert not res.success and res.status == "no pure equilibrium found"
    dev = res.deviation
    X = res.strategies.data
    Y = X.copy()
    Y[:, dev.player, :] = dev.schedule
    gain = agg.u(dp.Strategies(Y))[dev.player] - agg.u(dp.Strategies(X))[dev.player]
    assert gain > 1e-3 and gain == pytest.approx(dev.gain, rel=1e-9)
    # and the profile it stopped at is first-order stationary: only the global probe defeats it
    assert res.kkt_residual <= 1e-8


def test_imitating_the_leader_defeats_a_given_up_profile():
    """Player 1 has given up (no performance after the first period, no investment); copying the
    other player's schedule (invest, then compete) and polishing beats it."""
    prod = dp.ProdFunc(a=[9.908, 9.642], alpha=[0.518, 0.444], b=[0.587, 1.353], beta=[0.456, 0.502])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.additive([0.590, 0.376]), d=[1.916, 0.852], r=[0.0743, 0.1746],
                       r_inv=[0.0325, 0.0220], csf=dp.CSF.maybe_no_win())
    agg = dp.Aggregator(pf, gammas=[0.874, 0.621])
    res = agg.solve(5)
    if res.success:  # whatever is certified must survive an independent multi-start search
        assert np.all(independent_gain_multi(agg, res) <= 1e-6)
    else:
        assert res.deviation is not None and res.deviation.gain > 1e-3


def test_batched_ascent_climbs_to_the_best_response():
    """The batched log-space ascent never lowers a start's payoff, and its best end point comes
    within a few percent of the payoff of an L-BFGS-B best response; polished (as certification
    does), it reaches that payoff."""
    import importlib

    ascent = importlib.import_module("dynapai_sym.solvers.ascent")
    best_response = importlib.import_module("dynapai_sym.solvers.best_response")
    agg, T = models.invest_aggregator(2), 3
    game = agg.game(T)
    rng = np.random.default_rng(3)
    x = rng.uniform(0.2, 2.0, game.N)
    idx = game.own_index(0)
    starts = rng.uniform(0.05, 3.0, (6, T, game.k))
    start_vals = game.player_objective(0, starts, x)
    vals, ends = ascent.batched_ascent(game, 0, x, starts, game.upper[idx], iters=200)
    assert np.all(vals >= start_vals - 1e-12)
    np.testing.assert_allclose(game.player_objective(0, ends, x), vals, rtol=1e-12)
    br = best_response.maximise_own(game, 0, [x], starts[np.argmax(vals)].reshape(-1), game.lower[idx],
                                    game.upper[idx])
    best = game.player_objective(0, br.reshape(1, T, game.k), x)[0]
    assert vals.max() >= best - 0.03 * abs(best)
    polished = best_response.maximise_own(game, 0, [x], ends[np.argmax(vals)].reshape(-1), game.lower[idx],
                                          game.upper[idx])
    assert game.player_objective(0, polished.reshape(1, T, game.k), x)[0] >= best - 1e-9 * abs(best)


@pytest.mark.slow
def test_sharing_four_players_postponing_investment_is_checked():
    """Sharing, n = 4, T = 10: a player who shares fully in the first period gains by postponing its
    investment a period (and giving up that period's inputs): a profile that loses to this was once
    certified. Whatever is returned now, postponing gains nothing at a certified profile, and a
    reported deviation is real."""
    agg = models.sharing_aggregator(4)
    res = agg.solve(10)
    X = res.strategies.data
    base = agg.u(dp.Strategies(X))
    if res.success:
        for i in range(4):
            for t in range(9):
                if not np.any(X[t, i, 2:4] > 0):
                    continue
                Y = X.copy()
                Y[t + 1, i, 2:4] += Y[t, i, 2:4]
                Y[t, i, 2:4] = 0.0
                Y[t + 1, i, :2] = 1e-12
                assert agg.u(dp.Strategies(Y))[i] <= base[i] + 1e-7 * (1 + abs(base[i]))
    else:
        dev = res.deviation
        Y = X.copy()
        Y[:, dev.player] = dev.schedule
        assert agg.u(dp.Strategies(Y))[dev.player] - base[dev.player] == pytest.approx(dev.gain, rel=1e-6)
        assert dev.gain > 1e-5


@pytest.mark.parametrize("make, end_on_win", [(models.sharing_aggregator, False),
                                              (models.invest_aggregator, True)])
def test_newton_holds_a_period_sat_out_and_certification_judges_it(make, end_on_win):
    """A player who sits period 1 out (x_s = x_p = 0, here at the floor 1e-300) is at a singular
    corner: x^beta has an infinite slope, so the conditions there carry no information. Newton
    holds exactly those two variables and solves the rest; certification then finds that sitting
    out is not a best response here."""
    from dynapai_sym.solvers.kkt import solve_kkt

    agg, T = make(2, end_on_win=end_on_win), 3
    res = agg.solve(T)
    assert res.success
    game = agg.game(T)
    X = res.strategies.data.copy()
    X[1, 1, :2] = 1e-300
    x = X.reshape(-1)
    with np.errstate(all="ignore"):
        G, JG = game.kkt_jacobian(x)
    sat_out = [game.own_index(1)[game.k], game.own_index(1)[game.k + 1]]  # period 1, x_s and x_p
    np.testing.assert_array_equal(np.flatnonzero(game.singular_corners(x, G, JG)), sat_out)
    run = solve_kkt(game, x)
    assert run.converged and np.all(run.x[sat_out] <= 1e-300)  # held at the corner (snapped onto 0 at the end)
    rest = np.setdiff1d(np.arange(game.N), sat_out)
    assert np.max(np.abs(game.natural_residual(run.x)[rest])) <= 1e-10
    cert = dp.solvers.certify(game, run.x, dp.SolverOptions())
    assert not cert.passed and 1 in [d.player for d in cert.deviations]


def test_everyone_giving_up_is_evaluated_at_its_limit_and_refused():
    """Everyone at exactly zero: the payoffs take the model's limits (nobody wins, u = 0) and the
    profile is refused, because a player who enters alone wins almost the whole prize."""
    agg = dp.Aggregator(models.readme_payoff(2))
    game = agg.game(1)
    np.testing.assert_array_equal(game.payoffs(np.zeros(game.N)), 0.0)
    cert = dp.solvers.certify(game, np.zeros(game.N), dp.SolverOptions())
    assert not cert.passed and min(d.gain for d in cert.deviations) > 0.5


def test_sitting_a_period_out_is_among_the_deviations_tried():
    """Candidates include leaving the contest in one period (or every period up to t0) while
    keeping the investments: the move that defeated a once-certified multi-period profile."""
    from dynapai_sym.solvers.candidates import deviation_candidates

    rng = np.random.default_rng(0)
    T, k = 4, 4
    own = rng.uniform(0.5, 2.0, (T, k))
    cands = deviation_candidates(own, np.full(T * k, np.inf), k, rng, 0)
    for t in range(T):
        sat = own.copy()
        sat[t, 1] = 1e-12  # performance at a "zero" level, safety and investments kept
        assert np.any(np.all(np.isclose(cands, sat, rtol=0, atol=0), axis=(1, 2))), t
    prefix = own.copy()
    prefix[:3, 1] = 1e-100
    assert np.any(np.all(cands == prefix, axis=(1, 2)))


def test_structural_candidates_come_from_their_template():
    """The candidate template gives the structural moves exactly: the complete drop-out first,
    the whole schedule and each column scaled, a column of zeros scaled from 0.1 x its scale,
    one period's effort tripled; all within the upper bounds."""
    from dynapai_sym.solvers.candidates import SCALE_FLOOR, candidate_template, deviation_candidates

    rng = np.random.default_rng(1)
    T, k = 3, 4
    own = rng.uniform(0.5, 2.0, (T, k))
    own[:, 3] = 0.0  # no performance investment at all
    upper = np.full(T * k, np.inf)
    upper[0] = 1.9  # x_s in period 0 capped
    cands = deviation_candidates(own, upper, k, rng, 4)
    assert len(cands) == len(candidate_template(T, k)[0]) + 4

    def present(schedule):
        schedule = np.minimum(schedule, upper.reshape(T, k))
        return np.any(np.all(cands == schedule, axis=(1, 2)))

    drop = np.zeros((T, k))
    drop[:, :2] = 1e-10
    np.testing.assert_array_equal(cands[0], drop)
    assert present(np.maximum(3.0 * own, drop))
    for col, factor in ((0, 10.0), (2, 0.3)):
        scaled = own.copy()
        scaled[:, col] *= factor
        assert present(np.maximum(scaled, drop)), col
    from_zero = own.copy()
    from_zero[:, 3] = 3.0 * 0.1 * SCALE_FLOOR
    assert present(np.maximum(from_zero, drop))
    tripled = own.copy()
    tripled[1] *= 3.0
    assert present(tripled)
    assert np.all(cands <= upper.reshape(T, k)) and np.all(cands >= 0.0)


@pytest.mark.slow
def test_investing_then_competing_harder_defeats_a_nearly_given_up_profile():
    """Player 1 competes weakly after the first period (x ~ 0.03) and never invests; investing
    in performance in period 1 and then competing much harder pays 0.007: a joint, far move
    that small steps and a log-coordinate ascent (slow to leave zero investment) both missed,
    so the profile was once certified."""
    prod = dp.ProdFunc(a=[8.637835623675084, 6.758058201864773], alpha=[0.3089113933334034, 0.6082281420509492],
                       b=[1.82503841434009, 0.7047992508414704], beta=[0.43718986542371746, 0.30635127584870897])
    cost = dp.CostFunc.fixed_sharing([0.15160783195459135, 0.15742379903349593],
                                     [0.009693804932870288, 0.04096387391234153],
                                     [0.008464157092845061, 0.0030763303266552284])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.1836133340432182, 0.4976605652309718]),
                       csf=dp.CSF.maybe_no_win(), d=[1.96032132945522, 1.0062723875847848], cost_func=cost)
    agg = dp.Aggregator(pf, gammas=[0.7004455692522561, 0.661747488402693])
    res = agg.solve(5)
    _assert_certified_or_defeated(agg, res, min_gain=1e-3)


def test_investment_entries_add_investment_and_scale_later_effort():
    from dynapai_sym.solvers.candidates import investment_entries

    own = np.full((3, 6), 0.5)
    entries = investment_entries(own)
    # periods 0, 1 x 15 investments (3 amounts in one column or the other, 9 pairs in both) x 4 efforts,
    # each also sat out, and each with a share after
    assert entries.shape == (2 * 2 * 2 * 15 * 4, 3, 6)
    # period 0, performance investment, +3 x (input scale 1), later effort x 10
    target = own.copy()
    target[0, 3] += 3.0
    target[1:, :2] *= 10.0
    assert np.any(np.all(entries == target, axis=(1, 2)))
    first = entries[:, 0, :2]  # the first period's inputs are kept, or that period is sat out
    assert np.all(np.all(first == 0.5, axis=1) | (first[:, 1] == 1e-12))
    sat = target.copy()
    sat[0, 0], sat[0, 1] = 0.5e-3, 1e-12  # build first (sitting period 0 out), then compete
    assert np.any(np.all(entries == sat, axis=(1, 2)))
    shared = target.copy()
    shared[1, 5] = 1.0  # invest in performance, then share the lead in the next period
    assert np.any(np.all(entries == shared, axis=(1, 2)))
    both = own.copy()  # build safety and performance at once (a player re-entering), then compete
    both[0, 2] += 30.0
    both[0, 3] += 3.0
    both[1:, :2] *= 10.0
    assert np.any(np.all(entries == both, axis=(1, 2)))


@pytest.mark.slow
def test_readme_sharing_model_four_players_is_certified_and_survives_an_independent_search():
    """The benchmark's sharing model (README technology, investment and sharing), n = 4, T = 5:
    certified, and no player's independent re-optimisation gains."""
    agg = models.builtin("readme_sharing", 4)
    res = agg.solve(5)
    assert res.success, res.message
    assert np.all(independent_gain_multi(agg, res) <= 1e-6)


def test_gradient_against_a_history_of_profiles_matches_single_profiles():
    """The batched pass over a history (the mixed solver's best response) equals one adjoint
    pass per profile, in values and gradients."""
    agg, T = models.sharing_aggregator(3, end_on_win=True), 3
    game = agg.game(T)
    rng = np.random.default_rng(4)
    history = np.minimum(rng.uniform(0.05, 1.0, (5, game.N)), game.upper)
    own = np.minimum(rng.uniform(0.05, 1.0, T * game.k), game.upper[game.own_index(2)])
    values, grads = game.player_gradient_profiles(2, own, history)
    for h in range(5):
        x = history[h].copy()
        x[game.own_index(2)] = own
        value, grad = game.player_gradient(2, x)
        assert values[h] == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(grads[h], grad, rtol=1e-10, atol=1e-14)


def test_giving_up_after_sharing_is_checked():
    """Sharing, multiplicative risk: the leader shares its safety lead in period 0, then does best
    to give up (performance -> 0, no investment) while keeping that share; a give-up candidate
    that also dropped the share missed it, and the profile was once certified."""
    prod = dp.ProdFunc(a=[11.030168869752032, 7.525750046077274], alpha=[0.33278675379808065, 0.5822282580409786],
                       b=[1.8823634818128858, 1.7899037442211125], beta=[0.46595056741276497, 0.30075999762485156])
    cost = dp.CostFunc.fixed_sharing([0.12387968988776137, 0.12671213184109203],
                                     [0.023948615221959606, 0.015576365800146572],
                                     [0.008379840139468733, 0.004624988187339935])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.multiplicative([0.3215953303664205, 0.6895066980725717]),
                       csf=dp.CSF.maybe_no_win(), d=[1.166296205890438, 0.5814216367279612], cost_func=cost)
    agg = dp.Aggregator(pf, gammas=[0.6917507171514906, 0.6304284398114257])
    res = agg.solve(4)
    _assert_certified_or_defeated(agg, res, min_gain=1e-4)


@pytest.mark.slow
def test_a_player_who_gave_up_is_checked_for_building_then_reentering():
    """Player 2 has given up (performance 1e-100) while sharing; investing in performance in the
    first period and competing afterwards pays 0.005 (found by a climb in log coordinates from
    an "invest, then compete" candidate raised to a competing level); the profile was once
    certified."""
    prod = dp.ProdFunc(a=[11.379747486866002, 8.14275794324745, 13.742628178939768],
                       alpha=[0.5535148448307874, 0.38662724540099624, 0.5678058670957289],
                       b=[1.894144425464414, 0.8676498090398658, 0.8212283185401608],
                       beta=[0.42844049052168653, 0.681512546631051, 0.6114154823978325])
    cost = dp.CostFunc.fixed_sharing([0.16102334517331535, 0.09401670325718672, 0.1365287201694424],
                                     [0.032134383842572285, 0.02631504975606381, 0.03527405377518153],
                                     [0.0069665675448417185, 0.0007386114258789592, 0.005344442015057816])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.multiplicative([0.6947078073209172, 0.6756502710301231, 0.5941698726681738]),
                       csf=dp.CSF.maybe_no_win(), d=[1.631127878479511, 1.1765199748884987, 0.9939882074628483],
                       cost_func=cost, share_map="exp")
    agg = dp.Aggregator(pf, gammas=[0.7827463137977635, 0.9503843638745291, 0.8996310220763152])
    res = agg.solve(3)
    _assert_certified_or_defeated(agg, res, min_gain=1e-4)


def test_end_on_win_when_someone_always_wins_ends_after_the_first_period():
    """With the Tullock contest someone wins in period 0, so P_t = 0 for t >= 1: U_i = u_i(0).
    The game is solved (a warning, once), later periods marked indeterminate."""
    agg = dp.Aggregator(models.readme_payoff().replace(r_inv=0.01), gammas=[0.5, 0.9], end_on_win=True)
    with pytest.warns(dp.DynapaiWarning, match="ends after the first period") as caught:
        res = agg.solve(3)
    assert len([w for w in caught if issubclass(w.category, dp.DynapaiWarning)]) == 1
    static = dp.Aggregator(models.readme_payoff().replace(r_inv=0.01)).solve()
    assert res.success and static.success
    np.testing.assert_allclose(res.strategies.data[0], static.strategies.data[0], rtol=1e-9)
    assert np.all(res.strategies.data[0, :, 2:] == 0)  # investment only pays later: none
    assert res.indeterminate.shape == (3, 2, 4)
    assert res.indeterminate[1:].all() and not res.indeterminate[0].any()
    np.testing.assert_allclose(res.payoffs, static.payoffs, rtol=1e-12)
    np.testing.assert_array_equal(agg.probas(res)[:, 0], [1.0, 0.0, 0.0])
    # any later play leaves every payoff unchanged (weight 0) ...
    other = res.strategies.data.copy()
    other[1:] = 3.0
    np.testing.assert_allclose(agg.u(other), res.payoffs, rtol=1e-12)
    # ... and no player gains by deviating in the first period (a one-sided probe)
    for i in range(2):
        for scale in (0.5, 0.9, 1.1, 2.0):
            dev = res.strategies.data.copy()
            dev[0, i, :2] *= scale
            assert agg.u(dev)[i] <= res.payoffs[i] + 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        agg.solve(2)  # warned once per aggregator


@pytest.mark.slow
def test_search_tries_players_out_of_the_race_with_a_token_safety_input():
    """Three players, multiplicative risk, a contest that may have no winner: every Newton start
    ends at a point that is not a local maximum. Before giving up, the search starts from weak
    players out of the race (performance 0, a token safety input), which reaches a certified
    equilibrium (here nobody takes part: a lone entrant makes a disaster certain), and says so."""
    prod = dp.ProdFunc(a=[10.572473467854952, 12.098239387167038, 9.898407535047003],
                       alpha=[0.38144850048034784, 0.49279031518946, 0.3136420253795946],
                       b=[0.938075847781327, 1.8175183738903304, 1.448411304627445],
                       beta=[0.30274335500869837, 0.310687313428759, 0.6656369850333614])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.multiplicative([0.6138986363048738, 0.6319952561262936, 0.6610867945530295]),
                       csf=dp.CSF.maybe_no_win(1.6574260544821344),
                       d=[1.6785478756940044, 1.6437837115690264, 1.6355354701192442],
                       r=[0.1624107140285091, 0.08641242370946459, 0.08684227274807],
                       r_inv=[0.021864995207421734, 0.014306966279665888, 0.016442742716816273])
    agg = dp.Aggregator(pf, gammas=[0.859237340087837, 0.8755827707209723, 0.9754650936487207], end_on_win=True)
    res = agg.solve(4)
    assert res.success, res.message
    assert res.certificate.passed
    if not np.any(res.strategies.data):
        assert any("nobody takes part" in note for note in res.notes)


def test_inputs_within_rounding_of_a_bound_that_holds_them_are_not_free_in_the_second_order_check():
    """Three players, multiplicative risk, player 3 out of the race. At this certified equilibrium
    the investments sit at exactly 0 with conditions that push into the bound. A Newton iterate
    lands such inputs at 1e-31 instead: they are still held by the bound (the critical cone leaves
    them out), so the certificate must not change, although the payoff is convex along some of them."""
    prod = dp.ProdFunc(a=[10.207521651516165, 10.1684373955713, 7.90816237400172],
                       alpha=[0.30084701273469905, 0.3165256812225801, 0.628543388735164],
                       b=[0.9184530876233439, 1.979304368983816, 1.4203434366096643],
                       beta=[0.6157888657283136, 0.5296650524975413, 0.32489055325840854])
    pf = dp.PayoffFunc(prod, dp.RiskFunc.multiplicative([0.794192254229751, 0.4020460463217971, 0.7549624777387496]),
                       csf=dp.CSF.maybe_no_win(1.8968586651851962),
                       d=[1.6182835778524631, 1.2449851616170724, 1.2109239263171125],
                       r=[0.08987914367952125, 0.1961681551441436, 0.19979666081427122],
                       r_inv=[0.0382590976508837, 0.005312054851996151, 0.009236260255226988])
    agg = dp.Aggregator(pf, gammas=[0.9997315021789999, 0.8538303701928383, 0.9736206097709599], end_on_win=True)
    X = np.zeros((3, 3, 4))
    X[:, 0, :2] = [[0.33664215510263223, 0.5165213912480112], [0.28937193305883335, 0.35682566531852827],
                   [0.2528806883360215, 0.2543630026993794]]
    X[:, 1, :2] = [[0.23306408329988476, 0.24224844789088368], [0.28438665336469626, 0.1847686911024822],
                   [0.29871165902808877, 0.21502759191838858]]
    X[0, 1, 3] = 1.4271980910978814
    X[:, 2, :2] = [[8.37279608137076e-16, 1e-100], [7.314110733359186e-16, 1e-100], [1.1202682369146185e-15, 1e-100]]
    game = agg.game(3)
    exact = dp.solvers.certify(game, game.layout.pack(X), dp.SolverOptions())
    assert exact.passed, exact.describe()
    rounded = X.copy()
    rounded[..., 2:4] = np.where(rounded[..., 2:4] == 0.0, 1e-31, rounded[..., 2:4])
    G = game.kkt_function(game.layout.pack(rounded))
    assert np.all(game.layout.unpack(G)[..., 2:4][rounded[..., 2:4] == 1e-31] < -1e-4)  # held by the bound
    cert = dp.solvers.certify(game, game.layout.pack(rounded), dp.SolverOptions(), check_global=False)
    assert cert.second_order_ok, cert.describe()
    np.testing.assert_allclose(cert.max_eigenvalues[:2], exact.max_eigenvalues[:2], rtol=1e-6)
