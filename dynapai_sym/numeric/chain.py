r"""Multi-period numerics: one-period compiled blocks chained through time.

No expression for the whole horizon is ever built. With the augmented state
:math:`w_t = (y_t, L_t)` (moving state and survival probability) and
per-period blocks from :class:`~dynapai_sym.compile.CompiledModel`:

.. math::

    y_{t+1} = f(z_t, y_t), \qquad L_{t+1} = L_t (1 - Q(z_t, y_t)), \qquad L_0 = 1,

    U_i = \sum_{t=0}^{T-1} \gamma_i^t L_t u_i(z_t, y_t)

(:math:`Q \equiv 0` unless the game ends on a win).

* forward pass: states, survival, payoffs — O(T);
* adjoint (backward) pass for gradients: :math:`\lambda_T = 0`,
  :math:`\lambda_t = \gamma^t \partial_w (L u_i) + F_w^\top \lambda_{t+1}`,
  :math:`\partial U_i/\partial z_t = \gamma^t L_t \partial_z u_i + F_z^\top \lambda_{t+1}` — O(T).
  With :math:`v = (z, y)` and :math:`\lambda = (\lambda^y, \lambda^L)`, one row per period gives both
  the gradient (its :math:`z` part) and :math:`\lambda^y_t` (its :math:`y` part):

  .. math::

     r_t = \gamma^t L_t \partial_v u_i + f_v^\top \lambda^y_{t+1} - \lambda^L_{t+1} L_t \partial_v Q,
     \qquad \lambda^L_t = \gamma^t u_i + (1 - Q) \lambda^L_{t+1};

* exact second derivatives (second-order adjoint): with :math:`J_t = \partial(z_t, w_t)/\partial Z`
  from the forward sensitivity :math:`W_{t+1} = F_w W_t + F_z E_t`,

  .. math::

     \nabla^2_Z U_i = \sum_t J_t^\top \Big(\gamma_i^t \nabla^2 (L u_i) + \sum_k \lambda_{t+1,k} \nabla^2 F_k\Big) J_t .

The forward pass is written once (:meth:`BeliefChain._forward`, given the compiled block to
call in each period: values only, values with first derivatives, or with second derivatives
too), and so is the adjoint (:meth:`BeliefChain._adjoint`, for any set of the chain's players,
with or without batch axes); every method below is one of them or both.

The first-order conditions of period t are divided by the period's weight
:math:`\omega_{i,t} = \gamma_i^t L_t > 0` ("conditional on reaching t"), which
leaves the solutions unchanged and keeps late periods well determined.

Array layout (:class:`~dynapai_sym.layout.ActionLayout`): ``Z`` has shape ``(T, m)``
(``m = n k``, player-major within a period), with optional batch axes last: ``(T, m, *batch)``.
"""

from __future__ import annotations

import numpy as np

from ..layout import ActionLayout

__all__ = ["BeliefChain"]


def _lam_f(lam_y: np.ndarray, f_v: np.ndarray) -> np.ndarray:
    r""":math:`f_v^\top \lambda^y` for each player: ``lam_y`` (P, ds, *batch), ``f_v`` (ds, nv, *batch)
    -> (P, nv, *batch). A BLAS product without batch axes, a contraction per path with them."""
    if f_v.ndim == 2:
        return lam_y @ f_v
    return np.einsum("ps...,sv...->pv...", lam_y, f_v)


class BeliefChain:
    """T-period objective of the players who share one belief (one payoff model).

    Parameters
    ----------
    model : CompiledModel
        Compiled one-period blocks.
    theta : ndarray, shape (np,)
        Parameter values (without the moving state).
    y0 : ndarray, shape (ds,)
        Moving state at t = 0.
    gammas : ndarray, shape (n,)
        Discount factors of all players.
    horizon : int
        Number of periods T.
    end_on_win : bool
        Whether the game ends the first time someone wins.
    players : sequence of int
        The players who evaluate their payoff with this belief.
    """

    def __init__(self, model, theta, y0, gammas, horizon: int, end_on_win: bool, players):
        self.model = model
        self.theta = np.asarray(theta, dtype=float)
        self.y0 = np.asarray(y0, dtype=float)
        self.gammas = np.asarray(gammas, dtype=float)
        self.T = int(horizon)
        self.end_on_win = bool(end_on_win)
        self.players = np.asarray(players, dtype=int)
        self.n, self.k, self.m, self.ds = model.n, model.k, model.m, model.ds
        self.layout = ActionLayout(self.T, self.n, self.k)
        # gamma_i^t for the players of this belief: (P, T)
        self.discount = self.gammas[self.players, None] ** np.arange(self.T)[None, :]

    # ------------------------------------------------------------ the two kernels
    def _forward(self, Z: np.ndarray, block) -> tuple[list, np.ndarray, np.ndarray]:
        """The forward pass: one call of ``block(z_t, y_t, theta)`` per period.

        ``block`` is a compiled block whose outputs begin with ``(u, f, Q)`` (payoffs, next
        state, win probability): ``model.values``, ``model.values_first`` or
        :meth:`_values_second`.

        Returns
        -------
        periods : list of T tuples, what ``block`` returned in each period
        y : (T + 1, ds, *batch) moving state
        L : (T + 1, *batch) probability that the game reaches t
        """
        batch = Z.shape[2:]
        T, ds = self.T, self.ds
        y = np.empty((T + 1, ds, *batch))
        y[0] = self.y0.reshape((ds,) + (1,) * len(batch))
        L = np.ones((T + 1, *batch))
        periods = []
        for t in range(T):
            out = block(Z[t], y[t], self.theta)
            periods.append(out)
            y[t + 1] = out[1] if ds else y[t]
            if self.end_on_win:
                L[t + 1] = L[t] * (1.0 - out[2])
        return periods, y, L

    def _adjoint(self, periods: list, L: np.ndarray, pos=slice(None), keep: bool = False) -> tuple:
        r"""The adjoint (backward) pass for the players at positions ``pos`` of :attr:`players`.

        ``periods[t]`` begins with ``(u, f, Q, u_v, f_v, Q_v)`` (from :meth:`_forward` with
        ``model.values_first`` or :meth:`_values_second`); any batch axes of the paths come last.

        Returns
        -------
        values : (P, *batch)        :math:`U_i`
        grad : (P, T, m, *batch)    :math:`\partial U_i / \partial z_t`
        lam_y, lam_L : only with ``keep``, the adjoints :math:`\lambda_{t+1}` of each period t:
            (T, P, ds, *batch) and (T, P, *batch)
        """
        T, m, ds = self.T, self.m, self.ds
        batch = L.shape[1:]
        pl = self.players[pos]
        P = len(pl)
        disc = self.discount[pos].reshape((P, T) + (1,) * len(batch))
        grad = np.empty((P, T, m, *batch))
        values = np.zeros((P, *batch))
        lam_y = np.zeros((P, ds, *batch))
        lam_L = np.zeros((P, *batch))
        if keep:
            kept_y, kept_L = np.empty((T, P, ds, *batch)), np.empty((T, P, *batch))
        for t in range(T - 1, -1, -1):
            ut, _, qt, u_v, f_v, q_v = periods[t][:6]
            if keep:
                kept_y[t], kept_L[t] = lam_y, lam_L
            g = disc[:, t]
            w = g * L[t]
            r = w[:, None] * u_v[pl] + _lam_f(lam_y, f_v)  # (P, nv, *batch)
            if self.end_on_win:
                r -= (lam_L * L[t])[:, None] * q_v
                lam_L = g * ut[pl] + lam_L * (1.0 - qt)
            grad[:, t] = r[:, :m]
            lam_y = r[:, m:]
            values += w * ut[pl]
        return (values, grad, kept_y, kept_L) if keep else (values, grad)

    def _values_second(self, z, y, theta) -> tuple:
        """``(u, f, Q, u_v, f_v, Q_v, u_vv, f_vv, Q_vv)``: values, first and second derivatives
        of one period (two compiled calls), ordered like ``model.values_first`` at the front."""
        u, f, q = self.model.values(z, y, theta)
        u_v, u_vv, f_v, f_vv, q_v, q_vv = self.model.dynamic(z, y, theta)
        return u, f, q, u_v, f_v, q_v, u_vv, f_vv, q_vv

    # ------------------------------------------------------------ values
    def forward(self, Z: np.ndarray):
        """States, survival and payoffs along the path.

        Returns
        -------
        u : (T, n, *batch) payoffs per period
        y : (T + 1, ds, *batch) moving state
        L : (T + 1, *batch) probability that the game reaches t
        Q : (T, *batch) win probability per period (0 unless end_on_win)
        """
        periods, y, L = self._forward(Z, self.model.values)
        u = np.array([out[0] for out in periods])
        Q = np.array([out[2] for out in periods]) if self.end_on_win else np.zeros((self.T, *Z.shape[2:]))
        return u, y, L, Q

    def objective(self, Z: np.ndarray) -> np.ndarray:
        """:math:`U_i` for the chain's players: ``(P, *batch)``."""
        u, _, L, _ = self.forward(Z)
        batch = Z.shape[2:]
        disc = self.discount.reshape(self.discount.shape + (1,) * len(batch))  # (P, T, *b)
        return np.sum(disc * L[None, :-1] * u[:, self.players].swapaxes(0, 1), axis=1)

    def weights(self, Z: np.ndarray) -> np.ndarray:
        r"""Period weights :math:`\omega_{i,t} = \gamma_i^t L_t`: (P, T)."""
        _, _, L = self._forward(Z, self.model.values)
        return self.discount * L[None, :-1]

    # ------------------------------------------------------------ gradient
    def gradient(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Exact gradient of each player's objective with respect to all actions.

        Returns
        -------
        grad : (P, T, m)  :math:`\partial U_i / \partial z_t`
        weights : (P, T)  :math:`\omega_{i,t}`
        values : (P,)     :math:`U_i`
        """
        periods, _, L = self._forward(Z, self.model.values_first)
        values, grad = self._adjoint(periods, L)
        return grad, self.discount * L[None, :-1], values

    def player_gradient_batch(self, pos: int, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""Objective and gradient of one player of the chain for a batch of paths.

        The adjoint pass for the player at position ``pos`` of :attr:`players` only, with
        a batch axis: ``Z`` is ``(T, m, B)``.

        Returns
        -------
        values : (B,)      :math:`U_i` per path
        grad : (T, m, B)   :math:`\partial U_i / \partial z_t` per path
        """
        periods, _, L = self._forward(Z, self.model.values_first)
        values, grad = self._adjoint(periods, L, [pos])
        return values[0], grad[0]

    def gradient_batch(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""Objectives and gradients of all the chain's players for a batch of paths ``Z``
        ``(T, m, B)``: one forward and one adjoint pass.

        Returns
        -------
        values : (P, B)       :math:`U_i` per path
        grad : (P, T, m, B)   :math:`\partial U_i / \partial z_t` per path
        """
        periods, _, L = self._forward(Z, self.model.values_first)
        return self._adjoint(periods, L)

    # ------------------------------------------------------------ second order
    def hessian_rows(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        r"""Rows of :math:`\nabla^2_Z U_i` for each player's own actions.

        Returns
        -------
        hess : (P, T, k, N)  :math:`\partial^2 U_i / \partial a_{i,t,c} \partial x` (columns: the
            flat profile, ``N = T m``)
        grad : (P, T, m)
        weights : (P, T)
        dweights : (P, T, N)  :math:`\partial \omega_{i,t} / \partial x`
        """
        lay = self.layout
        T, m, ds, k, N = self.T, self.m, self.ds, self.k, lay.N
        nv = m + ds
        P = len(self.players)
        periods, _, L = self._forward(Z, self._values_second)
        _, grad, lam_next_y, lam_next_L = self._adjoint(periods, L, keep=True)
        # forward: transition Jacobians A_t = F_w, B_t = F_z and sensitivities W_t = d w_t / dZ
        d = ds + 1
        A_all = np.zeros((T, d, d))
        B_all = np.zeros((T, d, m))
        W_all = np.zeros((T, d, N))
        W = np.zeros((d, N))
        for t in range(T):
            _, _, qt, _, f_v, q_v = periods[t][:6]
            Lt = L[t]
            A_all[t, :ds, :ds] = f_v[:, m:]
            B_all[t, :ds] = f_v[:, :m]
            if self.end_on_win:
                A_all[t, ds, :ds] = -Lt * q_v[m:]
                A_all[t, ds, ds] = 1.0 - qt
                B_all[t, ds] = -Lt * q_v[:m]
            else:
                A_all[t, ds, ds] = 1.0
            W_all[t] = W
            W = A_all[t] @ W
            W[:, lay.period_slice(t)] += B_all[t]
        # second-order adjoint, organised by periods (see module docstring):
        #   S_t = M^ww_t + A_t' S_{t+1} A_t,   C_t = M^wz_t + A_t' S_{t+1} B_t,
        #   H[t, t] = M^zz_t + B_t' S_{t+1} B_t,   H[tau, t] = W_t[:, tau]' C_t  (tau < t).
        # all players at once: a leading axis P on M, S, C and the Hessian blocks
        hess = np.zeros((P, T, k, N))
        dweights = np.zeros((P, T, N))
        pl = self.players
        rows = np.arange(P)[:, None]
        own = pl[:, None] * k + np.arange(k)[None, :]  # (P, k): each player's columns within a period
        S = np.zeros((P, d, d))
        for t in range(T - 1, -1, -1):
            ut, _, qt, u_v, f_v, q_v, u_vv, f_vv, q_vv = periods[t]
            g = self.discount[:, t]  # (P,)
            Lt = L[t]
            M = np.zeros((P, nv + 1, nv + 1))
            M[:, :nv, :nv] = (g * Lt)[:, None, None] * u_vv[pl]
            if ds:
                M[:, :nv, :nv] += np.tensordot(lam_next_y[t], f_vv, axes=1)
            if self.end_on_win:
                M[:, :nv, :nv] -= (lam_next_L[t] * Lt)[:, None, None] * q_vv
                cross = g[:, None] * u_v[pl] - lam_next_L[t][:, None] * q_v
                M[:, :nv, nv] = cross
                M[:, nv, :nv] = cross
            At, Bt = A_all[t], B_all[t]
            SB = S @ Bt  # (P, d, m)
            diag = M[:, :m, :m] + Bt.T @ SB  # (P, m, m)
            C = M[:, m:, :m] + At.T @ SB  # (P, d, m)
            hess[:, t, :, lay.period_slice(t)] = diag[rows, own]
            if t:
                earlier = lay.period_slice(0, t)
                Wt = lay.periods(W_all[t])[:, :t]  # (d, t, m)
                # rows of each player's actions in earlier periods, columns of period t
                hess[:, :t, :, lay.period_slice(t)] += np.einsum("dspk,pdm->pskm", Wt[:, :, own], C)
                # rows of each player's actions in period t, columns of earlier periods
                hess[:, t, :, earlier] += np.einsum("pdk,de->pke", C[rows[:, :, None], np.arange(d)[None, :, None],
                                                                     own[:, None, :]], W_all[t][:, earlier])
            S = M[:, m:, m:] + At.T @ S @ At
            dweights[:, t] = g[:, None] * W_all[t][ds][None, :]
        weights = self.discount * L[None, :-1]
        return hess, grad, weights, dweights
