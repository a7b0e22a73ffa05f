"""The planner's optimum next to the Nash equilibrium: solve times, certificates, welfare.

Cases (after one warm-up solve of each, so compile time is left out):

* static, n = 2 and n = 4: the maybe-no-win contest on the demo technology
  (``dynapai_sym.models.basic_aggregator(n, end_on_win=True)``, one period);
* T = 5: the same model over five periods, ending on a win;
* the infinite horizon: stationary play of the same model (``t=math.inf``), the Nash solve
  including its Bellman check;
* the README (Tullock) model, static: the planner's unattained supremum.

For each: the median time of ``agg.solve(t)`` (certified Nash) and of ``agg.solve_planner(t)``
(global search, Newton, certificate), their statuses, the welfare of both and the price of
anarchy. Run ``python benchmarks/bench_planner.py`` (``--quick``: fewer repeats). Targets are
printed with PASS/MISS; the script always exits 0.
"""

from __future__ import annotations

import argparse
import math
import sys

from _common import (
    Targets,
    add_blas_option,
    apply_blas_threads,
    fmt_num,
    fmt_ratio,
    fmt_time,
    header,
    median,
    print_table,
    timed,
)

import dynapai_sym as dp
from dynapai_sym import models

#: planner solve-time targets (seconds, median after warm-up)
TARGETS = {"static n=2": 0.5, "static n=4": 2.0, "T=5": 3.0, "infinite": 0.5, "README (Tullock)": 1.0}


def cases():
    yield "static n=2", models.basic_aggregator(2, end_on_win=True), 1
    yield "static n=4", models.basic_aggregator(4, end_on_win=True), 1
    yield "T=5", models.basic_aggregator(2, end_on_win=True), 5
    yield "infinite", models.basic_aggregator(2, end_on_win=True), math.inf
    yield "README (Tullock)", dp.Aggregator(models.readme_payoff()), 1


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    add_blas_option(parser)
    args = parser.parse_args(argv)
    apply_blas_threads(args.blas_threads)
    header("bench_planner", args.quick)
    reps = 2 if args.quick else 5
    targets = Targets()
    rows = []
    for name, agg, t in cases():
        agg.solve(t)  # warm-up: compile the blocks both solvers use
        agg.solve_planner(t)
        nash_times, plan_times = [], []
        for _ in range(reps):
            nash, s1 = timed(agg.solve, t)
            plan, s2 = timed(agg.solve_planner, t)
            nash_times.append(s1)
            plan_times.append(s2)
        gap = agg.gap_of(nash, plan)
        tn, tp = median(nash_times), median(plan_times)
        rows.append([name, fmt_time(tn), nash.status, fmt_time(tp), plan.status, fmt_ratio(tp / tn),
                     fmt_num(gap.welfare_nash, ".6g"), fmt_num(gap.welfare_planner, ".6g"),
                     fmt_num(gap.price_of_anarchy, ".4g"), fmt_num(gap.safety_gap, ".4g")])
        targets.check(f"planner solve, {name}", tp, TARGETS[name])
        expected = "unattained supremum" if name.startswith("README") else "certified optimum"
        targets.check(f"planner status, {name}", float(plan.status == expected), 1.0, fmt=lambda v: f"{v:g}",
                      op=">=", shown=plan.status)
    print_table("Planner next to Nash (median wall time after warm-up)",
                ["case", "Nash", "Nash status", "planner", "planner status", "planner/Nash", "W Nash",
                 "W planner", "price of anarchy", "safety gap"], rows)
    targets.print()


if __name__ == "__main__":
    main(sys.argv[1:])
