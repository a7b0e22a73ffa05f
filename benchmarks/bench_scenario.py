"""Scenario sweeps end to end (issue: scenarios at scale).

Run: ``python benchmarks/bench_scenario.py [--quick]``. Prints the figures and PASS/MISS against
the targets; always exits 0.

* 1,000-point static sweep (n = 2, r in 50 values x theta in 20 values), including building the
  models and compiling: target <= 1.5 s wall on 2 cores;
* the same sweep's Nelder-Mead best response per point (the original algorithm), timed on a
  sample of points and scaled to 1,000 (labelled as such);
* a 200-point T = 5 invest sweep.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import dynapai_sym as dp
from dynapai_sym.compile import compile_model


def sweep(n_r: int, n_theta: int, n_jobs: int) -> tuple[float, float, dp.ScenarioResult]:
    compile_model.cache_clear()
    t0 = time.perf_counter()
    sc = dp.Scenario.from_params(n=2, r=np.linspace(0.01, 0.1, n_r), varying="r",
                                 theta=np.linspace(0.1, 1.0, n_theta), varying2="theta")
    t1 = time.perf_counter()
    res = sc.solve(n_jobs=n_jobs)
    return t1 - t0, time.perf_counter() - t0, res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sample for the baseline")
    args = parser.parse_args()
    rows = []
    build, total, res = sweep(50, 20, 1)
    rows.append(("1000-pt static sweep, sequential", f"{total:.2f} s", f"build {build:.2f} s",
                 f"{int(res.success.sum())}/{len(res)} certified"))
    build2, total2, res2 = sweep(50, 20, 2)
    rows.append(("1000-pt static sweep, n_jobs=2", f"{total2:.2f} s", f"build {build2:.2f} s",
                 f"{int(res2.success.sum())}/{len(res2)} certified"))
    best = min(total, total2)
    # baseline: Nelder-Mead best response on a sample of the same points
    sample = 5 if args.quick else 20
    rng = np.random.default_rng(0)
    points = rng.choice(len(res), size=sample, replace=False)
    sc = dp.Scenario.from_params(n=2, r=np.linspace(0.01, 0.1, 50), varying="r",
                                 theta=np.linspace(0.1, 1.0, 20), varying2="theta")
    t0 = time.perf_counter()
    for j in points:
        sc.aggregators[j].solve(method="best_response_nm")
    per_point = (time.perf_counter() - t0) / sample
    rows.append(("Nelder-Mead BR per point (sampled)", f"{per_point * 1e3:.1f} ms",
                 f"x1000 = {per_point * 1000:.1f} s", f"ratio {per_point * 1000 / best:.0f}x"))
    # 200-point T=5 invest sweep
    t0 = time.perf_counter()
    inv = dp.Scenario.from_params(n=2, b=1.0, r=np.linspace(0.05, 0.15, 200), varying="r", r_inv=0.01,
                                  t=5, gammas=0.9, csf=dp.CSF.maybe_no_win())
    out = inv.solve()
    rows.append(("200-pt T=5 invest sweep", f"{time.perf_counter() - t0:.2f} s", "",
                 f"{int(out.success.sum())}/{len(out)} certified"))
    width = max(len(r[0]) for r in rows)
    for r in rows:
        print(f"{r[0]:<{width}} | {r[1]:>9} | {r[2]:<18} | {r[3]}")
    status = "PASS" if best <= 1.5 else "MISS"
    print(f"\nTarget: 1000-point static sweep <= 1.5 s wall: {best:.2f} s  {status}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
