r"""The aggregator's cooperative benchmark and infinite horizon (mixed into :class:`Aggregator`).

* :meth:`PlannerMethods.solve_planner`: maximise :math:`W = \sum_i w_i U_i` over every player's
  actions jointly (:mod:`dynapai_sym.solvers.planner`), over ``t`` periods or with stationary
  play over an infinite horizon;
* :meth:`PlannerMethods.welfare_gap`: the Nash equilibrium against the planner
  (:class:`~dynapai_sym.game.welfare.WelfareGap`);
* ``solve(t=math.inf)``: the stationary equilibrium of the infinite horizon
  (:mod:`dynapai_sym.model.infinite`), certified like a static equilibrium on the closed-form
  objective and by each player's Bellman equation (:mod:`dynapai_sym.solvers.stationary`).
"""

from __future__ import annotations

import math

import numpy as np

from .._threads import blas_threads
from .._validation import as_player_vector
from ..errors import InvalidArgumentError, InvalidTypeError
from ..model import Actions, Strategies
from ..model.infinite import check_stationary, is_infinite, stationary_objective
from ..numeric import Belief, NumericGame
from ..numeric.planner import PlannerProblem
from ..numeric.stationary import StationaryModel
from ..solvers import SolverOptions, SolverResult, Status, solve_game
from ..solvers.methods import get_method
from ..solvers.planner import PlannerResult, PlannerStatus, solve_planner
from ..solvers.result import Optimum
from ..solvers.stationary import StationaryResult, bellman_check, planner_bellman_check
from .welfare import WelfareGap, no_disaster_probability

__all__ = ["PlannerMethods", "is_infinite"]


class PlannerMethods:
    """Planner, welfare gap and infinite horizon for :class:`~dynapai_sym.game.Aggregator`."""

    # ------------------------------------------------------------ symbolic view
    def objective_expr(self, t) -> list:
        r"""The aggregate objectives :math:`U_i` as sympy expressions.

        ``t = math.inf``: the stationary objective :math:`u_i / (1 - \gamma_i (1 - Q))`
        (:func:`~dynapai_sym.model.infinite.stationary_objective`); otherwise
        :meth:`MultiPeriodModel.objective_expr` over ``t`` periods.
        """
        if is_infinite(t):
            return stationary_objective(self)
        return super().objective_expr(t)

    # ------------------------------------------------------------ infinite horizon
    def stationary_game(self) -> NumericGame:
        r"""The stationary game of the infinite horizon: one period whose payoffs are
        :math:`U_i = u_i/(1 - \gamma_i (1 - Q))` (built once)."""
        check_stationary(self)
        if "inf" not in self._games:
            beliefs, belief_of, index = [], [], {}
            for i in range(self.n):
                pf = self.state.belief_of(i)
                if id(pf) not in index:
                    index[id(pf)] = len(beliefs)
                    model = StationaryModel(pf.compiled, self.gammas, self.end_on_win)
                    beliefs.append(Belief(model, pf.param_vector(), pf.state_vector()))
                belief_of.append(index[id(pf)])
            symmetric = (self.state.common and self.state.beliefs[0].is_symmetric()
                         and np.all(self.gammas == self.gammas[0]))
            self._games["inf"] = NumericGame(beliefs, belief_of, self.gammas, 1, False, symmetric)
        return self._games["inf"]

    def u_stationary(self, actions) -> np.ndarray:
        r""":math:`U_i` when every player repeats ``actions`` (one period's Actions) for ever: (n,)."""
        game = self.stationary_game()
        s = self._strategies(actions, "actions")
        if s.t != 1:
            raise InvalidArgumentError(f"actions: stationary play is one period's actions, got {s.t} periods")
        return game.payoffs(game.layout.pack(s.data))

    def _solve_stationary(self, init, options: SolverOptions, method: str) -> StationaryResult:
        check_stationary(self)
        solver = get_method(method)
        if solver.mixed:
            raise InvalidArgumentError("t=math.inf solves for a pure stationary equilibrium; "
                                       f"method={method!r} gives mixed strategies")
        game = self.stationary_game()
        with blas_threads(options.blas_threads):
            if init is None:
                static = solve_game(self.game(1), self.default_init(1), options.with_(restarts=2), "auto",
                                    check_global=False)
                x0 = np.maximum(static.x, 0.0) if static.success else self.default_init(1)
            else:
                x0 = self._stationary_start(init)
            out = solver.solve(game, x0, options)
            x = out.x if out.x is not None else x0
            res = self._result(game, x, out)
            check = bellman_check(game, x, options) if out.success else None
        fields = {f: getattr(res, f) for f in res.__dataclass_fields__}
        result = StationaryResult(**fields, bellman=check)
        result.notes.append("stationary play over an infinite horizon: payoffs are u_i / (1 - gamma_i (1 - Q))")
        if check is not None:
            result.notes.append(check.describe())
            if not check.passed:
                result.success = False
                result.status = Status.NO_PURE
                result.message = f"{res.message}; {check.describe()}"
        return result

    def _stationary_start(self, init) -> np.ndarray:
        if isinstance(init, SolverResult):
            init = init.strategies
        if isinstance(init, Actions):
            init = Strategies([init])
        s = self._strategies(init, "init")
        if s.t != 1:
            raise InvalidArgumentError(f"init: stationary play is one period's actions, got {s.t} periods")
        return self.game(1).layout.pack(s.data)

    # ------------------------------------------------------------ the planner
    def check_weights(self, weights) -> np.ndarray:
        """``weights`` as welfare weights (n non-negative numbers, not all 0; default all 1)."""
        if weights is None:
            return np.ones(self.n)
        w = as_player_vector(weights, "weights", self.n, nonnegative=True)
        if w.sum() <= 0:
            raise InvalidArgumentError(f"weights must not all be 0, got {weights!r}")
        return w

    def _belief_index(self, belief) -> int:
        if belief is None:
            return 0
        if isinstance(belief, bool) or not isinstance(belief, (int, np.integer)):
            raise InvalidTypeError(f"belief must be a player index (an integer), got {belief!r}")
        if not 0 <= belief < self.n:
            raise InvalidArgumentError(f"belief must be a player index in 0..{self.n - 1}, got {belief}")
        return int(belief)

    def planner_problem(self, t=1, weights=None, belief=None) -> PlannerProblem:
        r"""The numeric planner's problem :math:`\max_x \sum_i w_i U_i(x)` over ``t`` periods
        (``math.inf``: stationary play), evaluated with player ``belief``'s payoff function."""
        w = self.check_weights(weights)
        b = self._belief_index(belief)
        pf = self.state.belief_of(b)
        if is_infinite(t):
            check_stationary(self)
            model = StationaryModel(pf.compiled, self.gammas, self.end_on_win)
            return PlannerProblem(model, pf.param_vector(), pf.state_vector(), self.gammas, 1, False, w)
        t = self.check_horizon(t)
        gammas = self.gammas if self.gammas is not None else np.ones(self.n)
        return PlannerProblem(pf.compiled, pf.param_vector(), pf.state_vector(), gammas, t, self.end_on_win, w)

    def solve_planner(self, t=1, weights=None, belief=None, init=None, options=None) -> PlannerResult:
        r"""The planner's optimum: maximise :math:`W = \sum_i w_i U_i` over all players' actions jointly.

        Parameters
        ----------
        t : int or math.inf
            Number of periods; ``math.inf`` for stationary play over an infinite horizon.
        weights : array_like (n,), optional
            Non-negative welfare weights (default 1 for every player).
        belief : int, optional
            With heterogeneous beliefs, whose payoff function (0-based player index) the planner
            evaluates every player's objective with; default the first.
        init : SolverResult, Strategies or array (T, n, k), optional
            An extra start for the search (the Nash equilibrium is always one).
        options : SolverOptions or dict, optional

        Returns
        -------
        PlannerResult
            ``status`` ``"certified optimum"`` (``success=True``), ``"unattained supremum"``
            (welfare rises towards ``limit`` without attaining it) or ``"not converged"``.
        """
        options = SolverOptions.coerce(options)
        problem = self.planner_problem(t, weights, belief)
        starts = []
        with blas_threads(options.blas_threads):
            if init is not None:
                starts.append(self._stationary_start(init) if is_infinite(t) else self._init(init, t))
            else:
                starts.extend(self._nash_start(t, options))
            starts.append(problem.layout.pack(np.tile(np.array([1.0, 1.0, 0.05, 0.05, 0.0, 0.0])[: self.k],
                                                          (problem.T, self.n, 1))))
            out = solve_planner(problem, starts, options)
        if self._exchangeable(problem):
            out.x = _most_active_first(problem, out.x)
        result = self._planner_result(problem, out, t, self._belief_index(belief))
        if is_infinite(t):
            self._planner_bellman(problem, result, options)
        return result

    def _planner_bellman(self, problem: PlannerProblem, result: PlannerResult, options: SolverOptions) -> None:
        """Infinite horizon: with one discount factor for all, check the planner's Bellman equation
        (optimal among all plans); otherwise say the optimum is among stationary plans."""
        if not np.all(self.gammas == self.gammas[0]):
            result.notes.append("discount factors differ: the optimum is among stationary plans (a planner "
                                "with several discount factors may prefer plans that change over time)")
            return
        if not result.success:
            return
        x = problem.layout.pack(result.strategies.data)
        check = planner_bellman_check(problem.model, problem.chain.theta, problem.chain.y0, problem.weights, x,
                                      options)
        result.bellman = check
        if check.passed:
            result.notes.append("Bellman check passed: no plan, stationary or not, gives more welfare")
        else:
            result.success = False
            result.status = PlannerStatus.NOT_CONVERGED
            result.message = (f"{result.message}; the planner's Bellman check fails: a plan that changes over "
                              f"time gives {check.gains[0]:.3g} more welfare")

    def _exchangeable(self, problem: PlannerProblem) -> bool:
        """Whether permuting the players leaves the planner's problem unchanged."""
        gammas = self.gammas if self.gammas is not None else np.ones(self.n)
        return bool(self.state.common and self.state.beliefs[0].is_symmetric()
                    and np.all(gammas == gammas[0]) and np.all(problem.weights == problem.weights[0]))

    def _nash_start(self, t, options: SolverOptions) -> list[np.ndarray]:
        """A Nash first-order point as a start of the planner's search (not certified: a start only)."""
        if is_infinite(t):
            game, x0 = self.stationary_game(), self._default_start(1, options)
        else:
            game, x0 = self.game(t), self._default_start(t, options)
        out = solve_game(game, x0, options.with_(restarts=2), "auto", check_global=False)
        return [np.maximum(out.x, 0.0)] if out.x is not None and np.all(np.isfinite(out.x)) else []

    def _planner_result(self, problem: PlannerProblem, out, t, belief: int) -> PlannerResult:
        x = np.maximum(out.x, 0.0)
        lay = problem.layout
        strategies = Strategies(lay.unpack(x))
        Z = lay.periods(x)
        chain = problem.chain
        qty = {key: np.empty((problem.T, self.n)) for key in ("s", "p", "sigma", "q")}
        with np.errstate(all="ignore"):
            _, y, _, _ = chain.forward(Z)
            for tt in range(problem.T):
                vals = problem.model.quantities(Z[tt], y[tt], chain.theta)
                for key in qty:
                    qty[key][tt] = vals[key]
            payoffs = problem.utilities(x)
        return PlannerResult(
            optimum=Optimum(strategies.actions), strategies=strategies, success=out.success,
            status=out.status, message=out.message, payoffs=payoffs, s=qty["s"], p=qty["p"],
            sigma=qty["sigma"], q=qty["q"], kkt_residual=out.kkt_residual, iterations=out.iterations,
            method="planner", seconds=out.seconds, evaluations=problem.evaluations,
            backend=problem.model.backend, notes=list(out.notes), welfare=out.welfare,
            weights=problem.weights.copy(), limit=out.limit, search_best=out.search_best, belief=belief,
            horizon=t if is_infinite(t) else int(t), floors=list(out.floors))

    def welfare_gap(self, t=1, weights=None, belief=None, options=None) -> WelfareGap:
        r"""The Nash equilibrium and the planner's solution over ``t`` periods, with the measures
        people cite: price of anarchy, welfare difference, safety gap (probability that no
        disaster happens over the horizon), each player's payoff change
        (:class:`~dynapai_sym.game.welfare.WelfareGap`)."""
        options = SolverOptions.coerce(options)
        nash = self.solve(t, options=options)
        planner = self.solve_planner(t, weights, belief, init=nash, options=options)
        return self.gap_of(nash, planner)

    def gap_of(self, nash: SolverResult, planner: PlannerResult) -> WelfareGap:
        """The :class:`WelfareGap` of a Nash result and a planner result of this model."""
        t = planner.horizon
        problem = self.planner_problem(t, planner.weights, planner.belief)
        x_nash = nash.strategies.data.reshape(-1)
        U_nash = problem.utilities(x_nash)
        W_nash = float(problem.weights @ U_nash)
        W_plan = planner.limit if (planner.status == PlannerStatus.UNATTAINED and planner.limit is not None) \
            else planner.welfare
        poa = W_plan / W_nash if W_nash > 0 else float("nan")
        eow = self.end_on_win
        horizon = math.inf if is_infinite(t) else t
        safe_n = no_disaster_probability(nash.sigma, nash.q, eow, horizon)
        safe_p = no_disaster_probability(planner.sigma, planner.q, eow, horizon)
        return WelfareGap(nash, planner, planner.weights, W_nash, float(W_plan), float(poa),
                          float(W_plan - W_nash), safe_n, safe_p, safe_p - safe_n, planner.payoffs - U_nash)


def _most_active_first(problem: PlannerProblem, x: np.ndarray) -> np.ndarray:
    """With exchangeable players an optimum that treats them differently is one of several (its
    permutations); report the one with the players in decreasing order of their total inputs, so
    that neighbouring points of a sweep agree."""
    X = problem.layout.unpack(x)
    order = np.argsort(-X.sum(axis=(0, 2)), kind="stable")
    return problem.layout.pack(X[:, order, :])
