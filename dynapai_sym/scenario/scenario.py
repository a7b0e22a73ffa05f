r"""Scenarios: families of games that differ in one or two parameters, solved together.

A :class:`Scenario` holds a list of :class:`~dynapai_sym.game.Aggregator`\ s of one
action type (as the dynapai engine's ``Scenario(aggs)``), or is built on a parameter grid
with :meth:`Scenario.from_params`. :meth:`Scenario.solve` solves every point and returns a
:class:`ScenarioResult`, which turns into a tidy pandas table (:meth:`ScenarioResult.to_dataframe`)
and plots (:func:`dynapai_sym.plotting.plot`).

Speed
-----
Every point of a grid shares one model structure, so the model is compiled once (the package
caches compiled models per structure); parameter values are call arguments. Each point is
warm-started from the nearest previously solved, certified point along the grid: first from
that equilibrium moved by the implicit-function-theorem predictor
:math:`x^* - J_x^{-1}\,[G(x^*, \theta_{new}) - G(x^*, \theta_{old})]`
(:func:`~dynapai_sym.solvers.sensitivity.predict_equilibrium`), then from the equilibrium itself, and
from the ordinary start if neither certifies. With ``n_jobs > 1`` the points are split into
contiguous chunks solved in worker processes (forked after the compile on Linux, joblib's
loky elsewhere); warm starts then run within each chunk.

A grid's points carry only their numbers until a point's own model is needed: the grid builds
the models along its axes and reads every other point's parameters from them
(:mod:`~dynapai_sym.scenario.points`), so a batched static sweep of 10,000 points builds 199
models. The cyclic garbage collector is paused while a scenario is built and solved
(:mod:`dynapai_sym._gc`).

Failures
--------
A point whose solve does not certify keeps its :class:`~dynapai_sym.solvers.SolverResult` with
its status; a point whose solve raises is recorded as a :class:`FailedPoint` with status
``"error: <exception>"``. Neither stops the sweep. Nor does a chunk of points whose future
fails on an executor (a lost worker): its points are :class:`FailedPoint`\ s with status
``"error: worker lost: ..."``, left out of the checkpoint so that a resumed run solves them.

Note that when a game has several equilibria, a warm start may find a different (equally
certified) one than a cold start would; pass ``warm_start=False`` to solve every point from
the same start.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from .._gc import paused_gc
from .._validation import as_float_array, as_positive_int, check_n
from ..components import CSF
from ..components.registry import forms, get_form
from ..errors import InvalidArgumentError, InvalidTypeError, PointsNotSolvedWarning
from ..game import Aggregator, PayoffFunc
from ..model import Actions, State, Strategies
from ..names import ACTION_COLUMNS, VARYING_PARAMS
from ..solvers import SolverOptions, SolverResult
from ..solvers.methods import get_method
from . import checkpoint as checkpoint_file
from .batched import solve_tasks
from .executors import (
    BACKENDS,
    dask_client,
    effective_jobs,
    import_joblib,
    pool_kind,
    solve_forked,
    solve_parallel,
    solve_with_executor,
)
from .planner import solve_planners
from .points import PointModels, grid_table
from .results import ScenarioResult
from .runs import LOST, FailedPoint
from .written import WrittenParts

__all__ = ["Scenario", "ScenarioResult", "FailedPoint", "VARYING_PARAMS"]

def _risks() -> tuple[str, ...]:
    """The risk forms a scenario builds by name: the registered ones that are not user-written."""
    return tuple(name for name, form in forms("risk").items() if not form.user_written)


# ----------------------------------------------------------------------------- helpers
def _as_range(name: str, value, n: int, source: str) -> np.ndarray:
    """A varying parameter's range as an (m, n) array: rows are points, columns players."""
    if value is None:
        raise InvalidArgumentError(f"{name} is the varying parameter: give its range as {name}=... or {source}=...")
    label = name if source == name else f"{source} (range of {name})"
    arr = as_float_array(value, label)
    if arr.ndim == 0:
        raise InvalidArgumentError(f"{label} is varying: it must be a 1-D range of values or a 2-D array "
                         f"(rows = points, one column per player), got the scalar {value!r}")
    if arr.ndim > 2:
        raise InvalidArgumentError(f"{label} must be 1-D or 2-D, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise InvalidArgumentError(f"{label} is empty: give at least one value")
    if arr.ndim == 1:
        return np.repeat(arr[:, None], n, axis=1)
    if arr.shape[1] != n:
        raise InvalidArgumentError(f"{label} has {arr.shape[1]} columns; give one per player ({n})")
    return arr


def _fixed_value(name: str, value, n: int):
    """A non-varying parameter: None, a per-player vector, or (d only) an n x n matrix."""
    if value is None:
        return None
    arr = as_float_array(value, name)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.ndim == 1:
        if arr.shape[0] != n:
            raise InvalidArgumentError(f"{name} must be a scalar or have one entry per player ({n}), "
                             f"got {arr.shape[0]} entries")
        return arr
    if name == "d" and arr.shape == (n, n):
        return arr
    raise InvalidArgumentError(f"{name} must be a scalar or a per-player vector of length {n}, got shape {arr.shape}")


def _check_method(method) -> str:
    return get_method(method).name


def _point_params(params: Mapping | None, aggregators: list[Aggregator]) -> tuple[list[dict], tuple[str, ...]]:
    """Normalise ``params`` (name -> one value per point) to per-point dicts of (n,) arrays."""
    count = len(aggregators)
    points: list[dict[str, np.ndarray]] = [{} for _ in range(count)]
    if params is None:
        return points, ()
    if not isinstance(params, Mapping):
        raise InvalidTypeError(f"params must be a mapping of parameter name to values per point, "
                        f"got {type(params).__name__}")
    names = []
    for name, values in params.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidArgumentError(f"params keys must be parameter names, got {name!r}")
        if name in ("point", "player", "period", "payoff", "success", "status", "kkt_residual", "method",
                    "seconds", "s", "p", "sigma", "q", *ACTION_COLUMNS):
            raise InvalidArgumentError(f"params key {name!r} clashes with a result column")
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
            raise InvalidTypeError(f"params[{name!r}] must be a sequence with one value per point")
        if len(values) != count:
            raise InvalidArgumentError(f"params[{name!r}] has {len(values)} values; the scenario has {count} points")
        for j, (value, agg) in enumerate(zip(values, aggregators)):
            arr = as_float_array(value, f"params[{name!r}][{j}]")
            if arr.ndim == 0:
                arr = np.full(agg.n, float(arr))
            elif arr.shape != (agg.n,):
                raise InvalidArgumentError(f"params[{name!r}][{j}] must be a scalar or one value per player ({agg.n}), "
                                 f"got shape {arr.shape}")
            points[j][name] = arr
        names.append(name)
    return points, tuple(names)


# ----------------------------------------------------------------------------- Scenario
class Scenario:
    """A family of games solved together.

    Parameters
    ----------
    aggregators : sequence of Aggregator
        The games, all of one action type (``Actions``, ``InvestActions`` or ``SharingActions``).
    params : mapping of str to sequence, optional
        Labels of the points: for each parameter name, one value per aggregator (a scalar or one
        value per player). They become columns of :meth:`ScenarioResult.to_dataframe` and the
        x axis of plots (the first name).
    t : int
        Default number of periods for :meth:`solve`.

    Raises
    ------
    TypeError
        If ``aggregators`` is not a sequence of Aggregator, or mixes action types.
    ValueError
        If it is empty, or ``params`` does not match it.

    See Also
    --------
    Scenario.from_params : a grid over one or two model parameters.
    """

    def __init__(self, aggregators: Sequence[Aggregator], params: Mapping | None = None, t: int = 1):
        if isinstance(aggregators, Aggregator) or not isinstance(aggregators, (Sequence, np.ndarray)) \
                or isinstance(aggregators, (str, bytes)):
            raise InvalidTypeError(f"aggregators must be a list of Aggregator, got {type(aggregators).__name__}")
        aggregators = list(aggregators)
        if not aggregators:
            raise InvalidArgumentError("aggregators must not be empty")
        for j, agg in enumerate(aggregators):
            if not isinstance(agg, Aggregator):
                raise InvalidTypeError(f"aggregators[{j}] must be an Aggregator, got {type(agg).__name__}")
        first = aggregators[0].action_type
        for j, agg in enumerate(aggregators[1:], start=1):
            if agg.action_type is not first:
                raise InvalidTypeError(f"all aggregators must have one action type: aggregators[0] takes "
                                f"{first.__name__}, aggregators[{j}] takes {agg.action_type.__name__}")
        #: the points' models (a grid's are built on first use: :class:`~.points.PointModels`)
        self.aggregators: Sequence[Aggregator] = aggregators
        self.points, self.varying = _point_params(params, aggregators)
        self.t = as_positive_int(t, "t (number of periods)")
        self.shape: tuple[int, ...] = (len(aggregators),)
        # warm-start neighbour of each point: the previous point when it has the same game shape
        self.neighbours: list[int | None] = [None] + [
            j - 1 if (aggregators[j - 1].n, aggregators[j - 1].k) == (agg.n, agg.k) else None
            for j, agg in enumerate(aggregators[1:], start=1)]

    @property
    def action_type(self) -> type[Actions]:
        """The action type shared by every point."""
        return self.aggregators[0].action_type

    def __len__(self) -> int:
        return len(self.aggregators)

    def __repr__(self) -> str:
        vary = ", ".join(self.varying) if self.varying else "none named"
        return (f"Scenario({len(self)} points of {self.action_type.__name__}, shape={self.shape}, "
                f"varying: {vary}, t={self.t})")

    # ------------------------------------------------------------------ grid form
    @classmethod
    @paused_gc()
    def from_params(
        cls,
        n: int = 2,
        a=10.0,
        alpha=0.5,
        b=10.0,
        beta=0.5,
        theta=0.5,
        d=1.0,
        r=0.1,
        r_inv=None,
        r_share=None,
        varying: str = "r",
        values=None,
        varying2: str | None = None,
        values2=None,
        t: int = 1,
        gammas=None,
        end_on_win: bool = False,
        csf: CSF | str | None = None,
        risk: str | Mapping = "winner_only",
        w=None,
        production: Mapping | None = None,
        disaster: Mapping | None = None,
        params: Mapping | None = None,
    ) -> Scenario:
        r"""A grid of games that differ in one or two parameters.

        The defaults are the README's model: A = B = 10, alpha = beta = theta = 0.5, d = 1,
        r = 0.1, winner-only risk, the Tullock contest. To sweep any other model (custom
        components included) use :meth:`from_payoff`.

        Every parameter is a scalar (same for all players) or a per-player vector, except the
        varying one(s), which take a range: a 1-D array (the same value for every player at each
        point) or a 2-D array (rows = points, one column per player). The range is given as the
        parameter's own value (``r=np.linspace(.01, .1, 20), varying="r"``) or as ``values``.

        Parameters
        ----------
        n : int
            Number of players (at least 2).
        a, alpha, b, beta : float or array_like
            Production: :math:`p_i = B_i x_{p,i}^{\beta_i}`, :math:`s_i = A_i x_{s,i}^{\alpha_i} p_i^{-\theta_i}`
            (``a`` is :math:`A`, ``b`` is :math:`B`).
        theta : float or array_like
            :math:`\theta_i`, the erosion of safety by performance.
        d : float or array_like
            Disaster cost :math:`d_i` (or, when not varying, an n x n matrix :math:`d_{ij}`).
        r, r_inv, r_share : float or array_like
            Unit prices of (x_s, x_p), of investment and of sharing. ``r_inv`` makes the actions
            ``InvestActions``; ``r_share`` (with ``r_inv``) makes them ``SharingActions``.
        varying : str
            The parameter that varies, one of :data:`VARYING_PARAMS`.
        values : array_like, optional
            Its range, if not given as the parameter's own value.
        varying2, values2 : optional
            A second varying parameter and its range: the scenario is the product grid.
        t : int
            Number of periods (default horizon of :meth:`solve`).
        gammas : float or array_like, optional
            Discount factors in (0, 1]; required for ``t > 1``.
        end_on_win : bool
            The game ends the first time someone wins (needs ``csf="maybe_no_win"`` for t > 1).
        csf : CSF or {"default", "maybe_no_win"}, optional
            Contest success function (default Tullock).
        risk : {"winner_only", "multiplicative", "additive"} or str
            Risk function: the name of a registered risk form that is not user-written
            (:func:`~dynapai_sym.components.registry.form_names` ``("risk")``); ``w`` are the
            weights of the forms that take them (``multiplicative``, ``additive``).
        w : float or array_like, optional
            Risk weights (only for a risk form that takes them).
        production, disaster : mapping, optional
            Components written as expressions (``docs/model_files.md``): ``{"s": ..., "p": ...}``
            and ``{"d": ...}``; ``risk`` may be ``{"sigma": ...}`` too. They may use ``A``, ``alpha``,
            ``B``, ``beta``, ``theta``, ``d``, ``r`` (the values above) and the names in ``params``.
        params : mapping, optional
            Values of the new parameters of those expressions (a number or one per player); each
            can be the varying parameter (``params={"k": np.linspace(1, 4, 7)}, varying="k"``).

        Returns
        -------
        Scenario
            Points ordered with the first varying parameter fastest; ``shape`` is ``(m1,)`` or
            ``(m1, m2)``.

        Raises
        ------
        ValueError
            Unknown varying name, empty range, lengths that do not match ``n``, or parameters no
            model accepts. The models along the grid's axes (every value of each varying
            parameter) are built here, before any solving; the others when first used, their
            numbers read from the axes (:mod:`dynapai_sym.scenario.points`).
        TypeError
            Non-numeric parameter values, or a ``csf`` of the wrong type.

        Examples
        --------
        >>> sc = Scenario.from_params(r=np.linspace(0.05, 0.1, 3), varying="r")
        >>> sc.shape
        (3,)
        """
        n = check_n(n, "n")
        t = as_positive_int(t, "t (number of periods)")
        given = dict(a=a, alpha=alpha, b=b, beta=beta, theta=theta, d=d, r=r, r_inv=r_inv, r_share=r_share,
                     w=w, gammas=gammas)
        if not isinstance(risk, Mapping) and (not isinstance(risk, str) or risk not in _risks()):
            raise InvalidArgumentError(f"risk must be one of {_risks()}, got {risk!r} "
                                       "(or a risk written as {'sigma': expression})")
        written = WrittenParts(risk, production, disaster, params)
        given |= written.params
        csf = _coerce_csf(csf)
        if not isinstance(end_on_win, (bool, np.bool_)):
            raise InvalidTypeError(f"end_on_win must be True or False, got {end_on_win!r}")

        for arg, name in (("varying", varying), ("varying2", varying2)):
            if name is None and arg == "varying2":
                if values2 is not None:
                    raise InvalidArgumentError("values2 is given but varying2 is not")
                continue
            if not isinstance(name, str) or (name not in VARYING_PARAMS and name not in written.names):
                raise InvalidArgumentError(f"{arg} must be one of {VARYING_PARAMS + written.names}, got {name!r}")
        if varying2 is not None and varying2 == varying:
            raise InvalidArgumentError(f"varying2 must differ from varying (both are {varying!r})")
        axes: list[tuple[str, np.ndarray]] = []
        for name, vals, source in ((varying, values, "values"), (varying2, values2, "values2")):
            if name is None:
                continue
            if vals is not None and given[name] is not None and np.ndim(given[name]) >= 1:
                raise InvalidArgumentError(f"the range of {name} is given twice: as {name}= and as {source}=; give one")
            rng = _as_range(name, given[name] if vals is None else vals, n, source if vals is not None else name)
            axes.append((name, rng))
        names = tuple(name for name, _ in axes)
        if "w" in names and (isinstance(risk, Mapping) or not get_form("risk", risk, "risk").takes_weights):
            weighted = " or ".join(f"risk={name!r}" for name in _risks() if forms("risk")[name].takes_weights)
            raise InvalidArgumentError(f"w (risk weights) can only vary with {weighted}")
        if "r_share" in names and given["r_inv"] is None:
            raise InvalidArgumentError("varying r_share needs r_inv (sharing actions include investment)")
        if "gammas" not in names and t > 1 and gammas is None:
            raise InvalidArgumentError("gammas (one discount factor per player) are required for t > 1")

        fixed = {name: _fixed_value(name, value, n) for name, value in given.items() if name not in names}
        def build(point: dict) -> Aggregator:
            return _build_aggregator(fixed | point, t, end_on_win, csf, risk, written)

        return cls._on_grid(axes, build, t, lambda point: point)

    @classmethod
    @paused_gc()
    def from_payoff(cls, model, *, t: int | None = None, end_on_win: bool | None = None, **ranges) -> Scenario:
        r"""A grid over one or two parameters of any model, custom components included.

        Parameters
        ----------
        model : PayoffFunc or Aggregator
            The model at the centre of the sweep; every point is this model with the varying
            parameter(s) changed (:meth:`PayoffFunc.with_values`). For several periods give an
            Aggregator (it holds the discount factors).
        t : int, optional
            Number of periods (default 1).
        end_on_win : bool, optional
            Whether the game ends the first time someone wins (default: the Aggregator's, or False).
        **ranges : array_like
            One or two ranges, by parameter name: a group moving every player's value
            (``r``, ``theta``, ``a``, ``d``, ...), one symbol's name (``r1``, ``kappa``, a
            custom component's parameter), or ``gammas``. A 1-D range gives each point one
            value (every player's, for a group); a 2-D range has one row per point and one
            column per player. The first range is the x axis (it varies fastest).

        Returns
        -------
        Scenario

        Raises
        ------
        ValueError
            If no range or more than two are given, or a name is not a parameter of the model.
        TypeError
            If ``model`` is not a PayoffFunc or an Aggregator, or a range is not numeric.

        Examples
        --------
        >>> from dynapai_sym import models
        >>> sc = Scenario.from_payoff(models.readme_payoff(), r=[0.05, 0.1], theta=[0.25, 0.5, 0.75])
        >>> sc.shape, sc.varying
        ((2, 3), ('r', 'theta'))
        """
        gammas = None
        if isinstance(model, Aggregator):
            state, gammas = model.state, model.gammas
            end_on_win = model.end_on_win if end_on_win is None else end_on_win
        elif isinstance(model, PayoffFunc):
            state = None
            end_on_win = False if end_on_win is None else end_on_win
        else:
            raise InvalidTypeError(f"model must be a PayoffFunc or an Aggregator, got {type(model).__name__}")
        beliefs = list(state.beliefs) if state is not None else [model]
        n = beliefs[0].n
        if t is None:
            t = 1
        t = as_positive_int(t, "t (number of periods)")
        if not 1 <= len(ranges) <= 2:
            raise InvalidArgumentError(f"give one or two ranges (e.g. r=np.linspace(0.05, 0.15, 11)), got "
                                       f"{len(ranges)}")
        axes: list[tuple[str, np.ndarray]] = []
        for name, value in ranges.items():
            size = n if name == "gammas" else len(beliefs[0].parameter_symbols(name))
            arr = as_float_array(value, name)
            if arr.ndim == 0:
                raise InvalidArgumentError(f"{name} is varying: give a 1-D range of values or a 2-D array "
                                           f"(rows = points, one column per player), got the scalar {value!r}")
            if arr.ndim == 1:
                arr = np.repeat(arr[:, None], size, axis=1)
            if arr.ndim != 2 or arr.shape[1] != size or arr.shape[0] == 0:
                raise InvalidArgumentError(f"{name} must be a non-empty 1-D range or a 2-D array with {size} "
                                           f"column(s), got shape {arr.shape}")
            axes.append((name, arr))
        if "gammas" not in ranges and t > 1 and gammas is None:
            raise InvalidArgumentError("several periods need discount factors: give an Aggregator "
                                       "(Aggregator(payoff_func, gammas=...)) or a range of gammas")
        def build(point: dict) -> Aggregator:
            values = {name: v for name, v in point.items() if name != "gammas"}
            moved = [b.with_values(**values) for b in beliefs]
            new_state = State.common_beliefs(moved[0]) if state is None or state.common else State.het_beliefs(moved)
            return Aggregator(new_state, point.get("gammas", gammas), end_on_win)

        def label(point: dict) -> dict:
            return {name: (np.full(n, v[0]) if len(v) != n else np.asarray(v, dtype=float))
                    for name, v in point.items()}

        return cls._on_grid(axes, build, t, label)

    @classmethod
    def _on_grid(cls, axes: list, build, t: int, label) -> Scenario:
        """The scenario on the grid of ``axes`` ((name, (m, ...) range) each, first fastest):
        ``build(point)`` makes the model of a point (a dict of name -> value), ``label(point)`` its
        table entry. The points along the axes are built now, each checked by its model; the
        others when first used, their numbers read from the axes (:mod:`.points`), or now when
        that cannot be done."""
        m1 = axes[0][1].shape[0]
        m2 = axes[1][1].shape[0] if len(axes) == 2 else 1

        def point_of(flat: int) -> dict:
            point = {axes[0][0]: axes[0][1][flat % m1]}
            if len(axes) == 2:
                point[axes[1][0]] = axes[1][1][flat // m1]
            return point

        def build_point(flat: int) -> Aggregator:
            point = point_of(flat)
            try:
                return build(point)
            except (TypeError, ValueError) as exc:
                desc = ", ".join(f"{k}={_short(v)}" for k, v in point.items())
                raise type(exc)(f"grid point {flat} ({desc}): {exc}") from exc

        axis_points = sorted({*range(m1), *(j * m1 for j in range(m2))})
        built = {flat: build_point(flat) for flat in axis_points}
        table = grid_table(built, m1, m2) if m1 * m2 > 1 else None
        if table is None:  # every point's numbers need its own model
            built |= {flat: build_point(flat) for flat in range(m1 * m2) if flat not in built}
        out = cls.__new__(cls)
        out.aggregators = PointModels(m1 * m2, build_point, built, table)
        out.t = as_positive_int(t, "t (number of periods)")
        out.points = [label(point_of(flat)) for flat in range(m1 * m2)]
        out.varying = tuple(name for name, _ in axes)
        out.shape = (m1,) if len(axes) == 1 else (m1, m2)
        out.neighbours = [grid_neighbour(flat % m1, flat // m1, m1) for flat in range(m1 * m2)]
        return out

    def _models_built(self) -> list[tuple[int, Aggregator]]:
        """(index, model) of the points built so far: on a grid, those along its axes (every
        value of each parameter, checked by its model) and any used since; else every point."""
        models = self.aggregators
        if isinstance(models, PointModels):
            return sorted(models.built().items())
        return list(enumerate(models))

    # ------------------------------------------------------------------ solving
    @paused_gc()  # a sweep's many small objects would trigger full collections (see dynapai_sym._gc)
    def solve(self, t: int | None = None, n_jobs: int = 1, progress: bool = False, init=None, options=None,
              method: str = "auto", warm_start: bool = True, backend: str | None = None, executor=None,
              checkpoint=None, batch: bool = True, planner: bool = False, weights=None) -> ScenarioResult:
        """Solve every point.

        Parameters
        ----------
        t : int, optional
            Number of periods (default: the scenario's ``t``, 1 unless given to :meth:`from_params`).
        n_jobs : int
            Local worker processes; ``-1`` means one per CPU. See ``backend`` for which kind.
        progress : bool
            Show a progress bar (``tqdm.auto``).
        init : Strategies, array (T, n, k), Actions or SolverResult, optional
            Starting profile of points solved without a warm start (default: the solver's own).
        options : SolverOptions or dict, optional
            Solver options for every point.
        method : {"auto", "kkt", "best_response", "best_response_nm", "mixed"}
        warm_start : bool
            Start each point from the nearest solved, certified point along the grid (and from
            the ordinary start if that does not certify).
        backend : {None, "processes", "joblib", "dask"}
            ``None``: with ``n_jobs > 1``, ``"processes"`` on Linux and ``"joblib"`` elsewhere.
            ``"processes"``: a ``concurrent.futures.ProcessPoolExecutor`` whose workers are forked
            (on Linux) after the model is compiled, so they start in milliseconds with the compiled
            functions in memory. ``"joblib"``: joblib's loky workers (each imports the package and
            compiles once; needs ``pip install "dynapai_sym[parallel]"``). ``"dask"`` runs chunks
            of points on the current ``dask.distributed`` client (start one with
            ``Client(LocalCluster(...))`` or ``Client("scheduler-address")``).
        executor : concurrent.futures.Executor or dask.distributed.Client, optional
            Runs chunks of points with ``executor.submit``; overrides ``n_jobs``/``backend``.
            When a Dask worker dies, the scheduler runs its chunks again on the other workers;
            a chunk whose future fails all the same (``KilledWorker`` once more than
            ``distributed.scheduler.allowed-failures`` workers died running it, a broken process
            pool, a cancelled future) does not stop the sweep: each of its points is recorded as a
            :class:`FailedPoint` with status ``"error: worker lost: ..."`` (or
            ``"error: chunk failed: ..."``, ``"error: chunk cancelled: ..."``) and start
            ``"lost"``, and a ``RuntimeWarning`` says how many.
        checkpoint : path, optional
            File where finished points are saved as each chunk completes; a re-run with the same
            file resumes without recomputing them. Points of lost chunks are not saved, so the
            re-run solves exactly those (points whose own solve raised count as finished).
        batch : bool
            Solve a static sweep (``t == 1``, one model structure, ``method`` ``"auto"`` or
            ``"kkt"`` on smooth models) in batches (:mod:`dynapai_sym.scenario.batched`): the
            points whose warm-start neighbour is settled are solved together, one compiled call
            and one stacked linear solve per Newton step for all of them, each converged point
            certified as usual and the rest solved point by point. Same results as
            ``batch=False`` (same starts, iterates and certificates), several times faster.
            Sequential solves batch all points (with a checkpoint, per chunk of 16 points);
            worker processes and executors batch each chunk, with one large chunk per worker.
        planner : bool
            Also solve the planner's problem at every point (from its equilibrium) and add the
            planner's columns and the welfare-gap measures to the table
            (:mod:`dynapai_sym.scenario.planner`). Solved in this process, after the equilibria.
        weights : array_like (n,), optional
            Welfare weights of the planner (default 1 for every player).

        Returns
        -------
        ScenarioResult
            One result per point; failures are recorded, never raised.

        Warns
        -----
        RuntimeWarning
            Some chunks' futures failed, so their points were not solved.

        Raises
        ------
        ValueError, TypeError
            Bad arguments (checked for every point before any solving).
        ImportError
            ``backend="joblib"`` (or ``None`` off Linux) with ``n_jobs > 1`` and joblib not installed.
        """
        t = self.t if t is None else as_positive_int(t, "t (number of periods)")
        jobs = effective_jobs(n_jobs)
        options = SolverOptions.coerce(options)
        method = _check_method(method)
        if not isinstance(progress, (bool, np.bool_)):
            raise InvalidTypeError(f"progress must be True or False, got {progress!r}")
        if not isinstance(warm_start, (bool, np.bool_)):
            raise InvalidTypeError(f"warm_start must be True or False, got {warm_start!r}")
        if not isinstance(batch, (bool, np.bool_)):
            raise InvalidTypeError(f"batch must be True or False, got {batch!r}")
        if not isinstance(planner, (bool, np.bool_)):
            raise InvalidTypeError(f"planner must be True or False, got {planner!r}")
        if planner and weights is not None:
            self.aggregators[0].check_weights(weights)  # a bad weights argument fails before any solving
        for j, agg in self._models_built():
            try:
                agg.check_horizon(t)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"point {j}: {exc}") from exc
        _check_init(init, self._models_built(), t)

        count = len(self.aggregators)
        if backend not in BACKENDS:
            raise InvalidArgumentError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if executor is None and backend == "dask":
            executor = dask_client()
        parallel = executor is None and jobs > 1 and count > 1
        pool = None
        if parallel:
            pool = pool_kind(backend)
            if pool == "joblib":
                import_joblib()
        fingerprint = checkpoint_file.fingerprint(self.aggregators, t, method) if checkpoint is not None else ""
        done = checkpoint_file.load(checkpoint, count, fingerprint)
        models = self.aggregators
        refs = models.ref if isinstance(models, PointModels) else models.__getitem__
        tasks = [(j, refs(j), self.neighbours[j]) for j in range(count) if j not in done]
        results: list = [None] * count
        starts: list[str] = [""] * count
        for idx, (res, start) in done.items():
            results[idx], starts[idx] = res, start
        t0 = time.perf_counter()
        with _progress_bar(count, len(done), bool(progress)) as bar:
            if executor is not None:
                chunks_out = solve_with_executor(executor, tasks, t, init, options, method, bool(warm_start), bar,
                                                 batch=bool(batch))
            elif pool == "processes":
                chunks_out = solve_forked(tasks, jobs, t, init, options, method, bool(warm_start), bar, bool(batch))
            elif parallel:
                chunks_out = solve_parallel(tasks, jobs, t, init, options, method, bool(warm_start), bar, bool(batch))
            elif checkpoint is not None:  # chunks, so that finished points are saved as they come
                chunks_out = (_sequential(tasks[lo:lo + 16], t, init, options, method, bool(warm_start), bar,
                                          bool(batch)) for lo in range(0, len(tasks), 16))
            else:
                chunks_out = [_sequential(tasks, t, init, options, method, bool(warm_start), bar, bool(batch))]
            lost: list[int] = []
            try:
                for out in chunks_out:
                    for idx, res, start in out:
                        results[idx] = res
                        starts[idx] = start
                        if start == LOST:  # never solved: kept out of the checkpoint, so a re-run retries it
                            lost.append(idx)
                        else:
                            done[idx] = (res, start)
                    if any(start != LOST for _, _, start in out):
                        checkpoint_file.save(checkpoint, done, count, fingerprint)
            finally:  # on an interrupt, stop now the chunks still pending on an executor or in joblib
                if hasattr(chunks_out, "close"):
                    chunks_out.close()
        if lost:
            resume = (f"The checkpoint {str(checkpoint)!r} holds the {len(done)} finished points; the same call "
                      "again solves only the missing ones." if checkpoint is not None
                      else "Pass checkpoint=path to keep finished points across re-runs.")
            warnings.warn(f"{len(lost)} of {count} points were not solved because their chunk's future failed "
                          f"({results[lost[0]].status}); they are recorded as FailedPoint. {resume}",
                          PointsNotSolvedWarning, stacklevel=2)
        planners = gaps = None
        if planner:
            planners, gaps = solve_planners(self.aggregators, results, t, weights, options)
        seconds = time.perf_counter() - t0
        return ScenarioResult(results=results, points=[dict(p) for p in self.points], varying=self.varying,
                              aggregators=self.aggregators, planners=planners, gaps=gaps,
                              t=t, shape=self.shape, starts=starts, seconds=seconds)


#: grid steps between a point and the neighbour it is warm-started from (see :func:`grid_neighbour`)
NEIGHBOUR_STRIDE = 2


def _chain_step(i: int) -> int:
    """The earlier index a point at position ``i`` (> 0) of an axis is warm-started from: ``i - 2``
    from the third point on, else the first point."""
    return i - NEIGHBOUR_STRIDE if i >= NEIGHBOUR_STRIDE else 0


def grid_neighbour(i: int, j: int, m1: int) -> int | None:
    r"""The flat index of the point that grid point ``(i, j)`` (first axis fastest, ``m1`` values
    along it) is warm-started from; None for the first point.

    Along the first axis the point :data:`NEIGHBOUR_STRIDE` steps back, the first column
    chained along the second axis the same way. Two interleaved chains per axis, not one: a
    point's neighbour is settled after about :math:`(m_1 + m_2) / 2` waves of the batched solver
    instead of :math:`m_1 + m_2` (each wave solves its points together), while the implicit-function
    predictor still starts every point from two grid steps away. Every neighbour has a smaller
    flat index, so solving in order settles it first.
    """
    if i > 0:
        return j * m1 + _chain_step(i)
    if j > 0:
        return _chain_step(j) * m1
    return None


def _sequential(tasks, t: int, init, options, method: str, warm_start: bool, bar, batch: bool) -> list:
    """Solve a chunk of points here: batched where it can be, else point by point."""
    return solve_tasks(tasks, t, init, options, method, warm_start, bar.update, batch)


class _NoBar:
    """A progress bar that shows nothing (without importing tqdm: about 50 ms on a first sweep)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, count: int = 1) -> None:
        return None


def _progress_bar(total: int, initial: int, show: bool):
    """``tqdm.auto`` over the points when ``show``, else a bar that shows nothing."""
    if not show:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="scenario", unit="point")


def _check_init(init, aggregators: list[tuple[int, Aggregator]], t: int) -> None:
    if init is None:
        return
    if isinstance(init, SolverResult):
        init = init.strategies
    if isinstance(init, Actions):
        n, k = init.n, init.data.shape[1]
        T = t
    else:
        if not isinstance(init, Strategies):
            try:
                init = Strategies(init)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"init: {exc}") from exc
        T, n, k = init.data.shape
    if T != t:
        raise InvalidArgumentError(f"init has {T} periods; solving for t={t}")
    for j, agg in aggregators:
        if (n, k) != (agg.n, agg.k):
            raise InvalidArgumentError(f"init is for n={n} players with k={k} actions; "
                                       f"point {j} has n={agg.n}, k={agg.k}")


def _coerce_csf(csf) -> CSF:
    if csf is None:
        return CSF.default()
    if isinstance(csf, CSF):
        return csf
    if isinstance(csf, str):
        built_in = tuple(name for name, form in forms("contest").items() if not form.user_written)
        if csf not in built_in:
            raise InvalidArgumentError(f"csf must be a CSF or one of {built_in}, got {csf!r}")
        return CSF(csf, scale=1.0 if get_form("contest", csf, "csf").takes_scale else None)
    raise InvalidTypeError(f"csf must be a CSF or a string, got {type(csf).__name__}")


def _build_aggregator(vals: dict, t: int, end_on_win: bool, csf: CSF, risk, written: WrittenParts) -> Aggregator:
    prod, risk_func, disaster = written.components(vals, risk)
    pf = PayoffFunc(prod_func=prod, risk_func=risk_func, d=disaster, csf=csf, r=vals["r"],
                    r_inv=vals["r_inv"], r_share=vals["r_share"])
    agg = Aggregator(pf, gammas=vals["gammas"], end_on_win=end_on_win)
    agg.check_horizon(t)
    return agg


def _short(value) -> str:
    arr = np.asarray(value)
    if arr.ndim == 1 and np.all(arr == arr[0]):
        return f"{float(arr[0]):g}"
    return np.array2string(arr, precision=4)
