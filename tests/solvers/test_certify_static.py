"""The vectorised one-period certification (solvers/certify_static.py) against certify_steps."""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym.numeric import StaticBatch
from dynapai_sym.solvers import SolverOptions
from dynapai_sym.solvers.batch import certify_batch
from dynapai_sym.solvers.certify import certify, certify_steps
from dynapai_sym.solvers.certify_static import certify_static, probe_draws


def _by_steps(game, x, options):
    """certify_steps driven one request at a time (no vectorised path)."""
    steps = certify_steps(game, x, options, np.random.default_rng(options.seed), True)
    try:
        request = next(steps)
        while True:
            i, schedules = request
            request = steps.send(game.player_objective(i, schedules, x))
    except StopIteration as stop:
        return stop.value


def _random_games(count: int, seed: int, risk: str, n: int):
    """Static games of one structure with random, player-specific parameters."""
    rng = np.random.default_rng(seed)
    games = []
    for _ in range(count):
        prod = dp.ProdFunc(a=rng.uniform(5, 20, n), alpha=rng.uniform(0.3, 0.7, n),
                           b=rng.uniform(5, 20, n), beta=rng.uniform(0.3, 0.7, n))
        risk_func = getattr(dp.RiskFunc, risk)(rng.uniform(0.0, 1.0, n))
        pf = dp.PayoffFunc(prod_func=prod, risk_func=risk_func, d=rng.uniform(0, 2, n), r=rng.uniform(0.02, 0.2, n))
        games.append(dp.Aggregator(pf))
    return games


def _same(a, b):
    assert a.kkt_ok == b.kkt_ok and a.second_order_ok == b.second_order_ok
    assert (np.isnan(a.kkt_residual) and np.isnan(b.kkt_residual)) or a.kkt_residual == b.kkt_residual
    np.testing.assert_array_equal(a.max_eigenvalues, b.max_eigenvalues)
    np.testing.assert_array_equal(a.gains, b.gains)
    assert [(d.player, d.gain) for d in a.deviations] == [(d.player, d.gain) for d in b.deviations]
    for d, e in zip(a.deviations, b.deviations):
        np.testing.assert_array_equal(d.schedule, e.schedule)
    assert a.symmetric == b.symmetric and a.unattained == b.unattained and a.passed == b.passed
    if a.indeterminate is None:
        assert b.indeterminate is None
    else:
        np.testing.assert_array_equal(a.indeterminate, b.indeterminate)


@pytest.mark.parametrize(("risk", "n"), [("winner_only", 2), ("multiplicative", 2), ("additive", 2),
                                         ("winner_only", 3)])
def test_vectorised_certificates_equal_certify_steps(risk, n):
    """At equilibria and at perturbed profiles (defeated by deviations), every certificate the
    vectorised path gives equals certify_steps' own; the rest it leaves to certify_steps."""
    options = SolverOptions()
    aggs = _random_games(8, seed=n, risk=risk, n=n)
    games = [agg.game(1) for agg in aggs]
    batch = StaticBatch(games)
    rng = np.random.default_rng(7)
    X, idx, certified = [], [], []
    for p, agg in enumerate(aggs):
        res = agg.solve(1)
        certified.append(res.success)
        x = res.strategies.data.reshape(-1)
        X += [x, x * np.exp(rng.normal(0, 0.3, x.shape)), rng.uniform(0, 3, x.shape)]
        idx += [p, p, p]
    X = np.array(X)
    draws = probe_draws(np.random.default_rng(options.seed), n, games[0].k, options.probe_samples)
    fast = certify_static(batch, X, idx, options, draws)
    for b, cert in enumerate(fast):
        if cert is not None:
            _same(cert, _by_steps(games[idx[b]], X[b], options))
    # an equilibrium where every player competes needs no local maximisation (players who give
    # up exactly are searched for re-entry, and profiles away from equilibria are polished)
    competing = [b for b in range(0, len(X), 3)
                 if certified[b // 3] and np.all(X[b].reshape(n, -1)[:, :2].max(axis=1) > 0)]
    assert competing
    assert all(fast[b] is not None and fast[b].passed for b in competing)
    # certify_batch (the vectorised path first, then certify_steps) agrees with certify everywhere
    for b, cert in enumerate(certify_batch(batch, X, idx, options)):
        _same(cert, certify(games[idx[b]], X[b], options, np.random.default_rng(options.seed)))
