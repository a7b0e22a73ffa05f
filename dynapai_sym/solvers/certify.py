r"""Certification: is a profile a pure-strategy Nash equilibrium?

Checks, in order of cost:

1. **KKT residual** :math:`\|x - \Pi_{[l,u]}(x + G(x))\|_\infty \le` ``kkt_tol``
   (projected scaled gradient zero; complementary slackness at the bounds), or each variable's
   within ``kkt_tol`` plus what its condition changes in four units in the last place of the
   variable (:func:`~.polish.met_to_rounding`: a condition as steep as :math:`10^{19}` at an
   input of :math:`10^{-12}` cannot be resolved further in floating point).
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
   the best far end points are polished. A candidate from which the payoff
   rises all the way back to the profile (checked at the quarter points of the
   segment), when the profile is a strict local maximum for the player, is not
   polished: that climb only returns home. One-sided coordinate steps check
   kinks. A gain above ``gain_tol * (1 + |U_i|)`` defeats the profile; the
   deviation reported is an actual schedule with its actual payoff.
4. **Symmetry** (reported, not required): when the game is symmetric, whether
   the profile is.

A profile where first- and second-order conditions hold can still fail 3:
this is the trap where a player prefers to drop out of the race.

Compare QuantEcon's ``is_nash`` (tolerance on best-response payoffs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ascent import batched_ascent
from .best_response import maximise_own
from .candidates import (
    RANDOM_REACH,
    SCALE_FLOOR,
    ZERO_FLOOR,
    ascent_starts,
    coordinate_steps,
    deviation_candidates,
    imitations,
    investment_entries,
    investment_moves,
    investment_withdrawals,
    log_steps,
    tiny_pushed,
)
from .certificate import (
    EIGEN_TOL,
    FAR,
    GIVEN_UP,
    HESSIAN_FINITE,
    INDETERMINATE_SLOPE,
    MARGIN_FLOOR,
    NEAR_BOUND,
    POLISH_MARGIN,
    SCALE_OFFSET,
    SYMMETRY_ATOL,
    SYMMETRY_RTOL,
    UNDEFINED_DROP_LOSS,
    UPHILL_POINTS,
    Certificate,
    Deviation,
)
from .certify_static import second_order, strictly_active
from .polish import met_to_rounding

__all__ = ["Certificate", "certify", "certify_steps", "Deviation"]

# ---- payoffs still rising towards a floor (limits never attained)
_DEEPER_MAX = 1e-4  # floors x are moved to c x and c^2 x, c at most this, to extrapolate the limit
_DEEPEST = 1e-320  # c is chosen so that the deepest, c^2 x, is this subnormal (unless c hits the cap)
_RATIO_FLOOR = 1e-3  # floor of 1 - d2 / d1 in the extrapolation (caps it at 1000 d1)

# ---- the probe's candidates
_KINK_SAMPLES = 4  # random candidates across kinks: this x options.probe_samples (better points may
#                   lie across a kink of max(0, .))
_KINK_MOVES = 4  # across kinks, up to this x options.probe_polish investment moves are polished
_REENTRY_STARTS = 2  # random re-entry starts (besides copies of the others) for a given-up player
_REENTRY_MIN = 0.05  # re-entry starts: uniform in [_REENTRY_MIN, 1] x (RANDOM_REACH x max + 1)
_FAR_END = 0.05  # only ascent ends farther than this (relative, per column scale) are offered, polished

# ---- polishing (L-BFGS-B)
_POLISH_MAXITER = 200  # iterations of a (not thorough) polish
_POLISH_FTOL, _POLISH_GTOL = 1e-10, 1e-8  # its tolerances (thorough: maximise_own's, tighter)
_HOME_RADIUS = 5e-2  # an iterate within this relative distance of a strict local maximum is going home
_HOME_SCALE_FLOOR = 1e-3  # each action's scale there is at least this x the largest one
_STALL_WINDOW = 10  # iterations over which a polish's recent rate is measured
_STALL_HORIZON = 50  # iterations over which a polish's recent rate must be able to reach the target


def _uphill_to_home(game, i: int, x: np.ndarray, cand: np.ndarray, own: np.ndarray, cand_val: float,
                    home_val: float) -> bool:
    """Whether player i's payoff rises strictly along the segment from ``cand`` to ``own`` (checked at
    quarter points, one batched call): the candidate then sits on the profile's own hill.

    A generator: it yields ``(i, schedules)`` for ``game.player_objective(i, schedules, x)`` (see
    :func:`certify_steps`)."""
    steps = np.array(UPHILL_POINTS)[:, None, None]
    path = yield i, cand[None] + steps * (own - cand)[None]
    values = np.concatenate([[cand_val], path, [home_val]])
    return bool(np.all(np.isfinite(values)) and np.all(np.diff(values) > 0))


def certify(game, x: np.ndarray, options, rng: np.random.Generator | None = None,
            check_global: bool = True) -> Certificate:
    """Certify the profile ``x`` of ``game`` (see module docstring).

    Many one-period profiles are certified faster together:
    :func:`~dynapai_sym.solvers.batch.certify_batch` (the same certificates).
    """
    steps = certify_steps(game, x, options, rng, check_global)
    try:
        request = next(steps)
        while True:  # each request: player i's payoffs at a batch of own schedules against x
            i, schedules = request
            request = steps.send(game.player_objective(i, schedules, x))
    except StopIteration as stop:
        return stop.value


def certify_steps(game, x: np.ndarray, options, rng: np.random.Generator | None = None,
                  check_global: bool = True, conditions: tuple | None = None):
    """:func:`certify` as a generator, so that many certificates can share compiled calls.

    It yields ``(i, schedules)``, asking for ``game.player_objective(i, schedules, x)`` (player
    i's payoffs at each own schedule in ``schedules`` (B, T, k) against ``x``): the probe's
    large evaluation per player, and its checks that a candidate lies on the profile's own hill.
    Sent those values, it goes on; it returns the
    :class:`Certificate`. Driven by ``game.player_objective`` (as :func:`certify` does) it is
    :func:`certify`; a driver may answer the requests of many points in one batched call
    (:func:`~dynapai_sym.solvers.batch.certify_batch`), with the same values, hence the same
    certificates. ``conditions``: ``(G, JG, U)`` at ``x`` (smooth games), if already evaluated
    (``game.kkt_jacobian(x)``, ``game.payoffs(x)``).
    """
    rng = np.random.default_rng(options.seed) if rng is None else rng
    n, k, T = game.n, game.k, game.T
    lower, upper = game.lower, game.upper
    if conditions is not None and game.smooth:
        G, JG, U = conditions
        with np.errstate(all="ignore"):
            residual = game.kkt_residual(x, G)
    else:
        with np.errstate(all="ignore"):
            if game.smooth:
                G, JG = game.kkt_jacobian(x)
                residual = game.kkt_residual(x, G)
            else:
                G, JG, residual = None, None, float("nan")
        with np.errstate(all="ignore"):
            U = game.payoffs(x)
    # a profile where a payoff is not defined (0 * inf at a corner) is never certified
    if not np.all(np.isfinite(U)):
        residual = float("nan")
    kkt_ok = bool(np.all(np.isfinite(U))) and (
        (not game.smooth) or (np.isfinite(residual) and (
            residual <= options.kkt_tol or met_to_rounding(game, x, G, JG, options.kkt_tol))))
    unattained = _unattained(game, x, G, U, options) if (game.smooth and G is not None) else ()

    # second order, per player, on free variables
    max_eigs = np.full(n, -np.inf)
    so_ok = True
    if game.smooth and kkt_ok and game.static:
        # one period: the conditions are the gradients, so their Jacobian holds the Hessians
        eigs, ok = second_order(x[None], G[None], JG[None], np.ones(1, dtype=bool), n, k, lower, upper, options)
        max_eigs, so_ok = eigs[0], bool(ok[0])
    elif game.smooth and kkt_ok:
        for i in range(n):
            idx = game.layout.own_index(i)
            xi, gi = x[idx], G[idx]
            at_bound = strictly_active(xi, gi, lower[idx], upper[idx], options.kkt_tol)
            with np.errstate(all="ignore"):
                H = game.own_hessian(i, x)
            # at a bound where the payoff is singular (x^alpha with alpha < 1 at 0) the second
            # derivatives are not finite: such variables count as active; the global probe's small
            # steps off the bound (coordinate steps, scaled columns) check that neighbourhood.
            finite = np.all(np.isfinite(H) & (np.abs(H) < HESSIAN_FINITE), axis=1)
            singular = (xi <= lower[idx] + NEAR_BOUND) & ~finite
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
            if eig > EIGEN_TOL * scale:
                so_ok = False

    # indeterminate variables: no first-order effect on any condition, condition ~ 0
    indeterminate = None
    if game.smooth and JG is not None and np.all(np.isfinite(JG)):
        col_norm = np.max(np.abs(JG), axis=0)
        indeterminate = ((col_norm <= INDETERMINATE_SLOPE) & (np.abs(G) <= options.kkt_tol)).reshape(T, n, k)

    # global probe
    gains = np.zeros(n)
    deviations: list[Deviation] = []
    if check_global:
        strict_local = game.smooth and kkt_ok and so_ok and not getattr(game, "kinked", False)
        effort_scale = max(float(np.max(game.layout.unpack(x)[..., :2])), SCALE_FLOOR)  # largest x_s, x_p played
        # multi-period games: every player's batched ascent, climbing together
        ascents = _joint_ascent(game, x, rng) if T > 1 else [None] * n
        # inputs counted as at their bound though above it (a player whose payoff still rises
        # towards the bound is reported as such: the limit, not a deviation)
        pushed = tiny_pushed(x, G, lower) if G is not None else np.zeros(x.shape, dtype=bool)
        for i in unattained:
            pushed[game.layout.own_index(i)] = False
        for i in range(n):
            # a smooth strict local maximum: an ascent that comes back to it is ended early
            home_ok = strict_local and max_eigs[i] < 0
            best = yield from _probe_player(game, i, x, float(U[i]), options, rng, home_ok, effort_scale,
                                            ascents[i], pushed[game.layout.own_index(i)])
            gains[i] = best.value - U[i]
            if gains[i] > options.gain_tol * (1.0 + abs(U[i])):
                deviations.append(Deviation(i, best.schedule.reshape(T, k), float(gains[i])))

    symmetric = None
    if game.symmetric:
        X = game.layout.unpack(x)
        symmetric = bool(np.all(np.abs(X - X[:, :1]) <= SYMMETRY_ATOL + SYMMETRY_RTOL * np.abs(X[:, :1])))
    return Certificate(residual, bool(kkt_ok), so_ok, max_eigs, gains, deviations, symmetric,
                       indeterminate, check_global, unattained)


def _unattained(game, x: np.ndarray, G: np.ndarray, U: np.ndarray, options) -> tuple[int, ...]:
    r"""Players whose payoff still rises, by more than the gain tolerance, towards an input of 0
    held at a floor (``0 < x_j <= 1e-14`` with a singular, non-positive condition).

    Near a singular corner the payoff behaves as :math:`u \approx C - D x^a` (:math:`a > 0`, often
    small: :math:`a = \beta\theta` under multiplicative risk). Moving the floors to :math:`c x`
    and :math:`c^2 x` gains :math:`d_1 = D x^a (1 - c^a)` and :math:`d_2 = c^a d_1`, so the gain
    still available in the limit :math:`x \to 0` is :math:`D x^a = d_1 / (1 - d_2 / d_1)`. Where
    that exceeds the tolerance, the limit is a better response that no profile attains.
    """
    n, k = game.n, game.k
    floors = game.singular_corners(x, G) & (x > game.lower) & ~(G > 0)
    out = []
    for i in sorted({int(j) // k % n for j in np.flatnonzero(floors)}):
        idx = game.layout.own_index(i)
        mine = floors[idx]
        c = min(_DEEPER_MAX, float(np.sqrt(_DEEPEST / np.max(x[idx][mine]))))
        if c >= 1.0:  # already at the smallest floats: nothing deeper to compare with
            continue
        own = x[idx].copy()
        deeper = np.stack([own, own, own])
        deeper[1, mine] *= c
        deeper[2, mine] *= c * c
        vals = game.player_objective(i, deeper.reshape(3, game.T, k), x)
        d1, d2 = vals[1] - vals[0], vals[2] - vals[1]
        if not (np.all(np.isfinite(vals)) and d1 > 0):
            continue
        remaining = d1 / max(1.0 - max(d2, 0.0) / d1, _RATIO_FLOOR)
        if remaining > options.gain_tol * (1.0 + abs(U[i])):
            out.append(i)
    return tuple(out)


@dataclass
class _Best:
    """The best deviation found so far for one player."""

    value: float = -np.inf
    schedule: np.ndarray | None = None

    def offer(self, value: float, schedule: np.ndarray) -> None:
        if value > self.value:
            self.value, self.schedule = float(value), schedule


@dataclass
class _Player:
    """What every search for one player's deviations needs."""

    game: object
    i: int
    x: np.ndarray
    U: float
    own: np.ndarray  # (T, k)
    upper: np.ndarray  # (T k,)
    lower: np.ndarray
    home: np.ndarray | None  # own actions when they form a strict local maximum
    target: float  # the payoff a deviation must beat
    given_up: bool  # no effort at all (x_s, x_p about 0 in every period)

    def on_home_hill(self, cand: np.ndarray, cand_val: float):
        """Whether the payoff rises strictly all the way from ``cand`` back to the profile, which is
        a strict local maximum (:func:`_uphill_to_home`): a polish from there only climbs home.
        Never for a player who has given up (its corner's neighbourhood says little).

        A generator (its check is a payoff request, see :func:`certify_steps`)."""
        if self.home is None or self.given_up:
            return False
        return (yield from _uphill_to_home(self.game, self.i, self.x, cand, self.own, cand_val, self.U))

    def polish(self, start: np.ndarray, best: _Best, home: bool = True, log_space: bool = False,
               thorough: bool = False) -> float:
        val, sched = _polish(self.game, self.i, start, self.x, self.upper, self.lower,
                             self.home if home else None, self.target, log_space, thorough)
        best.offer(val, sched)
        return val


def _probe_player(game, i: int, x: np.ndarray, U: float, options, rng: np.random.Generator, home_ok: bool,
                  effort_scale: float, ascent: tuple[np.ndarray, np.ndarray] | None = None,
                  pushed: np.ndarray | None = None) -> _Best:
    """Search player i's deviations from ``x`` (step 3 of the module docstring); the best found.
    ``ascent``: the values and end points of player i's batched ascent (multi-period games,
    :func:`_joint_ascent`). ``pushed``: which of i's own inputs (period-major, flat) sit just
    above their bound, pushed towards it (:func:`~.candidates.tiny_pushed`): probed by
    multiplicative steps (:func:`~.candidates.log_steps`).

    A generator: it yields ``(i, schedules)`` once, for ``game.player_objective(i, schedules, x)``
    to be sent back (see :func:`certify_steps`).
    """
    k, T = game.k, game.T
    kinked = getattr(game, "kinked", False)
    idx = game.layout.own_index(i)
    own = game.layout.own(x, i)  # (T, k)
    p = _Player(game, i, x, U, own, game.upper[idx], game.lower[idx], own.reshape(-1) if home_ok else None,
                U + options.gain_tol * (1.0 + abs(U)), bool(own[:, :2].max() <= GIVEN_UP * effort_scale))
    given_up = p.given_up
    n_polish = options.probe_polish
    # kinks (sharing's max(0, .)): more random candidates, polish more of them
    n_random = options.probe_samples * (_KINK_SAMPLES if kinked else 1)
    others = imitations(game.layout, x, i, p.upper)
    # invest and compete harder; put an investment off, or give it up (and sit a period out)
    investing = k >= 4 and T > 1
    withdrawals = investment_withdrawals(own) if investing else np.empty((0, T, k))
    entries = (np.concatenate([investment_entries(own), np.array(investment_moves(own)).reshape(-1, T, k),
                               withdrawals]) if investing else np.empty((0, T, k)))
    cands = np.concatenate([deviation_candidates(own, p.upper, k, rng, n_random), entries, others])
    local = coordinate_steps(own, p.upper)
    tiny = (log_steps(own, pushed.reshape(T, k), p.lower.reshape(T, k)) if pushed is not None and pushed.any()
            else np.empty((0, T, k)))
    both = yield i, np.concatenate([cands, local, tiny])  # one batched evaluation: player_objective
    both = np.where(np.isfinite(both), both, -np.inf)
    vals, lvals = both[: len(cands)], both[len(cands):len(cands) + len(local)]
    tvals = both[len(cands) + len(local):]
    col_scale = SCALE_OFFSET + np.max(np.abs(own), axis=0)  # (k,)
    far = np.max(np.abs(cands - own[None]) / col_scale, axis=(1, 2)) > FAR  # nearer: the local check's
    best = _Best()
    # every candidate counts as a deviation, near or far (a near one that gains shows the profile
    # is not even a local maximum, e.g. just short of a singular corner)
    j = int(np.argmax(vals))
    best.offer(vals[j], cands[j])
    order = yield from _polish_candidates(p, cands, vals, far, n_polish, kinked, rng, best)
    if len(entries):  # the best of these investment moves, polished
        first = len(cands) - len(others) - len(entries)
        j = first + int(np.argmax(vals[first:first + len(entries)]))
        if np.isfinite(vals[j]) and j not in order:
            if vals[j] >= p.U - _polish_margin(p.U, vals[0]) and not (yield from p.on_home_hill(cands[j], vals[j])):
                p.polish(cands[j], best)
            if given_up:  # from near zero, a climb in log coordinates goes where raw steps stall
                p.polish(cands[j], best, home=False, log_space=True, thorough=True)
        if len(withdrawals):
            # the best withdrawal, climbed in log coordinates whatever its value: sitting a period
            # out at a token presence changes what the later periods should be (less effort there
            # too), a far move that starts below the profile's payoff (unless it is the best
            # candidate of all, which the polishing above has taken)
            last = len(cands) - len(others)
            j = last - len(withdrawals) + int(np.argmax(vals[last - len(withdrawals):last]))
            if np.isfinite(vals[j]) and j != int(np.argmax(vals)):
                p.polish(cands[j], best, home=False, log_space=True)
    if T == 1:
        yield from _polish_imitation(p, cands, vals, far, len(others), order, best)
        if given_up:
            _search_reentry(p, others, rng, best)
    else:
        yield from _search_by_ascent(p, ascent, col_scale, n_polish if kinked else 1, best)
        if given_up:
            # a player who has given up: re-entering as another player competes (copy its
            # schedule, then climb in log coordinates) is a far move the ascent's short climbs miss
            for schedule in others:
                p.polish(schedule, best, home=False, log_space=True, thorough=True)
    # one-sided probes: small steps along each own coordinate. At a smooth maximum no step gains
    # (to first order); at a kink (sharing's max(0, .)) a one-sided slope can be positive even
    # though the averaged derivative vanishes.
    j = int(np.argmax(lvals))
    if lvals[j] > p.target:
        best.offer(lvals[j], local[j].reshape(-1))
        p.polish(local[j], best, home=False)
    # an input just above its bound: the bound need not be its best level (a payoff singular
    # there can peak at 1e-13); multiplicative steps, and a climb in log coordinates from the best
    if len(tiny):
        j = int(np.argmax(tvals))
        if tvals[j] > p.target:
            best.offer(tvals[j], tiny[j].reshape(-1))
            p.polish(tiny[j], best, home=False, log_space=True)
    if kinked:
        # across a kink: a larger move of an investment (which moves the states) can make other
        # actions matter (a leader's share only counts once it leads)
        for moved in investment_moves(own)[: _KINK_MOVES * n_polish]:  # postponements first
            p.polish(moved, best, home=False)
    return best


def _polish_margin(U: float, drop_value: float) -> float:
    """How far below the profile's payoff ``U`` a candidate may start and still be polished:
    :data:`POLISH_MARGIN` (2%) of the larger of ``|U|`` and what dropping out (payoff
    ``drop_value``) loses."""
    drop = float(drop_value) if np.isfinite(drop_value) else U - UNDEFINED_DROP_LOSS
    return POLISH_MARGIN * max(abs(U), abs(U - drop), MARGIN_FLOOR)


def _polish_candidates(p: _Player, cands: np.ndarray, vals: np.ndarray, far: np.ndarray, n_polish: int,
                       kinked: bool, rng: np.random.Generator, best: _Best) -> list[int]:
    """Polish the most promising far candidates (and, across kinks, random ones); their indices.

    A generator (its uphill checks are payoff requests, see :func:`certify_steps`)."""
    T = p.own.shape[0]
    margin = _polish_margin(p.U, vals[0])
    # (multi-period games: the best one only; the batched ascent climbs from the rest)
    order = list(np.argsort(-np.where(far, vals, -np.inf))[:n_polish if T == 1 else 1])
    if kinked:  # diverse starts too: better points may lie across a kink
        pool = np.flatnonzero(far & np.isfinite(vals))
        order += list(rng.choice(pool, size=min(n_polish, pool.size), replace=False)) if pool.size else []
    for rank, j in enumerate(order):  # the best far candidate always (T > 1), others when near U
        near_enough = (rank == 0 and T > 1) or vals[j] >= p.U - margin or kinked
        if not np.isfinite(vals[j]) or not near_enough:
            continue
        if (yield from p.on_home_hill(cands[j], vals[j])):
            continue  # the payoff rises all the way from here to the profile
        p.polish(cands[j], best)
    return order


def _polish_imitation(p: _Player, cands: np.ndarray, vals: np.ndarray, far: np.ndarray, n_others: int,
                      order: list[int], best: _Best):
    """Polish the best far copy of another player's schedule: "compete as the leader does" can
    beat a local optimum where this player has given up (non-convex payoffs). Not when the
    profile is a strict local maximum for the player and the payoff rises all the way from the
    copy back to it (the copy then sits on the profile's own hill).

    A generator (its uphill check is a payoff request, see :func:`certify_steps`)."""
    imitate = np.arange(len(cands) - n_others, len(cands))
    imitate = imitate[far[imitate] & np.isfinite(vals[imitate])]
    if imitate.size:
        j = int(imitate[np.argmax(vals[imitate])])
        if j not in order:
            if (yield from p.on_home_hill(cands[j], vals[j])):
                return
            p.polish(cands[j], best)


def _search_reentry(p: _Player, others: np.ndarray, rng: np.random.Generator, best: _Best) -> None:
    """A player who has given up (no effort at all) sits on a singular corner whose neighbourhood
    says little: re-entering is searched from copies of the others and random schedules, in log
    coordinates (which never fall back onto the corner)."""
    T, k = p.own.shape
    reach = RANDOM_REACH * np.max(p.game.layout.unpack(p.x), axis=(0, 1)) + 1.0  # per column
    for start in [*others, *(rng.uniform(_REENTRY_MIN, 1.0, size=(_REENTRY_STARTS, T, k)) * reach)]:
        p.polish(start, best, home=False, log_space=True)


def _joint_ascent(game, x: np.ndarray, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every player's batched ascent from ``x`` (:func:`~.candidates.ascent_starts`: its schedule
    scaled, copies of the others, random schedules), all players' starts climbing together in one
    batched evaluation per step; per player, the values and end points."""
    lay = game.layout
    starts, players, uppers = [], [], []
    for i in range(game.n):
        upper = game.upper[lay.own_index(i)]
        own_starts = ascent_starts(lay.own(x, i), imitations(lay, x, i, upper), rng)
        starts.append(own_starts)
        players.append(np.full(len(own_starts), i))
        uppers.append(np.broadcast_to(upper, (len(own_starts), upper.size)))
    values, ends = batched_ascent(game, np.concatenate(players), x, np.concatenate(starts), np.concatenate(uppers))
    bounds = np.cumsum([0] + [len(part) for part in starts])
    return [(values[lo:hi], ends[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _search_by_ascent(p: _Player, ascent: tuple[np.ndarray, np.ndarray], col_scale: np.ndarray, n_ends: int,
                      best: _Best):
    """Multi-period payoffs are far from concave in one's own schedule (give up, or invest early
    and compete): structural and random starts climb together in log coordinates, whatever their
    raw value, and the best far end points are polished (more of them across kinks, where the
    best end can lie on the profile's side of one), unless the payoff rises all the way from the
    end back to the profile (a strict local maximum): the climb was then still on its way home.

    A generator (its uphill checks are payoff requests, see :func:`certify_steps`)."""
    ends_val, ends = ascent
    ends_dist = np.max(np.abs(ends - p.own[None]) / col_scale, axis=(1, 2))
    for j in np.argsort(-np.where(ends_dist > _FAR_END, ends_val, -np.inf))[:n_ends]:
        if np.isfinite(ends_val[j]) and ends_dist[j] > _FAR_END:
            best.offer(ends_val[j], ends[j].reshape(-1))
            if (yield from p.on_home_hill(ends[j], ends_val[j])):
                continue
            p.polish(ends[j], best, log_space=True)


def _polish(game, i: int, start: np.ndarray, x: np.ndarray, upper: np.ndarray,
            lower: np.ndarray, home: np.ndarray | None = None,
            target: float | None = None, log_space: bool = False,
            thorough: bool = False) -> tuple[float, np.ndarray]:
    """Local maximisation of player i's payoff from ``start`` (L-BFGS-B, exact gradient).

    ``thorough``: tight tolerances and neither rule below, for a far start (another player's
    schedule, for one who has given up) that may climb slowly for a long way before it passes
    the profile's payoff.

    Two rules end an ascent before L-BFGS-B's own tests; both can only miss a gain, never
    invent one (a reported gain is the payoff at an actual schedule):

    * ``home`` (flat own actions of a strict local maximum: KKT conditions hold and the Hessian
      on the free variables is negative definite): an iterate within a relative distance of
      :data:`_HOME_RADIUS` (5e-2) of it (per action scale) is taken to be returning to the profile
      under test.
    * ``target`` (the payoff a deviation must beat): an ascent that, at its rate over the last
      :data:`_STALL_WINDOW` (10) iterations, could not reach ``target`` within its next
      :data:`_STALL_HORIZON` (50) iterations (or its remaining ones) is stalled (typically
      crawling along a kink of max(0, .), or converging below it).
    """
    maxiter = _POLISH_MAXITER
    scale = None
    if home is not None:
        scale = SCALE_OFFSET + np.abs(home)
        scale = np.maximum(scale, _HOME_SCALE_FLOOR * np.max(scale))
    history: list[float] = []

    def stop(xk: np.ndarray, value: float) -> bool:
        if scale is not None and np.max(np.abs(xk - home) / scale) < _HOME_RADIUS:
            return True
        history.append(value)
        if target is None or len(history) <= _STALL_WINDOW or value >= target:
            return False
        rate = (history[-1] - history[-_STALL_WINDOW - 1]) / _STALL_WINDOW
        return rate * min(maxiter - len(history), _STALL_HORIZON) < target - value

    # ZERO_FLOOR, not 0, as the floor: where x^alpha p^-theta is singular the payoff is not finite
    # at exactly 0, and an ascent whose line search hits it would stop dead
    tolerances = {} if thorough else {"maxiter": maxiter, "ftol": _POLISH_FTOL, "gtol": _POLISH_GTOL,
                                      "stop": stop}
    own = maximise_own(game, i, [x], start.reshape(-1), np.maximum(lower, ZERO_FLOOR), upper,
                       log_space=log_space, **tolerances)
    val = float(game.player_objective(i, own.reshape(1, *start.shape), x)[0])
    if not np.isfinite(val):
        return -np.inf, own
    return val, own
