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
  :math:`\partial U_i/\partial z_t = \gamma^t L_t \partial_z u_i + F_z^\top \lambda_{t+1}` — O(T);
* exact second derivatives (second-order adjoint): with :math:`J_t = \partial(z_t, w_t)/\partial Z`
  from the forward sensitivity :math:`W_{t+1} = F_w W_t + F_z E_t`,

  .. math::

     \nabla^2_Z U_i = \sum_t J_t^\top \Big(\gamma_i^t \nabla^2 (L u_i) + \sum_k \lambda_{t+1,k} \nabla^2 F_k\Big) J_t .

The first-order conditions of period t are divided by the period's weight
:math:`\omega_{i,t} = \gamma_i^t L_t > 0` ("conditional on reaching t"), which
leaves the solutions unchanged and keeps late periods well determined.

Array layout: ``Z`` has shape ``(T, m)`` (``m = n k``, player-major within a
period), with optional batch axes last: ``(T, m, *batch)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BeliefChain"]


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
        # gamma_i^t for the players of this belief: (P, T)
        self.discount = self.gammas[self.players, None] ** np.arange(self.T)[None, :]

    # ------------------------------------------------------------ forward
    def forward(self, Z: np.ndarray):
        """States, survival and payoffs along the path.

        Returns
        -------
        u : (T, n, *batch) payoffs per period
        y : (T + 1, ds, *batch) moving state
        L : (T + 1, *batch) probability that the game reaches t
        Q : (T, *batch) win probability per period (0 unless end_on_win)
        """
        batch = Z.shape[2:]
        T = self.T
        u = np.empty((T, self.n, *batch))
        y = np.empty((T + 1, self.ds, *batch))
        L = np.ones((T + 1, *batch))
        Q = np.zeros((T, *batch))
        y[0] = self.y0.reshape((self.ds,) + (1,) * len(batch))
        for t in range(T):
            ut, ft, qt = self.model.values(Z[t], y[t], self.theta)
            u[t] = ut
            y[t + 1] = ft if self.ds else y[t]
            if self.end_on_win:
                Q[t] = qt
                L[t + 1] = L[t] * (1.0 - qt)
        return u, y, L, Q

    def objective(self, Z: np.ndarray) -> np.ndarray:
        """:math:`U_i` for the chain's players: ``(P, *batch)``."""
        u, _, L, _ = self.forward(Z)
        batch = Z.shape[2:]
        disc = self.discount.reshape(self.discount.shape + (1,) * len(batch))  # (P, T, *b)
        return np.sum(disc * L[None, :-1] * u[:, self.players].swapaxes(0, 1), axis=1)

    def weights(self, Z: np.ndarray) -> np.ndarray:
        r"""Period weights :math:`\omega_{i,t} = \gamma_i^t L_t`: (P, T)."""
        _, _, L, _ = self.forward(Z)
        return self.discount * L[None, :-1]

    # ------------------------------------------------------------ gradient
    def _forward_with_slopes(self, Z: np.ndarray) -> tuple[list, np.ndarray]:
        """Forward pass keeping each period's values and first derivatives (one compiled call per
        period): ``blocks[t] = (u, Q, u_v, f_v, Q_v)`` and the survival path ``L`` (T + 1, *batch)."""
        batch = Z.shape[2:]
        T, ds = self.T, self.ds
        y = np.empty((T + 1, ds, *batch))
        y[0] = self.y0.reshape((ds,) + (1,) * len(batch))
        L = np.ones((T + 1, *batch))
        blocks = []
        for t in range(T):
            ut, ft, qt, u_v, f_v, q_v = self.model.values_first(Z[t], y[t], self.theta)
            blocks.append((ut, qt, u_v, f_v, q_v))
            y[t + 1] = ft if ds else y[t]
            L[t + 1] = L[t] * (1.0 - qt) if self.end_on_win else 1.0
        return blocks, L

    def gradient(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Exact gradient of each player's objective with respect to all actions.

        Returns
        -------
        grad : (P, T, m)  :math:`\partial U_i / \partial z_t`
        weights : (P, T)  :math:`\omega_{i,t}`
        values : (P,)     :math:`U_i`
        """
        T, m, ds = self.T, self.m, self.ds
        P = len(self.players)
        blocks, L = self._forward_with_slopes(Z)
        grad = np.empty((P, T, m))
        lam_y = np.zeros((P, ds))
        lam_L = np.zeros(P)
        values = np.zeros(P)
        pl = self.players
        for t in range(T - 1, -1, -1):
            ut, qt, u_v, f_v, q_v = blocks[t]
            g = self.discount[:, t]
            Lt = L[t]
            grad[:, t] = (g * Lt)[:, None] * u_v[pl, :m] + lam_y @ f_v[:, :m]
            new_lam_y = (g * Lt)[:, None] * u_v[pl, m:] + lam_y @ f_v[:, m:]
            if self.end_on_win:
                grad[:, t] -= lam_L[:, None] * Lt * q_v[None, :m]
                new_lam_y -= lam_L[:, None] * Lt * q_v[None, m:]
                lam_L = g * ut[pl] + lam_L * (1.0 - qt)
            lam_y = new_lam_y
            values += g * Lt * ut[pl]
        weights = self.discount * L[None, :-1]
        return grad, weights, values

    def player_gradient_batch(self, pos: int, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""Objective and gradient of one player of the chain for a batch of paths.

        The adjoint pass above for the player at position ``pos`` of :attr:`players` only, with
        a batch axis: ``Z`` is ``(T, m, B)``.

        Returns
        -------
        values : (B,)      :math:`U_i` per path
        grad : (T, m, B)   :math:`\partial U_i / \partial z_t` per path
        """
        T, m, ds = self.T, self.m, self.ds
        B = Z.shape[2]
        i = int(self.players[pos])
        blocks, L = self._forward_with_slopes(Z)
        grad = np.empty((T, m, B))
        lam_y = np.zeros((ds, B))
        lam_L = np.zeros(B)
        values = np.zeros(B)
        for t in range(T - 1, -1, -1):
            ut, qt, u_v, f_v, q_v = blocks[t]
            ut, u_v = ut[i], u_v[i]
            w = self.discount[pos, t] * L[t]  # (B,)
            grad[t] = w * u_v[:m] + np.einsum("sb,svb->vb", lam_y, f_v[:, :m])
            new_lam_y = w * u_v[m:] + np.einsum("sb,svb->vb", lam_y, f_v[:, m:])
            if self.end_on_win:
                grad[t] -= lam_L * L[t] * q_v[:m]
                new_lam_y -= lam_L * L[t] * q_v[m:]
                lam_L = self.discount[pos, t] * ut + lam_L * (1.0 - qt)
            lam_y = new_lam_y
            values += w * ut
        return values, grad

    # ------------------------------------------------------------ second order
    def hessian_rows(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        r"""Rows of :math:`\nabla^2_Z U_i` for each player's own actions.

        Returns
        -------
        hess : (P, T, k, T, m)  :math:`\partial^2 U_i / \partial a_{i,t} \partial z_\tau`
        grad : (P, T, m)
        weights : (P, T)
        dweights : (P, T, T, m)  :math:`\partial \omega_{i,t} / \partial z_\tau`
        """
        T, m, ds, k = self.T, self.m, self.ds, self.k
        nv = m + ds
        P = len(self.players)
        pl = self.players
        y = np.empty((T + 1, ds))
        y[0] = self.y0
        L = np.ones(T + 1)
        blocks = []
        for t in range(T):
            ut, ft, qt = self.model.values(Z[t], y[t], self.theta)
            blocks.append((ut, qt, *self.model.dynamic(Z[t], y[t], self.theta)))
            y[t + 1] = ft if ds else y[t]
            L[t + 1] = L[t] * (1.0 - qt) if self.end_on_win else 1.0
        # backward: adjoints lambda_{t+1} for every t
        lam_next_y = np.zeros((T, P, ds))
        lam_next_L = np.zeros((T, P))
        grad = np.empty((P, T, m))
        lam_y = np.zeros((P, ds))
        lam_L = np.zeros(P)
        for t in range(T - 1, -1, -1):
            ut, qt, u_v, _u_vv, f_v, _f_vv, q_v, _q_vv = blocks[t]
            lam_next_y[t], lam_next_L[t] = lam_y, lam_L
            g = self.discount[:, t]
            Lt = L[t]
            grad[:, t] = (g * Lt)[:, None] * u_v[pl, :m] + lam_y @ f_v[:, :m]
            new_lam_y = (g * Lt)[:, None] * u_v[pl, m:] + lam_y @ f_v[:, m:]
            if self.end_on_win:
                grad[:, t] -= lam_L[:, None] * Lt * q_v[None, :m]
                new_lam_y -= lam_L[:, None] * Lt * q_v[None, m:]
                lam_L = g * ut[pl] + lam_L * (1.0 - qt)
            lam_y = new_lam_y
        # forward: transition Jacobians A_t = F_w, B_t = F_z and sensitivities W_t = d w_t / dZ
        d = ds + 1
        A_all = np.zeros((T, d, d))
        B_all = np.zeros((T, d, m))
        W_all = np.zeros((T, d, T * m))
        W = np.zeros((d, T * m))
        for t in range(T):
            ut, qt, u_v, u_vv, f_v, f_vv, q_v, q_vv = blocks[t]
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
            W[:, t * m:(t + 1) * m] += B_all[t]
        # second-order adjoint, organised by periods (see module docstring):
        #   S_t = M^ww_t + A_t' S_{t+1} A_t,   C_t = M^wz_t + A_t' S_{t+1} B_t,
        #   H[t, t] = M^zz_t + B_t' S_{t+1} B_t,   H[tau, t] = W_t[:, tau]' C_t  (tau < t).
        hess = np.zeros((P, T, k, T * m))
        dweights = np.zeros((P, T, T * m))
        for p, i in enumerate(pl):
            own = slice(i * k, (i + 1) * k)
            S = np.zeros((d, d))
            for t in range(T - 1, -1, -1):
                ut, qt, u_v, u_vv, f_v, f_vv, q_v, q_vv = blocks[t]
                g = self.discount[p, t]
                Lt = L[t]
                M = np.zeros((nv + 1, nv + 1))
                M[:nv, :nv] = g * Lt * u_vv[i]
                if ds:
                    M[:nv, :nv] += np.tensordot(lam_next_y[t, p], f_vv, axes=1)
                if self.end_on_win:
                    M[:nv, :nv] -= lam_next_L[t, p] * Lt * q_vv
                    cross = g * u_v[i] - lam_next_L[t, p] * q_v
                    M[:nv, nv] = cross
                    M[nv, :nv] = cross
                At, Bt = A_all[t], B_all[t]
                SB = S @ Bt
                diag = M[:m, :m] + Bt.T @ SB  # (m, m)
                C = M[m:, :m] + At.T @ SB  # (d, m)
                cols = slice(t * m, (t + 1) * m)
                hess[p, t, :, cols] = diag[own]
                if t:
                    Wt = W_all[t][:, : t * m]  # (d, t m)
                    # rows of player i's actions in earlier periods, columns of period t
                    own_cols = np.concatenate([np.arange(tau * m + i * k, tau * m + (i + 1) * k)
                                               for tau in range(t)])
                    hess[p, :t, :, cols] += (Wt[:, own_cols].T @ C).reshape(t, k, m)
                    # rows of player i's actions in period t, columns of earlier periods
                    hess[p, t, :, : t * m] += C[:, own].T @ Wt
                S = M[m:, m:] + At.T @ S @ At
                dweights[p, t] = g * W_all[t][ds]
        weights = self.discount * L[None, :-1]
        return hess.reshape(P, T, k, T, m), grad, weights, dweights
