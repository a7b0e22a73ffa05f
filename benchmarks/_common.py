"""Helpers shared by the benchmark scripts (timing, time budgets, cache clearing, tables).

Not part of the package; imported by ``bench_static.py`` and ``bench_dynamic.py`` when they are
run as scripts (``python benchmarks/bench_static.py``), which puts this folder on ``sys.path``.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from contextlib import contextmanager

import numpy as np
import sympy

import dynapai_sym
from dynapai_sym.compile import compile_model

# methods of NumericGame that every solver goes through; a time budget is enforced by checking
# the clock on each call (the benchmark wraps the *instance*, the package is left untouched)
GAME_METHODS = (
    "kkt_function",
    "kkt_jacobian",
    "player_objective",
    "player_gradient",
    "payoffs",
    "own_hessian",
    "weights",
    "natural_residual",
)


class BudgetExceededError(RuntimeError):
    """Raised inside a solve when the benchmark's time budget for it has run out."""


def clear_caches() -> None:
    """Forget every compiled model and sympy's internal cache, so the next use compiles cold."""
    compile_model.cache_clear()
    sympy.core.cache.clear_cache()


def timed(func: Callable, *args, **kwargs):
    """``(result, seconds)`` of one call."""
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - t0


@contextmanager
def time_budget(games: Iterable, seconds: float | None):
    """Abort whatever runs inside after ``seconds`` (checked on every call into the games).

    Yields a dict; on exit ``info["aborted"]`` tells whether the budget ran out.
    """
    info = {"aborted": False}
    games = list(games)
    if seconds is None:
        yield info
        return
    deadline = time.perf_counter() + seconds
    for game in games:
        for name in GAME_METHODS:
            original = getattr(game, name)

            def wrapped(*args, _original=original, **kwargs):
                if time.perf_counter() > deadline:
                    raise BudgetExceededError(f"time budget of {seconds:g} s exhausted")
                return _original(*args, **kwargs)

            setattr(game, name, wrapped)
    try:
        yield info
    except BudgetExceededError:
        info["aborted"] = True
    finally:
        for game in games:
            for name in GAME_METHODS:
                game.__dict__.pop(name, None)


def evaluations(agg, horizons: Iterable[int]) -> int:
    """Total evaluation counter of the aggregator's games for the given horizons."""
    return sum(agg.game(t).evaluations for t in horizons)


def block_seconds(agg) -> dict:
    """Seconds the compiled model spent building each block so far (empty if not available)."""
    try:
        return dict(agg.state.beliefs[0].compiled.compile_seconds)
    except Exception:  # an API change should not stop the benchmark
        return {}


def median(values) -> float:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------- formatting
def fmt_time(seconds) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_num(value, spec: str = ".2e") -> str:
    if value is None:
        return "n/a"
    try:
        if not math.isfinite(value):
            return "n/a"
    except TypeError:
        return str(value)
    return format(value, spec)


def print_table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    """A plain-text table with a title line."""
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[j]) for r in rows)) if rows else len(h) for j, h in enumerate(headers)]
    line = "-+-".join("-" * w for w in widths)
    print()
    print(title)
    print("=" * len(title))
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print(line)
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))


class Targets:
    """Collects (target, measured, PASS/MISS) rows and prints them at the end."""

    def __init__(self):
        self.rows: list[list[str]] = []

    def check(
        self,
        name: str,
        measured,
        limit: float,
        fmt: Callable = fmt_time,
        op: str = "<=",
        note: str = "",
        shown: str | None = None,
    ) -> None:
        """Compare ``measured`` with ``limit``; ``inf`` (a run over its time budget) is a miss."""
        if measured is None or math.isnan(measured):
            status = "MISS (no value)"
        else:
            ok = measured <= limit if op == "<=" else measured >= limit
            status = "PASS" if ok else "MISS"
        self.rows.append([name, shown or fmt(measured), f"{op} {fmt(limit)}", status, note])

    def fail(self, name: str, limit_text: str, why: str) -> None:
        self.rows.append([name, "error", limit_text, "MISS (error)", why[:60]])

    def print(self) -> None:
        print_table("Targets", ["target", "measured", "goal", "status", "note"], self.rows)
        passed = sum(r[3] == "PASS" for r in self.rows)
        print(f"\n{passed}/{len(self.rows)} targets met")


def report_error(case: str, exc: BaseException) -> str:
    """Print a caught exception (with traceback) and return a one-line summary."""
    print(f"\n!! {case} failed: {type(exc).__name__}: {exc}")
    traceback.print_exc()
    return f"{type(exc).__name__}: {exc}"


BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def add_blas_option(parser) -> None:
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        metavar="N",
        help="restart with OPENBLAS/OMP/MKL_NUM_THREADS=N (default: leave the "
        "environment alone); 1 avoids thread hand-offs on small matrices",
    )


def apply_blas_threads(threads: int | None) -> None:
    """Re-execute this script with the BLAS thread variables set (they must precede numpy's import)."""
    if threads is None or all(os.environ.get(v) == str(threads) for v in BLAS_VARS):
        return
    if threads < 1:
        raise SystemExit("--blas-threads must be at least 1")
    env = dict(os.environ, **{v: str(threads) for v in BLAS_VARS})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def header(name: str, quick: bool) -> None:
    print(f"{name} ({'quick' if quick else 'full'} run)")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, sympy {sympy.__version__}, "
        f"dynapai_sym {dynapai_sym.__version__}, machine {platform.machine()}"
    )
    blas = ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in BLAS_VARS)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"{os.cpu_count()} CPUs, load average {load}; {blas}")
    print("times are wall clock (time.perf_counter); medians over the stated repeats")
