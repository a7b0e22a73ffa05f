r"""The numeric game seen by the solvers: one flat variable vector and its conditions.

Layout of the free vector ``x`` (length ``N = T n k``), :class:`~dynapai_sym.layout.ActionLayout`
(:attr:`NumericGame.layout`)::

    x[t * m + i * k + c]  =  action column c of player i in period t,   m = n k

i.e. ``x.reshape(T, n, k)``. Bounds: :math:`0 \le x`, and :math:`x \le 1` for
shares under ``share_map="fraction"``.

The conditions solved are the scaled first-order conditions

.. math::

    G_{t,i,c}(x) = \frac{1}{\omega_{i,t}} \frac{\partial U_i}{\partial a_{t,i,c}}, \qquad
    \omega_{i,t} = \gamma_i^t L_t,

with the complementarity :math:`x = \Pi_{[l,u]}(x + G(x))` (projected gradient zero).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgumentError
from ..layout import ActionLayout
from .chain import BeliefChain

__all__ = ["NumericGame", "Belief", "StaticBatch"]

# size beyond which a scaled condition or its derivative counts as singular (see singular_corners)
_SINGULAR = 1e12
# distance from the bound within which a variable sits on it (searches floor at 1e-300, not 0)
_AT_BOUND = 1e-14


@dataclass(frozen=True)
class Belief:
    """A compiled model with its parameter values (one player's view of the game)."""

    model: object  # CompiledModel
    theta: np.ndarray
    y0: np.ndarray


class NumericGame:
    """Numeric T-period game over a flat variable vector (see module docstring).

    Parameters
    ----------
    beliefs : list of Belief
        Distinct beliefs.
    belief_of : sequence of int, length n
        Which belief each player evaluates its payoff with.
    gammas : array_like, shape (n,)
    horizon : int
    end_on_win : bool
    symmetric : bool
        Whether permuting players leaves the game unchanged.
    """

    def __init__(self, beliefs, belief_of, gammas, horizon: int, end_on_win: bool,
                 symmetric: bool = False):
        self.beliefs = list(beliefs)
        self.belief_of = np.asarray(belief_of, dtype=int)
        model0 = self.beliefs[0].model
        self.n, self.k, self.m = model0.n, model0.k, model0.m
        self.T = int(horizon)
        self.layout = ActionLayout(self.T, self.n, self.k)
        self.N = self.layout.N
        self.gammas = np.asarray(gammas, dtype=float)
        self.end_on_win = bool(end_on_win)
        self.symmetric = bool(symmetric)
        self.lower = np.zeros(self.N)
        self.upper = np.tile(model0.upper, self.T)
        self.smooth = all(b.model.structure.smooth for b in self.beliefs)
        # kinks inside the model (max(0, .) in sharing): first-order points need a harder global probe
        self.kinked = any(b.model.structure.kinked for b in self.beliefs)
        self.chains = []
        for b_idx, belief in enumerate(self.beliefs):
            players = np.flatnonzero(self.belief_of == b_idx)
            if players.size:
                self.chains.append(BeliefChain(belief.model, belief.theta, belief.y0, self.gammas,
                                               self.T, end_on_win, players))
        self.static = self.T == 1
        # one period and one belief for all players: the compiled static block is G and dG/dx as they are
        # (one chain holds every player: its players are 0..n-1, in order)
        self._one_static = (self.chains[0] if self.static and len(self.chains) == 1
                            and len(self.chains[0].players) == self.n else None)
        self.evaluations = 0

    # ------------------------------------------------------------ helpers
    def own_index(self, i: int) -> np.ndarray:
        """Indices in ``x`` of player i's actions (period-major): :meth:`ActionLayout.own_index`."""
        return self.layout.own_index(i)

    def chain_of(self, i: int) -> tuple[BeliefChain, int]:
        """The chain that evaluates player i, and i's position in it."""
        for chain in self.chains:
            pos = np.flatnonzero(chain.players == i)
            if pos.size:
                return chain, int(pos[0])
        raise InvalidArgumentError(f"player {i} has no belief")

    # ------------------------------------------------------------ values
    def payoffs(self, x: np.ndarray) -> np.ndarray:
        """:math:`U_i` for every player: (n,)."""
        one = self._one_static
        if one is not None and type(x) is np.ndarray:
            self.evaluations += 1
            return one.model.payoffs(x, one.y0, one.theta)
        Z = self.layout.periods(x)
        out = np.empty(self.n)
        for chain in self.chains:
            if self.static:  # one period: U_i = u_i
                out[chain.players] = chain.model.payoffs(Z[0], chain.y0, chain.theta)[chain.players]
            else:
                out[chain.players] = chain.objective(Z)
        self.evaluations += 1
        return out

    def quantities(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """s, p, sigma, q along the path, each (T, n) (player i's row by i's belief), and the payoffs (n,)."""
        one = self._one_static
        if one is not None and type(x) is np.ndarray:  # one period, one belief: two compiled calls
            with np.errstate(all="ignore"):
                vals = one.model.quantities(np.asarray(x, dtype=float), one.y0, one.theta)
            self.evaluations += 1
            out = {key: np.array(vals[key], dtype=float).reshape(1, self.n) for key in ("s", "p", "sigma", "q")}
            out["payoffs"] = np.array(vals["payoffs"], dtype=float)
            return out
        Z = self.layout.periods(x)
        out = {key: np.empty((self.T, self.n)) for key in ("s", "p", "sigma", "q")}
        with np.errstate(all="ignore"):
            for chain in self.chains:
                _, y, _, _ = chain.forward(Z)
                for t in range(self.T):
                    vals = chain.model.quantities(Z[t], y[t], chain.theta)
                    for key in out:
                        out[key][t, chain.players] = vals[key][chain.players]
            out["payoffs"] = self.payoffs(x)
        return out

    def player_objective(self, i: int, own: np.ndarray, x: np.ndarray) -> np.ndarray:
        """:math:`U_i` when player i plays each schedule in ``own`` (B, T, k) (or (B, T k)) and
        the others play ``x``."""
        Z = self.layout.against(i, own, x)  # (T, m, B)
        chain, pos = self.chain_of(i)
        self.evaluations += Z.shape[2]
        with np.errstate(all="ignore"):
            if self.static:  # one period: U_i = u_i (gamma^0 = 1, nothing to survive)
                return chain.model.payoffs(Z[0], chain.y0, chain.theta)[i]
            return chain.objective(Z)[pos]

    def player_gradient(self, i: int, x: np.ndarray) -> tuple[float, np.ndarray]:
        """:math:`U_i` and its (unscaled) gradient with respect to player i's own actions."""
        chain, pos = self.chain_of(i)
        if self.static:
            z = np.asarray(x, dtype=float)
            u = chain.model.payoffs(z, chain.y0, chain.theta)
            g, _ = chain.model.static(z, chain.y0, chain.theta)
            self.evaluations += 1
            return float(u[i]), g[i].copy()
        grad, _, values = chain.gradient(self.layout.periods(x))
        self.evaluations += 1
        return float(values[pos]), self.layout.flat_schedules(grad[pos][:, self.layout.own_slice(i)])

    def player_gradient_batch(self, i: int, own: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`U_i` and its gradient in i's own actions when i plays each schedule in ``own``
        (B, T, k) and the others play ``x``: values (B,), gradients (B, T, k)."""
        return self._own_slopes(i, self.layout.against(i, own, x))

    def players_gradient_batch(self, players, own: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`player_gradient_batch` for a different player per schedule: :math:`U_{i_b}` and
        its gradient in :math:`i_b`'s own actions when player ``players[b]`` plays ``own[b]``
        (B, T, k) and the others play ``x``: values (B,), gradients (B, T, k). The schedules of
        all players go through one forward and one adjoint pass per belief chain."""
        players = np.asarray(players, dtype=int)
        lay = self.layout
        Z = lay.against_each(players, own, x)  # (T, m, B)
        values = np.full(players.size, np.nan)
        grads = np.full((players.size, self.T, self.k), np.nan)
        self.evaluations += players.size
        for chain in self.chains:
            cols = np.flatnonzero(np.isin(players, chain.players))
            if not cols.size:
                continue
            with np.errstate(all="ignore"):
                vals, grad = chain.gradient_batch(Z[:, :, cols])  # (P, c), (P, T, m, c)
            pos = np.searchsorted(chain.players, players[cols]) if np.all(np.diff(chain.players) > 0) else \
                np.array([int(np.flatnonzero(chain.players == i)[0]) for i in players[cols]])
            values[cols] = vals[pos, np.arange(cols.size)]
            for i in np.unique(players[cols]):
                sel = np.flatnonzero(players[cols] == i)
                own_grad = grad[pos[sel[0]]][:, lay.own_slice(int(i))]  # (T, k, c)
                grads[cols[sel]] = np.moveaxis(own_grad[:, :, sel], -1, 0)
        return values, grads

    def player_gradient_profiles(self, i: int, own: np.ndarray, profiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`U_i` and its gradient in i's own actions when i plays ``own`` (flat) against each
        profile of the others in ``profiles`` (H, N): values (H,), gradients (H, T k). One
        batched forward and adjoint pass (a best response to a history of profiles)."""
        values, grad = self._own_slopes(i, self.layout.against_profiles(i, own, profiles))
        return values, self.layout.flat_schedules(grad)

    def _own_slopes(self, i: int, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values (B,) and own-action gradients (B, T, k) of player i on a batch of paths Z (T, m, B)."""
        chain, pos = self.chain_of(i)
        self.evaluations += Z.shape[2]
        with np.errstate(all="ignore"):
            values, grad = chain.player_gradient_batch(pos, Z)
        return values, self.layout.own_of_paths(grad, i)

    # ------------------------------------------------------------ conditions
    def kkt_function(self, x: np.ndarray) -> np.ndarray:
        """Scaled first-order conditions :math:`G(x)`: (N,)."""
        one = self._one_static
        if one is not None and type(x) is np.ndarray:
            self.evaluations += 1
            return one.model.static(x, one.y0, one.theta)[0].reshape(self.N)
        lay = self.layout
        Z = lay.periods(x)
        self.evaluations += 1
        G = np.empty((self.T, self.n, self.k))
        for chain in self.chains:
            if self.static:
                g, _ = chain.model.static(Z[0], chain.y0, chain.theta)
                G[0, chain.players] = g[chain.players]
                continue
            grad, weights, _ = chain.gradient(Z)
            for p, i in enumerate(chain.players):
                G[:, i, :] = grad[p][:, lay.own_slice(i)] / weights[p][:, None]
        return lay.pack(G)

    def kkt_jacobian(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`G(x)` and its exact Jacobian :math:`\\partial G / \\partial x`: (N,), (N, N)."""
        one = self._one_static
        if one is not None and type(x) is np.ndarray:  # one period, one belief: the static block as it is
            self.evaluations += 1
            g, jac = one.model.static(x, one.y0, one.theta)
            return g.reshape(self.N), jac.reshape(self.N, self.N)
        lay = self.layout
        Z = lay.periods(x)
        self.evaluations += 1
        G = np.empty((self.T, self.n, self.k))
        J = np.empty((self.T, self.n, self.k, self.N))  # rows as G, columns the flat profile
        for chain in self.chains:
            if self.static:  # one period: the static block, N = m
                g, jac = chain.model.static(Z[0], chain.y0, chain.theta)
                G[0, chain.players] = g[chain.players]
                J[0, chain.players] = jac[chain.players]
                continue
            hess, grad, weights, dweights = chain.hessian_rows(Z)
            for p, i in enumerate(chain.players):
                w = weights[p]  # (T,)
                g_own = grad[p][:, lay.own_slice(i)] / w[:, None]  # (T, k)
                G[:, i, :] = g_own
                J[:, i] = (hess[p] - g_own[:, :, None] * dweights[p][:, None, :]) / w[:, None, None]
        return lay.pack(G), lay.pack_rows(J)

    def kkt_residual(self, x: np.ndarray, G: np.ndarray | None = None) -> float:
        r"""The KKT residual :math:`\|x - \Pi_{[l,u]}(x + G(x))\|_\infty` (0 for no variables)."""
        return float(np.abs(self.natural_residual(x, G)).max()) if np.size(x) else 0.0

    def natural_residual(self, x: np.ndarray, G: np.ndarray | None = None) -> np.ndarray:
        r""":math:`x - \Pi_{[l,u]}(x + G(x))`, zero exactly at KKT points.

        Singular corners (:meth:`singular_corners`) exactly on the bound count as satisfied:
        there the first-order conditions say nothing, and the global probe checks the
        neighbourhood instead. Just above the bound (a floor such as 1e-300) they do not: a
        payoff that still rises towards the bound may have a supremum it never attains.
        """
        G = self.kkt_function(x) if G is None else G
        with np.errstate(invalid="ignore"):
            res = x - np.minimum(np.maximum(x + G, self.lower), self.upper)  # np.clip, without its overhead
        on_bound = np.asarray(x) <= self.lower
        if not on_bound.any():
            return res
        return np.where(self.singular_corners(x, G) & on_bound, 0.0, res)

    def singular_corners(self, x: np.ndarray, G: np.ndarray, JG: np.ndarray | None = None) -> np.ndarray:
        r"""Variables at their lower bound where the payoff is not differentiable.

        A production term :math:`x^\beta` with :math:`\beta < 1` has an infinite slope at
        :math:`x = 0`. When a player sits a period out (:math:`x_s = x_p = 0`), the one-sided
        partial derivatives there are infinite, or not numbers, or of a sign that only the
        joint move of both inputs decides: the payoff is continuous but not differentiable,
        and the first-order conditions carry no information. Such a variable is marked when it
        sits at its lower bound (within :math:`10^{-14}`) and its condition :math:`G_j`, or (if given) its row or column
        of :math:`\partial G / \partial x`, is not finite or exceeds :math:`10^{12}` in size
        (a differentiable payoff's scaled conditions are many orders smaller).

        Returns
        -------
        ndarray of bool, shape (N,)
        """
        at_lower = np.asarray(x) <= self.lower + _AT_BOUND
        if not at_lower.any():
            return at_lower
        with np.errstate(invalid="ignore"):
            wild = ~(np.abs(G) < _SINGULAR)
            if JG is not None:
                wild = wild | ~(np.abs(np.diagonal(JG)) < _SINGULAR)
        return at_lower & wild

    def weights(self, x: np.ndarray) -> np.ndarray:
        r"""Period weights :math:`\omega_{i,t}` as an (n, T) array."""
        Z = self.layout.periods(x)
        out = np.empty((self.n, self.T))
        for chain in self.chains:
            out[chain.players] = chain.weights(Z)
        return out

    def own_hessian(self, i: int, x: np.ndarray) -> np.ndarray:
        r"""Symmetric, weight-normalised Hessian of :math:`U_i` in player i's own actions.

        :math:`D^{-1/2} \nabla^2_{a_i} U_i D^{-1/2}` with :math:`D` the period weights:
        a congruence, so its eigenvalue signs are those of the Hessian.
        """
        chain, pos = self.chain_of(i)
        lay = self.layout
        Z = lay.periods(x)
        if self.static:
            _, jac = chain.model.static(Z[0], chain.y0, chain.theta)
            H = jac[i][:, lay.own_slice(i)]
            return 0.5 * (H + H.T)
        hess, _, weights, _ = chain.hessian_rows(Z)
        H = lay.own_rows(hess[pos])[:, lay.own_index(i)]
        scale = 1.0 / np.sqrt(np.repeat(weights[pos], self.k))  # each period's weight, for its k actions
        H = scale[:, None] * H * scale[None, :]
        return 0.5 * (H + H.T)


class StaticBatch:
    r"""Many static games (:math:`T = 1`) of one structure, evaluated together.

    The games differ only in their parameter values: for each belief chain, the same compiled
    model, players and sizes. Their conditions are evaluated in one compiled call per chain,
    with the profiles and the parameter sets stacked along a batch axis: for point
    :math:`p` with profile :math:`x_p` (a row of ``X``, shape ``(P, N)``, ``N = n k``),

    .. math::

        G_p = \Big(\frac{\partial u_i}{\partial a_{ic}}(x_p;\ \theta_p)\Big)_{ic}, \qquad
        J_p = \frac{\partial G_p}{\partial x}(x_p;\ \theta_p),

    exactly :meth:`NumericGame.kkt_jacobian` of the p-th game (one period: no weights).
    Every method takes ``idx``, the points (rows of the stack) the rows of ``X`` belong to
    (default: all, in order).

    Parameters
    ----------
    games : sequence of NumericGame
        Static games of one structure (:meth:`compatible` says whether they are).
    """

    def __init__(self, games):
        games = list(games)
        if not self.compatible(games):
            raise InvalidArgumentError("StaticBatch needs static games (T = 1) of one structure: "
                                       "the same compiled models, players and bounds")
        self.games = games
        g0 = games[0]
        self.n, self.k, self.m, self.N = g0.n, g0.k, g0.m, g0.N
        self.P = len(games)
        self.lower, self.upper = g0.lower, g0.upper
        # per chain: (model, players, theta (np, P), y (ds, P))
        self.chains = []
        for c, chain in enumerate(g0.chains):
            theta = np.stack([np.asarray(g.chains[c].theta, dtype=float) for g in games], axis=1)
            y = np.stack([np.asarray(g.chains[c].y0, dtype=float) for g in games], axis=1)
            self.chains.append((chain.model, chain.players, theta, y))
        self._one_belief = len(self.chains) == 1 and len(self.chains[0][1]) == self.n
        self.symmetric = np.array([g.symmetric for g in games], dtype=bool)
        self.evaluations = np.zeros(self.P, dtype=np.int64)

    @classmethod
    def from_table(cls, game0: NumericGame, theta: np.ndarray, y0: np.ndarray, symmetric: np.ndarray,
                   games) -> StaticBatch:
        """A batch of points of ``game0``'s model with their own numbers, without their games.

        Point p is ``game0`` with the parameters ``theta[p]`` (P, n_params), the moving state
        ``y0[p]`` (P, n_states) and the symmetry ``symmetric[p]``; ``games`` (a sequence of P
        NumericGame, e.g. built on first use) is what the certificate's per-point steps use. Needs
        a static ``game0`` with one belief for all players.
        """
        if not game0.static or len(game0.chains) != 1 or len(game0.chains[0].players) != game0.n:
            raise InvalidArgumentError("StaticBatch.from_table needs a static game with one belief for all players")
        out = cls.__new__(cls)
        out.games = games
        out.n, out.k, out.m, out.N = game0.n, game0.k, game0.m, game0.N
        theta = np.asarray(theta, dtype=float)
        out.P = theta.shape[0]
        out.lower, out.upper = game0.lower, game0.upper
        chain = game0.chains[0]
        out.chains = [(chain.model, chain.players, np.ascontiguousarray(theta.T),
                       np.ascontiguousarray(np.asarray(y0, dtype=float).reshape(out.P, -1).T))]
        out._one_belief = True
        out.symmetric = np.asarray(symmetric, dtype=bool)
        out.evaluations = np.zeros(out.P, dtype=np.int64)
        return out

    def count(self, idx, per_point) -> None:
        """Add ``per_point`` payoff evaluations to each point of ``idx`` (repeats add up)."""
        np.add.at(self.evaluations, np.asarray(idx, dtype=int), per_point)

    @staticmethod
    def compatible(games) -> bool:
        """Whether ``games`` are static games that one :class:`StaticBatch` can evaluate."""
        games = list(games)
        if not games:
            return False
        g0 = games[0]
        players0 = [c.players.tolist() for c in g0.chains]
        lower0, upper0 = g0.lower.tolist(), g0.upper.tolist()
        for g in games:
            if g is g0:
                continue
            if not g.static or (g.n, g.k) != (g0.n, g0.k) or len(g.chains) != len(g0.chains):
                return False
            if g.lower.tolist() != lower0 or g.upper.tolist() != upper0:
                return False
            for a, b, players in zip(g.chains, g0.chains, players0):
                if a.model is not b.model or a.players.tolist() != players:
                    return False
        return True

    def _one_point(self, idx) -> tuple:
        """The compiled model, moving state and parameters (contiguous) of the one point ``idx``
        (default: the first) of a one-belief batch."""
        model, _, theta, y = self.chains[0]
        p = 0 if idx is None else int(np.asarray(idx).reshape(-1)[0])
        return model, y[:, p].copy(), theta[:, p].copy()

    def _select(self, idx):
        return slice(None) if idx is None else np.asarray(idx, dtype=int)

    def kkt_function(self, X: np.ndarray, idx=None) -> np.ndarray:
        """Scaled first-order conditions of each point: ``G`` (B, N) for profiles ``X`` (B, N)."""
        return self.kkt_jacobian(X, idx)[0]

    def kkt_jacobian(self, X: np.ndarray, idx=None) -> tuple[np.ndarray, np.ndarray]:
        """``G`` (B, N) and ``dG/dx`` (B, N, N) of each point, for profiles ``X`` (B, N)."""
        X = np.asarray(X, dtype=float)
        B = X.shape[0]
        if B == 1 and self._one_belief:  # one point: the block's one-profile call
            model, y, theta = self._one_point(idx)
            g, jac = model.static(X[0], y, theta)
            return g.reshape(1, self.N), jac.reshape(1, self.N, self.N)
        sel = self._select(idx)
        G = np.empty((self.n, self.k, B))
        J = np.empty((self.n, self.k, self.m, B))
        Z = X.T  # (m, B): batch axis last
        for model, players, theta, y in self.chains:
            g, jac = model.static(Z, y[:, sel], theta[:, sel])
            G[players] = g[players]
            J[players] = jac[players]
        return (np.ascontiguousarray(G.reshape(self.N, B).T),
                np.ascontiguousarray(np.moveaxis(J.reshape(self.N, self.N, B), -1, 0)))

    def payoffs(self, X: np.ndarray, idx=None) -> np.ndarray:
        """:math:`u_i` of every player at each point: (B, n)."""
        X = np.asarray(X, dtype=float)
        if X.shape[0] == 1 and self._one_belief:  # one point: the block's one-profile call
            model, y, theta = self._one_point(idx)
            return model.payoffs(X[0], y, theta).reshape(1, self.n)
        sel = self._select(idx)
        out = np.empty((X.shape[0], self.n))
        for model, players, theta, y in self.chains:
            out[:, players] = model.payoffs(X.T, y[:, sel], theta[:, sel])[players].T
        return out

    def quantities(self, X: np.ndarray, idx=None) -> dict[str, np.ndarray]:
        """:meth:`NumericGame.quantities` of each point: s, p, sigma, q (each (B, 1, n): one
        period) and the payoffs (B, n), for profiles ``X`` (B, N)."""
        X = np.asarray(X, dtype=float)
        sel = self._select(idx)
        out = {key: np.empty((X.shape[0], 1, self.n)) for key in ("s", "p", "sigma", "q")}
        with np.errstate(all="ignore"):
            for model, players, theta, y in self.chains:
                vals = model.quantities(X.T, y[:, sel], theta[:, sel])  # each (n, B)
                for key in out:
                    out[key][:, 0, players] = vals[key][players].T
            out["payoffs"] = self.payoffs(X, idx)
        return out

    def singular_corners(self, X: np.ndarray, G: np.ndarray, JG: np.ndarray | None = None) -> np.ndarray:
        """:meth:`NumericGame.singular_corners` of each point: (B, N) bool."""
        at_lower = X <= self.lower + _AT_BOUND
        with np.errstate(invalid="ignore"):
            wild = ~(np.abs(G) < _SINGULAR)
            if JG is not None:
                wild = wild | ~(np.abs(np.diagonal(JG, axis1=1, axis2=2)) < _SINGULAR)
        return at_lower & wild

    def natural_residual(self, X: np.ndarray, G: np.ndarray) -> np.ndarray:
        r""":math:`x - \Pi_{[l,u]}(x + G(x))` of each point (B, N), as :meth:`NumericGame.natural_residual`."""
        with np.errstate(invalid="ignore"):
            res = X - np.minimum(np.maximum(X + G, self.lower), self.upper)
        on_bound = X <= self.lower
        if not on_bound.any():
            return res
        return np.where(self.singular_corners(X, G) & on_bound, 0.0, res)

    def kkt_residual(self, X: np.ndarray, G: np.ndarray) -> np.ndarray:
        r"""The KKT residual :math:`\|x - \Pi_{[l,u]}(x + G(x))\|_\infty` of each point: (B,)."""
        if X.shape[1] == 0:
            return np.zeros(X.shape[0])
        return np.max(np.abs(self.natural_residual(X, G)), axis=1)

    def player_payoffs(self, players: np.ndarray, Z: np.ndarray, idx: np.ndarray) -> np.ndarray:
        r""":math:`u_{i_b}(z_b;\ \theta_{p_b})` for each column b: player ``players[b]``'s payoff at
        actions ``Z[:, b]`` (m, B) with the parameters of point ``idx[b]``; (B,).

        Column by column what :meth:`NumericGame.player_objective` of point ``idx[b]`` gives
        (one period: :math:`U_i = u_i`), for many points and players in one call per chain.
        """
        players = np.asarray(players, dtype=int)
        idx = np.asarray(idx, dtype=int)
        out = np.full(players.shape, np.nan)
        with np.errstate(all="ignore"):
            if len(self.chains) == 1 and len(self.chains[0][1]) == self.n:  # one belief for everyone
                model, _, theta, y = self.chains[0]
                return model.payoff_columns(Z, y, theta, idx)[np.arange(players.size), players]
            for model, chain_players, theta, y in self.chains:
                cols = np.flatnonzero(np.isin(players, chain_players))
                if not cols.size:
                    continue
                u = model.payoff_columns(Z[:, cols], y, theta, idx[cols])  # (B, n)
                out[cols] = u[np.arange(cols.size), players[cols]]
        return out
