"""The spread of static solve times on random games, and where the KKT Newton search starts well.

Run: ``python benchmarks/bench_spread.py [--quick]``.

A median hides the games that need the slow paths (best-response starts, restarts). This script
draws static games as ``check_certificates.py`` does (n = 2..4, winner-only risk, the issue's
ranges), plus games whose safety is eroded fast by performance (theta in [0.85, 1], n = 2..3, where
plain Newton used to drift off), and reports:

* how often Newton from the default start converges, with and without the rescue of
  :func:`dynapai_sym.solvers.kkt.solve_kkt` (a drifting or failed run repeated with the penalized
  Fischer-Burmeister function);
* the distribution of certified solve times (``agg.solve(1)``, a new model for every solve, process
  time): median, mean, 90th percentile, maximum.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import Targets, add_blas_option, apply_blas_threads, fmt_num, fmt_time, header, print_table
from check_certificates import draw_static

import dynapai_sym as dp
from dynapai_sym.solvers.kkt import solve_kkt


def eroded(rng: np.random.Generator) -> dp.Aggregator:
    """A game whose safety is eroded fast by performance: theta in [0.85, 1], r in [0.01, 0.2]."""
    n = int(rng.integers(2, 4))
    return dp.Scenario.from_params(n=n, r=[rng.uniform(0.01, 0.2)], varying="r",
                                   theta=rng.uniform(0.85, 1.0)).aggregators[0]


def games(count: int, kind: str, start: int) -> list:
    if kind == "draw":
        return [draw_static(np.random.default_rng((seed, 0)))[0] for seed in range(start, start + count)]
    return [eroded(np.random.default_rng(seed + 1000)) for seed in range(start, start + count)]


def newton_starts(aggs: list) -> tuple[int, int]:
    """Games where Newton from the default start converges: without, with the rescue."""
    plain = rescued = 0
    for agg in aggs:
        game, x0 = agg.game(1), agg._init(None, 1)
        plain += solve_kkt(game, x0, rescue=False).converged
        rescued += solve_kkt(game, x0).converged
    return plain, rescued


def solve_times(aggs_fresh) -> tuple[np.ndarray, int]:
    times, certified = [], 0
    for make in aggs_fresh:
        agg = make()
        t0 = time.process_time()
        res = agg.solve(1)
        times.append(time.process_time() - t0)
        certified += bool(res.success)
    return np.array(times), certified


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer games (60 drawn, 20 eroded; full: 240 and 60)")
    add_blas_option(parser)
    args = parser.parse_args(argv)
    apply_blas_threads(args.blas_threads)
    header("bench_spread: static solve times on random games", args.quick)
    counts = {"draw": 60, "eroded": 20} if args.quick else {"draw": 240, "eroded": 60}
    games(2, "draw", 10_000)[0].solve(1)  # compile the structures used below (not measured)
    games(2, "eroded", 10_000)[0].solve(1)
    targets, rows_n, rows_t = Targets(), [], []
    for kind, count in counts.items():
        try:
            plain, rescued = newton_starts(games(count, kind, 0))
            rows_n.append([kind, str(count), f"{plain}/{count}", f"{rescued}/{count}"])
            fresh = [lambda seed=seed, kind=kind: games(1, kind, seed)[0] for seed in range(count)]
            t, certified = solve_times(fresh)
            p50, p90 = float(np.median(t)), float(np.percentile(t, 90))
            rows_t.append([kind, str(count), f"{certified}/{count}", fmt_time(p50), fmt_time(float(t.mean())),
                           fmt_time(p90), fmt_time(float(t.max()))])
            targets.check(f"{kind}: Newton from the default start converges", rescued / count, 0.8,
                          fmt=lambda v: fmt_num(100 * v, ".0f") + "%", op=">=",
                          note=f"without the rescue {plain}/{count}")
            targets.check(f"{kind}: 90th percentile / median of solve times", p90 / p50, 3.0,
                          fmt=lambda v: fmt_num(v, ".2f"), note="the slow paths are rare")
        except Exception as exc:  # noqa: BLE001 - reported, never raised
            targets.fail(kind, "-", f"{type(exc).__name__}: {exc}")
    print_table("Newton from the default start", ["games", "count", "converged, plain", "converged, with rescue"],
                rows_n)
    print_table("Certified solve times (process time, a new model per solve)",
                ["games", "count", "certified", "median", "mean", "90th percentile", "max"], rows_t)
    print("draw = check_certificates.py's static draw (n = 2..4); eroded = theta in [0.85, 1], n = 2..3")
    targets.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
