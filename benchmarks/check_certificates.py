"""Certificates against an independent search, on random models.

Run: ``python benchmarks/check_certificates.py [--kind static|dynamic] [--seeds 1 2 3] [--models 24]``.

For each seed, random models are drawn:

* ``static``: n = 2..4, one period, any risk function (winner-only, multiplicative, additive)
  and contest, random productivities, elasticities, disaster costs and prices;
* ``dynamic``: n = 2..3, T = 2..5, investment or technology sharing (either share map),
  random discounting and end-on-win.

Each model is solved with ``Aggregator.solve``. Every certified answer is then attacked by
a search that shares nothing with the certificate's probe but the payoff function:
L-BFGS-B, in raw and in log coordinates, from the profile, from the profile scaled by 0.01
and 3, from near zero and from random schedules, for every player. A certificate is false
when this search finds a gain above 1e-6 (1 + |U_i|). The script prints one line per model
and the count of false certificates; it exits 0 whatever the outcome.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import minimize

import dynapai_sym as dp


def random_static(rng: np.random.Generator) -> tuple[dp.Aggregator, int]:
    n = int(rng.integers(2, 5))
    prod = dp.ProdFunc(a=rng.uniform(2, 20, n), alpha=rng.uniform(0.2, 0.8, n), b=rng.uniform(0.5, 20, n),
                       beta=rng.uniform(0.2, 0.8, n))
    risk = getattr(dp.RiskFunc, ["winner_only", "multiplicative", "additive"][int(rng.integers(3))])(
        rng.uniform(0.0, 1.0, n))
    csf = [dp.CSF.default(), dp.CSF.maybe_no_win()][int(rng.integers(2))]
    pf = dp.PayoffFunc(prod_func=prod, risk_func=risk, csf=csf, d=rng.uniform(0, 3, n), r=rng.uniform(0.01, 0.3, n))
    return dp.Aggregator(pf), 1


def random_dynamic(rng: np.random.Generator, sharing: bool) -> tuple[dp.Aggregator, int]:
    n = 2 + int(rng.integers(2))
    prod = dp.ProdFunc(a=rng.uniform(6, 14, n), alpha=rng.uniform(0.3, 0.7, n), b=rng.uniform(0.5, 2, n),
                       beta=rng.uniform(0.3, 0.7, n))
    risk = getattr(dp.RiskFunc, ["winner_only", "multiplicative", "additive"][int(rng.integers(3))])(
        rng.uniform(0.1, 0.8, n))
    r = rng.uniform(0.05, 0.2, n)
    if sharing:
        cost = dp.CostFunc.fixed_sharing(r, rng.uniform(0.005, 0.05, n), rng.uniform(0.0005, 0.01, n))
        pf = dp.PayoffFunc(prod_func=prod, risk_func=risk, csf=dp.CSF.maybe_no_win(), d=rng.uniform(0.5, 2, n),
                           cost_func=cost, share_map=["fraction", "exp"][int(rng.integers(2))])
    else:
        pf = dp.PayoffFunc(prod_func=prod, risk_func=risk, csf=dp.CSF.maybe_no_win(), d=rng.uniform(0.5, 2, n),
                           r=r, r_inv=rng.uniform(0.005, 0.05, n))
    agg = dp.Aggregator(pf, gammas=rng.uniform(0.6, 0.99, n), end_on_win=bool(rng.integers(2)))
    return agg, int(rng.integers(2, 6))


def independent_gains(agg: dp.Aggregator, res: dp.SolverResult, rng: np.random.Generator,
                      starts: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Largest gain per player found by multi-start L-BFGS-B (raw and log coordinates)."""
    X = res.strategies.data
    T, n, k = X.shape
    game = agg.game(T)
    x = X.reshape(-1)
    U = game.payoffs(x)
    gains = np.zeros(n)
    for i in range(n):
        idx = game.own_index(i)
        up = game.upper[idx]
        cap = np.where(np.isfinite(up), up, 1e9)
        inits = [x[idx], x[idx] * 0.01, x[idx] * 3, np.full(len(idx), 1e-6)]
        inits += [rng.uniform(0, 2, len(idx)) for _ in range(starts)]
        best = -np.inf
        for v0 in inits:
            v0 = np.minimum(v0, cap)
            for log in (False, True):
                def negative(v, log=log, i=i, idx=idx, cap=cap):
                    own = np.minimum(np.exp(v), cap) if log else v
                    xv = x.copy()
                    xv[idx] = own
                    with np.errstate(all="ignore"):
                        val, g = game.player_gradient(i, xv)
                    if not (np.isfinite(val) and np.all(np.isfinite(g))):
                        return 1e9, np.zeros_like(v)
                    return -val, -(g * own if log else g)

                z0 = np.log(np.maximum(v0, 1e-12)) if log else v0
                bounds = [(-60.0, float(np.log(c))) for c in cap] if log else [(0.0, float(c)) for c in cap]
                out = minimize(negative, z0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 2000})
                best = max(best, -float(out.fun))
        gains[i] = best - U[i]
    return gains, U


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=("static", "dynamic"), default="dynamic")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--models", type=int, default=24, help="models per seed")
    args = parser.parse_args()
    t0 = time.perf_counter()
    certified = false = unsolved = 0
    for seed in args.seeds:
        rng = np.random.default_rng(seed)
        for m in range(args.models):
            if args.kind == "static":
                agg, T = random_static(rng)
            else:
                agg, T = random_dynamic(rng, sharing=m % 2 == 0)
            res = agg.solve(T)
            if not res.success:
                unsolved += 1
                print(f"seed {seed} model {m:2d} T={T}: {res.status}")
                continue
            certified += 1
            gains, U = independent_gains(agg, res, rng)
            bad = bool(np.any(gains > 1e-6 * (1 + np.abs(U))))
            false += bad
            print(f"seed {seed} model {m:2d} T={T}: certified; independent gains "
                  f"{np.array2string(gains, precision=2)}{'  FALSE CERTIFICATE' if bad else ''}")
    print(f"\n{false} false certificates of {certified} certified ({unsolved} not certified), "
          f"{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
