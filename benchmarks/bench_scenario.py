"""Scenario sweeps end to end, against the reference on sampled points.

Run: ``python benchmarks/bench_scenario.py [--quick] [--sweeps static1k static10k invest200]``.
Prints the figures and PASS/MISS against the targets; always exits 0.

Sweeps (``dynapai_sym.Scenario.from_params``; grids shifted by a seeded random offset on every
run, so that no run repeats the parameters of another):

* ``static1k``: 1,000-point static sweep, n = 2, r (50 values in [0.01, 0.1]) x theta (20 values
  in [0.1, 1]): target <= 0.25 s;
* ``static10k``: 10,000-point static sweep, r (100) x theta (100): target <= 1.5 s;
* ``invest200``: 200-point T = 5 invest sweep (n = 2, B = 1, r_inv = 0.01, gamma = 0.9,
  maybe-no-win contest), r in [0.05, 0.15]: target <= 1.5 s.

Each measured sweep runs in a fresh Python process: the import (and the first use of
``dp.Scenario``, which loads the package's layers) is timed separately and excluded; building the
scenario, compiling and solving every point are included (*cold*). The same process then runs a
second sweep on a shifted grid (*warm*: compiled already; not with ``--quick``). Sequential and ``n_jobs=2`` are both
run; a target uses the better of the two cold medians.

Against the reference (``../shared/reference``, when that folder exists): a sample of each grid's
points is mapped to the reference, checked for equal payoffs, and solved with its ``solve_baseline``
(the original engine's algorithm); the per-point median times the number of points is the
reference's estimated sweep time (labelled as an estimate). The package's own Nelder-Mead
(``method="best_response_nm"``) is timed on a sample of the static points.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _common import (
    Targets,
    budgeted_solve_time,
    fmt_ratio,
    fmt_time,
    fresh_process_json,
    header,
    median,
    print_table,
    reference,
    report_error,
    time_reference_on,
)

import dynapai_sym as dp

# targets (see benchmarks/README.md), seconds end to end, import excluded
TARGETS = {"static1k": 0.25, "static10k": 1.5, "invest200": 1.5}

SWEEPS = {
    "static1k": {"label": "1,000-pt static sweep (r 50 x theta 20)", "shape": (50, 20), "t": 1},
    "static10k": {"label": "10,000-pt static sweep (r 100 x theta 100)", "shape": (100, 100), "t": 1},
    "invest200": {"label": "200-pt T=5 invest sweep (r 200)", "shape": (200,), "t": 5},
}


def make_scenario(kind: str, seed: int) -> dp.Scenario:
    """The sweep's scenario, its grid shifted by an offset drawn from ``seed``.

    The same function runs in the fresh processes (its source is sent there), so the measured sweeps
    and the reference's sampled points use the same grids.
    """
    import numpy as np

    import dynapai_sym as dp

    rng = np.random.default_rng(seed)
    scale = 1.0 + rng.uniform(-0.05, 0.05)
    if kind == "invest200":
        return dp.Scenario.from_params(n=2, b=1.0, r=np.linspace(0.05, 0.15, 200) * scale, varying="r", r_inv=0.01,
                                       t=5, gammas=0.9, csf=dp.CSF.maybe_no_win())
    n_r, n_theta = (50, 20) if kind == "static1k" else (100, 100)
    shift = rng.uniform(0.0, 0.01)
    return dp.Scenario.from_params(n=2, r=np.linspace(0.01, 0.1, n_r) * scale, varying="r",
                                   theta=np.linspace(0.1, 1.0, n_theta) - shift, varying2="theta")


_CHILD = """
import inspect, json, time
t0 = time.perf_counter()
import numpy as np
import dynapai_sym as dp
dp.Scenario, dp.PayoffFunc, dp.Aggregator, dp.CSF  # load the package's layers: part of the import
t_import = time.perf_counter() - t0
{source}
out = {{"import": t_import, "warm": float("nan")}}
for label, seed in (("cold", {seed}), ("warm", {seed} + 1))[:{runs}]:
    t0 = time.perf_counter()
    sc = make_scenario({kind!r}, seed)
    t1 = time.perf_counter()
    res = sc.solve(n_jobs={n_jobs})
    t2 = time.perf_counter()
    out[label] = t2 - t0
    out[label + "_build"] = t1 - t0
    out[label + "_certified"] = int(np.sum(res.success))
    out["points"] = len(res)
print(json.dumps(out))
"""


def fresh_sweep(kind: str, n_jobs: int, seed: int, timeout: float, warm: bool) -> dict:
    import inspect

    code = _CHILD.format(source=inspect.getsource(make_scenario), kind=kind, n_jobs=n_jobs, seed=seed,
                         runs=2 if warm else 1)
    return fresh_process_json(code, timeout)


def measure(kind: str, reps: int, timeout: float, warm: bool) -> dict:
    """Cold (and warm) times, sequential and n_jobs=2, median over ``reps`` fresh processes each."""
    out = {}
    for jobs in (1, 2):
        runs = []
        for rep in range(reps):
            r = fresh_sweep(kind, jobs, seed=1000 * jobs + 10 * rep, timeout=timeout, warm=warm)
            if "error" in r:
                out[jobs] = {"error": r["error"]}
                break
            runs.append(r)
        else:
            out[jobs] = {key: median([r[key] for r in runs]) for key in ("import", "cold", "cold_build", "warm")}
            out[jobs]["certified"] = f"{min(r['cold_certified'] for r in runs)}/{runs[0]['points']}"
            out[jobs]["points"] = runs[0]["points"]
    return out


def reference_sample(kind: str, sample: int, nm_sample: int, nm_budget: float) -> dict:
    """Per-point times of the reference (and of the package's own Nelder-Mead) on sampled grid points."""
    t = SWEEPS[kind]["t"]
    sc = make_scenario(kind, seed=1000)
    rng = np.random.default_rng(7)
    points = rng.choice(len(sc), size=min(sample, len(sc)), replace=False)
    out = {"points": len(sc), "ref": [], "converged": 0, "nm": [], "nm_aborted": 0, "mapping": ""}
    ref = reference()
    if ref.available:
        for j in points:
            agg = sc.aggregators[j]
            try:
                seconds, res, _ = time_reference_on(agg, t, rng, seed=int(j))
            except Exception as exc:
                out["mapping"] = str(exc)
                break
            out["ref"].append(seconds)
            out["converged"] += bool(res.converged)
    for j in points[:nm_sample]:
        agg = sc.aggregators[j].without_games()
        seconds, _ = budgeted_solve_time(agg, t, nm_budget, method="best_response_nm")
        out["nm_aborted"] += not np.isfinite(seconds)
        out["nm"].append(min(seconds, nm_budget))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one fresh process per setting, smaller samples")
    parser.add_argument("--sweeps", nargs="+", choices=list(SWEEPS), default=list(SWEEPS),
                        help="sweeps to run (default: all)")
    args = parser.parse_args(argv)
    quick = args.quick
    reps = 1 if quick else 3
    header("bench_scenario: sweeps end to end", quick)
    print(f"fresh processes per setting: {reps}; import excluded, compile included (cold)")
    ref = reference()
    print(ref.note)

    targets = Targets()
    rows, ref_rows = [], []
    for kind in args.sweeps:
        spec = SWEEPS[kind]
        print(f"... {kind}", flush=True)
        try:
            m = measure(kind, reps, timeout=300, warm=not quick)
        except Exception as exc:
            m = {1: {"error": report_error(kind, exc)}, 2: {"error": "not run"}}
        best = float("inf")
        for jobs in (1, 2):
            r = m[jobs]
            if "error" in r:
                rows.append([spec["label"], f"n_jobs={jobs}", "error", "", "", "", "", r["error"][:50]])
                continue
            best = min(best, r["cold"])
            rows.append([spec["label"], f"n_jobs={jobs}", fmt_time(r["cold"]), fmt_time(r["cold_build"]),
                         fmt_time(r["warm"]) if not quick else "not run (--quick)", fmt_time(r["import"]),
                         r["certified"],
                         f"{r['cold'] / r['points'] * 1e3:.2f} ms/pt"])
        if np.isfinite(best):
            targets.check(f"{spec['label']}, cold", best, TARGETS[kind],
                          note="best of n_jobs=1, 2; fresh process, import excluded")
        else:
            targets.fail(f"{spec['label']}, cold", f"<= {fmt_time(TARGETS[kind])}", "no sweep finished")

        sample = (3 if quick else 10) if spec["t"] == 1 else (2 if quick else 5)
        nm_sample = (3 if quick else 10) if spec["t"] == 1 else 0
        try:
            s = reference_sample(kind, sample, nm_sample, nm_budget=20.0)
        except Exception as exc:
            ref_rows.append([spec["label"], "error", report_error(f"{kind} reference", exc)[:50], "", "", "", ""])
            continue
        if s["mapping"]:
            print(f"!! {kind}: reference skipped, mapping check failed: {s['mapping']}")
        ref_point = median(s["ref"])
        ref_total = ref_point * s["points"]
        nm_point = median(s["nm"])
        ref_rows.append([
            spec["label"],
            f"{fmt_time(ref_point)} ({len(s['ref'])} pts, {s['converged']} conv.)" if s["ref"] else "skipped",
            f"~{fmt_time(ref_total)}" if s["ref"] else "",
            fmt_ratio(ref_total / best) if s["ref"] and np.isfinite(best) else "n/a",
            ((">" if s["nm_aborted"] else "") + f"{fmt_time(nm_point)} ({len(s['nm'])} pts)") if s["nm"]
            else "not run (minutes per point)",
            f"~{fmt_time(nm_point * s['points'])}" if s["nm"] else "",
            fmt_ratio(nm_point * s["points"] / best) if s["nm"] and np.isfinite(best) else "",
        ])

    print_table("Sweeps end to end (fresh process per run; medians)",
                ["sweep", "jobs", "cold", "of which build", "warm (new grid)", "import (excluded)", "certified",
                 "cold per point"], rows)
    print("cold = build the scenario + compile + solve every point, in a fresh process after the import; "
          "warm = a second sweep\non a shifted grid in the same process")
    print_table("Per point on sampled grid points: the reference and the package's own Nelder-Mead (estimates)",
                ["sweep", "reference / point", "reference x points", "ref est. / best cold", "package NM BR / point",
                 "NM x points", "NM est. / best cold"], ref_rows)
    if not ref.available:
        print(f"NOTE: {ref.note}")
    targets.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
