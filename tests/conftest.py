"""Shared fixtures and independent checks for the test suite."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings
from scipy.optimize import minimize

import dynapai_sym as dp
from dynapai_sym import models

# property tests draw the same examples on every run (a test suite that passes once passes
# again); HYPOTHESIS_PROFILE=explore draws new ones, to look for counterexamples
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def readme_payoff():
    return models.readme_payoff()


def combine_risk(safe: np.ndarray, risk: str, w: np.ndarray | None = None) -> np.ndarray:
    """sigma_j from each player's safe fraction s_j/(1+s_j) (numpy, written independently of the package)."""
    n = len(safe)
    w = np.ones(n) if w is None else np.asarray(w)
    if risk == "winner_only":
        return safe
    if risk == "multiplicative":
        return np.full(n, np.prod(safe**w) ** (n / w.sum()))
    return np.full(n, np.sum(w * safe) / w.sum())


def replacing_solve(agg: dp.Aggregator, solve):
    """A copy of ``agg`` whose ``solve`` is ``solve(original_bound_solve, *args, **kwargs)``.

    Aggregators are immutable, so tests that make one point misbehave build a subclass
    instead of patching an instance.
    """
    class Patched(type(agg)):
        def solve(self, *args, **kwargs):
            return solve(super().solve, *args, **kwargs)

    return Patched(agg)


def independent_best_gain(agg: dp.Aggregator, res: dp.SolverResult, starts: int = 6, seed: int = 1):
    """Largest payoff gain any player finds by re-optimising its own schedule.

    Independent of the package's certification: multi-start Nelder–Mead in log
    space (derivative-free) on the package's own payoff evaluation, from random
    starts and from drop-out-like starts.
    """
    rng = np.random.default_rng(seed)
    X = res.strategies.data
    T, n, k = X.shape
    base = agg.u(res.strategies)
    gains = np.zeros(n)
    for i in range(n):
        def neg(v, i=i):
            Y = X.copy()
            Y[:, i, :] = np.exp(v).reshape(T, k)
            if k == 6:
                Y[:, i, 4:] = np.minimum(Y[:, i, 4:], 1.0)
            val = agg.u(dp.Strategies(Y))[i]
            return -val if np.isfinite(val) else 1e9
        best = -np.inf
        inits = [np.log(np.maximum(X[:, i, :], 1e-6)).ravel()]
        inits += [np.log(np.maximum(X[:, i, :] * f, 1e-6)).ravel() for f in (0.01, 3.0)]
        inits += [rng.normal(0, 2, size=T * k) for _ in range(starts)]
        for v0 in inits:
            out = minimize(neg, v0, method="Nelder-Mead",
                           options={"maxiter": 4000, "xatol": 1e-9, "fatol": 1e-12})
            best = max(best, -out.fun)
        gains[i] = best - base[i]
    return gains
