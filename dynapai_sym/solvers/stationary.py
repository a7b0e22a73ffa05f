r"""The Bellman check of a stationary equilibrium (the infinite horizon).

At a stationary profile :math:`x^*` player i's value is :math:`V_i = U_i(x^*) = u_i/(1 - \gamma_i(1 - Q))`.
Against the others' stationary play, i faces the same one-period problem in every period the
game reaches, so i's best value over *all* strategies (not only stationary ones) is the fixed
point :math:`V_i^\star` of the Bellman operator

.. math::

    (\mathcal{T}_i V)= \max_{a} \big[u_i(a, x^*_{-i}) + \gamma_i (1 - Q(a, x^*_{-i}))\, V\big]

(:math:`Q = 0` when the game goes on after a win). :math:`\mathcal{T}_i` is monotone and a
contraction of modulus :math:`\gamma_i`; so :math:`\mathcal{T}_i V_i \le V_i` gives
:math:`V_i^\star \le V_i`, and since :math:`x^*_i` attains :math:`V_i`, :math:`V_i = V_i^\star`:
no deviation, stationary or not, pays. The maximum is found by a global search over
:math:`a` (structured and random candidates, one batched evaluation, then L-BFGS-B from the best).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from .result import SolverResult

__all__ = ["BellmanCheck", "StationaryResult", "bellman_check", "planner_bellman_check"]

_RANDOM = 512  # random candidates per player
_POLISH = 4  # best candidates polished


@dataclass
class BellmanCheck:
    r"""Each player's Bellman check at a stationary profile.

    Attributes
    ----------
    values : ndarray (n,)
        :math:`V_i = U_i(x^*)`.
    bellman : ndarray (n,)
        :math:`(\mathcal{T}_i V_i)`, the best one-period value plus continuation.
    maximisers : ndarray (n, k)
        The actions attaining it.
    passed : bool
        :math:`\mathcal{T}_i V_i - V_i \le` ``gain_tol`` :math:`(1 + |V_i|)` for every player.
    """

    values: np.ndarray
    bellman: np.ndarray
    maximisers: np.ndarray
    passed: bool
    gains: np.ndarray = field(default=None)

    def describe(self) -> str:
        if self.passed:
            return ("Bellman check passed: no player's one-period deviation plus continuation value beats "
                    "its stationary value")
        i = int(np.argmax(self.gains))
        return f"Bellman check fails: player {i + 1} gains {self.gains[i]:.3g} over its stationary value"


@dataclass
class StationaryResult(SolverResult):
    """A :class:`SolverResult` of the infinite horizon: one stationary period, with its Bellman check."""

    bellman: BellmanCheck | None = None


def _rhs(raw, chain, i: int, Z: np.ndarray, V: float, gamma: float, end_on_win: bool) -> np.ndarray:
    u, _, Q = raw.values(Z, chain.y0, chain.theta)
    cont = gamma * (1.0 - Q) * V if end_on_win else gamma * V + 0.0 * Q
    return u[i] + cont


def bellman_check(game, x: np.ndarray, options, rng: np.random.Generator | None = None) -> BellmanCheck:
    """Check each player's Bellman equation at the stationary profile ``x`` (module docstring).

    Parameters
    ----------
    game : NumericGame
        The stationary game (one period, built on
        :class:`~dynapai_sym.numeric.stationary.StationaryModel`).
    x : ndarray (n k,)
    options : SolverOptions
        ``gain_tol`` and ``seed``.
    """
    rng = np.random.default_rng(options.seed) if rng is None else rng
    n, k = game.n, game.k
    lay = game.layout
    U = game.payoffs(x)
    X = lay.unpack(x)[0]  # (n, k)
    scale = max(float(np.max(X)), 1e-3)
    upper = game.upper[:k]
    best_val, best_a = np.empty(n), np.empty((n, k))
    for i in range(n):
        chain, _ = game.chain_of(i)
        sm = chain.model
        raw, gamma, eow = sm.model, float(sm.gammas[i]), sm.end_on_win
        V = float(U[i])
        cands = [X[i], np.zeros(k)] + [X[i] * c for c in (0.01, 0.1, 0.5, 2.0, 10.0)] + [X[j] for j in range(n)]
        cands.append(np.where(np.arange(k) < 2, 0.0, X[i]))
        rand = scale * np.exp(rng.uniform(np.log(1e-6), np.log(1e3), size=(_RANDOM, k)))
        A = np.clip(np.vstack([np.asarray(cands), rand]), 0.0, upper)
        Z = lay.against(i, A[:, None, :], x)[0]  # (m, B)
        with np.errstate(all="ignore"):
            vals = _rhs(raw, chain, i, Z, V, gamma, eow)
        vals = np.where(np.isfinite(vals), vals, -np.inf)
        order = np.argsort(-vals)[:_POLISH]
        top_val, top_a = float(vals[order[0]]), A[order[0]].copy()

        def neg(a, i=i, chain=chain, raw=raw, gamma=gamma, eow=eow, V=V):
            z = lay.against(i, a[None, None, :], x)[0][:, 0]
            u, _, Q, u_v, _, Q_v = raw.values_first(z, chain.y0, chain.theta)
            own = slice(i * k, (i + 1) * k)
            if eow:
                val = u[i] + gamma * (1.0 - Q) * V
                grad = u_v[i, own] - gamma * V * Q_v[own]
            else:
                val, grad = u[i] + gamma * V, u_v[i, own]
            if not (np.isfinite(val) and np.all(np.isfinite(grad))):
                return 1e300, np.zeros(k)
            return -val, -grad

        for j in order:
            with np.errstate(all="ignore"):
                res = minimize(neg, A[j], jac=True, method="L-BFGS-B",
                               bounds=[(0.0, b if np.isfinite(b) else None) for b in upper],
                               options={"maxiter": 500, "ftol": 1e-15, "gtol": 1e-12})
            if np.isfinite(res.fun) and -res.fun > top_val:
                top_val, top_a = float(-res.fun), np.asarray(res.x)
        best_val[i], best_a[i] = top_val, top_a
    gains = best_val - U
    passed = bool(np.all(gains <= options.gain_tol * (1.0 + np.abs(U))))
    return BellmanCheck(np.asarray(U, dtype=float), best_val, best_a, passed, gains)


def planner_bellman_check(model, theta, y0, weights, x: np.ndarray, options,
                          rng: np.random.Generator | None = None) -> BellmanCheck:
    r"""The planner's Bellman check at a stationary profile ``x`` (one discount factor for all).

    With :math:`\gamma_i = \gamma` for every player the planner's problem is itself a stationary
    decision problem: its value over all plans is the fixed point of
    :math:`(\mathcal{T} V) = \max_x [\sum_i w_i u_i(x) + \gamma (1 - Q(x)) V]`, and
    :math:`\mathcal{T} W \le W` at the stationary welfare :math:`W` proves that no plan, stationary
    or not, does better. The maximum is searched over the joint action vector (structured and
    random profiles, one batched evaluation, L-BFGS-B from the best).

    Parameters
    ----------
    model : StationaryModel
    theta, y0 : ndarray
    weights : ndarray (n,)
    x : ndarray (n k,)
    options : SolverOptions
    """
    rng = np.random.default_rng(options.seed) if rng is None else rng
    raw, gammas, eow = model.model, model.gammas, model.end_on_win
    gamma = float(gammas[0])
    w = np.asarray(weights, dtype=float)
    m = model.m
    W = float(w @ model.payoffs(x, y0, theta))
    upper = np.asarray(model.upper, dtype=float)
    scale = max(float(np.max(x)), 1e-3)

    def batch_rhs(X):  # X (m, B)
        u, _, Q = raw.values(X, y0, theta)
        return w @ u + (gamma * (1.0 - Q) * W if eow else gamma * W)

    cands = [x, np.zeros(m)] + [x * c for c in (0.01, 0.1, 0.5, 2.0, 10.0)]
    k = model.k
    for i in range(model.n):  # each player alone
        alone = np.zeros(m)
        alone[i * k:(i + 1) * k] = x[i * k:(i + 1) * k]
        cands.append(alone)
    rand = scale * np.exp(rng.uniform(np.log(1e-6), np.log(1e3), size=(_RANDOM, m)))
    A = np.clip(np.vstack([np.asarray(cands), rand]), 0.0, upper)
    with np.errstate(all="ignore"):
        vals = batch_rhs(A.T)
    vals = np.where(np.isfinite(vals), vals, -np.inf)
    order = np.argsort(-vals)[:_POLISH]
    top_val, top_x = float(vals[order[0]]), A[order[0]].copy()

    def neg(z):
        u, _, Q, u_v, _, Q_v = raw.values_first(z, y0, theta)
        val = w @ u + (gamma * (1.0 - Q) * W if eow else gamma * W)
        grad = (w @ u_v)[:m] - (gamma * W * Q_v[:m] if eow else 0.0)
        if not (np.isfinite(val) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros(m)
        return -val, -grad

    for j in order:
        with np.errstate(all="ignore"):
            res = minimize(neg, A[j], jac=True, method="L-BFGS-B",
                           bounds=[(0.0, b if np.isfinite(b) else None) for b in upper],
                           options={"maxiter": 500, "ftol": 1e-15, "gtol": 1e-12})
        if np.isfinite(res.fun) and -res.fun > top_val:
            top_val, top_x = float(-res.fun), np.asarray(res.x)
    gain = top_val - W
    passed = bool(gain <= options.gain_tol * (1.0 + abs(W)))
    return BellmanCheck(np.array([W]), np.array([top_val]), top_x[None, :], passed, np.array([gain]))
