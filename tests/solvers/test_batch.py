"""The batched static Newton (solvers/batch.py) against the per-point solver, and its pieces."""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym.numeric import StaticBatch
from dynapai_sym.solvers import SolverOptions
from dynapai_sym.solvers.batch import certified_outcome, predict_equilibria, solve_kkt_batch
from dynapai_sym.solvers.kkt import solve_kkt
from dynapai_sym.solvers.sensitivity import predict_equilibrium


def _games(r_values, theta_values, n=2, risk="winner_only"):
    sc = dp.Scenario.from_params(n=n, r=np.asarray(r_values), theta=np.asarray(theta_values), varying="r",
                                 varying2="theta", risk=risk)
    return sc, [agg.game(1) for agg in sc.aggregators]


def test_batched_compiled_calls_equal_one_by_one():
    """theta (np, P) and y (ds, P) in one call give each point's own (g, J) and payoffs."""
    _, games = _games(np.linspace(0.05, 0.5, 4), np.linspace(0.2, 0.9, 3))
    model = games[0].chains[0].model
    theta = np.stack([g.chains[0].theta for g in games], axis=1)
    y = np.stack([g.chains[0].y0 for g in games], axis=1)
    X = np.random.default_rng(1).uniform(0.1, 3.0, (games[0].N, len(games)))
    g, J = model.static(X, y, theta)
    u, _, _ = model.values(X, y, theta)
    for p, game in enumerate(games):
        g1, J1 = model.static(X[:, p], game.chains[0].y0, game.chains[0].theta)
        assert np.array_equal(g[..., p], g1) and np.array_equal(J[..., p], J1)
        assert np.array_equal(u[..., p], model.payoffs(X[:, p], game.chains[0].y0, game.chains[0].theta))
    # one profile, many parameter sets: z is broadcast
    g2, _ = model.static(X[:, 0], y, theta)
    assert g2.shape == g.shape
    assert np.array_equal(g2[..., 1], model.static(X[:, 0], games[1].chains[0].y0, games[1].chains[0].theta)[0])


def test_static_batch_equals_numeric_game():
    _, games = _games(np.linspace(0.05, 0.5, 3), np.linspace(0.2, 0.9, 2))
    batch = StaticBatch(games)
    X = np.random.default_rng(2).uniform(0.0, 2.0, (len(games), games[0].N))
    G, J = batch.kkt_jacobian(X)
    U = batch.payoffs(X)
    res = batch.kkt_residual(X, G)
    for p, game in enumerate(games):
        G1, J1 = game.kkt_jacobian(X[p])
        assert np.array_equal(G[p], G1) and np.array_equal(J[p], J1)
        assert np.array_equal(U[p], game.payoffs(X[p]))
        assert res[p] == game.kkt_residual(X[p], G1)
    # a subset of the points, by index
    G_sub = batch.kkt_function(X[[0, 2]], np.array([4, 1]))
    assert np.array_equal(G_sub[0], games[4].kkt_function(X[0]))
    assert np.array_equal(G_sub[1], games[1].kkt_function(X[2]))


def test_static_batch_rejects_mixed_structures():
    _, games2 = _games([0.1, 0.2], [0.5])
    _, games3 = _games([0.1], [0.5], n=3)
    assert StaticBatch.compatible(games2)
    assert not StaticBatch.compatible(games2 + games3)
    with pytest.raises(dp.DynapaiError):
        StaticBatch(games2 + games3)


@pytest.mark.parametrize("start", ["ones", "random"])
def test_batched_newton_equals_solve_kkt_per_point(start):
    """Every point the batch converges follows solve_kkt's iterates: the same x (bit for bit),
    residual and iteration count; the points it hands over are ones solve_kkt needs more for."""
    _, games = _games(np.linspace(0.01, 0.3, 12), np.linspace(0.1, 1.0, 10))
    batch = StaticBatch(games)
    rng = np.random.default_rng(3)
    X0 = np.ones((batch.P, batch.N)) if start == "ones" else rng.uniform(0.05, 20.0, (batch.P, batch.N))
    run = solve_kkt_batch(batch, X0, tol=1e-12, max_iter=50)
    assert run.converged.sum() > batch.P // 2
    assert not np.any(run.converged & run.handed_over)
    for p, game in enumerate(games):
        ref = solve_kkt(game, X0[p], tol=1e-12, max_iter=200)
        if run.converged[p]:
            assert ref.converged
            np.testing.assert_array_equal(run.x[p], ref.x)
            assert run.iterations[p] == ref.iterations
            assert run.residual[p] == ref.residual
        else:
            assert run.handed_over[p]


def test_conditions_first_line_search_gives_the_same_iterates():
    """Trial points tested on the conditions first (the Jacobian only where accepted): the same
    run, bit for bit, from starts where the line search backtracks."""
    _, games = _games(np.linspace(0.01, 0.3, 6), np.linspace(0.1, 1.0, 5))
    batch = StaticBatch(games)
    X0 = np.random.default_rng(4).uniform(0.05, 20.0, (batch.P, batch.N))
    plain = solve_kkt_batch(batch, X0, tol=1e-12, max_iter=50)
    first = solve_kkt_batch(batch, X0, tol=1e-12, max_iter=50, conditions_first=True)
    for name in ("x", "residual", "iterations", "converged", "handed_over"):
        np.testing.assert_array_equal(getattr(first, name), getattr(plain, name))


def test_batched_predictor_equals_predict_equilibrium():
    _, games = _games(np.linspace(0.05, 0.2, 6), np.linspace(0.3, 0.8, 2))
    batch = StaticBatch(games)
    xs = []
    for game in games:
        run = solve_kkt(game, np.ones(game.N))
        assert run.converged
        xs.append(run.x)
    old = np.arange(len(games) - 1)
    new = old + 1
    X_pred, ok = predict_equilibria(batch, np.stack(xs[:-1]), old, new)
    for b in range(len(old)):
        ref = predict_equilibrium(games[old[b]], xs[old[b]], games[new[b]])
        assert ok[b] == (ref is not None)
        if ref is not None:
            np.testing.assert_array_equal(X_pred[b], ref)


def test_certified_outcome_is_certify():
    _, games = _games([0.1], [0.5])
    game = games[0]
    options = SolverOptions()
    run = solve_kkt(game, np.ones(game.N))
    out = certified_outcome(game, run.x, run.iterations, options)
    assert out is not None and out.success and out.certificate.passed
    assert out.kkt_residual <= options.kkt_tol
    # not an equilibrium: no outcome
    assert certified_outcome(game, np.ones(game.N), 0, options) is None


def _same_certificate(a, b):
    assert a.passed == b.passed and a.kkt_ok == b.kkt_ok and a.second_order_ok == b.second_order_ok
    assert a.kkt_residual == b.kkt_residual or (np.isnan(a.kkt_residual) and np.isnan(b.kkt_residual))
    np.testing.assert_array_equal(a.gains, b.gains)
    np.testing.assert_array_equal(a.max_eigenvalues, b.max_eigenvalues)
    assert a.symmetric == b.symmetric and a.unattained == b.unattained
    assert [(d.player, d.gain) for d in a.deviations] == [(d.player, d.gain) for d in b.deviations]


@pytest.mark.parametrize("risk", ["winner_only", "multiplicative"])
def test_certify_batch_equals_certify(risk):
    """Shared evaluations, same certificates: at equilibria, at profiles that are not, and at a
    point with a player who gave up; for every point exactly what certify says."""
    from dynapai_sym.solvers.batch import certify_batch
    from dynapai_sym.solvers.certify import certify

    _, games = _games(np.linspace(0.01, 0.3, 5), np.linspace(0.1, 1.0, 3), risk=risk)
    batch = StaticBatch(games)
    options = SolverOptions()
    X = []
    for p, game in enumerate(games):
        run = solve_kkt(game, np.ones(game.N))
        X.append(run.x if p % 3 else np.ones(game.N) * (1 + p))  # every third point: not an equilibrium
    X = np.stack(X)
    X[1, :2] = [1e-9, 1e-12]  # a player near an exit
    idx = np.arange(len(games))[::-1]  # any order of points
    certs = certify_batch(batch, X[idx], idx, options)
    assert any(c.passed for c in certs) and not all(c.passed for c in certs)
    for b, p in enumerate(idx):
        _same_certificate(certs[b], certify(games[p], X[p], options))


def test_certified_outcomes_skip_points_near_an_exit():
    from dynapai_sym.solvers.batch import certified_outcomes

    _, games = _games([0.1, 0.2], [0.5])
    batch = StaticBatch(games)
    X = np.stack([solve_kkt(g, np.ones(g.N)).x for g in games])
    X_exit = X.copy()
    X_exit[1, :2] = [1e-9, 1e-12]  # player 0 of point 1 (nearly) gave up: solve_game's exact exit decides
    outs = certified_outcomes(batch, X_exit, np.arange(2), np.array([3, 4]), SolverOptions())
    assert outs[0] is not None and outs[0].success and outs[0].iterations == 3
    assert outs[1] is None


def test_capped_first_trial_keeps_steps_short_and_reaches_the_same_points():
    """``max_step``: no Newton trial moves an entry by more than max_step times the point's scale
    (its largest entry, at least 1); the runs reach the same solutions."""
    _, games = _games(np.linspace(0.01, 0.3, 6), np.linspace(0.1, 1.0, 5))
    batch = StaticBatch(games)
    X0 = np.random.default_rng(5).uniform(0.05, 20.0, (batch.P, batch.N))
    one = solve_kkt_batch(batch, X0, tol=1e-12, max_iter=1, max_step=0.05)
    bound = 0.05 * np.maximum(1.0, X0.max(axis=1))
    assert np.all(np.max(np.abs(one.x - X0), axis=1) <= bound + 1e-12)
    free = solve_kkt_batch(batch, X0, tol=1e-12, max_iter=1)
    assert np.any(np.max(np.abs(free.x - X0), axis=1) > bound)  # the cap did bind somewhere
    plain = solve_kkt_batch(batch, X0, tol=1e-12, max_iter=50)
    capped = solve_kkt_batch(batch, X0, tol=1e-12, max_iter=50, max_step=0.5)
    both = plain.converged & capped.converged
    assert both.sum() > batch.P // 2
    np.testing.assert_allclose(capped.x[both], plain.x[both], atol=1e-9)
