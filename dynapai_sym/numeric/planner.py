r"""The planner's problem numerically: one weighted objective over every player's actions.

.. math::

    W(x) = \sum_i w_i U_i(x), \qquad U_i = \sum_{t=0}^{T-1} \gamma_i^t L_t u_i(z_t, y_t),

maximised over the whole flat action vector ``x`` (:class:`~dynapai_sym.layout.ActionLayout`)
with the game's bounds. The players' objectives are evaluated with one belief (one compiled
model and its parameters) and chained through time by
:class:`~dynapai_sym.numeric.chain.BeliefChain`; since the adjoint pass is linear in the
objective, the planner's adjoint is the weighted sum of the players' adjoints,
:math:`\lambda^W_t = \sum_i w_i \lambda^i_t`.

First-order conditions are scaled by the period's mean weight,

.. math::

    G_t(x) = \frac{1}{\bar\omega_t} \frac{\partial W}{\partial z_t}, \qquad
    \bar\omega_t = L_t \frac{\sum_i w_i \gamma_i^t}{\sum_i w_i} > 0,

which leaves the KKT points unchanged and keeps late periods well determined (as the players'
conditions are scaled in :class:`~dynapai_sym.numeric.NumericGame`). The exact Jacobian of
:math:`G` is :math:`\bar\omega_t^{-1}(\nabla^2 W - G_t \otimes \nabla \bar\omega_t)`, with the full
Hessian :math:`\nabla^2 W` from a second-order adjoint pass over all rows (the players'
games need only their own rows).

The object offers what :func:`dynapai_sym.solvers.kkt.solve_kkt` asks of a game
(``kkt_function``, ``kkt_jacobian``, ``kkt_residual``, ``singular_corners``, ``payoffs``,
``lower``, ``upper``), so the Nash solver's semismooth Newton method solves the planner's
KKT system unchanged.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..layout import ActionLayout
from .chain import BeliefChain
from .game import _AT_BOUND, _SINGULAR

__all__ = ["PlannerProblem"]


class PlannerProblem:
    r"""The weighted welfare :math:`W = \sum_i w_i U_i` over the joint action vector.

    Parameters
    ----------
    model : CompiledModel
        The one-period blocks (of the belief the planner uses), or any object with the same
        ``values``, ``values_first`` and ``dynamic`` calls.
    theta, y0 : ndarray
        Parameter values and the moving state at t = 0.
    gammas : ndarray, shape (n,)
    horizon : int
    end_on_win : bool
    weights : ndarray, shape (n,)
        Non-negative welfare weights with a positive sum.
    lower : ndarray, optional
        Lower bounds (default 0); the upper bounds are the model's.

    Examples
    --------
    >>> import numpy as np
    >>> from dynapai_sym import models
    >>> pf = models.readme_payoff()
    >>> prob = PlannerProblem(pf.compiled, pf.param_vector(), pf.state_vector(), np.ones(2), 1,
    ...                       False, np.ones(2))
    >>> x = np.array([1.0, 2.0, 1.0, 2.0])
    >>> round(float(prob.welfare(x)), 7)  # u_1 + u_2 at the README's check profile
    -0.419863
    """

    def __init__(self, model, theta, y0, gammas, horizon: int, end_on_win: bool, weights, lower=None):
        self.model = model
        self.n, self.k, self.m = model.n, model.k, model.m
        self.T = int(horizon)
        self.layout = ActionLayout(self.T, self.n, self.k)
        self.N = self.layout.N
        self.gammas = np.asarray(gammas, dtype=float)
        self.end_on_win = bool(end_on_win)
        w = np.asarray(weights, dtype=float)
        if w.shape != (self.n,) or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
            raise InvalidArgumentError(f"weights must be {self.n} non-negative numbers with a positive sum, "
                                       f"got {weights!r}")
        self.weights = w
        self.chain = BeliefChain(model, theta, y0, self.gammas, self.T, end_on_win, np.arange(self.n))
        self.upper = np.tile(np.asarray(model.upper, dtype=float), self.T)
        self.lower = np.zeros(self.N) if lower is None else np.asarray(lower, dtype=float)
        # mean discount of each period: bar omega_t = L_t * c_t
        self.c = (w[:, None] * self.chain.discount).sum(axis=0) / w.sum()
        self.smooth = bool(model.structure.smooth)
        self.static = False  # the Jacobian costs more than the conditions: separate merit checks
        self.evaluations = 0

    def with_lower(self, lower: np.ndarray) -> PlannerProblem:
        """The same problem with other lower bounds (e.g. inputs held at a floor above 0)."""
        out = object.__new__(PlannerProblem)
        out.__dict__.update(self.__dict__)
        out.lower = np.asarray(lower, dtype=float)
        return out

    # ------------------------------------------------------------ values
    def utilities(self, x: np.ndarray) -> np.ndarray:
        """:math:`U_i` of every player by the planner's belief: (n,), or (n, B) for profiles (B, N)."""
        x = np.asarray(x, dtype=float)
        self.evaluations += 1 if x.ndim == 1 else x.shape[0]
        Z = self.layout.periods(x) if x.ndim == 1 else self.layout.paths(x)
        with np.errstate(all="ignore"):
            return self.chain.objective(Z)

    def welfare(self, x: np.ndarray) -> np.ndarray:
        """:math:`W`: a float for one profile, (B,) for profiles (B, N)."""
        return self.weights @ self.utilities(x)

    def payoffs(self, x: np.ndarray) -> np.ndarray:
        """:math:`U_i` of every player (what :func:`~dynapai_sym.solvers.kkt.solve_kkt` checks for finiteness)."""
        return self.utilities(x)

    def gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        r""":math:`W` and its (unscaled) gradient :math:`\partial W/\partial x`: float, (N,)."""
        Z = self.layout.periods(np.asarray(x, dtype=float))
        self.evaluations += 1
        with np.errstate(all="ignore"):
            grad, _, values = self.chain.gradient(Z)
        gw = np.tensordot(self.weights, grad, axes=1)  # (T, m)
        return float(self.weights @ values), self.layout.pack(gw.reshape(self.T, self.n, self.k))

    def gradient_batch(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`W` and :math:`\partial W/\partial x` for profiles ``X`` (B, N): (B,), (B, N).

        One batched forward and adjoint pass.
        """
        X = np.asarray(X, dtype=float)
        Z = self.layout.paths(X)  # (T, m, B)
        self.evaluations += X.shape[0]
        with np.errstate(all="ignore"):
            periods, _, L = self.chain._forward(Z, self.model.values_first)
            values, grad = self.chain._adjoint(periods, L)  # (P, B), (P, T, m, B)
        gw = np.tensordot(self.weights, grad, axes=1)  # (T, m, B)
        return self.weights @ values, self.layout.profiles(gw)

    def hessian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        r"""The full Hessian of :math:`W` by a second-order adjoint pass.

        Returns
        -------
        H : (N, N)   :math:`\nabla^2 W` (symmetric)
        g : (T, m)   :math:`\partial W / \partial z_t`
        L : (T,)     survival probabilities :math:`L_t`
        dL : (T, N)  :math:`\partial L_t / \partial x`
        """
        ch = self.chain
        lay = self.layout
        T, m, ds, N = self.T, self.m, ch.ds, self.N
        nv = m + ds
        Z = lay.periods(np.asarray(x, dtype=float))
        self.evaluations += 1
        w = self.weights
        with np.errstate(all="ignore"):
            periods, _, L = ch._forward(Z, ch._values_second)
            _, grad, lam_y, lam_L = ch._adjoint(periods, L, keep=True)
        gw = np.tensordot(w, grad, axes=1)  # (T, m)
        lam_y = np.tensordot(w, lam_y, axes=(0, 1))  # (T, ds): the planner's adjoints
        lam_L = lam_L @ w  # (T,)
        d = ds + 1
        A_all = np.zeros((T, d, d))
        B_all = np.zeros((T, d, m))
        W_all = np.zeros((T, d, N))
        Wt = np.zeros((d, N))
        for t in range(T):
            _, _, qt, _, f_v, q_v = periods[t][:6]
            A_all[t, :ds, :ds] = f_v[:, m:]
            B_all[t, :ds] = f_v[:, :m]
            if self.end_on_win:
                A_all[t, ds, :ds] = -L[t] * q_v[m:]
                A_all[t, ds, ds] = 1.0 - qt
                B_all[t, ds] = -L[t] * q_v[:m]
            else:
                A_all[t, ds, ds] = 1.0
            W_all[t] = Wt
            Wt = A_all[t] @ Wt
            Wt[:, lay.period_slice(t)] += B_all[t]
        H = np.zeros((N, N))
        S = np.zeros((d, d))
        for t in range(T - 1, -1, -1):
            _, _, _, u_v, f_v, q_v, u_vv, f_vv, q_vv = periods[t]
            g = w * ch.discount[:, t]  # (n,): w_i gamma_i^t
            M = np.zeros((nv + 1, nv + 1))
            M[:nv, :nv] = L[t] * np.tensordot(g, u_vv, axes=1)
            if ds:
                M[:nv, :nv] += np.tensordot(lam_y[t], f_vv, axes=1)
            if self.end_on_win:
                M[:nv, :nv] -= lam_L[t] * L[t] * q_vv
                cross = g @ u_v - lam_L[t] * q_v
                M[:nv, nv] = cross
                M[nv, :nv] = cross
            At, Bt = A_all[t], B_all[t]
            SB = S @ Bt
            cols = lay.period_slice(t)
            H[cols, cols] = M[:m, :m] + Bt.T @ SB
            if t:
                C = M[m:, :m] + At.T @ SB  # (d, m)
                earlier = lay.period_slice(0, t)
                block = W_all[t][:, earlier].T @ C  # rows: earlier actions, columns: period t
                H[earlier, cols] = block
                H[cols, earlier] = block.T
            S = M[m:, m:] + At.T @ S @ At
        dL = W_all[:, ds, :]  # (T, N)
        return 0.5 * (H + H.T), gw, L[:-1], dL

    # ------------------------------------------------------------ conditions
    def _scale(self, L: np.ndarray) -> np.ndarray:
        return np.repeat(self.c * L, self.m)  # bar omega_t for each entry of x

    def kkt_function(self, x: np.ndarray) -> np.ndarray:
        r"""Scaled first-order conditions :math:`G(x)` (module docstring): (N,)."""
        Z = self.layout.periods(np.asarray(x, dtype=float))
        self.evaluations += 1
        with np.errstate(all="ignore"):
            grad, weights, _ = self.chain.gradient(Z)
        L = weights[0] / self.chain.discount[0]  # the players' weights are gamma_i^t L_t
        gw = np.tensordot(self.weights, grad, axes=1).reshape(-1)
        return gw / self._scale(L)

    def kkt_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`G(x)` and its exact Jacobian: (N,), (N, N)."""
        H, gw, L, dL = self.hessian(x)
        scale = self._scale(L)
        G = gw.reshape(-1) / scale
        dscale = np.repeat(self.c[:, None] * dL, self.m, axis=0)  # (N, N): d bar omega / dx per row
        J = (H - G[:, None] * dscale) / scale[:, None]
        return G, J

    def natural_residual(self, x: np.ndarray, G: np.ndarray | None = None) -> np.ndarray:
        r""":math:`x - \Pi_{[l,u]}(x + G(x))`; singular corners exactly on the bound count as satisfied."""
        G = self.kkt_function(x) if G is None else G
        with np.errstate(invalid="ignore"):
            res = x - np.clip(x + G, self.lower, self.upper)
        on_bound = np.asarray(x) <= self.lower
        if not on_bound.any():
            return res
        return np.where(self.singular_corners(x, G) & on_bound, 0.0, res)

    def kkt_residual(self, x: np.ndarray, G: np.ndarray | None = None) -> float:
        r"""The KKT residual :math:`\|x - \Pi_{[l,u]}(x + G(x))\|_\infty`."""
        return float(np.max(np.abs(self.natural_residual(x, G))))

    def singular_corners(self, x: np.ndarray, G: np.ndarray, JG: np.ndarray | None = None) -> np.ndarray:
        """Variables at their lower bound whose condition is not finite or beyond 1e12 in size
        (an input at exactly 0 where its production term has an infinite slope); see
        :meth:`NumericGame.singular_corners`."""
        at_lower = np.asarray(x) <= self.lower + _AT_BOUND
        if not at_lower.any():
            return at_lower
        with np.errstate(invalid="ignore"):
            wild = ~(np.abs(G) < _SINGULAR)
            if JG is not None:
                wild = wild | ~(np.abs(np.diagonal(JG)) < _SINGULAR)
        return at_lower & wild

    def free_hessian(self, x: np.ndarray, active: np.ndarray) -> np.ndarray:
        r"""The scaled Hessian :math:`D^{-1/2}\nabla^2 W D^{-1/2}` on the variables not in ``active``
        (a congruence: its eigenvalue signs are those of :math:`\nabla^2 W` there)."""
        H, _, L, _ = self.hessian(x)
        s = 1.0 / np.sqrt(self._scale(L))
        H = s[:, None] * H * s[None, :]
        free = ~np.asarray(active, dtype=bool)
        return H[np.ix_(free, free)]
