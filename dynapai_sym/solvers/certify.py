r"""Certification: is a profile a pure-strategy Nash equilibrium?

Checks, in order of cost:

1. **KKT residual** :math:`\|x - \Pi_{[l,u]}(x + G(x))\|_\infty \le` ``kkt_tol``
   (projected scaled gradient zero; complementary slackness at the bounds).
2. **Second order**: each player's weight-normalised Hessian in its own
   actions, restricted to the free (not strictly active) variables, is
   negative semi-definite.
3. **Global best-response probe** per player: the payoff of a batch of
   candidate deviations — drop-out schedules (no effort from period
   :math:`t_0` on, for every :math:`t_0`), no performance, no safety, each
   action column scaled by factors from 0 to 100, copies of every other
   player's schedule (imitation), and random schedules — is computed in one
   vectorised call; promising candidates and the best far imitation are
   polished with L-BFGS-B (exact gradient). In multi-period games, whose
   payoffs are far from concave in one's own schedule (give up later; invest
   early and compete), structural and random starts also climb together in
   log coordinates (:func:`~dynapai_sym.solvers.ascent.batched_ascent`), and
   the best far end points are polished. One-sided coordinate steps check
   kinks. A gain above ``gain_tol * (1 + |U_i|)`` defeats the profile; the
   deviation reported is an actual schedule with its actual payoff.
4. **Symmetry** (reported, not required): when the game is symmetric, whether
   the profile is.

A profile where first- and second-order conditions hold can still fail 3:
this is the trap where a player prefers to drop out of the race.

Compare QuantEcon's ``is_nash`` (tolerance on best-response payoffs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ascent import batched_ascent
from .best_response import maximise_own

__all__ = ["Certificate", "certify", "Deviation"]

_TINY = 1e-10  # stands for 0 in inputs whose payoff is singular at exactly 0
_ZERO_LEVELS = (1e-12, 1e-100, 1e-250)  # orders of "zero" performance for singular limits


@dataclass
class Deviation:
    """A profitable deviation: player, its schedule (T, k), and the payoff gain."""

    player: int
    schedule: np.ndarray
    gain: float


@dataclass
class Certificate:
    """Result of :func:`certify`."""

    kkt_residual: float
    kkt_ok: bool
    second_order_ok: bool
    max_eigenvalues: np.ndarray
    gains: np.ndarray
    deviations: list[Deviation] = field(default_factory=list)
    symmetric: bool | None = None
    indeterminate: np.ndarray | None = None
    checked_global: bool = True

    @property
    def passed(self) -> bool:
        return self.kkt_ok and self.second_order_ok and not self.deviations

    @property
    def best_deviation(self) -> Deviation | None:
        return max(self.deviations, key=lambda d: d.gain) if self.deviations else None

    def describe(self) -> str:
        if self.passed:
            return "certified equilibrium"
        parts = []
        if not self.kkt_ok:
            parts.append(f"KKT residual {self.kkt_residual:.2e} too large")
        if not self.second_order_ok:
            bad = np.flatnonzero(self.max_eigenvalues > 0)
            parts.append(f"not a local maximum for player(s) {bad.tolist()}")
        if self.deviations:
            d = self.best_deviation
            parts.append(f"player {d.player} gains {d.gain:.3g} by deviating")
        return "; ".join(parts)


_STALL_HORIZON = 50  # iterations over which a polish's recent rate must be able to reach the target
_FACTORS = np.array([0.0, 0.01, 0.1, 0.3, 0.6, 0.9, 1.1, 1.5, 3.0, 10.0, 100.0])
# "give up performance" candidates: every x_p level of _ZERO_LEVELS with x_s scaled by 1, 1e-3, 0
_GIVE_UP_XP = np.repeat(_ZERO_LEVELS, 3)
_GIVE_UP_XS = np.tile([1.0, 1e-3, 0.0], len(_ZERO_LEVELS))


def _candidates(own: np.ndarray, upper: np.ndarray, k: int, rng: np.random.Generator,
                n_random: int) -> np.ndarray:
    """Candidate deviation schedules (B, T, k) around and far from ``own`` (T, k).

    The first candidate is the complete drop-out (no effort in any period).
    """
    T = own.shape[0]
    scale = scale_of(own)  # per column
    floor = np.zeros(k)
    floor[: min(k, 2)] = _TINY  # x_s, x_p: stand-in for exact zero
    periods = np.arange(T)
    after = periods[None, :] >= periods[:, None]  # after[t0, t]: period t is at or after t0
    # drop out from period t0 on
    drop = np.where(after[:, :, None], floor, own[None])
    # no performance / no safety, all periods
    no_col = np.repeat(own[None], min(k, 2), axis=0)
    for col in range(min(k, 2)):
        no_col[col, :, col] = _TINY
    # give up performance entirely (p -> 0) while safety s = A x_s^alpha p^(-theta) blows up:
    # the payoff's limit at p = 0 can beat the equilibrium under shared (additive or
    # multiplicative) risk. Several orders of "zero" performance and of safety effort, from t0 on.
    give_up = np.broadcast_to(own, (len(_GIVE_UP_XP), T, T, k)).copy()  # (level, t0, t, column)
    mask = after[None]
    give_up[..., 1] = np.where(mask, _GIVE_UP_XP[:, None, None], own[None, None, :, 1])
    give_up[..., 0] = np.where(mask, np.maximum(own[None, None, :, 0] * _GIVE_UP_XS[:, None, None], 1e-8),
                               own[None, None, :, 0])
    if k > 2:
        give_up[..., 2:] = np.where(mask[..., None], 0.0, give_up[..., 2:])
        # investments (and shares) made before t0 only serve later periods: give those up too
        give_up = np.concatenate([give_up, give_up.copy()])
        give_up[len(_GIVE_UP_XP):, ..., 2:] = 0.0
    give_up = give_up.reshape(-1, T, k)
    # the whole schedule, and each column, scaled
    whole = np.maximum(own[None] * _FACTORS[:, None, None], floor)
    base = np.where(own.any(axis=0), own, 0.1 * scale)  # (T, k); a column of zeros scales from 0.1 x scale
    eye = np.eye(k, dtype=bool)[None, :, None, :]  # (1, column scaled, 1, column)
    cols = np.where(eye, _FACTORS[:, None, None, None] * base[None, None], own[None, None])  # (F, k, T, k)
    cols = np.maximum(cols.reshape(-1, T, k), floor)
    parts = [drop, no_col, give_up, whole, cols]
    # per-period effort changes (for T > 1)
    if T > 1:
        per = np.repeat(own[None], 3 * T, axis=0).reshape(3, T, T, k)
        for f_idx, f in enumerate((0.0, 0.3, 3.0)):
            per[f_idx, periods, periods] = np.maximum(own * f, floor)
        parts.append(per.reshape(-1, T, k))
    if n_random:
        parts.append(own[None] * np.exp(rng.normal(0.0, 1.5, size=(n_random // 2, T, k))))
        parts.append(rng.uniform(0, 1, size=(n_random - n_random // 2, T, k)) * (3 * scale + 1.0))
    out = np.concatenate(parts)
    return np.minimum(np.maximum(out, 0.0), upper.reshape(T, k))


def scale_of(own: np.ndarray) -> np.ndarray:
    """Scale of each action column of a schedule (T, k): its largest value, at least 1e-3."""
    return np.maximum(own.max(axis=0), 1e-3)


def _ascent_starts(own: np.ndarray, others: np.ndarray, rng: np.random.Generator,
                   n_random: int = 8) -> np.ndarray:
    """Starts of the batched ascent (B, T, k): the schedule scaled by 0.01, 0.3 and 3 (columns at
    zero start at 1e-3 of their scale), each other player's schedule, and random schedules."""
    T, k = own.shape
    scale = scale_of(own)
    base = np.maximum(own, 1e-3 * scale)
    parts = [base[None] * np.array([0.01, 0.3, 3.0])[:, None, None], others,
             rng.uniform(0, 1, size=(n_random // 2, T, k)) * (2 * scale + 1.0),
             base[None] * np.exp(rng.normal(0.0, 1.0, size=(n_random - n_random // 2, T, k)))]
    return np.concatenate(parts)


def _uphill_to_home(game, i: int, x: np.ndarray, cand: np.ndarray, own: np.ndarray, cand_val: float,
                    home_val: float) -> bool:
    """Whether player i's payoff rises strictly along the segment from ``cand`` to ``own`` (checked at
    quarter points, one batched call): the candidate then sits on the profile's own hill."""
    steps = np.array([0.25, 0.5, 0.75])[:, None, None]
    path = game.player_objective(i, cand[None] + steps * (own - cand)[None], x)
    values = np.concatenate([[cand_val], path, [home_val]])
    return bool(np.all(np.isfinite(values)) and np.all(np.diff(values) > 0))


def _imitations(x: np.ndarray, i: int, T: int, n: int, k: int, upper: np.ndarray) -> np.ndarray:
    """Player i copying each other player's whole schedule: (n - 1, T, k), within i's bounds."""
    X = np.asarray(x, dtype=float).reshape(T, n, k)
    copies = X[:, [j for j in range(n) if j != i]].transpose(1, 0, 2)  # (n - 1, T, k)
    return np.clip(copies, 0.0, upper.reshape(T, k))


def _investment_moves(own: np.ndarray) -> list[np.ndarray]:
    """Own schedules with the investments (columns 2, 3) changed: each period's investments
    postponed to the next period (the inputs of that period given up; discounting makes later
    investment cheaper), then each non-zero investment moved by +-30%."""
    out = []
    T = own.shape[0]
    if own.shape[1] < 4:
        return out
    for t in np.flatnonzero(np.any(own[:-1, 2:4] > 0, axis=1)):
        later = own.copy()
        later[t + 1, 2:4] += later[t, 2:4]
        later[t, 2:4] = 0.0
        out.append(later)
        given_up = later.copy()
        given_up[t + 1, :2] = 0.0
        out.append(given_up)
    for t, c in zip(*np.nonzero(own[:, 2:4] > 0)):
        for f in (1.3, 0.7):
            moved = own.copy()
            moved[t, 2 + c] *= f
            out.append(moved)
    return out[: 2 * T + 8]


def _coordinate_steps(own: np.ndarray, upper: np.ndarray, rel: float = 1e-3) -> np.ndarray:
    """Schedules that move one own action up or down by a small relative step: (2 T k, T, k)."""
    flat = own.reshape(-1)
    h = rel * np.maximum(np.abs(flat), 1e-2)
    eye = np.eye(flat.size)
    steps = np.concatenate([flat + eye * h, flat - eye * h])
    steps = np.clip(steps, 0.0, upper.reshape(-1))
    return steps.reshape(-1, *own.shape)


def certify(game, x: np.ndarray, options, rng: np.random.Generator | None = None,
            check_global: bool = True) -> Certificate:
    """Certify the profile ``x`` of ``game`` (see module docstring)."""
    rng = np.random.default_rng(options.seed) if rng is None else rng
    n, k, T = game.n, game.k, game.T
    lower, upper = game.lower, game.upper
    with np.errstate(all="ignore"):
        if game.smooth:
            G, JG = game.kkt_jacobian(x)
            residual = game.kkt_residual(x, G)
        else:
            G, JG, residual = None, None, float("nan")
    kkt_ok = (not game.smooth) or (np.isfinite(residual) and residual <= options.kkt_tol)

    # second order, per player, on free variables
    max_eigs = np.full(n, -np.inf)
    so_ok = True
    if game.smooth and kkt_ok:
        for i in range(n):
            idx = game.own_index(i)
            xi, gi = x[idx], G[idx]
            at_bound = ((xi <= lower[idx]) & (gi < -options.kkt_tol)) | \
                       ((xi >= upper[idx]) & (gi > options.kkt_tol))
            with np.errstate(all="ignore"):
                # one period: the conditions are the gradients, so their Jacobian holds the Hessians
                H = 0.5 * (JG[np.ix_(idx, idx)] + JG[np.ix_(idx, idx)].T) if game.static else game.own_hessian(i, x)
            # at a bound where the payoff is singular (x^alpha with alpha < 1 at 0) the second
            # derivatives are not finite: such variables count as active; the global probe's small
            # steps off the bound (coordinate steps, scaled columns) check that neighbourhood.
            singular = (xi <= lower[idx] + 1e-9) & ~np.all(np.isfinite(H) & (np.abs(H) < 1e12), axis=1)
            free = ~(at_bound | singular)
            if not free.any():
                continue
            Hf = H[np.ix_(free, free)]
            if not np.all(np.isfinite(Hf)):
                max_eigs[i] = np.inf
                so_ok = False
                continue
            eig = float(np.max(np.linalg.eigvalsh(Hf)))
            max_eigs[i] = eig
            scale = max(1.0, float(np.max(np.abs(Hf))))
            if eig > 1e-7 * scale:
                so_ok = False

    # indeterminate variables: no first-order effect on any condition, condition ~ 0
    indeterminate = None
    if game.smooth and JG is not None and np.all(np.isfinite(JG)):
        col_norm = np.max(np.abs(JG), axis=0)
        indeterminate = ((col_norm <= 1e-12) & (np.abs(G) <= options.kkt_tol)).reshape(T, n, k)

    # global probe
    gains = np.zeros(n)
    deviations: list[Deviation] = []
    if check_global:
        U = game.payoffs(x)
        strict_local = game.smooth and kkt_ok and so_ok and not getattr(game, "kinked", False)
        effort_scale = max(float(np.max(x.reshape(T, n, k)[..., :2])), 1e-3)  # largest x_s, x_p played
        for i in range(n):
            idx = game.own_index(i)
            own = x[idx].reshape(T, k)
            # kinks (sharing's max(0, .)): more random candidates, polish more of them
            n_random = options.probe_samples * (4 if getattr(game, "kinked", False) else 1)
            n_polish = options.probe_polish
            others = _imitations(x, i, T, n, k, upper[idx])
            cands = np.concatenate([_candidates(own, upper[idx], k, rng, n_random), others])
            local = _coordinate_steps(own, upper[idx])
            both = game.player_objective(i, np.concatenate([cands, local]), x)  # one batched evaluation
            both = np.where(np.isfinite(both), both, -np.inf)
            vals, lvals = both[: len(cands)], both[len(cands):]
            col_scale = 1e-6 + np.max(np.abs(own), axis=0)  # (k,)
            dist = np.max(np.abs(cands - own[None]) / col_scale, axis=(1, 2))
            far = dist > 0.25  # nearer candidates are the local check's business
            best_val, best_sched = -np.inf, None
            # every candidate counts as a deviation, near or far (a near one that gains shows the
            # profile is not even a local maximum, e.g. just short of a singular corner)
            j = int(np.argmax(vals))
            best_val, best_sched = float(vals[j]), cands[j]
            # polish the most promising candidates
            drop = float(vals[0]) if np.isfinite(vals[0]) else U[i] - 1.0
            margin = 0.02 * max(abs(U[i]), abs(U[i] - drop), 1e-9)
            # (multi-period games: the best one only, the batched ascent below climbs from the rest)
            order = list(np.argsort(-np.where(far, vals, -np.inf))[:n_polish if T == 1 else 1])
            if getattr(game, "kinked", False):  # diverse starts too: better points may lie across a kink
                pool = np.flatnonzero(far & np.isfinite(vals))
                order += list(rng.choice(pool, size=min(n_polish, pool.size), replace=False)) if pool.size else []
            # a smooth strict local maximum: an ascent that comes back to it is ended early
            home = own.reshape(-1) if (strict_local and max_eigs[i] < 0) else None
            target = U[i] + options.gain_tol * (1.0 + abs(U[i]))  # what a deviation must beat
            for rank, j in enumerate(order):  # the best far candidate always, others when near U
                near_enough = (rank == 0 and T > 1) or vals[j] >= U[i] - margin or getattr(game, "kinked", False)
                if not np.isfinite(vals[j]) or not near_enough:
                    continue
                if T == 1 and home is not None and _uphill_to_home(game, i, x, cands[j], own, vals[j], U[i]):
                    continue  # one-period game: the payoff rises all the way from here to the profile
                val, sched = _polish(game, i, cands[j], x, upper[idx], lower[idx], home, target)
                if val > best_val:
                    best_val, best_sched = val, sched
            # the best far imitation of another player is always polished: "compete as the leader
            # does" can beat a local optimum where this player has given up (non-convex payoffs).
            # (Multi-period games: the batched ascent below starts from the imitations too.)
            imitate = np.arange(len(cands) - len(others), len(cands))
            imitate = imitate[far[imitate] & np.isfinite(vals[imitate])]
            if imitate.size and T == 1:
                j = int(imitate[np.argmax(vals[imitate])])
                if j not in order:
                    val, sched = _polish(game, i, cands[j], x, upper[idx], lower[idx], home, target)
                    if val > best_val:
                        best_val, best_sched = val, sched
            if T == 1 and own[:, :2].max() <= 1e-6 * effort_scale:
                # a player who has given up (no effort at all) sits on a singular corner whose
                # neighbourhood says little: re-entering is searched from copies of the others and
                # random schedules, in log coordinates (which never fall back onto the corner)
                X0 = x.reshape(n, k)
                reach = 3.0 * np.max(X0, axis=0) + 1.0
                for start in [*others, *(rng.uniform(0.05, 1.0, size=(2, T, k)) * reach)]:
                    val, sched = _polish(game, i, start, x, upper[idx], lower[idx], None, target, log_space=True)
                    if val > best_val:
                        best_val, best_sched = val, sched
            if T > 1:
                # multi-period payoffs are far from concave in one's own schedule (give up, or
                # invest early and compete): structural and random starts climb together in log
                # coordinates, whatever their raw value; the best far end points are then polished
                ends_val, ends = batched_ascent(game, i, x, _ascent_starts(own, others, rng), upper[idx])
                ends_dist = np.max(np.abs(ends - own[None]) / col_scale, axis=(1, 2))
                # (across kinks the best end can lie on the profile's side of one: polish more)
                n_ends = n_polish if getattr(game, "kinked", False) else 1
                for j in np.argsort(-np.where(ends_dist > 0.05, ends_val, -np.inf))[:n_ends]:
                    if not (np.isfinite(ends_val[j]) and ends_dist[j] > 0.05):
                        continue
                    val, sched = _polish(game, i, ends[j], x, upper[idx], lower[idx], home, target, log_space=True)
                    val, sched = max((val, sched), (float(ends_val[j]), ends[j].reshape(-1)), key=lambda v: v[0])
                    if val > best_val:
                        best_val, best_sched = val, sched
            # one-sided probes: small steps along each own coordinate. At a smooth maximum no step
            # gains (to first order); at a kink (sharing's max(0, .)) a one-sided slope can be positive
            # even though the averaged derivative vanishes.
            j = int(np.argmax(lvals))
            if lvals[j] - U[i] > options.gain_tol * (1.0 + abs(U[i])):
                val, sched = _polish(game, i, local[j], x, upper[idx], lower[idx], target=target)
                cand_val, cand = max((val, sched), (float(lvals[j]), local[j].reshape(-1)), key=lambda v: v[0])
                if cand_val > best_val:
                    best_val, best_sched = cand_val, cand
            if getattr(game, "kinked", False):
                # across a kink: a larger move of an investment (which moves the states) can make
                # other actions matter (a leader's share only counts once it leads). Polish from
                # +-30% moves of each non-zero investment.
                for j in _investment_moves(own)[: 4 * n_polish]:  # postponements first
                    val, sched = _polish(game, i, j, x, upper[idx], lower[idx], target=target)
                    if val > best_val:
                        best_val, best_sched = val, sched
            gain = best_val - U[i]
            gains[i] = gain
            if gain > options.gain_tol * (1.0 + abs(U[i])):
                deviations.append(Deviation(i, best_sched.reshape(T, k), float(gain)))

    symmetric = None
    if game.symmetric:
        X = x.reshape(T, n, k)
        symmetric = bool(np.allclose(X, X[:, :1, :], rtol=1e-6, atol=1e-9))
    return Certificate(residual, bool(kkt_ok), so_ok, max_eigs, gains, deviations, symmetric,
                       indeterminate, check_global)


def _polish(game, i: int, start: np.ndarray, x: np.ndarray, upper: np.ndarray,
            lower: np.ndarray, home: np.ndarray | None = None,
            target: float | None = None, log_space: bool = False) -> tuple[float, np.ndarray]:
    """Local maximisation of player i's payoff from ``start`` (L-BFGS-B, exact gradient).

    Two rules end an ascent before L-BFGS-B's own tests; both can only miss a gain, never
    invent one (a reported gain is the payoff at an actual schedule):

    * ``home`` (flat own actions of a strict local maximum: KKT conditions hold and the Hessian
      on the free variables is negative definite): an iterate within a relative distance of
      5e-2 of it (per action column scale) is taken to be returning to the profile under test.
    * ``target`` (the payoff a deviation must beat): an ascent that, at its rate over the last
      ten iterations, could not reach ``target`` within its next 50 iterations (or its remaining
      ones) is stalled (typically crawling along a kink of max(0, .), or converging below it).
    """
    maxiter = 200
    scale = None
    if home is not None:
        scale = 1e-6 + np.abs(home)
        scale = np.maximum(scale, 1e-3 * np.max(scale))
    history: list[float] = []

    def stop(xk: np.ndarray, value: float) -> bool:
        if scale is not None and np.max(np.abs(xk - home) / scale) < 5e-2:
            return True
        history.append(value)
        if target is None or len(history) <= 10 or value >= target:
            return False
        rate = (history[-1] - history[-11]) / 10.0
        return rate * min(maxiter - len(history), _STALL_HORIZON) < target - value

    # the smallest normal number, not 0, as the floor: where x^alpha p^-theta is singular the payoff
    # is not finite at exactly 0, and an ascent whose line search hits it would stop dead
    own = maximise_own(game, i, [x], start.reshape(-1), np.maximum(lower, 1e-300), upper, maxiter=maxiter,
                       ftol=1e-10, gtol=1e-8, stop=stop, log_space=log_space)
    val = float(game.player_objective(i, own.reshape(1, *start.shape), x)[0])
    if not np.isfinite(val):
        return -np.inf, own
    return val, own
