"""Feedback (subgame-perfect) versus open-loop equilibria: solve times in the horizon.

Cases: the invest model with two players (``models.invest_aggregator(2)``), T = 2, 3 and 5, each
solved with ``concept="open_loop"`` and ``concept="feedback"`` (the model compiled once before
timing). For each: the certified status, the solve time, the subgame solves the feedback answer
needed, and the probability of a safe outcome in the last period under each concept (the safety
difference that commitment makes). Also three players (``invest_aggregator(3)`` with discount
factors 0.5, 0.7, 0.9), T = 2, 3 and 4 (feedback; open loop for comparison).

Targets (2-core machine): feedback T = 2 within 2 s, T = 3 within 10 s, T = 5 within 2 min
(horizons up to 3 use central differences for the continuation values' second derivatives,
longer ones forward differences; see docs/feedback.md); open loop T = 5 within 5 s. Three
players, feedback: T = 2 within 3 s, T = 3 within 30 s, T = 4 within 2 min (about 30 s on one
core; T = 5 is not reached: see docs/feedback.md, not timed).
Run ``python benchmarks/bench_feedback.py`` (``--quick``: T = 2, 3 only); exits 0 whatever
the results.
"""

from __future__ import annotations

import argparse

import _paths  # noqa: F401  (the package next to this folder)
from _common import Targets, fmt_time, header, print_table, report_error, timed

from dynapai_sym import Aggregator, models

LIMITS = {("feedback", 2): 2.0, ("feedback", 3): 10.0, ("feedback", 5): 120.0, ("open_loop", 5): 5.0}
LIMITS_THREE = {2: 3.0, 3: 30.0, 4: 120.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 2 and 3 only")
    args = parser.parse_args()
    header("bench_feedback", args.quick)
    horizons = (2, 3) if args.quick else (2, 3, 5)
    agg = models.invest_aggregator(2)
    agg.solve(1)  # compile before timing
    targets = Targets()
    rows = []
    for T in horizons:
        results = {}
        for concept in ("open_loop", "feedback"):
            try:
                res, seconds = timed(agg.solve, T, concept=concept)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, never raises
                rows.append([str(T), concept, report_error(f"T={T} {concept}", exc), "", "", ""])
                targets.fail(f"{concept} T={T}", "", str(exc))
                continue
            results[concept] = res
            work = str(res.evaluations) if concept == "feedback" else ""
            rows.append([str(T), concept, res.status, fmt_time(seconds), work,
                         f"{res.probability_safe[-1]:.6f}"])
            if (concept, T) in LIMITS:
                targets.check(f"{concept} solve, invest n=2, T={T}", seconds if res.success else float("nan"),
                              LIMITS[(concept, T)], note=res.status)
        if len(results) == 2:
            diff = results["feedback"].probability_safe - results["open_loop"].probability_safe
            rows.append([str(T), "difference", "feedback - open loop", "", "",
                         " ".join(f"{d:+.2e}" for d in diff)])
    print_table("Invest model, n = 2: open loop versus feedback",
                ["T", "concept", "status", "solve", "subgame solves", "P(safe) last period"], rows)
    three = Aggregator(models.invest_aggregator(3).state, gammas=[0.5, 0.7, 0.9])
    three.solve(1)
    rows = []
    for T in (2, 3) if args.quick else (2, 3, 4):
        for concept in ("open_loop", "feedback"):
            try:
                res, seconds = timed(three.solve, T, concept=concept)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, never raises
                rows.append([str(T), concept, report_error(f"n=3 T={T} {concept}", exc), "", "", ""])
                if concept == "feedback":
                    targets.fail(f"feedback T={T} n=3", "", str(exc))
                continue
            work = str(res.evaluations) if concept == "feedback" else ""
            rows.append([str(T), concept, res.status, fmt_time(seconds), work, f"{res.probability_safe[-1]:.6f}"])
            if concept == "feedback":
                targets.check(f"feedback solve, invest n=3, T={T}", seconds if res.success else float("nan"),
                              LIMITS_THREE[T], note=res.status)
    print_table("Invest model, n = 3 (discount factors 0.5, 0.7, 0.9)",
                ["T", "concept", "status", "solve", "subgame solves", "P(safe) last period"], rows)
    targets.print()


if __name__ == "__main__":
    main()
