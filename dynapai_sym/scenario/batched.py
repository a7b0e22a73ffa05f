r"""Batched solving of static sweeps: many points of one structure in each compiled call.

A static sweep (:math:`T = 1`) over parameter values of one model structure is solved in
*waves* along the grid's warm-start chain: a wave holds every point whose neighbour (the
point it is warm-started from, :attr:`Scenario.neighbours`) is already settled. For a wave:

1. the starts: the neighbour's certified equilibrium moved by the implicit-function predictor
   (:func:`~dynapai_sym.solvers.batch.predict_equilibria`, the batched
   :func:`~dynapai_sym.solvers.sensitivity.predict_equilibrium`), or the ordinary start for a
   point without a certified neighbour (or with ``warm_start=False``), exactly the first start
   the point-by-point path (:func:`~dynapai_sym.scenario.runs.solve_point`) takes;
2. one batched semismooth Newton (:func:`~dynapai_sym.solvers.batch.solve_kkt_batch`): the
   iterates of :func:`~dynapai_sym.solvers.kkt.solve_kkt` from those starts;
3. each converged point certified as :func:`~dynapai_sym.solvers.nash.solve_game` certifies
   its first start (:func:`~dynapai_sym.solvers.batch.certified_outcomes`: the certificates of
   :func:`~dynapai_sym.solvers.certify.certify`, with the candidate deviations of all points of
   the wave evaluated in shared compiled calls);
4. every other point (handed over by the batched Newton, not certified, a player near an
   exit) solved by :func:`~dynapai_sym.scenario.runs.solve_point`, the point-by-point path,
   with the same neighbour.

So each point gets the result the point-by-point sweep gives it: the same starts in the same
order, the same Newton iterates and the same certificate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .._gc import paused_gc
from .._threads import blas_threads
from ..game import Aggregator
from ..numeric import StaticBatch
from ..solvers import SolverOptions, SolverResult
from ..solvers.batch import certified_outcomes, predict_equilibria, solve_kkt_batch
from ..solvers.methods import get_method
from ..solvers.nash import PURE_METHODS
from .points import PointGames, resolve, table_rows
from .runs import solve_chunk, solve_point

__all__ = ["batchable", "solve_batched", "solve_tasks"]

#: Newton steps per point in the batched run; a point still running is solved point by point
BATCH_ITERS = 50


def batchable(tasks, t: int, method: str) -> bool:
    """Whether :func:`solve_batched` applies to ``tasks`` ((index, aggregator, neighbour) each).

    Static (``t == 1``), a pure-strategy KKT method whose registry entry has the predictor
    (``"auto"`` or ``"kkt"``), smooth games, one structure (:meth:`StaticBatch.compatible`), and
    aggregators whose ``solve`` is :meth:`Aggregator.solve` itself (marked ``batch_equivalent``).
    """
    if t != 1 or len(tasks) < 2 or method not in PURE_METHODS or not get_method(method).predictor:
        return False
    table = table_rows(tasks)
    if table is not None:  # points of one grid read from its table: its first point speaks for all
        template = table[0].table.template
        return getattr(type(template).solve, "batch_equivalent", False) and template.game(t).smooth
    aggs = [resolve(ref) for _, ref, _ in tasks]
    # an aggregator whose solve was changed (a subclass, a patch) is solved through its own solve
    if not all(getattr(type(agg).solve, "batch_equivalent", False) for agg in aggs):
        return False
    games = [agg.game(t) for agg in aggs]
    return all(g.smooth for g in games) and StaticBatch.compatible(games)


def solve_tasks(tasks, t: int, init, options: SolverOptions, method: str, warm_start: bool,
                callback: Callable[[int], None] | None = None, batch: bool = True) -> list:
    """Solve a chunk of points (here or in a worker): batched where :func:`batchable` (and
    ``batch``), else point by point (:func:`~dynapai_sym.scenario.runs.solve_chunk`); the same
    output either way. ``callback(count)`` is called as points finish. The cyclic garbage
    collector is paused meanwhile (:func:`~dynapai_sym._gc.paused_gc`)."""
    with paused_gc():
        if batch and batchable(tasks, t, method):
            return solve_batched(tasks, t, init, options, method, warm_start, callback)
        step = None if callback is None else (lambda: callback(1))
        return solve_chunk(tasks, t, init, options, method, warm_start, step)


def solve_batched(tasks, t: int, init, options: SolverOptions, method: str, warm_start: bool,
                  callback: Callable[[int], None] | None = None) -> list:
    """Solve ``tasks`` (index, aggregator, neighbour index) in waves (see module docstring).

    Returns what :func:`~dynapai_sym.scenario.runs.solve_chunk` returns for the same tasks:
    ``(index, result, start)`` per point, in task order. ``callback(count)`` is called as
    points finish.
    """
    batch, template = _batch_of(tasks, t)
    pos = {idx: b for b, (idx, _, _) in enumerate(tasks)}
    # the nearest certified (aggregator or reference, result, x, position) at or before each settled point
    source: dict[int, tuple | None] = {}
    results: dict[int, tuple] = {}
    with blas_threads(options.blas_threads):
        for wave in _waves(tasks, pos, warm_start):
            _solve_wave(batch, template, tasks, wave, source, results, t, init, options, method, warm_start)
            if callback is not None:
                callback(len(wave))
    return [(idx, *results[idx]) for idx, _, _ in tasks]


def _batch_of(tasks, t: int) -> tuple[StaticBatch, Aggregator | None]:
    """The tasks' points as one :class:`StaticBatch`, and the grid's first point when their numbers
    come from its table (:mod:`.points`: no point's own model is built) or None."""
    table = table_rows(tasks)
    if table is None:
        return StaticBatch([resolve(ref).game(t) for _, ref, _ in tasks]), None
    models, rows = table
    tb = models.table
    batch = StaticBatch.from_table(tb.template.game(t), tb.theta[rows], tb.y0[rows], tb.symmetric[rows],
                                   PointGames(models, rows, t))
    return batch, tb.template


def _waves(tasks, pos: dict, warm_start: bool) -> list[list[int]]:
    """The tasks' positions grouped in waves: a point joins the wave after its neighbour's (the
    first wave when it has none among the tasks, or without warm starts); in order within a wave."""
    depth: list[int | None] = [None] * len(tasks)
    for b in range(len(tasks)):
        chain = []
        c = b
        while depth[c] is None:
            nb = tasks[c][2]
            if (not warm_start) or nb is None or nb not in pos:
                depth[c] = 0
                break
            chain.append(c)
            c = pos[nb]
            if len(chain) > len(tasks):
                raise ValueError("the warm-start neighbours of a sweep form a cycle")
        for c2 in reversed(chain):
            depth[c2] = depth[pos[tasks[c2][2]]] + 1
    waves: list[list[int]] = [[] for _ in range(max(depth, default=-1) + 1)]
    for b, d in enumerate(depth):
        waves[d].append(b)
    return waves


def _solve_wave(batch: StaticBatch, template: Aggregator | None, tasks, wave: list, source: dict, results: dict,
                t: int, init, options: SolverOptions, method: str, warm_start: bool) -> None:
    t0 = time.perf_counter()
    warm = [source.get(tasks[b][2]) if (warm_start and tasks[b][2] is not None) else None for b in wave]
    try:
        outcomes = _wave_outcomes(batch, template, tasks, wave, warm, t, init, options)
    except Exception:  # noqa: BLE001 - the wave goes point by point, where a failing point is recorded
        outcomes = [None] * len(wave)
    done = [j for j, out in enumerate(outcomes) if out is not None]
    qty = None
    if done:
        try:
            qty = batch.quantities(np.stack([outcomes[j].x for j in done]), np.asarray(wave)[done])
        except Exception:  # noqa: BLE001 - each result then evaluates its own quantities
            qty = None
    row = {j: r for r, j in enumerate(done)}
    share = (time.perf_counter() - t0) / len(wave)
    games = batch.games
    for j, b in enumerate(wave):
        idx, ref, _ = tasks[b]
        res = None
        out = outcomes[j]
        if out is not None:
            out.seconds = share
            # the batch's payoff evaluations of the point, and those of its own game if it has one
            own = games.evaluations(b) if isinstance(games, PointGames) else games[b].evaluations
            # a grid's first point builds the result when the quantities come from the batch; else
            # the point's own model evaluates them
            owner = template if (template is not None and qty is not None) else resolve(ref)
            try:
                res = owner.result_of(t, out, None if qty is None else {key: v[row[j]] for key, v in qty.items()},
                                      evaluations=own + int(batch.evaluations[b]))
                start = "cold" if warm[j] is None else "warm"
            except Exception:  # noqa: BLE001 - solved again point by point, which records the failure
                res = None
        if res is None:  # the point-by-point path, from the same neighbour
            w = None if warm[j] is None else (resolve(warm[j][0]), warm[j][1])
            res, start = solve_point(resolve(ref), t, init, options, method, w)
        results[idx] = (res, start)
        if isinstance(res, SolverResult) and res.success:
            source[idx] = (ref, res, np.array(res.strategies.data, dtype=float).reshape(-1), b)  # the layout's pack
        else:
            source[idx] = warm[j]


def _wave_outcomes(batch: StaticBatch, template: Aggregator | None, tasks, wave: list, warm: list, t: int, init,
                   options: SolverOptions) -> list:
    """The certified outcome of each point of the wave from its first start, or None (batched)."""
    X0 = np.empty((len(wave), batch.N))
    cold = [j for j, w in enumerate(warm) if w is None]
    for j in cold:  # a one-period start does not depend on the point's numbers: a grid's first point gives it
        X0[j] = (template if template is not None else resolve(tasks[wave[j]][1]))._init(init, t, options)
    hot = [j for j, w in enumerate(warm) if w is not None]
    if hot:
        X_old = np.stack([warm[j][2] for j in hot])
        old = np.array([warm[j][3] for j in hot])
        new = np.array([wave[j] for j in hot])
        X_pred, ok = predict_equilibria(batch, X_old, old, new)
        # no usable prediction: the point-by-point path starts from the neighbour's equilibrium
        X0[hot] = np.where(ok[:, None], X_pred, X_old)
    outcomes: list = [None] * len(wave)
    run = solve_kkt_batch(_Sub(batch, wave), X0, tol=options.tol, max_iter=min(BATCH_ITERS, options.iters))
    conv = np.flatnonzero(run.converged)
    if conv.size:
        certified = certified_outcomes(batch, run.x[conv], np.asarray(wave)[conv], run.iterations[conv], options)
        for j, out in zip(conv, certified):
            outcomes[j] = out
    return outcomes


class _Sub:
    """The points ``rows`` of a :class:`StaticBatch`, as a batch of their own (indices relative)."""

    def __init__(self, batch: StaticBatch, rows: list):
        self.batch = batch
        self.rows = np.asarray(rows, dtype=int)
        self.P, self.N = len(rows), batch.N
        self.lower, self.upper = batch.lower, batch.upper

    def kkt_jacobian(self, X, idx=None):
        return self.batch.kkt_jacobian(X, self.rows if idx is None else self.rows[idx])

    def kkt_function(self, X, idx=None):
        return self.batch.kkt_function(X, self.rows if idx is None else self.rows[idx])

    def kkt_residual(self, X, G):
        return self.batch.kkt_residual(X, G)

    def singular_corners(self, X, G, JG=None):
        return self.batch.singular_corners(X, G, JG)
