"""The planner's problem: welfare, gradient and exact Jacobian against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from dynapai_sym import models
from dynapai_sym.errors import InvalidArgumentError
from dynapai_sym.numeric.planner import PlannerProblem


def _problem(agg, T, weights):
    pf = agg.state.beliefs[0]
    gammas = agg.gammas if agg.gammas is not None else np.ones(agg.n)
    return PlannerProblem(pf.compiled, pf.param_vector(), pf.state_vector(), gammas, T, agg.end_on_win,
                          np.asarray(weights, dtype=float))


def _point(prob, rng):
    x = rng.uniform(0.2, 1.5, prob.N)
    shares = np.isfinite(prob.upper)
    x[shares] = rng.uniform(0.1, 0.9, shares.sum())
    return x


CASES = [
    ("basic static", lambda: models.basic_aggregator(2, end_on_win=True), 1, [1.0, 1.0]),
    ("basic end on win", lambda: models.basic_aggregator(3, end_on_win=True), 3, [1.0, 0.5, 2.0]),
    ("invest", lambda: models.invest_aggregator(2, end_on_win=True), 3, [2.0, 1.0]),
    ("sharing", lambda: models.sharing_aggregator(2), 2, [1.0, 0.3]),
]


@pytest.mark.parametrize("name,make,T,weights", CASES, ids=[c[0] for c in CASES])
def test_derivatives_match_finite_differences(name, make, T, weights):
    agg = make()
    prob = _problem(agg, T, weights)
    x = _point(prob, np.random.default_rng(3))
    W, g = prob.gradient(x)
    # the welfare is the weighted sum of the players' objectives
    assert W == pytest.approx(float(np.dot(weights, agg.u(x.reshape(T, agg.n, agg.k)))), rel=1e-13)
    eps = 1e-6
    E = np.eye(prob.N)
    fd = np.array([(prob.welfare(x + eps * e) - prob.welfare(x - eps * e)) / (2 * eps) for e in E])
    assert np.max(np.abs(fd - g)) < 1e-8
    G, J = prob.kkt_jacobian(x)
    assert np.allclose(G, prob.kkt_function(x), rtol=1e-12, atol=1e-14)
    fdJ = np.array([(prob.kkt_function(x + eps * e) - prob.kkt_function(x - eps * e)) / (2 * eps) for e in E]).T
    assert np.max(np.abs(fdJ - J)) < 1e-7 * max(1.0, np.max(np.abs(J)))
    H, _, _, _ = prob.hessian(x)
    assert np.allclose(H, H.T)


def test_batched_values_and_gradients_equal_single_calls():
    agg = models.invest_aggregator(2, end_on_win=True)
    prob = _problem(agg, 3, [1.0, 1.0])
    rng = np.random.default_rng(0)
    X = np.stack([_point(prob, rng) for _ in range(5)])
    Wb, gb = prob.gradient_batch(X)
    for b in range(5):
        W, g = prob.gradient(X[b])
        assert Wb[b] == pytest.approx(W, rel=1e-14)
        assert np.allclose(gb[b], g, rtol=1e-12, atol=1e-15)
    assert np.allclose(prob.welfare(X), Wb, rtol=1e-14)


@pytest.mark.parametrize("weights", [[1.0], [-1.0, 1.0], [0.0, 0.0], [np.nan, 1.0]])
def test_bad_weights_are_refused(weights):
    agg = models.basic_aggregator(2, end_on_win=True)
    with pytest.raises(InvalidArgumentError, match="weights"):
        _problem(agg, 1, weights)
