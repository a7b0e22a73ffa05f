r"""The multi-period game users solve: :class:`Aggregator` and :func:`solve`.

The objective :math:`U_i = \sum_t \gamma_i^t P_t u_i(t)` is defined by
:class:`~dynapai_sym.model.MultiPeriodModel`; this class adds the numbers: the
numeric game over a horizon (:class:`~dynapai_sym.numeric.NumericGame`, built once
per horizon), evaluation of strategies, and the certified Nash solve.
"""

from __future__ import annotations

import copy
import itertools
import warnings

import numpy as np

from .._threads import blas_threads
from .._validation import all_equal, as_positive_int
from ..errors import DynapaiWarning, InvalidArgumentError, InvalidTypeError
from ..latex import LatexDisplay
from ..layout import ActionLayout
from ..model import Actions, MultiPeriodModel, Strategies
from ..numeric import Belief, NumericGame
from ..solvers import SolverOptions, SolverResult, Status, solve_game
from ..solvers.methods import SolverMethod, get_method
from ..solvers.result import Optimum
from ..solvers.sensitivity import sensitivity
from .planning import PlannerMethods, is_infinite

__all__ = ["Aggregator", "solve", "CONCEPTS"]

#: equilibrium concepts of :meth:`Aggregator.solve`
CONCEPTS = ("open_loop", "feedback")


class Aggregator(PlannerMethods, MultiPeriodModel, LatexDisplay):
    """Multi-period objective of every player, and the Nash solver.

    Parameters
    ----------
    state : PayoffFunc, State, or list of PayoffFunc
        A payoff function (common beliefs), a :class:`State`, or one payoff
        function per player (heterogeneous beliefs).
    gammas : array_like, shape (n,), optional
        Discount factors in (0, 1]; required for more than one period.
    end_on_win : bool
        The game ends the first time someone wins (see module docstring).

    Examples
    --------
    >>> from dynapai_sym import models
    >>> res = Aggregator(models.readme_payoff()).solve()
    >>> res.success, res.status
    (True, 'certified equilibrium')
    >>> bool(res.kkt_residual < 1e-10)
    True
    """

    def __init__(self, state, gammas=None, end_on_win: bool = False):
        super().__init__(state, gammas, end_on_win)
        self._set(_games={}, _warned=[])  # numeric games by horizon, built on first use

    def without_games(self) -> Aggregator:
        """A copy without the numeric games built so far (cheap to send to a worker process)."""
        clone = copy.copy(self)
        clone._set(_games={}, _warned=[])
        return clone

    # ------------------------------------------------------------ game building
    def check_horizon(self, t) -> int:
        """``t`` as a number of periods this game can be solved over; a clear error otherwise.

        More than one period needs discount factors. With ``end_on_win`` and a contest in
        which someone always wins (``CSF.default``) the game ends after the first period: later
        periods carry weight 0 (see :attr:`ends_after_first_period`); a warning says so, once.
        """
        t = as_positive_int(t, "t (number of periods)")
        if t > 1 and self.gammas is None:
            raise InvalidArgumentError("gammas (one discount factor per player) are required for t > 1")
        if t > 1 and self.end_on_win:
            always = [b.csf.always_someone_wins for b in self.state.beliefs]
            if any(always) and not all(always):
                raise InvalidArgumentError(
                    "end_on_win with beliefs that disagree on whether someone always wins (CSF.default in "
                    "some beliefs only) is not supported; give every belief the same kind of contest")
            if all(always) and not self._warned:
                self._warned.append(True)
                warnings.warn(
                    f"end_on_win with a contest in which someone always wins ({self.state.beliefs[0].csf!r}): "
                    f"the game ends after the first period, so periods 1..{t - 1} carry weight 0; their "
                    "actions are indeterminate (reported as 0). Use CSF.maybe_no_win for a game that can "
                    "last.", DynapaiWarning, stacklevel=3)
        return t

    @property
    def ends_after_first_period(self) -> bool:
        """True when ``end_on_win`` and someone always wins: only the first period has weight."""
        return self.end_on_win and all(b.csf.always_someone_wins for b in self.state.beliefs)

    def game(self, t: int) -> NumericGame:
        """The numeric game over ``t`` periods (built once per horizon)."""
        t = self.check_horizon(t)
        if t not in self._games:
            beliefs, belief_of, index = [], [], {}
            for i in range(self.n):
                pf = self.state.belief_of(i)
                if id(pf) not in index:
                    index[id(pf)] = len(beliefs)
                    beliefs.append(Belief(pf.compiled, pf.param_vector(), pf.state_vector()))
                belief_of.append(index[id(pf)])
            gammas = self.gammas if self.gammas is not None else np.ones(self.n)
            symmetric = (self.state.common and self.state.beliefs[0].is_symmetric()
                         and all_equal(gammas))
            self._games[t] = NumericGame(beliefs, belief_of, gammas, t, self.end_on_win, symmetric)
        return self._games[t]

    def _strategies(self, strategies, name: str = "strategies") -> Strategies:
        if isinstance(strategies, SolverResult):
            strategies = strategies.strategies
        if isinstance(strategies, Actions):
            strategies = Strategies([strategies])
        if not isinstance(strategies, Strategies):
            strategies = Strategies(strategies)
        if strategies.action_type is not self.action_type:
            raise InvalidTypeError(f"{name} hold {strategies.action_type.__name__}; this model takes "
                            f"{self.action_type.__name__}")
        if strategies.n != self.n:
            raise InvalidArgumentError(f"{name} are for {strategies.n} players; the model has {self.n}")
        if self.k == 6 and self.state.beliefs[0].share_map == "fraction" and np.any(strategies.data[..., 4:] > 1):
            raise InvalidArgumentError(f"{name}: shares must be fractions in [0, 1]")
        return strategies

    # ------------------------------------------------------------ evaluation
    def u(self, strategies) -> np.ndarray:
        """:math:`U_i` for every player: (n,)."""
        s = self._strategies(strategies)
        game = self.game(s.t)
        return game.payoffs(game.layout.pack(s.data))

    def u_i(self, i: int, strategies) -> float:
        """:math:`U_i` of player ``i`` (0-based)."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.n:
            raise InvalidArgumentError(f"i (player index) must be an integer in 0..{self.n - 1}, got {i!r}")
        return float(self.u(strategies)[i])

    def probas(self, strategies) -> np.ndarray:
        r"""Survival probabilities :math:`P_t` per period and player (by the player's belief): (T, n)."""
        if not self.end_on_win:
            raise InvalidArgumentError("probas needs end_on_win=True (otherwise every period is reached)")
        s = self._strategies(strategies)
        game = self.game(s.t)
        return game.weights(game.layout.pack(s.data)).T / (game.gammas[None, :] ** np.arange(s.t)[:, None])

    def states(self, strategies) -> np.ndarray:
        """State (A_i, B_i) in each period by each player's belief: (T, n, 2) for common beliefs,
        (n_beliefs, T, n, 2) for heterogeneous ones."""
        s = self._strategies(strategies)
        game = self.game(s.t)
        out = []
        for chain in game.chains:
            _, y, _, _ = chain.forward(game.layout.periods(game.layout.pack(s.data)))
            out.append(self._full_state(chain, y[:-1]))
        return out[0] if self.state.common else np.stack(out)

    def _full_state(self, chain, y: np.ndarray) -> np.ndarray:
        pf = self.state.belief_of(int(chain.players[0]))
        pv = pf.param_values
        T = y.shape[0]
        names = [sym.name for sym in pf.structure.states]
        out = np.empty((T, self.n, 2))
        for i in range(self.n):
            for c, base in enumerate(("A", "B")):
                name = f"{base}{i + 1}"
                if name in names:
                    out[:, i, c] = y[:, names.index(name)]
                else:
                    out[:, i, c] = next(v for sym, v in pv.items() if sym.name == name)
        return out

    # ------------------------------------------------------------ solving
    def _default_start(self, t: int, options: SolverOptions) -> np.ndarray:
        """Start by continuation in the horizon.

        For t > 3 the game is first solved over about half the horizon (recursively), and
        that equilibrium, with its last period repeated, starts the full game: in these games
        most of the action (investment, sharing) happens early, so shorter horizons are good
        guides. Shorter games start from the static equilibrium repeated over the periods.
        The shorter games are checked to first and second order only (their answers are starts,
        not results). Falls back to :meth:`default_init` when no start is found.
        """
        if t == 1:
            return self.default_init(1)
        if t > 3:
            # the shorter game's answer is only a start: first and second order suffice there
            t_short = max(2, (t + 1) // 2)
            short_game = self.game(t_short)
            shorter = solve_game(short_game, self._default_start(t_short, options), options.with_(restarts=2),
                                 "auto", check_global=False)
            if shorter.success:
                X = np.maximum(short_game.layout.unpack(shorter.x), 0.0)
                pad = np.repeat(X[-1:], t - t_short, axis=0)
                return self.game(t).layout.pack(np.concatenate([X, pad]))
        # the static answer is only a start too: first and second order suffice
        static = solve_game(self.game(1), self.default_init(1), options.with_(restarts=2), "auto",
                            check_global=False)
        if static.success:
            x = np.tile(np.maximum(self.game(1).layout.unpack(static.x), 0.0), (t, 1, 1))
            if self.k >= 4:
                x[..., 2:4] = 0.05
            if self.k == 6:
                x[..., 4:6] = 0.0  # no sharing: states stay apart, away from the kinks
            return self.game(t).layout.pack(x)
        return self.default_init(t)

    def default_init(self, t: int) -> np.ndarray:
        """A starting profile: 1 for x_s, x_p; small investments; no sharing."""
        base = np.array([1.0, 1.0, 0.05, 0.05, 0.0, 0.0])[: self.k]
        return ActionLayout(t, self.n, self.k).pack(np.tile(base, (t, self.n, 1)))

    def _init(self, init, t: int, options: SolverOptions | None = None) -> np.ndarray:
        if init is None:
            return self._default_start(t, options or SolverOptions())
        if isinstance(init, SolverResult):
            init = init.strategies
        if isinstance(init, Actions):
            init = Strategies([init] * t)
        s = self._strategies(init, "init")
        if s.t != t:
            raise InvalidArgumentError(f"init has {s.t} periods; solving for t={t}")
        return self.game(t).layout.pack(s.data)

    def solve(self, t: int = 1, init=None, options=None, method: str = "auto",
              concept: str = "open_loop") -> SolverResult:
        """Find a pure-strategy Nash equilibrium over ``t`` periods (certified), or say why not.

        Parameters
        ----------
        t : int or math.inf
            Number of periods T; ``math.inf`` for stationary play over an infinite horizon
            (actions that do not move the state; see :mod:`dynapai_sym.game.planning`).
        init : Strategies, array (T, n, k), Actions, or SolverResult, optional
            Starting profile.
        options : SolverOptions or dict, optional
        method : str
            A name in :data:`dynapai_sym.solvers.METHODS`: "auto" (default), "kkt", "best_response",
            "best_response_nm" or "mixed".
        concept : {"open_loop", "feedback"}
            ``"open_loop"`` (default): each player commits at t = 0 to a whole schedule.
            ``"feedback"``: subgame perfect, every period's actions an equilibrium of the game
            that remains at the state reached (backward induction; method "auto" or "kkt"):
            a :class:`~dynapai_sym.game.feedback.FeedbackResult`.

        Returns
        -------
        SolverResult
            ``success`` is True only for a certified equilibrium.
        """
        if is_infinite(t):
            return self._solve_stationary(init, SolverOptions.coerce(options), method)
        t = self.check_horizon(t)
        options = SolverOptions.coerce(options)
        if concept not in CONCEPTS:
            raise InvalidArgumentError(f"concept must be one of {CONCEPTS}, got {concept!r}")
        solver = get_method(method)
        if concept == "feedback":
            if method not in ("auto", "kkt"):
                raise InvalidArgumentError(f"concept='feedback' solves each period with method 'auto' "
                                           f"(or 'kkt'), got method={method!r}")
            from .feedback import solve_feedback
            with blas_threads(options.blas_threads):
                return solve_feedback(self, t, init, options)
        with blas_threads(options.blas_threads):
            return self._solve(t, init, options, solver)

    def _solve(self, t: int, init, options: SolverOptions, solver: SolverMethod) -> SolverResult:
        if t > 1 and self.ends_after_first_period:
            return self._solve_first_period_only(t, init, options, solver)
        game = self.game(t)
        x0 = self._init(init, t, options)
        out = solver.solve(game, x0, options)
        if solver.mixed:
            res = self._result(game, out.x, out, samples=out.samples)
            res.exploitability = out.epsilon
            return res
        return self._result(game, out.x if out.x is not None else x0, out)

    def _solve_first_period_only(self, t: int, init, options: SolverOptions, solver: SolverMethod) -> SolverResult:
        r"""The game ends after period 0 (someone always wins): solve period 0, mark the rest indeterminate.

        With :math:`\sum_j q_j = 1` in period 0, :math:`P_t = 0` for every later period, so
        :math:`U_i = u_i(0)` whatever is played later: an equilibrium of the one-period game
        (where investment, which only pays later, is 0) is one of the T-period game, and the
        later periods' actions are indeterminate (reported as 0). This needs someone to have
        performance in period 0; if nobody does, the game goes on and the result says so.
        """
        first_init = None
        if init is not None:
            first_init = Strategies(self._strategies(init, "init").data[:1]) if not isinstance(init, Actions) \
                else init
        first = self._solve(1, first_init, options, solver)
        data = np.zeros((t, self.n, self.k))
        data[0] = first.strategies.data[0]
        game = self.game(t)
        x = game.layout.pack(data)
        qty = dict(game.quantities(x))
        for name in ("s", "p", "sigma", "q"):  # periods never reached: no values to report
            qty[name] = np.array(qty[name], dtype=float, copy=True)
            qty[name][1:] = np.nan
        strategies = Strategies(data)
        indeterminate = np.zeros((t, self.n, self.k), dtype=bool)
        indeterminate[1:] = True
        if first.indeterminate is not None:
            indeterminate[0] = first.indeterminate[0]
        success, status, message = first.success, first.status, first.message
        notes = list(first.notes) + [f"the game ends after the first period (someone always wins): periods "
                                     f"1..{t - 1} carry weight 0 and their actions are indeterminate"]
        if not np.nansum(qty["q"][0]) > 0:
            success = False
            status = Status.NOT_CONVERGED
            message = ("nobody has performance in the first period, so the game does not end there: "
                       "use CSF.maybe_no_win to solve the game over several periods")
        return SolverResult(
            optimum=Optimum(strategies.actions), strategies=strategies, success=success, status=status,
            message=message, payoffs=qty["payoffs"], s=qty["s"], p=qty["p"], sigma=qty["sigma"], q=qty["q"],
            kkt_residual=first.kkt_residual, iterations=first.iterations, method=first.method,
            seconds=first.seconds, evaluations=first.evaluations, backend=first.backend,
            certificate=first.certificate, symmetric=first.symmetric, indeterminate=indeterminate,
            deviation=first.deviation, samples=None, notes=notes)

    def result_of(self, t: int, out, quantities: dict | None = None, evaluations: int | None = None) -> SolverResult:
        """The :class:`SolverResult` of a pure-strategy outcome found outside :meth:`solve`.

        ``out`` has the fields of :class:`~dynapai_sym.solvers.nash.Outcome` (e.g. from the batched
        static solver of sweeps, :func:`~dynapai_sym.solvers.batch.certified_outcome`); the result
        is built as :meth:`solve` builds it. ``quantities``: what ``self.game(t).quantities(out.x)``
        returns, if already evaluated (e.g. for many points at once). ``evaluations``: the payoff
        evaluations to report, if counted elsewhere (default: the game's own counter).
        """
        return self._result(self.game(t), out.x, out, quantities=quantities, evaluations=evaluations)

    def _result(self, game: NumericGame, x: np.ndarray, out, samples=None,
                quantities: dict | None = None, evaluations: int | None = None) -> SolverResult:
        data = np.maximum(game.layout.unpack(x), 0.0)  # a new array, unless x is not finite: checked
        strategies = (Strategies._checked(data, self.action_type) if np.isfinite(data).all()
                      and data.dtype == np.float64 else Strategies(data))
        qty = game.quantities(x) if quantities is None else quantities
        payoffs = qty["payoffs"]
        cert = out.certificate
        deviation = cert.best_deviation if cert is not None else None
        return SolverResult(
            optimum=Optimum(strategies.actions),
            strategies=strategies,
            success=out.success,
            status=out.status,
            message=out.message,
            payoffs=payoffs,
            s=qty["s"], p=qty["p"], sigma=qty["sigma"], q=qty["q"],
            kkt_residual=out.kkt_residual,
            iterations=out.iterations,
            method=out.method,
            seconds=out.seconds,
            evaluations=game.evaluations if evaluations is None else int(evaluations),
            backend=game.beliefs[0].model.backend,
            certificate=cert,
            symmetric=cert.symmetric if cert is not None else None,
            indeterminate=cert.indeterminate if cert is not None else None,
            deviation=deviation,
            samples=samples,
            notes=list(out.notes),
        )

    def sensitivity(self, result: SolverResult, param: str) -> dict:
        """Derivatives of a certified equilibrium with respect to ``param``.

        See :func:`dynapai_sym.solvers.sensitivity.sensitivity`.
        """
        return sensitivity(self, result, param)

    @staticmethod
    def expand_from(state_list, gammas_list, end_on_win: bool = False) -> list[Aggregator]:
        """One aggregator per combination of state and gammas (as in dynapai's Python bindings)."""
        states, gammas = list(state_list), list(gammas_list)
        if not states or not gammas:
            raise InvalidArgumentError("state_list and gammas_list must not be empty")
        return [Aggregator(s, g, end_on_win) for s, g in itertools.product(states, gammas)]


#: Sweeps may solve points in batches (``dynapai_sym.scenario.batched``), which gives what this
#: ``solve`` gives; an aggregator whose class changes ``solve`` (a subclass, a patch) lacks the
#: mark and is solved point by point, through its own ``solve``.
Aggregator.solve.batch_equivalent = True


def solve(payoff_func, t: int = 1, gammas=None, end_on_win: bool = False, init=None, options=None,
          method: str = "auto", concept: str = "open_loop") -> SolverResult:
    """Solve a game in one call: ``Aggregator(payoff_func, gammas, end_on_win).solve(t, ...)``."""
    return Aggregator(payoff_func, gammas, end_on_win).solve(t, init=init, options=options, method=method,
                                                             concept=concept)
