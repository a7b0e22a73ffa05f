r"""Feedback (subgame-perfect) equilibria of an :class:`~dynapai_sym.game.Aggregator`:
:func:`solve_feedback` and its result, :class:`FeedbackResult`.

The open-loop equilibrium (``Aggregator.solve(t)``) lets each player commit at :math:`t = 0` to a
whole schedule. In a feedback equilibrium every period's actions are an equilibrium of the
game that remains, given the state reached: by backward induction, period :math:`t`'s players
maximise

.. math::

    u_i(z_t, y_t) + \gamma_i\, S_t\, V_i^{t+1}\big(f(z_t, y_t)\big),

where :math:`V_i^{t+1}(y')` is player i's payoff in the equilibrium of the subgame from
:math:`y'` and :math:`S_t` the probability that the game goes on (1 unless ``end_on_win``).
The numerics (exact state derivatives of the continuation values, batched re-solves of the
later periods) are in :mod:`dynapai_sym.solvers.feedback`. When actions do not move the state
(basic actions) the two concepts coincide.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import DynapaiError, InvalidArgumentError
from ..model import Strategies
from ..solvers.feedback import SEVERAL, FeedbackGame, default_start, solve_path
from ..solvers.result import Optimum, SolverResult, Status

__all__ = ["FeedbackResult", "solve_feedback"]


@dataclass(repr=False, eq=False)
class FeedbackResult(SolverResult):
    r"""A feedback equilibrium: the path it follows, and its policies off the path.

    Everything of :class:`~dynapai_sym.solvers.SolverResult` describes the equilibrium *path*
    (actions ``strategies``, payoffs :math:`U_i` along it, ``s, p, sigma, q`` per period);
    ``states`` gives the state (A_i, B_i) in each period and :meth:`policy` the equilibrium
    actions of any period at any state.

    ``success`` is True when every period on the path is a certified equilibrium of its period
    game given the continuation values (each deviation checked with the later periods re-solved
    from the state it leads to). ``status`` is ``"certified equilibrium"``, ``"several equilibria"``
    (certified, but some period's game has more than one: the message says where),
    ``"no pure equilibrium found"`` or ``"not converged"`` (the message names the period).

    Attributes
    ----------
    concept : str
        ``"feedback"``.
    states : ndarray (T, n, 2)
        (A_i, B_i) at the start of each period on the path (common beliefs; (n_beliefs, T, n, 2)
        with heterogeneous beliefs).
    periods : list of PeriodOutcome
        Per period: the state, the solver's outcome with its certificate, the policy derivative,
        other equilibria found.
    evaluations : int
        Subgames solved (each state of each batched re-solve counts once): the work done.

    Examples
    --------
    >>> from dynapai_sym import models
    >>> res = models.invest_aggregator(2).solve(2, concept="feedback")
    >>> res.success, res.status
    (True, 'certified equilibrium')
    >>> res.policy(1, res.states[1]).shape
    (2, 4)
    """

    concept: str = "feedback"
    states: np.ndarray | None = None
    periods: list = field(default_factory=list)
    _fb: object = field(default=None, repr=False)
    _aggregator: object = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (f"FeedbackResult(success={self.success}, status={self.status!r}, "
                f"periods={len(self.periods)}, kkt_residual={self.kkt_residual:.2e})")

    def policy(self, t: int, state) -> np.ndarray:
        r"""Period t's equilibrium actions :math:`z^*_t` (n, k) at ``state`` (computed on demand).

        Parameters
        ----------
        t : int
            Period, 0-based (0 .. T-1).
        state : array_like (n, 2)
            The state :math:`(A_i, B_i)` of every player at the start of period t; shape
            (n_beliefs, n, 2) with heterogeneous beliefs.

        Returns
        -------
        ndarray (n, k)

        Notes
        -----
        The period-t subgame at ``state`` is solved (its later periods re-solved as needed),
        starting from the path's period-t actions moved by the policy derivative; results are
        cached by state. Raises :class:`~dynapai_sym.errors.DynapaiError` when no equilibrium is
        found there.
        """
        fb = self._fb
        T = fb.T
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t < T:
            raise InvalidArgumentError(f"t (period) must be an integer in 0..{T - 1}, got {t!r}")
        Y = _state_vector(self._aggregator, fb, state)
        key = (int(t), tuple(np.round(Y, 12)))
        if key not in self._cache:
            if t < len(self.periods) and self.periods[t].outcome.x is not None:
                p = self.periods[t]
                start = p.outcome.x + np.nan_to_num(p.policy_derivative) @ (Y - p.state)
                start = np.where((p.outcome.x > 0) & (start < 0.5 * p.outcome.x), 0.5 * p.outcome.x, start)
            else:
                start = default_start(fb, t, Y)
            sol = fb.solve_level(int(t), Y[None], start[None])
            if not sol.ok[0]:
                sol = fb.solve_level(int(t), Y[None], default_start(fb, t, Y)[None])
            if not sol.ok[0]:
                raise DynapaiError(f"no equilibrium found for the period-{t} subgame at state {state!r}")
            self._cache[key] = sol.Z[0].reshape(fb.n, fb.k)
        return self._cache[key].copy()


def _state_vector(agg, fb: FeedbackGame, state) -> np.ndarray:
    """The stacked moving state of ``state`` given as (A_i, B_i) per player."""
    arr = np.asarray(state, dtype=float)
    beliefs = agg.state.beliefs if not agg.state.common else agg.state.beliefs[:1]
    want = (agg.n, 2) if agg.state.common else (len(beliefs), agg.n, 2)
    if arr.shape != want or not np.all(np.isfinite(arr)):
        raise InvalidArgumentError(f"state must be finite (A_i, B_i) for every player, shape {want}, "
                                   f"got shape {arr.shape}")
    arr = arr.reshape((-1, agg.n, 2))
    out = []
    for b, pf in enumerate(beliefs):
        for sym in pf.structure.states:
            base, index = sym.name[0], int(sym.name[1:]) - 1
            out.append(arr[b, index, 0 if base == "A" else 1])
    return np.array(out, dtype=float).reshape(fb.dY)


def _open_loop_guess(agg, game, t: int, options) -> np.ndarray | None:
    """Starts for the path's periods (T, m): a first-order point of the open-loop game from its
    default start (Newton only, nothing certified), or None. Open-loop and feedback answers differ
    by the strategic effects only, so this is usually far closer than the generic start, and the
    period games then search less where the later subgames are hard to solve."""
    from ..solvers.kkt import solve_kkt

    try:
        run = solve_kkt(game, agg._default_start(t, options), tol=options.tol, max_iter=options.iters)
    except DynapaiError:
        return None
    if not (run.converged or run.residual <= options.kkt_tol) or not np.all(np.isfinite(run.x)):
        return None
    return game.layout.periods(np.clip(run.x, game.lower, game.upper))


#: the work of a feedback solve grows like d_Y ** (T - 1); above this it takes hours on one core
SLOW_FEEDBACK_WORK = 1000


def slow_feedback_warning(d_y: int, t: int) -> str | None:
    """A warning for a feedback solve expected to take very long, or None.

    Every evaluation of a period's conditions re-solves the later periods' subgames, and their
    continuation values' second derivatives need :math:`d_Y` re-solves per level (``d_Y``: the
    moving state entries, two per player with investment): the work grows like
    :math:`d_Y^{T-1}`. Measured on one core: two players (:math:`d_Y = 4`) over five periods
    about 6 s (:math:`4^4 = 256`), three players (:math:`d_Y = 6`) over four periods 14 to 60 s
    (:math:`6^3 = 216`), over five (:math:`6^4 = 1296`) unfinished after 45 minutes.
    """
    work = d_y ** max(t - 1, 0)
    if work <= SLOW_FEEDBACK_WORK:
        return None
    return (f"a feedback solve with {d_y} moving state entries over {t} periods re-solves about "
            f"{d_y}^{t - 1} = {work} subgames per first-period evaluation: expect it to take hours "
            f"(three players over five periods ran for more than 45 minutes on the test machine); the open-loop "
            f"equilibrium (concept='open_loop') takes well under a second")


def solve_feedback(agg, t: int, init=None, options=None) -> FeedbackResult:
    """The feedback equilibrium of ``agg`` over ``t`` periods (``agg.solve(t, concept="feedback")``).

    ``init``: starting actions per period (T, n, k), optional. See :class:`FeedbackResult`.
    """
    t0 = time.perf_counter()
    game = agg.game(t)
    if not game.smooth:
        raise InvalidArgumentError("concept='feedback' needs a smooth model (this one has a threshold cost)")
    fb = FeedbackGame(game, options)
    slow = slow_feedback_warning(fb.dY, t)
    if slow:
        warnings.warn(slow, RuntimeWarning, stacklevel=3)
    starts = guesses = None
    if init is not None:
        starts = game.layout.periods(agg._init(init, t, options))
    elif t > 1:
        guesses = _open_loop_guess(agg, game, t, options)
    periods = solve_path(fb, options, starts, guesses=guesses)
    T, n, k = t, agg.n, agg.k
    X = np.full((T, fb.m), np.nan)
    for p in periods:
        if p.outcome.x is not None:
            X[p.t] = p.outcome.x
    complete = len(periods) == T and np.all(np.isfinite(X))
    x = X.reshape(-1)
    status, success, message = _verdict(periods, T)
    if complete:
        strategies = Strategies(np.maximum(X.reshape(T, n, k), 0.0))
        qty = game.quantities(x)
        states = agg.states(strategies)
    else:
        strategies = Strategies(np.nan_to_num(np.maximum(X.reshape(T, n, k), 0.0)))
        qty = {key: np.full((T, n), np.nan) for key in ("s", "p", "sigma", "q")}
        qty["payoffs"] = np.full(n, np.nan)
        states = None
    notes = []
    failed = sum(p.failed_subgames for p in periods)
    if failed:
        notes.append(f"{failed} evaluations (candidate deviations) led to a later subgame without a pure "
                     "equilibrium found; they were not counted as better deviations")
    screened = sum(p.screened for p in periods)
    if screened:
        notes.append(f"{screened} candidate deviations were screened out by a second-order expansion of "
                     "the continuation values (more than 5% below the payoff under test)")
    certs = [p.outcome.certificate for p in periods]
    residual = max((c.kkt_residual for c in certs if c is not None), default=float("nan"))
    return FeedbackResult(
        optimum=Optimum(strategies.actions), strategies=strategies, success=success, status=status,
        message=message, payoffs=qty["payoffs"], s=qty["s"], p=qty["p"], sigma=qty["sigma"], q=qty["q"],
        kkt_residual=residual, iterations=sum(p.outcome.iterations for p in periods), method="feedback",
        seconds=time.perf_counter() - t0, evaluations=fb.subgames,
        backend=game.beliefs[0].model.backend, certificate=certs[0] if certs else None,
        deviation=next((c.best_deviation for c in certs if c is not None and c.best_deviation), None),
        notes=notes, states=states, periods=periods, _fb=fb, _aggregator=agg)


def _verdict(periods: list, T: int) -> tuple[str, bool, str]:
    """Status, success and message of a feedback path (periods named 1-based for readers)."""
    for p in periods:
        if p.assumed_refuted is not None:
            return (Status.NOT_CONVERGED, False,
                    f"period {p.t} of {T}: its continuation values assumed an equilibrium of period {p.t + 1}'s "
                    f"game at the state reached that does not hold ({p.assumed_refuted}); the path is not "
                    "subgame perfect")
        if not p.outcome.success:
            if p.outcome.x is None and p.exit_subgames:
                return (Status.NO_PURE, False,
                        f"period {p.t + 1} of {T}: the subgames from period {p.t + 2} on have no pure "
                        f"equilibrium found at the states reached (at their first-order points a player "
                        f"gains by sitting the period out, or one out of the race by re-entering), so period "
                        f"{p.t + 1}'s game is not defined")
            return (p.outcome.status, False,
                    f"period {p.t + 1} of {T}: {p.outcome.status}: {p.outcome.message}")
    if len(periods) < T:
        return Status.NOT_CONVERGED, False, f"stopped after period {len(periods)} of {T}"
    several = [p.t + 1 for p in periods if p.others]
    if several:
        return (SEVERAL, True, f"every period certified; the period game has several equilibria in "
                f"period(s) {several}: the path reported follows one of them")
    return Status.CERTIFIED, True, f"every period of {T} certified given the continuation values"
