"""Static sweeps end to end, batched (``Scenario.solve(batch=True)``, the default) and point by point.

Run: ``python benchmarks/bench_batched.py [--big]``. Each figure is ``Scenario.from_params(...)``
plus ``.solve()`` (import excluded): "with compile" after clearing the compile cache, then
"warm" (the best of three runs after a warm-up solve, so the compile is excluded). Targets
(issue: batched static sweeps): 1,000 points (40 x 25) in 0.25 s, 10,000 (100 x 100) in 1.5 s.
``--big`` adds the 10,000-point sweep (its point-by-point run takes a while). Always exits 0.
"""

from __future__ import annotations

import argparse
import inspect
import time

import numpy as np

import dynapai_sym as dp
from dynapai_sym.compile import compile_model


def sweep(n_r: int, n_theta: int, **solve_kw) -> tuple[float, dp.ScenarioResult]:
    t0 = time.perf_counter()
    sc = dp.Scenario.from_params(n=2, r=np.linspace(0.01, 0.1, n_r), varying="r",
                                 theta=np.linspace(0.1, 1.0, n_theta), varying2="theta")
    res = sc.solve(**solve_kw)
    return time.perf_counter() - t0, res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="also the 10,000-point sweep")
    args = parser.parse_args()
    modes = {"batched": {"batch": True}, "point by point": {"batch": False}}
    if "batch" not in inspect.signature(dp.Scenario.solve).parameters:  # a version without batching
        modes = {"point by point": {}}
    sizes = [(40, 25, 0.25)] + ([(100, 100, 1.5)] if args.big else [])
    for n_r, n_theta, target in sizes:
        for name, kw in modes.items():
            compile_model.cache_clear()
            cold, res = sweep(n_r, n_theta, **kw)
            warm = min(sweep(n_r, n_theta, **kw)[0] for _ in range(1 if n_r * n_theta > 5000 else 3))
            ok = int(res.success.sum())
            verdict = ("PASS" if warm <= target else "MISS") if name == "batched" else ""
            print(f"{n_r * n_theta:>6} points, {name:<15} with compile {cold:6.2f} s   warm {warm:6.2f} s   "
                  f"{ok}/{len(res)} certified   target {target} s {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
