"""Solving the points of a scenario: one point (warm starts first), a chunk of points in order.

A point is warm-started from its nearest solved, certified neighbour: that equilibrium moved
by the implicit-function-theorem predictor (for methods where it applies), then the
equilibrium itself, then the ordinary start. A point whose solve raises becomes a
:class:`FailedPoint`; nothing a point does stops the sweep.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from ..game import Aggregator
from ..model import Strategies
from ..solvers import SolverOptions, SolverResult
from ..solvers.methods import get_method
from ..solvers.sensitivity import predict_equilibrium
from .points import resolve

__all__ = ["FailedPoint", "LOST", "portable", "solve_chunk", "solve_point", "warm_starts"]

#: The start recorded for a point whose chunk's future failed: it was never solved, is not
#: checkpointed, and a re-run with the same checkpoint solves it again.
LOST = "lost"


@dataclass
class FailedPoint:
    """Record of a scenario point whose solve raised an exception.

    It stands in the results list where a :class:`~dynapai_sym.solvers.SolverResult` would be,
    with the fields a table needs.

    Attributes
    ----------
    status : str
        ``"error: <ExceptionType>: <message>"``.
    message : str
        The formatted traceback.
    method : str
        The method that was requested.
    n, k, t : int
        Players, actions per player and periods of the point's game.
    seconds : float
        Time spent on the point.
    """

    status: str
    message: str
    method: str
    n: int
    k: int
    t: int
    seconds: float = 0.0
    success: bool = False
    kkt_residual: float = math.nan
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"FailedPoint(status={self.status!r}, method={self.method!r})"


def portable(agg: Aggregator) -> Aggregator:
    """A shallow copy without the built games, cheap to send to a worker process."""
    return agg.without_games()


def warm_starts(agg: Aggregator, t: int, method: str, warm: tuple[Aggregator, SolverResult]) -> list:
    """Starts taken from a solved neighbour: the IFT prediction (smooth models), then its equilibrium."""
    source_agg, source_res = warm
    starts: list = []
    if get_method(method).predictor:
        game = agg.game(t)
        if game.smooth:
            x_old = game.layout.pack(source_res.strategies.data)
            predicted = predict_equilibrium(source_agg.game(t), x_old, game)
            if predicted is not None:
                starts.append(Strategies(game.layout.unpack(predicted)))
    starts.append(source_res)
    return starts


def solve_point(agg: Aggregator, t: int, init, options: SolverOptions, method: str,
                 warm: tuple[Aggregator, SolverResult] | None):
    """Solve one point: warm starts first (if any), then the ordinary start. Never raises.

    ``warm`` is a solved, certified neighbour (its aggregator and result). Its equilibrium,
    moved by the implicit-function-theorem predictor
    (:func:`~dynapai_sym.solvers.sensitivity.predict_equilibrium`), is tried first, then the
    neighbour's equilibrium itself, then the ordinary start.
    """
    t0 = time.perf_counter()
    notes: list[str] = []
    warm_res = None
    if warm is not None:
        try:
            starts = warm_starts(agg, t, method, warm)
        except Exception as exc:  # recorded; the plain warm start follows
            notes.append(f"the IFT predictor raised {type(exc).__name__}: {exc}")
            starts = [warm[1]]
        for start in starts:
            try:
                warm_res = agg.solve(t, init=start, options=options, method=method)
            except Exception as exc:  # recorded, the next start follows
                notes.append(f"warm start raised {type(exc).__name__}: {exc}")
                continue
            if warm_res.success:
                warm_res.notes.extend(notes)
                return warm_res, "warm"
            notes.append(f"warm start ended with {warm_res.status!r}")
        notes.append("solved from the ordinary start")
    try:
        res = agg.solve(t, init=init, options=options, method=method)
    except Exception as exc:  # a failing point never aborts the sweep
        if warm_res is not None:
            warm_res.notes.extend(notes + [f"the ordinary start raised {type(exc).__name__}: {exc}"])
            return warm_res, "warm"
        failed = FailedPoint(status=f"error: {type(exc).__name__}: {exc}", message=traceback.format_exc(),
                             method=method, n=agg.n, k=agg.k, t=t, seconds=time.perf_counter() - t0,
                             notes=notes)
        return failed, "cold" if warm is None else "cold after warm"
    res.notes.extend(notes)
    return res, "cold" if warm is None else "cold after warm"


def solve_chunk(tasks, t: int, init, options: SolverOptions, method: str, warm_start: bool,
                 callback: Callable[[], None] | None = None):
    """Solve a chunk of points in order; ``tasks`` holds (index, aggregator or
    :class:`~.points.PointRef`, neighbour index)."""
    # nearest certified (aggregator, result) at or before each point
    source: dict[int, tuple[Aggregator, SolverResult] | None] = {}
    out = []
    for idx, ref, neighbour in tasks:
        agg = resolve(ref)
        warm = source.get(neighbour) if (warm_start and neighbour is not None) else None
        res, start = solve_point(agg, t, init, options, method, warm)
        source[idx] = (agg, res) if (isinstance(res, SolverResult) and res.success) else warm
        out.append((idx, res, start))
        if callback is not None:
            callback()
    return out
