r"""Feedback (Markov, subgame-perfect) equilibria by backward induction over the moving state.

In period :math:`t` at state :math:`Y` (the moving state of every belief, stacked) the players
play the *period game*

.. math::

    \Phi_i(z; Y) = u_i(z, y) + \gamma_i\, S(z, y)\, V_i^{t+1}\big(F(z, Y)\big),

with :math:`S = 1 - Q` under ``end_on_win`` (:math:`S = 1` otherwise), :math:`F` the transition
and :math:`V^{t+1}(Y')` each player's payoff in the equilibrium of the subgame that starts at
:math:`Y'` in period :math:`t + 1` (:math:`V^{T} \equiv 0`: the last period is the static game at
its state). Its equilibrium :math:`z^*_t(Y)` is the feedback policy, and
:math:`V_i^t(Y) = \Phi_i(z^*_t(Y); Y)`.

Derivatives of the continuation values
--------------------------------------
With :math:`v = (z, Y)`, :math:`a_i = F_v^\top \nabla V_i^{t+1}`:

.. math::

    \nabla_v \Phi_i = \nabla_v u_i + \gamma_i (S_v V_i^{t+1} + S\, a_i),

    \nabla^2_v \Phi_i = \nabla^2_v u_i + \gamma_i \Big(S_{vv} V_i^{t+1} + S_v a_i^\top + a_i S_v^\top
    + S \big(F_v^\top \nabla^2 V_i^{t+1} F_v + \textstyle\sum_s \partial_s V_i^{t+1} \nabla^2_v F_s\big)\Big).

The period's conditions are :math:`G_i = \partial \Phi_i / \partial z_i` with the bounds, solved
as the complementarity problem of :mod:`.kkt` (:math:`\phi(z, Y) = 0`, Fischer–Burmeister). The
policy's state derivative follows from the implicit-function theorem,
:math:`\partial z^* / \partial Y = -(\partial_z \phi)^{-1} \partial_Y \phi` (a variable strictly
held at a bound does not move), and the continuation value's exactly, including the other
players' responses:

.. math::

    \frac{dV_i^t}{dY} = \partial_Y \Phi_i + \partial_z \Phi_i\, \frac{\partial z^*}{\partial Y}.

The first derivatives are exact given the second derivatives of the next period's values
:math:`\nabla^2 V^{t+1}`, which are taken by **finite differences of the exact first
derivatives**: central (:math:`2\,d_Y` re-solved subgames at :math:`Y' \pm h e_j`,
:math:`h = 10^{-4}(1 + |Y'_j|)`, error about :math:`10^{-8}`) for horizons up to
:data:`CENTRAL_UP_TO` with at most :data:`CENTRAL_STATES` moving state entries, forward
(:math:`d_Y` re-solves, :math:`h = 10^{-6}(1 + |Y'_j|)`, error about :math:`10^{-5}`)
otherwise. An exact second derivative would need the third derivatives of
the one-period blocks and, one period further back, derivatives of ever higher order.

Solving
-------
Subgames off the path are solved in batches: all states met at one level of the recursion
(the points of an iteration, their finite-difference neighbours) go through one batched
iteration, warm-started from the previous solution at that level moved by its policy
derivative (:math:`z_0 = z_a + \partial_Y z^*\,(Y - Y_a)`). A subgame whose state is exactly
that of the stored solution reuses it (value, gradient, policy derivative) without solving
again. A solve that may not move these shared warm starts (finite-difference neighbours,
candidate deviations, exit checks) works on a private copy of them: its own later subgames
then start from its own last solutions too, not from states far from theirs. The iteration
is the batched semismooth Newton (:func:`~.batch.solve_kkt_batch`); in the last period the
payoffs carry no continuation terms. Before the last period a trial point of its line search
is tested on the conditions first (the next period's values and gradients only) and the
Jacobian, which needs the finite-difference neighbours, computed only where the trial is
accepted: the same iterates at a fraction of the work (so does the Newton of the period
games on the path that have later periods). Its first trial moves no action by more than
:data:`NESTED_MAX_STEP` times the largest action (at least 1): a full Newton step far out
(investments of :math:`10^4` from a few) leads to states where the later subgames are hard,
and each of their failures costs two runs of the iteration. A finite-difference neighbour starts within
:math:`O(h^2)` of its answer, so the Jacobian at its start is usually also the one its
derivatives need. (:func:`solve_chord`, a chord iteration that recomputes the Jacobian only
when a step does not contract fast, is the alternative: ``FeedbackGame(..., nested="chord")``.)
Either way a subgame is solved to the same tolerance; its derivatives are then evaluated
exactly as above at the answer.
A subgame whose iteration fails is retried from a generic start (unless, in the last period, it
started there: the retry would repeat the run). A last-period subgame that still stops close to a
solution (a player nearly out, its inputs of 1e-3 beside inputs of order one) is finished by
Newton in log coordinates (:func:`~.polish.log_newton`), as the static solver finishes such
games. If it still fails its values are not numbers,
which makes every condition that needs it fail too (never a silent success), and its
finite-difference neighbours are not solved (their second derivatives would not be used). A
subgame's first-order point where some player's payoff is not a local maximum in its own
actions (second order), or where a player gains by sitting the period out (its
:math:`x_s = x_p = 0`, or a token presence: no performance and a token safety input, which keeps
it safe where safety is shared), is rejected the same way: no pure equilibrium was found there.
A player whose best response is such a token presence (the limit :math:`x_s \to 0^+` at
:math:`x_p = 0`, which no profile attains and Newton cannot reach: slopes of order
:math:`10^{70}` there) is *held* at it: the others' conditions are solved with its inputs fixed,
its policy does not move with the state, and the answer stands only when it gains nothing by
re-entering anywhere on a grid of inputs. A row whose start has such a player holds it; a row
without an answer is tried again with nobody held, then with each player in turn held.
The periods on the path are :class:`PeriodGame` s, solved and certified by the pure-strategy
solver (:func:`~.nash.solve_game`): every player's period-t deviation is checked globally, each
candidate's payoff with the later periods re-solved from the state it leads to. With two or
more later periods the certificate's large candidate batch is screened first by a second-order
expansion of the continuation values (:meth:`PeriodGame.player_objective`); the candidates near
the top are valued exactly, and so are the polished and climbed ones. The first period's search
starts from a first-order point of the open-loop game when one is found (see
:func:`solve_path`'s ``guesses``), later periods from the policy the continuation values assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgumentError
from ..layout import ActionLayout
from ..numeric.game import NumericGame
from .batch import BatchRun, _merit, _newton, _snap_batch, solve_kkt_batch
from .kkt import mcp_residual
from .nash import POLISH_BELOW, TOKEN_SAFETY, token_presence
from .polish import log_newton

__all__ = ["FeedbackGame", "PeriodGame", "LevelSolution", "FD_STEP"]

#: relative step of the central finite differences of the continuation values' gradients
FD_STEP = 1e-4
#: relative step of the forward finite differences (longer horizons, see :class:`FeedbackGame`)
FD_STEP_FORWARD = 1e-6
#: horizons up to this use central differences, longer ones forward differences...
CENTRAL_UP_TO = 3
#: ...when the moving state has at most this many entries (two players' A and B)
CENTRAL_STATES = 4
#: period games with at least this many later periods screen large candidate batches
SCREEN_FROM = 2
#: batches larger than this are screened
SCREEN_MIN = 16
#: candidates within this relative margin of the payoff under test are evaluated exactly
SCREEN_MARGIN = 0.05
#: and this many of the best by the expansion
SCREEN_KEEP = 8
#: Newton steps of one batched subgame solve (per start) with ``nested="newton"``
NESTED_ITERS = 12
#: before the last period, a Newton trial moves no action by more than this times the largest
#: action (at least 1): a trial far out re-solves the later subgames at states where they are hard
NESTED_MAX_STEP = 2.0
#: a player whose performance input is at most this, beside a safety input in (0, TINY_SAFETY],
#: is present with a token input: out of the race, kept safe (see :meth:`FeedbackGame.solve_level`)
TOKEN_PERFORMANCE = 1e-50
#: a player held at a token presence is offered re-entry at every (x_s, x_p) of this grid (each axis)...
ENTRY_GRID = np.geomspace(1e-4, 1e2, 17)
#: ...and the best grid point is climbed by this many steps of a compass search in log coordinates
ENTRY_CLIMB = 16
#: steps of one chord solve of a batch of subgames (per start), see :func:`solve_chord`
CHORD_ITERS = 30
#: a kept Jacobian is kept while its rate of contraction reaches the tolerance within this many steps
CHORD_STEPS = 3


@dataclass
class LevelSolution:
    """Equilibria of the period-t subgames at a batch of states (one row per state).

    Attributes
    ----------
    Z : (B, m) equilibrium actions of period t
    V : (B, n) continuation values :math:`V_i^t(Y)`
    VY : (B, n, dY) their state gradients
    policy_slope : (B, m, dY) policy derivatives
    ok : (B,) bool, whether the subgame was solved
    residual : (B,) KKT residual of each
    J : (B, m, m) the Jacobian of the conditions at the solution
    """

    Z: np.ndarray
    V: np.ndarray
    VY: np.ndarray
    policy_slope: np.ndarray
    ok: np.ndarray
    residual: np.ndarray
    J: np.ndarray

    def put(self, rows: np.ndarray, part: LevelSolution, which: np.ndarray | None = None) -> None:
        """Rows ``rows`` of this solution replaced by ``part``'s (its rows ``which``; all of them
        by default)."""
        which = slice(None) if which is None else which
        for name in ("Z", "V", "VY", "policy_slope", "ok", "residual", "J"):
            getattr(self, name)[rows] = getattr(part, name)[which]


class _Anchors:
    """Warm starts for the next period's subgames, one per row: the last solution there
    (state ``Y``, actions ``Z``, policy derivative ``D``, Jacobian ``J`` of the conditions),
    with its values ``V`` and their gradients ``VY``, reused when the same state comes again."""

    def __init__(self, P: int, m: int, dY: int, n: int):
        self.Y = np.zeros((P, dY))
        self.Z = np.zeros((P, m))
        self.D = np.zeros((P, m, dY))
        self.J = np.zeros((P, m, m))
        self.V = np.zeros((P, n))
        self.VY = np.zeros((P, n, dY))
        self.residual = np.zeros(P)
        self.has = np.zeros(P, dtype=bool)
        self._child = None

    @property
    def child(self) -> _Anchors:
        """The warm starts one period further on, row by row."""
        if self._child is None:
            self._child = _Anchors(len(self.has), self.Z.shape[1], self.Y.shape[1], self.V.shape[1])
        return self._child

    def predict(self, rows: np.ndarray, Yn: np.ndarray, default: np.ndarray) -> np.ndarray:
        Z0 = default.copy()
        h = self.has[rows]
        if h.any():
            r = rows[h]
            pred = self.Z[r] + np.einsum("bmy,by->bm", self.D[r], Yn[h] - self.Y[r])
            # positive inputs stay positive (an input at 0 may be a singular corner)
            pred = np.where((self.Z[r] > 0) & (pred < 0.5 * self.Z[r]), 0.5 * self.Z[r], pred)
            Z0[h] = pred
        return Z0

    def update(self, rows: np.ndarray, Yn: np.ndarray, sol: LevelSolution) -> None:
        ok = sol.ok
        r = rows[ok]
        self.Y[r], self.Z[r], self.D[r], self.J[r] = Yn[ok], sol.Z[ok], sol.policy_slope[ok], sol.J[ok]
        self.V[r], self.VY[r], self.residual[r] = sol.V[ok], sol.VY[ok], sol.residual[ok]
        self.has[r] = True

    def private(self, rows: np.ndarray) -> _Anchors:
        """A copy of the warm starts of ``rows`` (one row each, in that order), the later
        periods' included: a solve that may not move the shared warm starts keeps its own."""
        out = _Anchors(len(rows), self.Z.shape[1], self.Y.shape[1], self.V.shape[1])
        for name in ("Y", "Z", "D", "J", "V", "VY", "residual", "has"):
            getattr(out, name)[...] = getattr(self, name)[rows]
        if self._child is not None:
            out._child = self._child.private(rows)
        return out

    def hits(self, rows: np.ndarray, Yn: np.ndarray) -> np.ndarray:
        """(B,) bool: rows whose stored solution is at exactly the state ``Yn``."""
        return self.has[rows] & np.all(self.Y[rows] == Yn, axis=1)

    def stored(self, rows: np.ndarray) -> LevelSolution:
        """The stored solutions of ``rows`` (all solved)."""
        return LevelSolution(self.Z[rows].copy(), self.V[rows].copy(), self.VY[rows].copy(), self.D[rows].copy(),
                             np.ones(len(rows), dtype=bool), self.residual[rows].copy(), self.J[rows].copy())


def _put(dst: np.ndarray, src: np.ndarray, first: np.ndarray, vmap: np.ndarray) -> None:
    """``dst[b, first, vmap(, vmap)] = src`` for all rows b (one belief's block of the stacked arrays)."""
    full = len(first) == dst.shape[1] and len(vmap) == dst.shape[2]
    if full:
        dst[...] = src
        return
    ix = (np.arange(dst.shape[0]), first) + (vmap,) * (dst.ndim - 2)
    dst[np.ix_(*ix)] = src


class FeedbackGame:
    """The backward induction of a T-period game (see module docstring).

    Parameters
    ----------
    game : NumericGame
        The T-period game (its beliefs, discount factors, survival rule and horizon).
    options : SolverOptions
    fd : {"central", "forward"}, optional
        Finite differences of the continuation values' gradients: central (error about
        :math:`10^{-8}`, :math:`2 d_Y` re-solves per state) or forward (error about
        :math:`10^{-5}`, :math:`d_Y` re-solves). The work grows like the number of re-solves to
        the power of the horizon; by default central up to :data:`CENTRAL_UP_TO` periods with at
        most :data:`CENTRAL_STATES` moving state entries, forward otherwise.
    nested : {"newton", "chord"}, optional
        The iteration for the subgames before the last period: the batched semismooth Newton with
        a fresh Jacobian at every step (default), or :func:`solve_chord`, which keeps the
        Jacobian while steps contract fast (the same answers to the solver's tolerance; on the
        invest model it takes more steps than it saves, up to twice the time).
    """

    def __init__(self, game: NumericGame, options, fd: str | None = None, nested: str = "newton"):
        self.game, self.options = game, options
        if nested not in ("chord", "newton"):
            raise InvalidArgumentError(f"nested must be 'chord' or 'newton', got {nested!r}")
        self.nested = nested
        if fd is None:
            moving = sum(chain.ds for chain in game.chains)
            fd = "central" if game.T <= CENTRAL_UP_TO and moving <= CENTRAL_STATES else "forward"
        if fd not in ("central", "forward"):
            raise InvalidArgumentError(f"fd must be 'central' or 'forward', got {fd!r}")
        self.fd = fd
        self.n, self.k, self.m, self.T = game.n, game.k, game.m, game.T
        self.gammas = game.gammas
        self.end_on_win = game.end_on_win
        self.lower = np.zeros(self.m)
        self.upper = np.asarray(game.upper[: self.m], dtype=float)
        self.kinked = game.kinked
        # the stacked state Y: each chain's moving state in its own slots
        self.chains = []
        start = 0
        for chain in game.chains:
            slots = np.arange(start, start + chain.ds)
            start += chain.ds
            self.chains.append((chain.model, chain.theta, chain.players, slots))
        self.dY = start
        self.nv = self.m + self.dY
        self.Y0 = np.concatenate([np.asarray(ch.y0, dtype=float) for ch in game.chains]) if self.dY else np.zeros(0)
        self.subgames = 0  # subgame solves (rows), a measure of work
        # subgame first-order points rejected because a player gains by sitting out (or, held at a
        # token presence, by re-entering)
        self.exits = 0
        self.saddles = 0  # subgame first-order points rejected as no local maximum for some player
        self.last_continuation: dict = {}

    # ------------------------------------------------------------ one period's payoffs
    def next_state(self, Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """:math:`F(z, Y)` for rows ``Z`` (B, m), ``Y`` (B, dY): (B, dY)."""
        out = np.empty_like(Y)
        for model, theta, _, slots in self.chains:
            if slots.size:
                _, f, _ = model.values(Z.T, Y[:, slots].T, theta[:, None])
                out[:, slots] = f.T
        return out

    def evaluate(self, t: int, Z: np.ndarray, Y: np.ndarray, order: int, anchors: _Anchors,
                 rows: np.ndarray, update: bool = True, known: tuple | None = None):
        r""":math:`\Phi` (B, n) and, with ``order`` 1 or 2, :math:`\nabla_v \Phi` (B, n, nv) and
        :math:`\nabla^2_v \Phi` (B, n, nv, nv) of period t at rows ``Z`` (B, m), ``Y`` (B, dY).

        ``order`` 0 and 1 need the next period's values and gradients only; 2 needs their second
        derivatives too (finite differences of the exact gradients). ``known``: ``(F, W)``, next
        states (B, dY) and their continuation values (B, n) already known; used (order 0) when
        the rows lead to exactly those states. The next states and their values are left in
        ``self.last_continuation[t]``.
        """
        B = Z.shape[0]
        n, m, nv, dY = self.n, self.m, self.nv, self.dY
        last = t >= self.T - 1  # no later periods: Phi = u
        u = np.empty((B, n))
        S = np.ones((B, n))
        Fn = np.empty((B, dY))
        if order:
            u_v = np.zeros((B, n, nv))
            S_v = np.zeros((B, n, nv))
            F_v = np.zeros((B, dY, nv))
        if order == 2:
            u_vv = np.zeros((B, n, nv, nv))
            if not last:
                S_vv = np.zeros((B, n, nv, nv))
                F_vv = np.zeros((B, dY, nv, nv))
        with np.errstate(all="ignore"):
            for model, theta, players, slots in self.chains:
                vmap = np.concatenate([np.arange(m), m + slots])
                z, y, th = Z.T, Y[:, slots].T, theta[:, None]
                if order == 0:
                    uc, fc, qc = model.values(z, y, th)
                else:
                    uc, fc, qc, uc_v, fc_v, qc_v = model.values_first(z, y, th)
                u[:, players] = uc[players].T
                Fn[:, slots] = np.asarray(fc).reshape(len(slots), B).T
                if self.end_on_win:
                    S[:, players] = (1.0 - np.broadcast_to(qc, (B,)))[:, None]
                if order:
                    _put(u_v, np.moveaxis(uc_v[players], -1, 0), players, vmap)
                    if slots.size:
                        _put(F_v, np.moveaxis(fc_v, -1, 0), slots, vmap)
                    if self.end_on_win:
                        _put(S_v, -np.moveaxis(qc_v, -1, 0)[:, None, :], players, vmap)
                if order == 2:
                    _, uc_vv, _, fc_vv, _, qc_vv = model.dynamic(z, y, th)
                    _put(u_vv, np.moveaxis(uc_vv[players], -1, 0), players, vmap)
                    if last:
                        continue
                    if slots.size:
                        _put(F_vv, np.moveaxis(fc_vv, -1, 0), slots, vmap)
                    if self.end_on_win:
                        _put(S_vv, -np.moveaxis(qc_vv, -1, 0)[:, None, :, :], players, vmap)
        if last:
            self.last_continuation[t] = (Fn, np.zeros((B, n)))
            return u, (u_v if order else None), (u_vv if order == 2 else None)
        if known is not None and order == 0 and np.array_equal(known[0], Fn):
            W, WY, WYY = known[1], None, None
        else:
            W, WY, WYY = self.continuation(t + 1, Fn, order, anchors, rows, Z, update)
        self.last_continuation[t] = (Fn, W)
        g = self.gammas[None, :]
        with np.errstate(all="ignore"):
            Phi = u + g * S * W
            if not order:
                return Phi, None, None
            a = WY @ F_v  # (B, n, nv): F_v^T grad W_i
            Phi_v = u_v + g[..., None] * (S_v * W[..., None] + S[..., None] * a)
            if order == 1:
                return Phi, Phi_v, None
            # F_v^T W_YY F_v + sum_s dW/dY_s F_vv[s], as stacked matrix products
            second = np.swapaxes(F_v, 1, 2)[:, None] @ (WYY @ F_v[:, None])
            second += (WY @ F_vv.reshape(B, dY, nv * nv)).reshape(B, n, nv, nv)
            Phi_vv = u_vv + g[..., None, None] * (
                S_vv * W[..., None, None] + S_v[..., :, None] * a[..., None, :] + a[..., :, None] * S_v[..., None, :]
                + S[..., None, None] * second)
        return Phi, Phi_v, Phi_vv

    def period_parts(self, Z: np.ndarray, Y: np.ndarray):
        """Today's payoffs ``u`` (B, n), survival ``S`` (B, n) and next states (B, dY)."""
        B = Z.shape[0]
        u = np.empty((B, self.n))
        S = np.ones((B, self.n))
        Fn = np.empty((B, self.dY))
        with np.errstate(all="ignore"):
            for model, theta, players, slots in self.chains:
                uc, fc, qc = model.values(Z.T, Y[:, slots].T, theta[:, None])
                u[:, players] = uc[players].T
                Fn[:, slots] = np.asarray(fc).reshape(len(slots), B).T
                if self.end_on_win:
                    S[:, players] = (1.0 - np.broadcast_to(qc, (B,)))[:, None]
        return u, S, Fn

    # ------------------------------------------------------------ continuation values
    def continuation(self, t: int, Yn: np.ndarray, order: int, anchors: _Anchors, rows: np.ndarray,
                     Zdefault: np.ndarray, update: bool = True):
        r""":math:`V^t` (B, n), :math:`\nabla V^t` (B, n, dY) and, for ``order`` 2,
        :math:`\nabla^2 V^t` (B, n, dY, dY) at the states ``Yn`` (B, dY); zeros for ``t = T``."""
        B, n, dY = Yn.shape[0], self.n, self.dY
        if t >= self.T:
            return np.zeros((B, n)), np.zeros((B, n, dY)), np.zeros((B, n, dY, dY))
        sol = self._base_level(t, Yn, anchors, rows, Zdefault, update)
        V = np.where(sol.ok[:, None], sol.V, np.nan)
        VY = np.where(sol.ok[:, None, None], sol.VY, np.nan)
        if order < 2 or dY == 0:
            return V, VY, np.zeros((B, n, dY, dY))
        WYY = np.full((B, n, dY, dY), np.nan)
        # the neighbours of the solved subgames only: where the subgame itself has no answer its
        # value is not a number, and so is every derivative that would use these
        good = np.flatnonzero(sol.ok)
        if not good.size:
            return V, VY, WYY
        G = good.size
        central = self.fd == "central"
        sides = 2 if central else 1
        h = (FD_STEP if central else FD_STEP_FORWARD) * (1.0 + np.abs(Yn[good]))  # (G, dY)
        steps = np.zeros((sides, dY, G, dY))
        for j in range(dY):
            steps[0, j, :, j] = h[:, j]
            if central:
                steps[1, j, :, j] = -h[:, j]
        Zg = sol.Z[good]
        Ynb = (Yn[good][None, None] + steps).reshape(-1, dY)
        Z0nb = (Zg[None, None] + np.einsum("bmy,sjby->sjbm", sol.policy_slope[good], steps)).reshape(-1, self.m)
        base = np.broadcast_to(Zg, (sides, dY, G, self.m)).reshape(-1, self.m)
        Z0nb = np.where((base > 0) & (Z0nb < 0.5 * base), 0.5 * base, Z0nb)
        # neighbours of a subgame that passed the exit check: no check of their own
        # (their starts are within O(h^2) of the answer: a Jacobian at the start, reused at the end)
        nb = self.solve_level(t, Ynb, Z0nb, anchors.child, np.tile(rows[good], sides * dY), False,
                              check_exits=False)
        VYnb = np.where(nb.ok[:, None, None], nb.VY, np.nan).reshape(sides, dY, G, n, dY)
        # d(VY)/dY_j: (G, n, dY(derivative of), dY(j))
        low = VYnb[1] if central else np.broadcast_to(VY[good], (dY, G, n, dY))
        WYYg = np.moveaxis((VYnb[0] - low) / (sides * h.T[:, :, None, None]), 0, -1)
        WYY[good] = 0.5 * (WYYg + np.swapaxes(WYYg, -1, -2))
        return V, VY, WYY

    # ------------------------------------------------------------ subgames in batches
    def _base_level(self, t: int, Yn: np.ndarray, anchors: _Anchors, rows: np.ndarray, Zdefault: np.ndarray,
                    update: bool) -> LevelSolution:
        """The period-t subgames at ``Yn``: a row whose anchor holds a solution at exactly that
        state reuses it; the others are solved from the anchor's prediction (chord Jacobian: the
        anchor's) and, with ``update``, stored there."""
        hit = anchors.hits(rows, Yn)
        if hit.all():
            return anchors.stored(rows)
        miss = np.flatnonzero(~hit)
        rm = rows[miss]
        Z0 = anchors.predict(rm, Yn[miss], Zdefault[miss])
        J0 = np.where(anchors.has[rm][:, None, None], anchors.J[rm], np.nan)
        part = self.solve_level(t, Yn[miss], Z0, anchors.child, rm, update, J0=J0)
        if update:
            anchors.update(rm, Yn[miss], part)
        if not hit.any():
            return part
        sol = anchors.stored(rows)  # hits' rows are right; the misses' are replaced below
        sol.put(miss, part)
        return sol

    def solve_level(self, t: int, Y: np.ndarray, Z0: np.ndarray, anchors: _Anchors | None = None,
                    rows: np.ndarray | None = None, update: bool = True,
                    check_exits: bool = True, J0: np.ndarray | None = None) -> LevelSolution:
        """Equilibria of the period-t subgames at the states ``Y`` (B, dY), from ``Z0`` (B, m).

        ``anchors`` (rows ``rows`` of it, one per state) hold the warm starts of the next
        period's subgames; ``update`` stores the new solutions there. ``J0`` (B, m, m): a
        Jacobian of the conditions at a nearby solution for each row (NaN where none), the
        iteration's first chord Jacobian (:func:`solve_chord`). Rows that fail are retried
        from a generic start; ``check_exits``: reject first-order points where a player gains by
        sitting the period out (:meth:`_exits`).

        A player present with a token input in ``Z0`` (:meth:`token_players`: no performance,
        a safety input of at most :data:`~.nash.TINY_SAFETY`) is *held* there: out of the race
        and kept safe, the limit :math:`x_s \\to 0^+` of a player whose best response is to
        stay out where an exact exit would leave it unsafe (no profile attains that limit, and
        the slopes at a token input, of order :math:`10^{70}`, defeat Newton). The others'
        conditions are solved with its (x_s, x_p) fixed (its policy does not move with the
        state), and the answer stands only when the held player gains nothing by re-entering
        anywhere on the grid :data:`ENTRY_GRID` of (x_s, x_p) (:meth:`_entries`). Rows still
        without an answer are tried again with each player in turn held at a token presence: in
        the last period every such row (a solve there is cheap), before it the rows where that
        player gains by going to a token presence (each trial there re-solves later periods).
        """
        B = Y.shape[0]
        if not update and anchors is not None and t < self.T - 1:
            # the shared warm starts stay as they are; this solve's later subgames start from its
            # own last solutions (a copy), as those of a solve that keeps them do
            anchors = anchors.private(np.arange(B) if rows is None else np.asarray(rows, dtype=int))
            rows, update = None, True
        Z0 = np.clip(np.asarray(Z0, dtype=float), self.lower, self.upper)
        held = self.token_players(Z0)
        Z0 = self._at_token(Z0, held)
        batch = PeriodBatch(self, t, Y, anchors, rows, update, held)
        X, residual, ok = self._solve_rows(batch, Z0, J0)
        sol, wants = self._finish(batch, X, residual, ok, check_exits)
        if self.k < 2 or sol.ok.all():
            return sol
        # rows that held a player without an answer: nobody held, from a generic start
        bad = np.flatnonzero(~sol.ok & held.any(axis=1))
        self._retry(sol, batch, bad, next(self._fallback_starts(Z0[bad])), np.zeros((bad.size, self.n), dtype=bool),
                    check_exits)
        last = t >= self.T - 1
        for i in range(self.n):  # rows still without one: each player in turn held at a token presence
            bad = np.flatnonzero(~sol.ok & ~held[:, i] & (wants[:, i] | last))
            h = held[bad].copy()
            h[:, i] = True
            self._retry(sol, batch, bad, self._at_token(Z0[bad], h), h, check_exits)
        return sol

    def _retry(self, sol: LevelSolution, batch: PeriodBatch, bad: np.ndarray, Z0: np.ndarray, held: np.ndarray,
               check_exits: bool) -> None:
        """Solve rows ``bad`` of ``batch`` again from ``Z0`` with the players ``held`` at a token
        presence (both one row per row of ``bad``); their answers join ``sol`` where found."""
        if not bad.size:
            return
        sub = PeriodBatch(self, batch.t, batch.Y[bad], batch.anchors, batch.rows[bad], batch.update, held)
        X, residual, ok = self._solve_rows(sub, Z0, None, fallback=False)
        part, _ = self._finish(sub, X, residual, ok, check_exits)
        sol.put(bad[part.ok], part, part.ok)

    def token_players(self, Z: np.ndarray) -> np.ndarray:
        """(B, n) bool: players present with a token input in rows ``Z`` (B, m): performance at
        most :data:`TOKEN_PERFORMANCE`, safety in (0, :data:`~.nash.TINY_SAFETY`]."""
        if self.k < 2:
            return np.zeros((Z.shape[0], self.n), dtype=bool)
        return token_presence(Z.reshape(Z.shape[0], self.n, self.k), TOKEN_PERFORMANCE)

    def held_columns(self, held: np.ndarray | None) -> np.ndarray | None:
        """(B, m) bool: the (x_s, x_p) columns of the players ``held`` (B, n); None for None."""
        if held is None or not held.any():
            return None
        cols = np.zeros((held.shape[0], self.n, self.k), dtype=bool)
        cols[..., :2] = held[..., None]
        return cols.reshape(held.shape[0], self.m)

    def _at_token(self, Z: np.ndarray, held: np.ndarray) -> np.ndarray:
        """``Z`` with every held player's performance exactly 0 and its safety input at most
        :data:`~.nash.TOKEN_SAFETY` (and positive)."""
        if not held.any():
            return Z
        X = Z.reshape(Z.shape[0], self.n, self.k).copy()
        X[..., 1] = np.where(held, 0.0, X[..., 1])
        X[..., 0] = np.where(held, np.where((X[..., 0] > 0) & (X[..., 0] <= TOKEN_SAFETY), X[..., 0], TOKEN_SAFETY),
                             X[..., 0])
        return X.reshape(Z.shape)

    def _solve_rows(self, batch: PeriodBatch, Z0: np.ndarray, J0: np.ndarray | None, fallback: bool = True):
        """The iteration on every row of ``batch`` from ``Z0``; rows that fail retried from a
        generic start (with ``fallback``), last-period rows that stop close finished in log
        coordinates. Returns ``X``, ``residual``, ``ok``."""
        t, opts = batch.t, self.options
        self.subgames += batch.P
        run = self._nested(batch, Z0, J0)
        X = run.x
        ok = run.converged | (run.residual <= opts.kkt_tol)
        residual = run.residual.copy()
        if fallback and not ok.all():  # retry from a generic start
            # in the last period a row that started there already would run again as it ran
            # (no warm starts of later subgames that the first run could have moved)
            for start in self._fallback_starts(Z0):
                same = np.all(Z0 == np.clip(start, self.lower, self.upper), axis=1) & (t >= self.T - 1)
                bad = np.flatnonzero(~ok & ~same)
                if not bad.size:
                    break
                sub = PeriodBatch(self, t, batch.Y[bad], batch.anchors, batch.rows[bad], batch.update)
                r2 = self._nested(sub, start[bad], None)
                good = r2.converged | (r2.residual <= opts.kkt_tol)
                X[bad[good]], residual[bad[good]], ok[bad[good]] = r2.x[good], r2.residual[good], True
                batch.held[bad[good]] = False
        if not ok.all() and t >= self.T - 1:
            self._polish_last(batch.Y, X, residual, ok, batch.held.any(axis=1))
        return X, residual, ok

    def _finish(self, batch: PeriodBatch, X: np.ndarray, residual: np.ndarray, ok: np.ndarray,
                check_exits: bool) -> tuple[LevelSolution, np.ndarray]:
        """Values, state gradients and policy derivatives of the solved rows of ``batch`` at
        ``X``; rows whose answer is no equilibrium (not finite, not a local maximum, a player
        gains by sitting out or by re-entering) are marked not ok. Also (B, n): the players who
        gain by going to a token presence."""
        t, Y = batch.t, batch.Y
        B, m, n, dY = X.shape[0], self.m, self.n, self.dY
        ok = ok.copy()
        V = np.full((B, n), np.nan)
        VY = np.full((B, n, dY), np.nan)
        D = np.zeros((B, m, dY))
        J = np.zeros((B, m, m))
        wants = np.zeros((B, n), dtype=bool)
        rows = np.flatnonzero(ok)
        if rows.size:
            held = batch.held[rows]
            cols = self.held_columns(held)
            Phi, Phi_v, Phi_vv = batch.derivatives(X[rows], rows)
            J[rows] = self.own_rows(Phi_v, Phi_vv, X[rows], cols)[1][:, :, :m]
            D[rows] = self.policy_derivative(X[rows], Phi_v, Phi_vv, cols)
            Pz = Phi_v[:, :, :m] if cols is None else np.where(cols[:, None, :], 0.0, Phi_v[:, :, :m])
            VY[rows] = Phi_v[:, :, m:] + np.einsum("biz,bzy->biy", Pz, D[rows])
            V[rows] = Phi
            bad = ~(np.all(np.isfinite(V[rows]), axis=1) & np.all(np.isfinite(VY[rows]), axis=(1, 2))
                    & np.all(np.isfinite(D[rows]), axis=(1, 2)))
            bad |= self._not_local_maxima(X[rows], Phi_v, Phi_vv, cols)
            if check_exits:
                found, wants[rows] = self._exits(t, X[rows], Y[rows], Phi, batch, rows)
                bad |= found
            if held.any():
                bad |= self._entries(t, X[rows], Y[rows], Phi, batch, rows, held)
            ok[rows[bad]] = False
        return LevelSolution(X, V, VY, D, ok, residual, J), wants

    def _nested(self, batch: PeriodBatch, X0: np.ndarray, J0: np.ndarray | None):
        """One solve of a batch of subgames: :func:`solve_chord`, or with ``nested="newton"``
        the batched semismooth Newton with a fresh Jacobian at every step (also in the last
        period, whose Jacobian costs about as much as its conditions: no later periods)."""
        if self.nested == "newton" or batch.t == self.T - 1:
            # before the last period a trial point is tested on its conditions first (no
            # finite-difference neighbours where the line search refuses it)
            dear = batch.t < self.T - 1
            return solve_kkt_batch(batch, X0, tol=self.options.tol, max_iter=NESTED_ITERS,
                                   conditions_first=dear, max_step=NESTED_MAX_STEP if dear else None)
        return solve_chord(batch, X0, J0, tol=self.options.tol, max_iter=CHORD_ITERS)

    def _polish_last(self, Y: np.ndarray, X: np.ndarray, residual: np.ndarray, ok: np.ndarray,
                     skip: np.ndarray) -> None:
        """Last-period rows that stopped close to a solution (residual at most
        :data:`~.nash.POLISH_BELOW`) finished by Newton in log coordinates
        (:func:`~.polish.log_newton`), as the static solver finishes them: a player near an exit
        (inputs of 1e-3 beside inputs of order one) makes the conditions too steep for steps in
        the inputs themselves. ``X``, ``residual`` and ``ok`` are updated in place; rows ``skip``
        (a player held at a token presence) are left alone."""
        for b in np.flatnonzero(~ok & ~skip & (residual <= POLISH_BELOW)):
            with np.errstate(all="ignore"):
                run = log_newton(PeriodGame(self, self.T - 1, Y[b]), X[b], tol=self.options.tol)
            if run.converged and np.all(np.isfinite(run.x)):
                X[b], residual[b], ok[b] = run.x, run.residual, True

    def _not_local_maxima(self, X: np.ndarray, Phi_v: np.ndarray, Phi_vv: np.ndarray,
                          cols: np.ndarray | None = None) -> np.ndarray:
        """Rows (R,) where some player's Hessian in its own actions, on the variables not held at
        a bound (nor at a token presence, ``cols``), has a positive eigenvalue (beyond ``1e-7``
        of its size): not a local maximum."""
        k, tol = self.k, self.options.kkt_tol
        G, _ = self.own_rows(Phi_v, None, X, cols)
        held = ((X <= self.lower) & (G < -tol)) | ((X >= self.upper) & (G > tol))
        if cols is not None:
            held |= cols
        bad = np.zeros(len(X), dtype=bool)
        with np.errstate(all="ignore"):
            for i in range(self.n):
                own = slice(i * k, (i + 1) * k)
                H = Phi_vv[:, i, own, own]
                H = 0.5 * (H + np.swapaxes(H, 1, 2))
                free = ~held[:, own]
                H = np.where(free[:, :, None] & free[:, None, :], H, 0.0)
                H = H - np.eye(k)[None] * (~free)[:, :, None]  # held variables: a -1 on the diagonal
                finite = np.all(np.isfinite(H), axis=(1, 2))
                eig = np.full(len(X), np.inf)
                if finite.any():
                    eig[finite] = np.linalg.eigvalsh(H[finite])[:, -1]
                scale = np.maximum(1.0, np.max(np.abs(np.where(np.isfinite(H), H, 0.0)), axis=(1, 2)))
                bad |= ~(eig <= 1e-7 * scale)
        self.saddles += int(bad.sum())
        return bad

    def _exits(self, t: int, X: np.ndarray, Y: np.ndarray, Phi: np.ndarray, batch: PeriodBatch,
               rows: np.ndarray) -> np.ndarray:
        """Rows (R,) where some player gains by sitting the period out (its x_s = x_p = 0, or a
        token presence: x_p = 0 and x_s = :data:`~.nash.TOKEN_SAFETY`; the rest of the profile
        held): the first-order point is then no equilibrium of the subgame. Also (R, n): the
        players who gain by the token presence."""
        if self.k < 2:
            return np.zeros(len(X), dtype=bool), np.zeros((len(X), self.n), dtype=bool)
        R, n, k = len(X), self.n, self.k
        Zx = np.repeat(X[None, None], 2, axis=0).repeat(n, axis=1)  # (2, n, R, m): exact exit, token
        for i in range(n):
            Zx[:, i, :, i * k: i * k + 2] = 0.0
            Zx[1, i, :, i * k] = TOKEN_SAFETY
        known = batch.continuation_at(X, rows)
        if known is not None:
            known = (np.tile(known[0], (2 * n, 1)), np.tile(known[1], (2 * n, 1)))
        with np.errstate(all="ignore"):
            out, _, _ = self.evaluate(t, Zx.reshape(2 * n * R, -1), np.tile(Y, (2 * n, 1)), 0, batch.anchors,
                                      np.tile(batch.rows[rows], 2 * n), False, known)
            out = out.reshape(2, n, R, n)[:, np.arange(n), :, np.arange(n)]  # (n, 2, R)
            out = np.where(np.isfinite(out), out, -np.inf)
            tol = self.options.gain_tol * (1.0 + np.abs(Phi))
            gains = np.max(out, axis=1).T - Phi  # (R, n)
            token = out[:, 1, :].T - Phi > tol
        found = np.any(gains > tol, axis=1)
        self.exits += int(found.sum())
        return found, token

    def _entries(self, t: int, X: np.ndarray, Y: np.ndarray, Phi: np.ndarray, batch: PeriodBatch,
                 rows: np.ndarray, held: np.ndarray) -> np.ndarray:
        r"""Rows (R,) where a player ``held`` (R, n) at a token presence gains by re-entering (the
        rest of the profile held): the token presence is then no best response.

        Re-entry is offered at every (x_s, x_p) of :data:`ENTRY_GRID` x :data:`ENTRY_GRID`; the
        best of them is climbed by :data:`ENTRY_CLIMB` steps of a compass search in
        :math:`(\log x_s, \log x_p)` (eight directions, the step halved when none improves)."""
        pairs = np.argwhere(held)  # (row, player)
        P = len(pairs)
        Ypairs = Y[pairs[:, 0]]
        anchor_rows = batch.rows[rows[pairs[:, 0]]]

        def own_values(W: np.ndarray) -> np.ndarray:
            """Held players' payoffs at own log inputs ``W`` (P, C, 2), the rest as in ``X``: (P, C)."""
            C = W.shape[1]
            Z = np.repeat(X[pairs[:, 0]], C, axis=0)
            cols = np.repeat((pairs[:, 1] * self.k)[:, None] + np.arange(2), C, axis=0)
            Z[np.arange(len(Z))[:, None], cols] = np.exp(W.reshape(-1, 2))
            with np.errstate(all="ignore"):
                out, _, _ = self.evaluate(t, Z, np.repeat(Ypairs, C, axis=0), 0, batch.anchors,
                                          np.repeat(anchor_rows, C), False)
            values = out[np.arange(len(Z)), np.repeat(pairs[:, 1], C)].reshape(P, C)
            return np.where(np.isfinite(values), values, -np.inf)

        logs = np.log(ENTRY_GRID)
        grid = np.stack(np.meshgrid(logs, logs, indexing="ij"), axis=-1).reshape(-1, 2)
        values = own_values(np.broadcast_to(grid, (P,) + grid.shape))
        at = grid[np.argmax(values, axis=1)].copy()  # (P, 2)
        best = np.max(values, axis=1)
        step = np.full(P, logs[1] - logs[0])
        dirs = np.array([(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1) if a or b], dtype=float)
        for _ in range(ENTRY_CLIMB):
            trial = at[:, None, :] + step[:, None, None] * dirs[None]
            tv = own_values(trial)
            j = np.argmax(tv, axis=1)
            up = tv[np.arange(P), j] > best
            at[up], best[up] = trial[np.flatnonzero(up), j[up]], tv[up, j[up]]
            step[~up] *= 0.5
        base = Phi[pairs[:, 0], pairs[:, 1]]
        gains = best - base > self.options.gain_tol * (1.0 + np.abs(base))
        found = np.zeros(len(X), dtype=bool)
        found[pairs[gains, 0]] = True
        self.exits += int(found.sum())
        return found

    def _fallback_starts(self, Z0: np.ndarray):
        base = np.array([1.0, 1.0, 0.05, 0.05, 0.0, 0.0])[: self.k]
        generic = np.tile(base, self.n)
        yield np.broadcast_to(generic, Z0.shape).copy()

    def own_rows(self, Phi_v: np.ndarray, Phi_vv: np.ndarray | None, X: np.ndarray | None = None,
                 cols: np.ndarray | None = None):
        """Each player's own conditions: ``G`` (B, m) and, with ``Phi_vv``, their derivatives in all
        actions and the state (B, m, nv).

        ``cols`` (B, m): variables held where they are (at rows ``X``; a player at a token
        presence, :meth:`solve_level`): their condition reads "stay" (``G = 0`` above the lower
        bound, ``-1`` on it; derivative :math:`-e_j`), and no other condition depends on them
        (their columns are 0: the slopes at a token input are not numbers, and a held
        variable never moves)."""
        n, k = self.n, self.k
        B = Phi_v.shape[0]
        G = np.empty((B, self.m))
        JV = np.empty((B, self.m, self.nv)) if Phi_vv is not None else None
        for i in range(n):
            own = slice(i * k, (i + 1) * k)
            G[:, own] = Phi_v[:, i, own]
            if Phi_vv is not None:
                JV[:, own, :] = Phi_vv[:, i, own, :]
        if cols is not None:
            G = np.where(cols, np.where(X > self.lower, 0.0, -1.0), G)
            if JV is not None:
                JV[:, :, : self.m] = np.where(cols[:, None, :], 0.0, JV[:, :, : self.m])
                JV = np.where(cols[:, :, None], 0.0, JV)
                b, j = np.nonzero(cols)
                JV[b, j, j] = -1.0
        return G, JV

    def policy_derivative(self, X: np.ndarray, Phi_v: np.ndarray, Phi_vv: np.ndarray,
                          cols: np.ndarray | None = None) -> np.ndarray:
        r""":math:`\partial z^*/\partial Y` (B, m, dY) by the implicit-function theorem on the
        Fischer–Burmeister form (a variable strictly held at a bound does not move, nor one held
        at a token presence, ``cols``)."""
        m = self.m
        G, JV = self.own_rows(Phi_v, Phi_vv, X, cols)
        B = X.shape[0]
        lower = np.broadcast_to(self.lower, X.shape).ravel()
        upper = np.broadcast_to(self.upper, X.shape).ravel()
        _, dx, dF = mcp_residual(X.ravel(), -G.ravel(), lower, upper)
        dx, dF = dx.reshape(B, m), dF.reshape(B, m)
        Jx = dx[:, :, None] * np.eye(m) - dF[:, :, None] * JV[:, :, :m]
        JY = -dF[:, :, None] * JV[:, :, m:]
        with np.errstate(all="ignore"):
            try:
                return -np.linalg.solve(Jx, JY)
            except np.linalg.LinAlgError:
                return -np.einsum("bij,bjy->biy", np.linalg.pinv(Jx), JY)


def _snap(batch, X: np.ndarray, G: np.ndarray, res: np.ndarray, idx: np.ndarray, tol: float):
    """:func:`~.batch._snap_batch` on the rows that it would move (the others are left as they are,
    without evaluating them again)."""
    lower, upper = batch.lower, batch.upper
    near_low = (X - lower <= 1e-9 * (1 + np.abs(X))) & (G < 0) & (X != lower)
    near_up = (upper - X <= 1e-9 * (1 + np.abs(X))) & (G > 0) & (X != upper)
    rows = np.flatnonzero(near_low.any(axis=1) | near_up.any(axis=1))
    if not rows.size:
        return X, res
    X, res = X.copy(), res.copy()
    X[rows], res[rows] = _snap_batch(batch, X[rows], G[rows], res[rows], idx[rows], tol)
    return X, res


def solve_chord(batch: PeriodBatch, X0: np.ndarray, J0: np.ndarray | None = None, tol: float = 1e-12,
                max_iter: int = 30) -> BatchRun:
    r"""Solve the conditions of a batch of subgames by a semismooth Newton iteration that keeps
    its Jacobian while it contracts fast (a chord iteration).

    Each step solves :math:`(D_x - D_F J)\, d = -\phi(x)` (Fischer–Burmeister, as
    :func:`~.batch.solve_kkt_batch`) with :math:`D_x, D_F, \phi` at the current point but
    :math:`J \approx \partial_z G` the last Jacobian computed: at the start the row's ``J0`` (a
    nearby solution's, NaN where none), later the exact one at an earlier iterate. A step with
    a kept Jacobian is a single full step. The Jacobian is kept while such steps contract fast:
    at the step's rate :math:`\rho = (M^+/M)^{1/2}` (merit :math:`M = \tfrac12\|\phi\|^2`),
    :math:`\|\phi\| = (2M^+)^{1/2}` reaches ``tol`` within :data:`CHORD_STEPS` more steps. A step
    that only passes the Armijo test below is accepted and the Jacobian recomputed there; one
    that fails it is refused and the Jacobian recomputed at the current point. With a freshly
    computed Jacobian the step is the semismooth Newton step with backtracking
    (:math:`\alpha = 1, \tfrac12, \ldots`, at most 40 halvings, accepted when
    :math:`M^+ \le (1 - 10^{-4}\alpha) M`); if that fails, or the direction is unusable, the
    row stops unconverged. Rows without ``J0`` start with the exact Jacobian, which the final
    derivatives (:meth:`FeedbackGame.solve_level`) reuse when the start already solves the
    conditions (finite-difference neighbours, started within :math:`O(h^2)` of their answer).

    The answer solves the same conditions to the same tolerance (natural residual at most
    ``tol``, then the snap onto active bounds); only the iteration differs. Its use: a trial point
    needs only the conditions :math:`G` (``kkt_function``: the next period's values and
    gradients) while a Jacobian needs their second derivatives (``kkt_jacobian``: finite
    differences over the next period's states), several times the work.

    Rows with a singular corner at the start (:meth:`PeriodBatch.singular_corners`) or
    conditions not finite there stop unconverged, as in :func:`~.batch.solve_kkt_batch`.
    """
    lower, upper = batch.lower, batch.upper
    P, N = batch.P, batch.N
    X = np.clip(np.array(X0, dtype=float).reshape(P, N), lower, upper)
    residual = np.full(P, np.inf)
    iterations = np.zeros(P, dtype=int)
    converged = np.zeros(P, dtype=bool)
    stopped = np.zeros(P, dtype=bool)
    G = np.full((P, N), np.nan)
    J = np.full((P, N, N), np.nan) if J0 is None else np.array(J0, dtype=float).reshape(P, N, N)
    kept = np.all(np.isfinite(J), axis=(1, 2))  # a Jacobian from elsewhere: the first step a chord step
    with np.errstate(all="ignore"):
        a = np.flatnonzero(kept)
        if a.size:
            G[a] = batch.kkt_function(X[a], a)
        b = np.flatnonzero(~kept)
        if b.size:
            G[b], J[b] = batch.kkt_jacobian(X[b], b)
        # the Jacobian's diagonal counts where it is this point's own
        corners = batch.singular_corners(X, G)
        if b.size:
            corners[b] = batch.singular_corners(X[b], G[b], J[b])
        stopped |= corners.any(axis=1)
        stopped |= ~(np.all(np.isfinite(G), axis=1) & np.all(np.isfinite(J), axis=(1, 2)))
    active = np.flatnonzero(~stopped)
    for it in range(1, max_iter + 1):
        if not active.size:
            break
        done = _settle_converged(batch, X, G, active, residual, converged, tol)
        iterations[active[done]] = it - 1
        active = active[~done]
        if not active.size:
            break
        iterations[active] = it
        Xa = X[active]
        with np.errstate(all="ignore"):
            phi, dx, dF = mcp_residual(Xa.ravel(), -G[active].ravel(), np.broadcast_to(lower, Xa.shape).ravel(),
                                       np.broadcast_to(upper, Xa.shape).ravel())
        phi, dx, dF = phi.reshape(Xa.shape), dx.reshape(Xa.shape), dF.reshape(Xa.shape)
        merit = _merit(phi)
        d, usable = _newton(dx[:, :, None] * np.eye(N) - dF[:, :, None] * J[active], phi, Xa)
        chord = kept[active]
        refresh = np.zeros(len(active), dtype=bool)  # recompute the Jacobian at the (new) point
        moved = np.zeros(len(active), dtype=bool)
        stop = ~usable & ~chord
        refresh |= ~usable & chord
        alpha = np.ones(len(active))
        pending = np.flatnonzero(usable)
        for _ in range(41):
            if not pending.size:
                break
            trial = np.clip(Xa[pending] + alpha[pending, None] * d[pending], lower, upper)
            with np.errstate(all="ignore"):
                tG = batch.kkt_function(trial, active[pending])
                tphi, _, _ = mcp_residual(trial.ravel(), -tG.ravel(), np.broadcast_to(lower, trial.shape).ravel(),
                                          np.broadcast_to(upper, trial.shape).ravel())
                tmerit = _merit(tphi.reshape(trial.shape))
                finite = np.all(np.isfinite(tG), axis=1)
                armijo = finite & ((tmerit <= merit[pending] * (1.0 - 1e-4 * alpha[pending])) | (tmerit < 1e-30))
                # the chord steps still needed at this rate of contraction: at most CHORD_STEPS
                rate = np.log(np.sqrt(tmerit / merit[pending]))
                to_go = np.log(tol / np.sqrt(2.0 * tmerit))
                fast = finite & ((np.sqrt(2.0 * tmerit) <= tol) | ((rate < 0) & (to_go >= CHORD_STEPS * rate)))
            accept = armijo
            rows = pending[accept]
            X[active[rows]], G[active[rows]] = trial[accept], tG[accept]
            moved[rows] = True
            # a kept Jacobian: one full step only; recompute unless it contracted fast
            slow = chord[pending] & ~fast
            refresh[pending[slow]] = True
            kept[active[pending[accept & ~slow]]] = True
            back = ~accept & ~chord[pending]  # a fresh Jacobian: backtrack
            alpha[pending[back]] *= 0.5
            pending = pending[back]
        stop[pending] = True
        stopped[active[stop]] = True
        r = np.flatnonzero(refresh & ~stop)
        if r.size:
            with np.errstate(all="ignore"):
                Gr, Jr = batch.kkt_jacobian(X[active[r]], active[r])
            G[active[r]], J[active[r]] = Gr, Jr
            kept[active[r]] = False
            bad = ~(np.all(np.isfinite(Gr), axis=1) & np.all(np.isfinite(Jr), axis=(1, 2)))
            stopped[active[r[bad]]] = True
        # a fresh Jacobian that gave an accepted step is kept for the next (chord) step
        kept[active[moved & ~refresh]] = True
        active = active[~stopped[active]]
    if active.size:  # the cap
        _settle_converged(batch, X, G, active, residual, converged, tol)
    return BatchRun(X, residual, iterations, converged, ~converged)


def _settle_converged(batch, X: np.ndarray, G: np.ndarray, active: np.ndarray, residual: np.ndarray,
                      converged: np.ndarray, tol: float) -> np.ndarray:
    """Record the residuals of the rows ``active``; those within ``tol`` are snapped onto their
    active bounds and marked converged (``X``, ``residual``, ``converged`` updated in place).
    Returns which of ``active`` converged."""
    res = batch.kkt_residual(X[active], G[active])
    residual[active] = res
    done = res <= tol
    if done.any():
        rows = active[done]
        X[rows], residual[rows] = _snap(batch, X[rows], G[rows], res[done], rows, tol)
        converged[rows] = True
    return done


class PeriodBatch:
    """The period-t games at P states, as :func:`~.batch.solve_kkt_batch` takes them.

    Each row keeps a warm start for the next period's subgames (:class:`_Anchors`) and the
    derivatives of its last full evaluation (reused when the solve ends there).
    """

    def __init__(self, fb: FeedbackGame, t: int, Y: np.ndarray, anchors: _Anchors | None = None,
                 rows: np.ndarray | None = None, update: bool = True, held: np.ndarray | None = None):
        self.fb, self.t = fb, t
        self.Y = np.asarray(Y, dtype=float)
        self.P = self.Y.shape[0]
        # (P, n) players held at a token presence (FeedbackGame.solve_level)
        self.held = np.zeros((self.P, fb.n), dtype=bool) if held is None else np.array(held, dtype=bool)
        self.N = fb.m
        self.lower, self.upper = fb.lower, fb.upper
        self.anchors = _Anchors(self.P, fb.m, fb.dY, fb.n) if anchors is None else anchors
        self.rows = np.arange(self.P) if rows is None else np.asarray(rows, dtype=int)  # rows of the anchors
        self.update = update
        self._last = {}

    def _evaluate(self, X: np.ndarray, idx, order: int):
        idx = np.arange(self.P) if idx is None else np.asarray(idx, dtype=int)
        return self.fb.evaluate(self.t, X, self.Y[idx], order, self.anchors, self.rows[idx], self.update), idx

    def derivatives(self, X: np.ndarray, idx):
        """:meth:`FeedbackGame.evaluate` of order 2 at rows ``idx``, reusing the last evaluation."""
        idx = np.asarray(idx, dtype=int)
        cached = [self._last.get(int(r)) for r in idx]
        if all(c is not None and np.array_equal(c[0], x) for c, x in zip(cached, X)):
            return (np.array([c[1] for c in cached]), np.array([c[2] for c in cached]),
                    np.array([c[3] for c in cached]))
        (Phi, Phi_v, Phi_vv), _ = self._evaluate(X, idx, 2)
        return Phi, Phi_v, Phi_vv

    def kkt_jacobian(self, X: np.ndarray, idx=None):
        (Phi, Phi_v, Phi_vv), idx = self._evaluate(X, idx, 2)
        Fn, W = self.fb.last_continuation[self.t]
        for b, r in enumerate(idx):
            self._last[int(r)] = (X[b].copy(), Phi[b], Phi_v[b], Phi_vv[b], Fn[b], W[b])
        G, JV = self.fb.own_rows(Phi_v, Phi_vv, X, self._held_columns(idx))
        return G, np.ascontiguousarray(JV[:, :, : self.N])

    def _held_columns(self, idx) -> np.ndarray | None:
        return self.fb.held_columns(self.held[np.asarray(idx, dtype=int)])

    def continuation_at(self, X: np.ndarray, idx) -> tuple | None:
        """``(F, W)``: next states and continuation values of the last full evaluation at rows
        ``idx`` if it was at ``X``; None otherwise."""
        cached = [self._last.get(int(r)) for r in idx]
        if not all(c is not None and np.array_equal(c[0], x) for c, x in zip(cached, X)):
            return None
        return np.array([c[4] for c in cached]), np.array([c[5] for c in cached])

    def kkt_function(self, X: np.ndarray, idx=None):
        (_, Phi_v, _), idx = self._evaluate(X, idx, 1)
        return self.fb.own_rows(Phi_v, None, X, self._held_columns(idx))[0]

    def singular_corners(self, X, G, JG=None):
        at_lower = X <= self.lower + 1e-14
        with np.errstate(invalid="ignore"):
            wild = ~(np.abs(G) < 1e12)
            if JG is not None:
                wild = wild | ~(np.abs(np.diagonal(JG, axis1=1, axis2=2)) < 1e12)
        return at_lower & wild

    def kkt_residual(self, X, G):
        with np.errstate(invalid="ignore"):
            res = X - np.clip(X + G, self.lower, self.upper)
        res = np.where(self.singular_corners(X, G) & (X <= self.lower), 0.0, res)
        return np.max(np.abs(res), axis=1) if X.shape[1] else np.zeros(X.shape[0])


class PeriodGame(NumericGame):
    """The period-t game at one state, given the continuation values: a one-period game with
    the interface of :class:`~dynapai_sym.numeric.NumericGame`, so that the pure-strategy solver
    and :func:`~.certify.certify` take it as they are.

    Every payoff it reports re-solves the later periods from the state the actions lead to.
    """

    def __init__(self, fb: FeedbackGame, t: int, y: np.ndarray):
        self.fb, self.t = fb, t
        self.y = np.asarray(y, dtype=float).reshape(1, fb.dY)
        self.n, self.k, self.m = fb.n, fb.k, fb.m
        self.T = 1
        self.layout = ActionLayout(1, self.n, self.k)
        self.N = self.m
        self.gammas = fb.gammas
        self.end_on_win = fb.end_on_win
        self.symmetric = False
        self.lower, self.upper = fb.lower, fb.upper
        self.smooth = True
        self.kinked = fb.kinked
        self.static = True
        # with later periods the Jacobian (second derivatives of the continuation values: finite
        # differences over re-solved subgames) costs several times the conditions: a Newton trial
        # point is tested on the conditions, the Jacobian computed where it is accepted
        self.cheap_jacobian = t >= fb.T - 1
        self.evaluations = 0
        self.batch = PeriodBatch(fb, t, self.y)
        self.failed = 0  # evaluations whose later subgames could not be solved
        self.screened = 0  # candidates valued by the expansion only (see player_objective)
        self._expansion = None

    def _eval(self, Z: np.ndarray, order: int, update: bool):
        """Rows ``Z`` (B, m) at this state; the warm start of row 0 serves them all."""
        B = Z.shape[0]
        self.evaluations += B
        out = self.fb.evaluate(self.t, Z, np.repeat(self.y, B, axis=0), order, self.batch.anchors,
                               np.zeros(B, dtype=int), update)
        self.failed += int(np.sum(~np.all(np.isfinite(out[0]), axis=1)))
        return out

    def payoffs(self, x: np.ndarray) -> np.ndarray:
        return self._eval(np.asarray(x, dtype=float)[None], 0, True)[0][0]

    def kkt_function(self, x: np.ndarray) -> np.ndarray:
        self.evaluations += 1
        return self.batch.kkt_function(np.asarray(x, dtype=float)[None], [0])[0]

    def kkt_jacobian(self, x: np.ndarray):
        self.evaluations += 1
        G, JG = self.batch.kkt_jacobian(np.asarray(x, dtype=float)[None], [0])
        return G[0], JG[0]

    def player_objective(self, i: int, own: np.ndarray, x: np.ndarray) -> np.ndarray:
        r"""Player i's :math:`\Phi_i` at each own schedule in ``own`` against ``x``.

        With :data:`SCREEN_FROM` or more later periods, a batch of more than :data:`SCREEN_MIN`
        candidates is screened: every candidate's payoff is first taken with the continuation
        values expanded to second order around the state ``x`` leads to, and the candidates
        within :data:`SCREEN_MARGIN` (relative) of player i's payoff at ``x``, and the
        :data:`SCREEN_KEEP` best, are evaluated exactly (the later periods re-solved). The rest
        keep their expanded payoffs, all below that margin: never reported as deviations.
        """
        Z = self.layout.against(i, own, x)[0].T  # (B, m)
        B = Z.shape[0]
        if self.fb.T - 1 - self.t < SCREEN_FROM or B <= SCREEN_MIN:
            return self.fb_values(Z)[:, i]
        approx = self.expanded_values(Z, np.asarray(x, dtype=float))[:, i]
        U = float(self.payoffs(np.asarray(x, dtype=float))[i])
        keep = approx >= U - SCREEN_MARGIN * (1.0 + abs(U))
        keep[np.argsort(-np.where(np.isfinite(approx), approx, -np.inf))[:SCREEN_KEEP]] = True
        keep |= ~np.isfinite(approx)
        out = approx.copy()
        out[keep] = self.fb_values(Z[keep])[:, i]
        self.screened += int(np.sum(~keep))
        return out

    def expanded_values(self, Z: np.ndarray, x: np.ndarray) -> np.ndarray:
        r""":math:`\Phi` (B, n) at rows ``Z`` with the continuation values expanded to second
        order around the next state of ``x`` (exact value and gradient there, finite-difference
        second derivatives)."""
        key = x.tobytes()
        if self._expansion is None or self._expansion[0] != key:
            Fx = self.fb.next_state(x[None], self.y)
            W, WY, WYY = self.fb.continuation(self.t + 1, Fx, 2, self.batch.anchors, np.zeros(1, dtype=int),
                                              x[None], False)
            self._expansion = (key, Fx[0], W[0], WY[0], WYY[0])
        _, Fx, W, WY, WYY = self._expansion
        u, S, Fn = self.fb.period_parts(Z, np.repeat(self.y, Z.shape[0], axis=0))
        d = Fn - Fx
        Wb = W[None] + d @ WY.T + 0.5 * np.einsum("by,iyz,bz->bi", d, WYY, d)
        with np.errstate(all="ignore"):
            return u + self.gammas[None, :] * S * Wb

    def fb_values(self, Z: np.ndarray) -> np.ndarray:
        """:math:`\\Phi` (B, n) at rows ``Z`` (B, m), the later periods re-solved for each."""
        return self._eval(Z, 0, False)[0]

    def player_gradient(self, i: int, x: np.ndarray):
        Phi, Phi_v, _ = self._eval(np.asarray(x, dtype=float)[None], 1, False)
        own = self.layout.own_slice(i)
        return float(Phi[0, i]), Phi_v[0, i, own].copy()

    def player_gradient_batch(self, i: int, own: np.ndarray, x: np.ndarray):
        Z = self.layout.against(i, own, x)[0].T
        Phi, Phi_v, _ = self._eval(Z, 1, False)
        sl = self.layout.own_slice(i)
        return Phi[:, i], Phi_v[:, i, sl][:, None, :]

    def player_gradient_profiles(self, i: int, own: np.ndarray, profiles: np.ndarray):
        Z = self.layout.against_profiles(i, own, profiles)[0].T
        Phi, Phi_v, _ = self._eval(Z, 1, False)
        return Phi[:, i], Phi_v[:, i, self.layout.own_slice(i)]

    def own_hessian(self, i: int, x: np.ndarray) -> np.ndarray:
        _, JG = self.kkt_jacobian(x)
        sl = self.layout.own_slice(i)
        H = JG[sl, sl]
        return 0.5 * (H + H.T)


#: status of a feedback path on which some period's subgame has several equilibria
SEVERAL = "several equilibria"

# distinct equilibria of a period game differ by more than this (relative, per action scale)
_DISTINCT = 1e-5


@dataclass
class PeriodOutcome:
    """One period of a feedback path.

    Attributes
    ----------
    t : int
        Period (0-based).
    state : (dY,) the state the period starts from
    outcome : Outcome
        What the pure-strategy solver found for the period game (with its certificate).
    policy_derivative : (m, dY) :math:`\\partial z^*_t / \\partial Y` on the path (NaN if unsolved)
    others : list of (m,) other certified equilibria of the period game found
    failed_subgames : int
        Evaluations (of the search and the certificate) whose later subgames could not be solved.
    exit_subgames : int
        Later subgames met whose first-order point was rejected because a player gains by
        sitting the period out, or, held at a token presence, by re-entering (no pure
        equilibrium found there).
    screened : int
        Candidate deviations valued by the second-order expansion only (see
        :meth:`PeriodGame.player_objective`), all below the screening margin.
    assumed_refuted : str or None
        Set when the equilibrium of this period's game that the previous period's continuation
        values assumed (the previous period's policy at the state reached) is refuted by its
        certificate (what refutes it): the previous period was solved against values that are
        no equilibrium's, and the path is not subgame perfect.
    """

    t: int
    state: np.ndarray
    outcome: object
    policy_derivative: np.ndarray
    others: list
    failed_subgames: int
    exit_subgames: int = 0
    screened: int = 0
    assumed_refuted: str | None = None


def _distinct(a: np.ndarray, b: np.ndarray) -> bool:
    scale = 1e-6 + np.maximum(np.abs(a), np.abs(b))
    return bool(np.max(np.abs(a - b) / scale) > _DISTINCT)


def default_start(fb: FeedbackGame, t: int, y: np.ndarray) -> np.ndarray:
    """A start for period t at state ``y``: the static equilibrium there (the last period's game),
    with small investments before the last period and no sharing."""
    base = np.tile(np.array([1.0, 1.0, 0.05, 0.05, 0.0, 0.0])[: fb.k], fb.n)
    sol = fb.solve_level(fb.T - 1, y[None], base[None])
    z = sol.Z[0].copy() if sol.ok[0] else base.copy()
    Z = z.reshape(fb.n, fb.k)
    if fb.k >= 4 and t < fb.T - 1:
        Z[:, 2:4] = np.maximum(Z[:, 2:4], 0.05)
    if fb.k == 6:
        Z[:, 4:6] = 0.0
    return Z.reshape(-1)


def solve_path(fb: FeedbackGame, options, starts: np.ndarray | None = None, extra_starts: int = 3,
               guesses: np.ndarray | None = None) -> list:
    """Solve the feedback equilibrium along the path from the initial state, period by period.

    Period t's game at the state reached is solved and certified by :func:`~.nash.solve_game`
    (global deviations re-solve the later periods). Period t + 1 starts from the equilibrium
    its continuation values assumed: that point is certified first and, when it passes, is the
    period's answer (the path must follow the equilibrium the earlier periods' values were
    computed with; another equilibrium of the period game is recorded as a second one). When
    it is refuted the period is solved from there as any other, and the refutation recorded
    (``assumed_refuted``): the earlier period's answer does not stand. ``extra_starts``
    further Newton starts look for other equilibria of each period game (each distinct
    converged point is certified), and so does the equilibrium with the players' actions passed
    round (certified when it differs). ``starts`` (T, m): the start of
    each period (given by the user: used first); ``guesses`` (T, m): starts for the periods whose
    start the continuation values do not give (the first, as a rule), before the generic one.

    Returns
    -------
    list of PeriodOutcome (shorter than T when a period had no converged point)
    """
    from .certify import certify
    from .kkt import solve_kkt
    from .nash import Outcome, solve_game
    from .result import Status

    y = fb.Y0.copy()
    out = []
    assumed = None  # the next period's actions that the continuation values assumed
    for t in range(fb.T):
        pg = PeriodGame(fb, t, y)
        exits_before = fb.exits
        if starts is not None:
            x0 = np.asarray(starts[t], dtype=float)
        elif assumed is not None:
            x0 = assumed
        elif guesses is not None:
            x0 = np.asarray(guesses[t], dtype=float)
        else:
            x0 = default_start(fb, t, y)
        res, refuted = None, None
        if starts is None and assumed is not None:
            # the equilibrium the previous period's continuation values were computed with
            cert = certify(pg, assumed, options)
            if cert.passed:
                res = Outcome(assumed.copy(), True, Status.CERTIFIED, cert.describe(), "kkt", 0,
                              cert.kkt_residual, cert, 0.0, [])
            else:
                refuted = cert.describe()
        if res is None:
            res = solve_game(pg, x0, options, "kkt")
        others = []
        if res.x is None:
            out.append(PeriodOutcome(t, y.copy(), res, np.full((fb.m, fb.dY), np.nan), others, pg.failed,
                                     fb.exits - exits_before, pg.screened, refuted))
            break
        if res.success and fb.game.symmetric:
            # the players' actions passed round (player i plays what player i + 1 played): in a
            # game that treats players alike from a level state, another equilibrium
            shifted = np.roll(res.x.reshape(fb.n, fb.k), -1, axis=0).reshape(-1)
            if _distinct(shifted, res.x) and not any(not _distinct(shifted, o) for o in others):
                if certify(pg, shifted, options).passed:
                    others.append(shifted)
        if res.success and extra_starts:
            if fb.T - 1 - t >= SCREEN_FROM:  # long remaining horizons: one extra start
                extra_starts = 1
            rng = np.random.default_rng(options.seed + 1 + t)
            cands = [np.clip(res.x * f, fb.lower, fb.upper) for f in (0.3, 3.0)]
            cands.append(default_start(fb, t, y))
            for start in cands[:extra_starts]:
                run = solve_kkt(pg, start, tol=options.tol, max_iter=options.iters)
                if not (run.converged or run.residual <= options.kkt_tol):
                    continue
                if not _distinct(run.x, res.x) or any(not _distinct(run.x, o) for o in others):
                    continue
                if certify(pg, run.x, options, rng).passed:
                    others.append(run.x.copy())
        x = res.x
        Phi, Phi_v, Phi_vv = pg.batch.derivatives(x[None], [0])
        D = fb.policy_derivative(x[None], Phi_v, Phi_vv)[0]
        out.append(PeriodOutcome(t, y.copy(), res, D, others, pg.failed, fb.exits - exits_before, pg.screened,
                                 refuted))
        y_next = fb.next_state(x[None], y[None])[0]
        anchors = pg.batch.anchors
        assumed = None
        if anchors.has[0]:
            assumed = anchors.Z[0] + anchors.D[0] @ (y_next - anchors.Y[0])
            if not np.allclose(anchors.Y[0], y_next, rtol=1e-12, atol=1e-12):
                sol = fb.solve_level(t + 1, y_next[None], assumed[None]) if t + 1 < fb.T else None
                assumed = sol.Z[0] if (sol is not None and sol.ok[0]) else None
        y = y_next
    return out
