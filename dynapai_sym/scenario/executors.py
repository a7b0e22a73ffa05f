"""Where the points of a scenario are solved: worker processes, joblib, a concurrent.futures
executor or a Dask cluster, in chunks of consecutive points (one warm-start chain each).

A chunk whose future fails (a lost worker, a cancelled future) yields failed points
with the start :data:`~dynapai_sym.scenario.runs.LOST` instead of stopping the sweep.
"""

from __future__ import annotations

import numbers
import os
import traceback

import numpy as np

from ..errors import InvalidArgumentError, InvalidTypeError
from ..game import Aggregator
from ..solvers import SolverOptions
from .points import PointRef, resolve
from .runs import LOST, FailedPoint, portable
from .transport import solve_packed, unpacked

__all__ = ["BACKENDS", "dask_client", "effective_jobs", "import_joblib", "pool_kind", "solve_forked",
           "solve_parallel", "solve_with_executor"]


def effective_jobs(n_jobs) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise InvalidTypeError(f"n_jobs must be an integer, got {n_jobs!r}")
    if n_jobs == 0:
        raise InvalidArgumentError("n_jobs must be positive, or negative to count back from the number of CPUs "
                                   "(-1 = all)")
    if n_jobs > 0:
        return int(n_jobs)
    return max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))


def dask_client():
    try:
        from distributed import get_client
    except ImportError as exc:
        raise ImportError('backend="dask" needs dask.distributed: pip install "dynapai_sym[parallel]"') from exc
    try:
        return get_client()
    except ValueError as exc:
        raise InvalidArgumentError('backend="dask" needs a running client: from dask.distributed import Client, '
                         "LocalCluster; client = Client(LocalCluster()) (or pass executor=client)") from exc


def chunk_tasks(tasks: list, size: int) -> list:
    return [[(idx, portable(resolve(ref)), nb) for idx, ref, nb in tasks[lo:lo + size]]
            for lo in range(0, len(tasks), size)]


def lost_status(exc: BaseException) -> str:
    """Status of the points of a chunk whose future raised ``exc`` instead of returning results."""
    import concurrent.futures as cf

    what = f"{type(exc).__name__}: {exc}"
    if type(exc).__name__ == "KilledWorker" or isinstance(exc, cf.BrokenExecutor):
        return f"error: worker lost: {what}"
    if isinstance(exc, cf.CancelledError):
        return f"error: chunk cancelled: {what}"
    return f"error: chunk failed: {what}"


def lost_chunk(chunk: list, exc: BaseException, t: int, method: str) -> list:
    """A chunk's output when its future failed: a :class:`FailedPoint` per point, with start ``LOST``."""
    status = lost_status(exc)
    message = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    note = "not solved: its chunk's future failed; a re-run with the same checkpoint solves it again"
    out = []
    for idx, ref, _ in chunk:
        agg = resolve(ref)
        out.append((idx, FailedPoint(status=status, message=message, method=method, n=agg.n, k=agg.k, t=t,
                                     notes=[note]), LOST))
    return out


def solve_with_executor(executor, tasks: list, t: int, init, options: SolverOptions, method: str,
                         warm_start: bool, bar, size: int | None = None, batch: bool = True, inherited=None):
    """Submit chunks of points to a concurrent.futures executor or a dask client; yield as they finish.

    A chunk whose future raises (a dask ``KilledWorker`` once a task has outlived
    ``distributed.scheduler.allowed-failures`` dead workers, a broken process pool, a cancelled
    future, an error in the worker) yields :func:`lost_chunk` instead of stopping the sweep, so
    the chunks that did finish are still returned and checkpointed. Futures still pending when
    the caller stops (an interrupt, a failing checkpoint write) are cancelled. Each chunk is
    solved by :func:`~dynapai_sym.scenario.batched.solve_tasks` (batched where it can be), and
    its results come back packed in columns (:class:`~dynapai_sym.scenario.transport.PackedOutputs`).

    ``inherited``: the key under which forked workers find ``tasks`` (:data:`_FORKED`); each
    chunk is then sent as a range of positions, not pickled.
    """
    size = max(1, min(64 if not batch else 1024, -(-len(tasks) // 8))) if size is None else size
    if inherited is None:
        chunks = chunk_tasks(tasks, size)
        futures = [executor.submit(solve_packed, chunk, t, init, options, method, warm_start, None, batch)
                   for chunk in chunks]
    else:
        bounds = [(lo, min(len(tasks), lo + size)) for lo in range(0, len(tasks), size)]
        chunks = [tasks[lo:hi] for lo, hi in bounds]
        futures = [executor.submit(_solve_inherited, inherited, lo, hi, t, init, options, method, warm_start, batch)
                   for lo, hi in bounds]
    chunk_of = {fut: chunk for fut, chunk in zip(futures, chunks)}
    # dask futures come from a dask client (distributed is then imported already; importing it
    # for any other executor would cost ~0.6 s)
    if futures and type(futures[0]).__module__.split(".")[0] == "distributed":
        from distributed import as_completed as dask_as_completed

        completed = dask_as_completed(futures)  # yields errored futures too
    else:
        import concurrent.futures as cf

        completed = cf.as_completed(futures)
    try:
        for fut in completed:
            try:
                out = unpacked(fut.result())  # dask gathers again (recomputing) if the holder of a result died
            except Exception as exc:  # includes KilledWorker and CancelledError
                out = lost_chunk(chunk_of[fut], exc, t, method)
            bar.update(len(out))
            yield out
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()


def import_joblib():
    try:
        import joblib
    except ImportError as exc:
        raise ImportError("n_jobs > 1 needs joblib: pip install \"dynapai_sym[parallel]\" "
                          "(or pip install joblib), or use n_jobs=1") from exc
    return joblib


#: values of ``Scenario.solve(backend=...)``
BACKENDS = (None, "processes", "joblib", "dask")


def fork_available() -> bool:
    """Whether worker processes can be forked (Linux): they then inherit the compiled model."""
    import multiprocessing as mp
    import sys

    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


def pool_kind(backend: str | None) -> str:
    """Local worker processes for ``n_jobs > 1``: ``"processes"`` (forked) or ``"joblib"`` (loky)."""
    if backend == "processes" or (backend is None and fork_available()):
        return "processes"
    return "joblib"


def prepare(agg: Aggregator, t: int) -> None:
    """Compile every block a solve of ``agg`` over ``t`` periods uses (before forking workers)."""
    game = agg.game(t)
    x = agg.default_init(t)
    with np.errstate(all="ignore"):
        game.kkt_jacobian(x)
        game.quantities(x)
        game.player_gradient(0, x)
        game.player_objective(0, game.layout.own(x, 0)[None], x)


def chunk_size(count: int, jobs: int, batch: bool, per_worker: int = 4, cap: int = 256) -> int:
    """Points per chunk for ``jobs`` workers: about ``per_worker`` chunks each (balance), each
    starting one warm-start chain (one cold start), at most ``cap`` points; a batched sweep
    (``batch``) in one large chunk per worker, since a batch's cost per point falls with its size."""
    if batch:
        return max(1, -(-count // jobs))
    return max(1, min(cap, -(-count // (per_worker * jobs))))


def solve_forked(tasks, jobs: int, t: int, init, options, method: str, warm_start: bool, bar, batch: bool = True):
    """Solve chunks of points in worker processes (``concurrent.futures.ProcessPoolExecutor``).

    On Linux the workers are forked after the model is compiled here, so they start in
    milliseconds with the compiled functions in memory (loky workers would import the package
    and compile again); elsewhere the platform's default start method is used.
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    context = inherited = None
    if fork_available():
        context = mp.get_context("fork")
        seen = set()
        for _, ref, _ in tasks:  # one compile per model structure, inherited by every worker
            # a grid's points not built yet share the structure of its first point
            agg = ref.models.table.template if isinstance(ref, PointRef) else ref
            key = tuple(id(pf.structure) for pf in agg.state.beliefs)
            if key not in seen:
                seen.add(key)
                prepare(agg, t)
        inherited = id(tasks)
        _FORKED[inherited] = tasks  # the workers, forked below, inherit the points too
    size = chunk_size(len(tasks), jobs, batch)
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            yield from solve_with_executor(pool, tasks, t, init, options, method, warm_start, bar, size, batch,
                                           inherited)
    finally:
        _FORKED.pop(inherited, None)


#: the points of the sweeps being solved by forked workers, by key: the workers inherit them
#: when they are forked, so a chunk is sent as a range of positions instead of being pickled
_FORKED: dict[int, list] = {}


def _solve_inherited(key: int, lo: int, hi: int, t: int, init, options, method: str, warm_start: bool,
                     batch: bool):
    """In a forked worker: solve the inherited points ``lo:hi`` of sweep ``key`` (packed output)."""
    return solve_packed(_FORKED[key][lo:hi], t, init, options, method, warm_start, None, batch)


def solve_parallel(tasks, jobs: int, t: int, init, options, method: str, warm_start: bool, bar,
                   batch: bool = True):
    """Solve contiguous chunks of points in loky worker processes; yields each chunk's output."""
    joblib = import_joblib()
    Parallel, delayed = joblib.Parallel, joblib.delayed
    count = len(tasks)
    if batch:
        size = chunk_size(count, jobs, batch)
    else:  # at least two chunks per worker, of at most about 64 points
        size = -(-count // min(count, max(2 * jobs, -(-count // 64))))
    chunks = chunk_tasks(tasks, size)
    runner = Parallel(n_jobs=jobs, backend="loky", return_as="generator")
    for out in runner(delayed(solve_packed)(chunk, t, init, options, method, warm_start, None, batch)
                      for chunk in chunks):
        out = unpacked(out)
        bar.update(len(out))
        yield out
