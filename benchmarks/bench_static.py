"""Static (one-period) benchmark: compile time, certified solve time, Nelder-Mead baseline.

For n = 2, 4, 6, 8 players of the README model generalised
(``dynapai_sym.models.readme_payoff(n)`` wrapped in ``dynapai_sym.Aggregator``):

* compile: wall time of the first ``agg.solve(1)`` on a fresh structure, after clearing the
  compile cache (``compile_model.cache_clear()``) and sympy's cache; also that time minus the
  time of a second solve (the compile part alone), and the lambdify seconds the compiled model
  records per block;
* solve: median over repeated ``agg.solve(1)`` calls (each includes certification), with the
  KKT residual, success, and payoff evaluations per solve;
* baseline: iterated best response with Nelder-Mead in log space (the original engines'
  algorithm), ``agg.solve(1, method="best_response_nm")``: median time, evaluations, and the
  ratio baseline / ours;
* against the reference (``../shared/reference``, when that folder exists): new parameters for
  every timed solve (A, theta, r drawn around the README values from a seeded generator), the
  package's build and certified solve against the reference's ``solve_baseline`` on the same
  problems, in the same run, alternating; the package's own Nelder-Mead next to it; import times
  (fresh processes) reported separately.

Run ``python benchmarks/bench_static.py`` (``--quick`` for a shorter run). Targets are printed
with PASS/MISS; the script always exits 0.
"""

from __future__ import annotations

import argparse
import functools
import sys

import numpy as np
from _common import (
    COMPARISON_HEADERS,
    COMPARISON_NOTE,
    README_DRAW,
    Targets,
    add_blas_option,
    apply_blas_threads,
    block_seconds,
    clear_caches,
    compare_new_params,
    comparison_row,
    draw_params,
    evaluations,
    fmt_num,
    fmt_ratio,
    fmt_time,
    header,
    import_seconds,
    median,
    print_table,
    readme_model,
    reference,
    report_error,
    time_budget,
    timed,
)

import dynapai_sym
from dynapai_sym.models import readme_payoff

# targets (see benchmarks/README.md)
SOLVE_N2 = 1e-3  # s, median solve n=2
SPEEDUP_N2 = 50.0  # x faster than Nelder-Mead best response, n=2
KKT_N2 = 1e-10  # KKT residual, n=2
COMPILE = {2: 0.5, 6: 2.0}  # s, first solve on a fresh structure
NEW_SOLVE_N2 = 0.3e-3  # s, median certified solve, new parameters each time, n=2
REF_RATIO_N2 = 40.0  # x faster than the reference (solve_baseline), same problems, n=2

IMPORTS = {
    "package: import dynapai_sym": "import dynapai_sym",
    "package: + PayoffFunc, Aggregator, Scenario, models": (
        "import dynapai_sym as dp\ndp.PayoffFunc, dp.Aggregator, dp.Scenario, dp.models"),
}


def bench_compile(n: int) -> dict:
    """First and second solve on a fresh structure (caches cleared)."""
    clear_caches()
    agg = dynapai_sym.Aggregator(readme_payoff(n))
    first, t_first = timed(agg.solve, 1)
    second, t_second = timed(agg.solve, 1)
    blocks = block_seconds(agg)
    return {
        "agg": agg,
        "first": t_first,
        "second": t_second,
        "compile": t_first - t_second,
        "lambdify": sum(blocks.values()),
        "blocks": blocks,
        "first_ok": first.success,
        "second_ok": second.success,
    }


def bench_solve(agg, reps: int, max_seconds: float) -> dict:
    """Median of ``reps`` solves on an already compiled aggregator (at least 3, and fewer than
    ``reps`` once ``max_seconds`` have been spent)."""
    times, evals, results = [], [], []
    for r in range(reps):
        if r >= 3 and sum(times) > max_seconds:
            break
        before = evaluations(agg, [1])
        res, t = timed(agg.solve, 1)
        times.append(t)
        evals.append(evaluations(agg, [1]) - before)
        results.append(res)
    last = results[-1]
    return {
        "median": median(times),
        "min": min(times),
        "max": max(times),
        "success": all(r.success for r in results),
        "n_success": sum(r.success for r in results),
        "kkt": max(r.kkt_residual for r in results),
        "status": last.status,
        "evals": median(evals),
        "iterations": last.iterations,
        "reps": len(times),
    }


def bench_baseline(agg, reps: int, budget: float) -> dict:
    """Nelder-Mead iterated best response: median over ``reps`` runs, each within ``budget`` s."""
    times, evals, results, aborted = [], [], [], 0
    for _ in range(reps):
        before = evaluations(agg, [1])
        res = None
        with time_budget([agg.game(1)], budget) as info:
            res, t = timed(agg.solve, 1, method="best_response_nm")
        if info["aborted"]:
            aborted += 1
            times.append(float("inf"))
        else:
            times.append(t)
            results.append(res)
        evals.append(evaluations(agg, [1]) - before)
    finite = [t for t in times if t != float("inf")]
    out = {
        "reps": reps,
        "aborted": aborted,
        "evals": median(evals),
        "median": median(times) if not aborted else float("inf"),
        "finite_median": median(finite),
    }
    if results:
        out.update(
            success=all(r.success for r in results), kkt=max(r.kkt_residual for r in results), status=results[-1].status
        )
    else:
        out.update(success=False, kkt=float("nan"), status=f"aborted after {budget:g} s budget")
    return out


def make_readme(a: float, theta: float, r: float, n: int = 2):
    return dynapai_sym.Aggregator(readme_model(n, a=a, theta=theta, r=r))


def bench_new_params(n: int, reps: int, ref_reps: int, nm_reps: int, nm_budget: float, per_player: bool) -> dict:
    """Package against the reference on README models with new parameters each time."""
    rng = np.random.default_rng(2024 + 100 * n + per_player)
    if per_player:  # a different value for every player: no symmetry to exploit
        draws = [{k: rng.uniform(*README_DRAW[k], size=n) for k in README_DRAW} for _ in range(reps)]
    else:
        draws = [draw_params(rng) for _ in range(reps)]
    make_agg = functools.partial(make_readme, n=n)
    make_agg(**draws[0]).solve(1)  # compile this structure (timed in the compile table, not here)
    return compare_new_params(make_agg, 1, draws, ref_reps=ref_reps, nm_reps=nm_reps, nm_budget=nm_budget)


def bench_imports(reps: int) -> list[list[str]]:
    rows = [[name, fmt_time(import_seconds(code, reps))] for name, code in IMPORTS.items()]
    ref = reference()
    if ref.available:
        rows.append(["reference: import model, baseline (numpy, scipy)",
                     fmt_time(import_seconds("import model, baseline", reps, path=str(ref.dir)))])
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (about 30 s)")
    parser.add_argument(
        "--players", type=int, nargs="+", default=[2, 4, 6, 8], help="numbers of players (default: 2 4 6 8)"
    )
    add_blas_option(parser)
    args = parser.parse_args(argv)
    apply_blas_threads(args.blas_threads)
    quick = args.quick
    solve_reps = 15 if quick else 50
    solve_seconds = 5.0 if quick else 15.0  # stop repeating a slow solve after this long
    # Nelder-Mead is slow: fewer repeats for more players
    nm_reps = {2: 3, 4: 1} if quick else {2: 7, 4: 5, 6: 3}
    nm_budget = 20.0 if quick else 60.0
    new_reps = 15 if quick else 40  # draws of new parameters
    ref_reps = {2: new_reps, 4: 5 if quick else 10}  # reference solves per n (else 3)

    header("bench_static: one-period README model", quick)
    print(
        f"solve repeats: {solve_reps} (fewer after {solve_seconds:g} s); Nelder-Mead repeats: {nm_reps} (else 1), "
        f"budget {nm_budget:g} s per run"
    )

    targets = Targets()
    compile_rows, solve_rows, base_rows = [], [], []
    measured: dict[int, dict] = {}
    for n in args.players:
        m: dict = {}
        measured[n] = m
        print(f"... n = {n}", flush=True)
        try:
            c = bench_compile(n)
            m["compile"] = c
            blocks = ", ".join(f"{k} {fmt_time(v)}" for k, v in c["blocks"].items())
            compile_rows.append(
                [
                    n,
                    fmt_time(c["first"]),
                    fmt_time(c["second"]),
                    fmt_time(c["compile"]),
                    fmt_time(c["lambdify"]),
                    blocks,
                    "ok" if c["first_ok"] and c["second_ok"] else "NOT certified",
                ]
            )
        except Exception as exc:
            m["compile_error"] = report_error(f"compile n={n}", exc)
            compile_rows.append([n, "error", "", "", "", "", m["compile_error"][:50]])
            continue
        agg = c["agg"]
        try:
            s = bench_solve(agg, solve_reps, solve_seconds)
            m["solve"] = s
            solve_rows.append(
                [
                    n,
                    fmt_time(s["median"]),
                    fmt_time(s["min"]),
                    fmt_time(s["max"]),
                    f"{s['n_success']}/{s['reps']}",
                    fmt_num(s["kkt"]),
                    f"{s['evals']:.0f}",
                    s["status"],
                ]
            )
        except Exception as exc:
            m["solve_error"] = report_error(f"solve n={n}", exc)
            solve_rows.append([n, "error", "", "", "", "", "", m["solve_error"][:50]])
        try:
            b = bench_baseline(agg, nm_reps.get(n, 1), nm_budget)
            m["baseline"] = b
            ours = m.get("solve", {}).get("median", float("nan"))
            # an aborted baseline gives a lower bound: budget / ours
            slow = nm_budget if b["aborted"] else b["median"]
            ratio = slow / ours if ours == ours and ours > 0 else float("nan")
            m["ratio"] = ratio
            shown = (
                fmt_time(b["median"]) if not b["aborted"] else f"> {nm_budget:g} s ({b['aborted']}/{b['reps']} aborted)"
            )
            base_rows.append(
                [
                    n,
                    shown,
                    b["reps"],
                    f"{b['evals']:.0f}",
                    "yes" if b["success"] else "no",
                    fmt_num(b["kkt"]),
                    (">" if b["aborted"] else "") + fmt_num(ratio, ".0f") + "x",
                    b["status"],
                ]
            )
        except Exception as exc:
            m["baseline_error"] = report_error(f"baseline n={n}", exc)
            base_rows.append([n, "error", "", "", "", "", "", m["baseline_error"][:50]])

    # ------------------------------------------------ against the reference, new parameters
    ref = reference()
    print(f"... new parameters against the reference ({ref.note})", flush=True)
    cmp_rows, cmp = [], {}
    for n in args.players:
        for per_player in (False, True) if n == 2 else (False,):
            label = f"n={n} README" + (", per-player draws" if per_player else "")
            try:
                c = bench_new_params(n, new_reps if n == 2 else max(5, new_reps // 3), ref_reps.get(n, 3),
                                     nm_reps.get(n, 1) if not per_player else 0, nm_budget, per_player)
                cmp[(n, per_player)] = c
                cmp_rows.append(comparison_row(label, c))
                if c["mapping"]:
                    print(f"!! {label}: reference skipped, mapping check failed: {c['mapping']}")
            except Exception as exc:
                why = report_error(f"new parameters {label}", exc)
                cmp[(n, per_player)] = {"error": why}
                cmp_rows.append([label, "error", why[:50]] + [""] * 10)
    try:
        import_rows = bench_imports(3 if quick else 5)
    except Exception as exc:
        import_rows = [["imports", report_error("imports", exc)[:60]]]

    print_table(
        "Compile (fresh structure, caches cleared)",
        ["n", "1st solve", "2nd solve", "1st - 2nd", "lambdify", "per block", "certified"],
        compile_rows,
    )
    print_table(
        "Solve after compile (agg.solve(1), repeated; includes certification)",
        ["n", "median", "min", "max", "certified", "max KKT res", "evals/solve", "status"],
        solve_rows,
    )
    print_table(
        "Baseline: iterated best response, Nelder-Mead in log space (method='best_response_nm')",
        ["n", "median", "repeats", "evals/solve", "certified", "KKT res", "NM / ours", "status"],
        base_rows,
    )
    evals_rows = []
    for n, m in measured.items():
        if "solve" in m and "baseline" in m:
            ratio = m["baseline"]["evals"] / m["solve"]["evals"] if m["solve"]["evals"] else float("nan")
            evals_rows.append(
                [n, f"{m['solve']['evals']:.0f}", f"{m['baseline']['evals']:.0f}", fmt_num(ratio, ".1f") + "x"]
            )
    if evals_rows:
        print_table(
            "Payoff/condition evaluations per solve (game.evaluations counter)",
            ["n", "ours", "Nelder-Mead BR", "ratio"],
            evals_rows,
        )
        print(
            "(ours counts compiled gradient/Jacobian calls and certification probes; Nelder-Mead "
            "counts single-profile payoff evaluations)"
        )

    print_table(
        "New parameters each time: package against the reference, same problems, same run "
        f"(A ~ U{README_DRAW['a']}, theta ~ U{README_DRAW['theta']}, r ~ U{README_DRAW['r']})",
        COMPARISON_HEADERS,
        cmp_rows,
    )
    print(COMPARISON_NOTE)
    if not ref.available:
        print(f"NOTE: {ref.note}")
    print_table("Import (fresh process, interpreter start-up excluded; median)", ["what", "time"], import_rows)

    # ------------------------------------------------------------ targets
    c2 = cmp.get((2, False), {"error": "not run (n=2 not among --players)"})
    if "error" in c2:
        targets.fail("n=2 solve, new params each time", f"<= {fmt_time(NEW_SOLVE_N2)}", c2["error"])
    else:
        targets.check("n=2 solve, new params each time", c2["solve_median"], NEW_SOLVE_N2,
                      note=f"median agg.solve(1); {c2['certified']}/{c2['reps']} certified")
        targets.check("n=2 build + solve, new params each time", c2["total_median"], NEW_SOLVE_N2,
                      note=f"build (PayoffFunc + Aggregator) {fmt_time(c2['build_median'])}")
        if c2["ref"]:
            targets.check("n=2 speed-up vs reference (build + solve)", c2["ratio_total"], REF_RATIO_N2,
                          fmt=fmt_ratio, op=">=",
                          note=f"reference {fmt_time(c2['ref_median'])}; vs solve alone "
                               f"{fmt_ratio(c2['ratio_solve'])}")
        else:
            targets.fail("n=2 speed-up vs reference (build + solve)", f">= {REF_RATIO_N2:.0f}x",
                         c2["mapping"] or ref.note)
    m2 = measured.get(2, {})
    if "solve" in m2:
        targets.check("n=2 solve median (same params repeated)", m2["solve"]["median"], SOLVE_N2)
        targets.check("n=2 KKT residual", m2["solve"]["kkt"], KKT_N2, fmt=fmt_num)
    else:
        targets.fail("n=2 solve median", f"<= {fmt_time(SOLVE_N2)}", m2.get("solve_error", "not run"))
        targets.fail("n=2 KKT residual", f"<= {KKT_N2:.0e}", m2.get("solve_error", "not run"))
    if "ratio" in m2:
        targets.check(
            "n=2 speed-up vs package's own NM BR", m2["ratio"], SPEEDUP_N2, fmt=lambda v: fmt_num(v, ".0f") + "x",
            op=">=", note="method='best_response_nm'; the reference row above is the fair one"
        )
    else:
        targets.fail(
            "n=2 speed-up vs package's own NM BR",
            f">= {SPEEDUP_N2:.0f}x",
            m2.get("baseline_error", m2.get("solve_error", "not run")),
        )
    for n, limit in COMPILE.items():
        mn = measured.get(n, {})
        if "compile" in mn:
            targets.check(
                f"n={n} compile (1st solve, fresh)",
                mn["compile"]["first"],
                limit,
                note=f"1st - 2nd solve: {fmt_time(mn['compile']['compile'])}",
            )
        elif n in measured:
            targets.fail(
                f"n={n} compile (1st solve, fresh)", f"<= {fmt_time(limit)}", mn.get("compile_error", "not run")
            )
    targets.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
