"""Multi-period benchmark: compile time, certified solve time, memory, scaling in T.

Cases (see benchmarks/README.md for the targets):

* T=5, invest model, n=2, game ends on a win (``invest_aggregator(2, end_on_win=True)``):
  compile time (first solve after clearing the caches; and ``agg.game(5)`` build plus the
  first ``kkt_jacobian`` call), solve time (``init=None``, which first solves a static game for
  the start; and a warm start from a perturbed previous equilibrium), and the Nelder-Mead
  iterated best-response baseline (``method="best_response_nm"``) with its evaluations;
* T=50, invest model, n=2 (``invest_aggregator(2)``): compile and solve time;
* T=20, sharing model, n=4 (``readme_sharing_aggregator(4)``: the seed README's technology,
  A = B = 10 for every player, with investment and sharing): solve time and peak memory
  (peak RSS of a fresh process that imports, compiles and solves; and this process's ``ru_maxrss``);
  and, reported without a target, ``sharing_aggregator(4)`` (unequal starting safety technology
  A = 10..13, B = 1), where no pure equilibrium is found;
* compile time and one gradient (``game.kkt_function``) versus T in (1, 5, 20, 50) for the
  invest model: compile should be flat in T, a gradient linear in T;
* ``t5new``: the T=5 invest end-on-win model with new parameters for every timed solve (A,
  theta, r drawn around its values from a seeded generator) against the reference implementation
  (``../shared/reference``, when that folder exists): its ``solve_baseline`` (the original engine's
  algorithm) on the same problems, in the same run; the package's own Nelder-Mead next to it.

Every solve runs under a time budget (checked on each call into the game); a solve that runs
out is reported as aborted with a lower bound on its time. Run
``python benchmarks/bench_dynamic.py`` (``--quick`` for a shorter run); exits 0 whatever the
results.
"""

from __future__ import annotations

import argparse
import math
import resource
import sys

import _paths
import numpy as np
from _common import (
    COMPARISON_HEADERS,
    COMPARISON_NOTE,
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
    invest_model,
    median,
    print_table,
    reference,
    report_error,
    time_budget,
    timed,
)

from dynapai_sym.models import invest_aggregator, readme_sharing_aggregator, sharing_aggregator

# targets (see benchmarks/README.md)
T5_COMPILE, T5_SOLVE = 2.0, 0.050
T50_COMPILE, T50_SOLVE = 3.0, 1.0
SHARE_SOLVE, SHARE_MEMORY = 5.0, 1024.0  # s, MB
FLAT_RATIO = 1.5  # compile(T=50) / compile(T=5)
GRAD_EXPONENT = 1.2  # growth exponent of a gradient's time in T (1 = linear)
T5_NEW_SOLVE = 0.015  # s, median T=5 certified solve, new parameters each time
T5_REF_RATIO = 130.0  # x faster than the reference (solve_baseline), same problems

MB = 1024.0 * 1024.0


class Config:
    def __init__(self, quick: bool):
        self.quick = quick
        self.t5_reps = 3 if quick else 9  # solves of T=5 per start
        self.t5_budget = 20.0  # per T=5 solve
        self.nm_budget = 10.0 if quick else 25.0  # Nelder-Mead best response, T=5
        self.t50_reps = 1 if quick else 2  # solves of T=50 after the first
        self.t50_budget = 15.0 if quick else 20.0
        self.share_budget = 15.0 if quick else 40.0  # timing run
        self.share_mem_budget = 60.0 if quick else 90.0  # fresh process: import, compile, solve
        self.sweep = (1, 5, 20, 50)
        self.grad_reps = 5 if quick else 20
        self.new_reps = 5 if quick else 15  # T=5 draws of new parameters (package)
        self.new_ref_reps = 3 if quick else 7  # of which also solved by the reference (about 1 s each)
        self.new_nm_reps = 1  # package Nelder-Mead on new parameters, within nm_budget


def ru_maxrss_mb() -> float:
    """Peak resident set size of this process so far, MB (ru_maxrss is KB on Linux, B on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / MB if sys.platform == "darwin" else rss / 1024.0


def budgeted_solve(agg, T: int, budget: float, **kwargs) -> dict:
    """One ``agg.solve(T, **kwargs)`` under a time budget, with evaluations and status."""
    horizons = sorted({1, T})
    games = [agg.game(t) for t in horizons]
    before = evaluations(agg, horizons)
    res, seconds = None, float("nan")
    with time_budget(games, budget) as info:
        res, seconds = timed(agg.solve, T, **kwargs)
    out = {"evals": evaluations(agg, horizons) - before, "aborted": info["aborted"], "res": res, "budget": budget}
    if info["aborted"]:
        out.update(
            seconds=float("inf"),
            success=False,
            kkt=float("nan"),
            status=f"aborted: over {budget:g} s budget",
            iterations=None,
        )
    else:
        out.update(
            seconds=seconds, success=res.success, kkt=res.kkt_residual, status=res.status, iterations=res.iterations
        )
    return out


def time_text(run: dict) -> str:
    return f"> {run['budget']:g} s" if run["aborted"] else fmt_time(run["seconds"])


def repeated(agg, T: int, reps: int, budget: float, init_fn=None) -> dict:
    """Median over ``reps`` budgeted solves; stops early once one is aborted."""
    runs = []
    for r in range(reps):
        kwargs = {} if init_fn is None else {"init": init_fn(r)}
        run = budgeted_solve(agg, T, budget, **kwargs)
        runs.append(run)
        if run["aborted"]:
            break
    aborted = any(r["aborted"] for r in runs)
    return {
        "runs": runs,
        "aborted": aborted,
        "budget": budget,
        "seconds": float("inf") if aborted else median([r["seconds"] for r in runs]),
        "n_success": sum(r["success"] for r in runs),
        "reps": len(runs),
        "kkt": max((r["kkt"] for r in runs), default=float("nan")),
        "evals": median([r["evals"] for r in runs]),
        "status": runs[-1]["status"],
        "res": next((r["res"] for r in reversed(runs) if r["res"] is not None), None),
    }


def perturbed(res, rng, scale: float = 0.05):
    """A start near a previous result: its strategies times exp(U(-scale, scale))."""
    data = res.strategies.data * np.exp(rng.uniform(-scale, scale, size=res.strategies.data.shape))
    if data.shape[-1] == 6:
        data[..., 4:] = np.minimum(data[..., 4:], 1.0)
    return data


def cold_jacobian(make_agg, T: int, reps: int = 3) -> dict:
    """Clear caches; time building ``agg.game(T)`` and its first and later ``kkt_jacobian`` calls."""
    clear_caches()
    agg = make_agg()
    game, t_build = timed(agg.game, T)
    x = agg.default_init(T)
    _, t_first = timed(game.kkt_jacobian, x)
    warm = median([timed(game.kkt_jacobian, x)[1] for _ in range(reps)])
    blocks = block_seconds(agg)
    return {
        "build": t_build,
        "first": t_first,
        "warm": warm,
        "compile": t_build + t_first - warm,
        "blocks": blocks,
        "agg": agg,
        "x": x,
    }


def cold_solve(make_agg, T: int, budget: float) -> dict:
    """Clear caches; one budgeted ``agg.solve(T)`` on a fresh structure."""
    clear_caches()
    agg = make_agg()
    run = budgeted_solve(agg, T, budget)
    run["agg"] = agg
    return run


def compile_part(first: dict, hot: dict) -> float:
    """First solve minus the median later solve (NaN when either ran out of its budget)."""
    if first["aborted"] or hot["aborted"]:
        return float("nan")
    return first["seconds"] - hot["seconds"]


def blocks_text(blocks: dict) -> str:
    return ", ".join(f"{k} {fmt_time(v)}" for k, v in blocks.items())


# ---------------------------------------------------------------------- cases
def compile_case(make, T: int, label: str, target_name: str, goal: float, targets: Targets, rows: dict) -> None:
    """Cold compile of a model over T periods: one row of the compile table and one target."""
    try:
        jac = cold_jacobian(make, T)
        rows["compile"].append([label, fmt_time(jac["build"]), fmt_time(jac["first"]), fmt_time(jac["warm"]),
                                fmt_time(jac["compile"]), blocks_text(jac["blocks"])])
        targets.check(target_name, jac["compile"], goal)
    except Exception as exc:
        why = report_error(f"T={T} cold kkt_jacobian", exc)
        rows["compile"].append([label, "error", "", "", "", why[:50]])
        targets.fail(target_name, f"<= {fmt_time(goal)}", why)


def case_t5(cfg: Config, targets: Targets, rows: dict) -> None:
    def make():
        return invest_aggregator(2, end_on_win=True)

    T = 5
    compile_case(make, T, "invest T=5 end_on_win n=2", "T=5 compile: game build + 1st kkt_jacobian", T5_COMPILE,
                 targets, rows)

    try:
        first = cold_solve(make, T, cfg.t5_budget)
        agg = first["agg"]
        hot = repeated(agg, T, cfg.t5_reps, cfg.t5_budget)
        rng = np.random.default_rng(0)
        base = hot["res"] if hot["res"] is not None and hot["res"].success else first["res"]
        warm = (
            repeated(agg, T, cfg.t5_reps, cfg.t5_budget, init_fn=lambda r: perturbed(base, rng))
            if base is not None
            else None
        )
        compile_s = compile_part(first, hot)
        rows["first"].append(
            [
                "invest T=5 end_on_win n=2",
                time_text(first),
                fmt_time(hot["seconds"]),
                fmt_time(compile_s),
                first["status"],
            ]
        )
        rows["solve"].append(
            [
                "invest T=5 n=2, init=None",
                fmt_time(hot["seconds"]) if not hot["aborted"] else f"> {cfg.t5_budget:g} s",
                f"{hot['n_success']}/{hot['reps']}",
                fmt_num(hot["kkt"]),
                f"{hot['evals']:.0f}",
                hot["status"],
            ]
        )
        if warm is not None:
            rows["solve"].append(
                [
                    "invest T=5 n=2, init=perturbed eq.",
                    fmt_time(warm["seconds"]) if not warm["aborted"] else f"> {cfg.t5_budget:g} s",
                    f"{warm['n_success']}/{warm['reps']}",
                    fmt_num(warm["kkt"]),
                    f"{warm['evals']:.0f}",
                    warm["status"],
                ]
            )
        targets.check("T=5 compile: 1st solve - median solve", compile_s, T5_COMPILE)
        targets.check(
            "T=5 solve median (init=None)",
            hot["seconds"],
            T5_SOLVE,
            note=f"{hot['n_success']}/{hot['reps']} certified",
            shown=f"> {cfg.t5_budget:g} s" if hot["aborted"] else None,
        )
    except Exception as exc:
        why = report_error("T=5 solve", exc)
        rows["solve"].append(["invest T=5 n=2", "error", "", "", "", why[:50]])
        targets.fail("T=5 solve median (init=None)", f"<= {fmt_time(T5_SOLVE)}", why)
        return

    try:
        nm = budgeted_solve(agg, T, cfg.nm_budget, method="best_response_nm")
        ours = hot["seconds"]
        ratio = nm["seconds"] / ours if ours > 0 and math.isfinite(ours) else float("nan")
        if nm["aborted"]:  # a lower bound
            ratio = cfg.nm_budget / ours if ours > 0 and math.isfinite(ours) else float("nan")
        rows["baseline"].append(
            [
                "invest T=5 end_on_win n=2",
                time_text(nm),
                f"{nm['evals']:.0f}",
                "yes" if nm["success"] else "no",
                fmt_num(nm["kkt"]),
                (">" if nm["aborted"] else "") + fmt_num(ratio, ".0f") + "x",
                f"{hot['evals']:.0f}",
                nm["status"],
            ]
        )
    except Exception as exc:
        why = report_error("T=5 Nelder-Mead baseline", exc)
        rows["baseline"].append(["invest T=5 end_on_win n=2", "error", "", "", "", "", "", why[:50]])


def case_t50(cfg: Config, targets: Targets, rows: dict) -> None:
    def make():
        return invest_aggregator(2)

    T = 50
    compile_case(make, T, "invest T=50 n=2", "T=50 compile: game build + 1st kkt_jacobian", T50_COMPILE, targets, rows)

    try:
        first = cold_solve(make, T, cfg.t50_budget)
        agg = first["agg"]
        if first["aborted"]:
            hot = {
                "seconds": float("inf"),
                "aborted": True,
                "n_success": 0,
                "reps": 0,
                "kkt": float("nan"),
                "evals": float("nan"),
                "status": first["status"],
                "res": None,
            }
        else:
            hot = repeated(agg, T, cfg.t50_reps, cfg.t50_budget)
        compile_s = compile_part(first, hot)
        rows["first"].append(
            ["invest T=50 n=2", time_text(first), fmt_time(hot["seconds"]), fmt_time(compile_s), first["status"]]
        )
        rows["solve"].append(
            [
                "invest T=50 n=2, init=None",
                fmt_time(hot["seconds"]) if not hot["aborted"] else f"> {cfg.t50_budget:g} s",
                f"{hot['n_success']}/{hot['reps']}",
                fmt_num(hot["kkt"]),
                fmt_num(hot["evals"], ".0f"),
                hot["status"],
            ]
        )
        base = hot["res"] if hot["res"] is not None and hot["res"].success else first["res"]
        if base is not None and base.success:
            rng = np.random.default_rng(1)
            warm = repeated(agg, T, 1, cfg.t50_budget, init_fn=lambda r: perturbed(base, rng))
            rows["solve"].append(
                [
                    "invest T=50 n=2, init=perturbed eq.",
                    fmt_time(warm["seconds"]) if not warm["aborted"] else f"> {cfg.t50_budget:g} s",
                    f"{warm['n_success']}/{warm['reps']}",
                    fmt_num(warm["kkt"]),
                    fmt_num(warm["evals"], ".0f"),
                    warm["status"],
                ]
            )
        if not first["aborted"]:
            targets.check("T=50 compile: 1st solve - median solve", compile_s, T50_COMPILE)
        targets.check(
            "T=50 solve median (init=None)",
            hot["seconds"],
            T50_SOLVE,
            shown=f"> {cfg.t50_budget:g} s" if hot["aborted"] else None,
            note=(
                f"{hot['n_success']}/{hot['reps']} certified"
                if not hot["aborted"]
                else f"aborted after {cfg.t50_budget:g} s"
            ),
        )
    except Exception as exc:
        why = report_error("T=50 solve", exc)
        rows["solve"].append(["invest T=50 n=2", "error", "", "", "", why[:50]])
        targets.fail("T=50 solve median (init=None)", f"<= {fmt_time(T50_SOLVE)}", why)


def case_sharing(cfg: Config, targets: Targets, rows: dict) -> None:
    T = 20
    # unequal starting technology: reported without a target (no pure equilibrium is found)
    try:
        hard = cold_solve(lambda: sharing_aggregator(4), T, cfg.share_budget)
        rows["first"].append(["sharing T=20 n=4, unequal A", time_text(hard), "", "", hard["status"]])
        rows["solve"].append(["sharing T=20 n=4, unequal A (1st solve)", time_text(hard),
                              "1/1" if hard["success"] else "0/1", fmt_num(hard["kkt"]),
                              f"{hard['evals']:.0f}", hard["status"]])
    except Exception as exc:
        why = report_error("T=20 sharing (unequal A) solve", exc)
        rows["solve"].append(["sharing T=20 n=4, unequal A", "error", "", "", "", why[:50]])
    try:
        first = cold_solve(lambda: readme_sharing_aggregator(4), T, cfg.share_budget)
        agg = first["agg"]
        rows["first"].append(["sharing T=20 n=4", time_text(first), "", "", first["status"]])
        run = budgeted_solve(agg, T, cfg.share_budget) if not first["aborted"] else first
        label = "sharing T=20 n=4, init=None" + (" (1st solve)" if first["aborted"] else "")
        rows["solve"].append(
            [
                label,
                time_text(run),
                "1/1" if run["success"] else "0/1",
                fmt_num(run["kkt"]),
                f"{run['evals']:.0f}",
                run["status"],
            ]
        )
        targets.check(
            "T=20 sharing n=4 solve",
            run["seconds"],
            SHARE_SOLVE,
            shown=time_text(run),
            note=(f"aborted after {cfg.share_budget:g} s" if run["aborted"] else run["status"]),
        )
    except Exception as exc:
        why = report_error("T=20 sharing solve", exc)
        rows["solve"].append(["sharing T=20 n=4", "error", "", "", "", why[:50]])
        targets.fail("T=20 sharing n=4 solve", f"<= {fmt_time(SHARE_SOLVE)}", why)
        return

    try:
        child = child_peak_rss(T, cfg.share_mem_budget)
        rss = ru_maxrss_mb()
        if child["error"]:
            raise RuntimeError(child["error"])
        scope = (f"fresh process: import {child['base_mb']:.0f} MB, + compile and solve "
                 f"({fmt_time(child['seconds'])}, {child['status']})")
        rows["memory"].append(["sharing T=20 n=4", f"{child['peak_mb']:.1f} MB", f"{rss:.1f} MB", scope])
        targets.check(
            "T=20 sharing peak RSS (fresh process)",
            child["peak_mb"],
            SHARE_MEMORY,
            fmt=lambda v: fmt_num(v, ".1f") + " MB",
            note=f"solve adds {child['peak_mb'] - child['base_mb']:.0f} MB to the imported package",
        )
        targets.check(
            "T=20 sharing peak RSS (ru_maxrss, this process)",
            rss,
            SHARE_MEMORY,
            fmt=lambda v: fmt_num(v, ".1f") + " MB",
            note="whole benchmark process so far",
        )
    except Exception as exc:
        why = report_error("T=20 sharing memory", exc)
        rows["memory"].append(["sharing T=20 n=4", "error", "", why[:50]])
        targets.fail("T=20 sharing peak memory", f"<= {SHARE_MEMORY:.0f} MB", why)


_CHILD = """
import json, resource, time
from dynapai_sym.models import readme_sharing_aggregator
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
agg = readme_sharing_aggregator(4)
t0 = time.perf_counter()
res = agg.solve({T})
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"base_kb": base, "peak_kb": peak, "seconds": seconds, "status": res.status}}))
"""


def child_peak_rss(T: int, budget: float) -> dict:
    """Peak resident memory (``ru_maxrss``) of a fresh process that imports the package, then
    compiles and solves the sharing model over T periods: the whole footprint of one solve."""
    import json
    import subprocess

    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD.format(T=T)], capture_output=True, text=True,
                              timeout=budget, cwd=str(_paths.REPO_ROOT), env=_paths.child_env())
    except subprocess.TimeoutExpired:
        return {"error": f"the fresh-process solve ran over {budget:g} s"}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "child failed"}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"error": "", "base_mb": out["base_kb"] / 1024.0, "peak_mb": out["peak_kb"] / 1024.0,
            "seconds": out["seconds"], "status": out["status"]}


def case_sweep(cfg: Config, targets: Targets, rows: dict) -> None:
    compile_by_t, grad_by_t = {}, {}
    for T in cfg.sweep:
        try:
            jac = cold_jacobian(lambda: invest_aggregator(2), T)
            game, x = jac["agg"].game(T), jac["x"]
            _, g_first = timed(game.kkt_function, x)
            g_warm = median([timed(game.kkt_function, x)[1] for _ in range(cfg.grad_reps)])
            compile_by_t[T], grad_by_t[T] = jac["compile"], g_warm
            rows["sweep"].append(
                [
                    T,
                    len(x),
                    fmt_time(jac["build"]),
                    fmt_time(jac["first"]),
                    fmt_time(jac["warm"]),
                    fmt_time(jac["compile"]),
                    fmt_time(g_first),
                    fmt_time(g_warm),
                    fmt_time(g_warm / T),
                    "static block" if T == 1 else "dynamic block",
                ]
            )
        except Exception as exc:
            why = report_error(f"sweep T={T}", exc)
            rows["sweep"].append([T, "", "error", "", "", "", "", "", "", why[:50]])
    if 5 in compile_by_t and 50 in compile_by_t:
        targets.check(
            "compile flat in T: compile(50) / compile(5)",
            compile_by_t[50] / compile_by_t[5],
            FLAT_RATIO,
            fmt=lambda v: fmt_num(v, ".2f") + "x",
        )
    if 5 in grad_by_t and 50 in grad_by_t:
        exponent = math.log(grad_by_t[50] / grad_by_t[5]) / math.log(10.0)
        targets.check(
            "gradient at most linear in T: exponent 5->50",
            exponent,
            GRAD_EXPONENT,
            fmt=lambda v: fmt_num(v, ".2f"),
            note=f"gradient T=5 {fmt_time(grad_by_t[5])}, T=50 {fmt_time(grad_by_t[50])}",
        )


def case_t5new(cfg: Config, targets: Targets, rows: dict) -> None:
    """T=5 invest end-on-win, new parameters for every timed solve, against the reference."""
    T = 5
    rng = np.random.default_rng(505)
    draws = [draw_params(rng) for _ in range(cfg.new_reps)]
    ref = reference()
    try:
        invest_model(2, **draws[0]).solve(T)  # compile this structure (measured by case t5, not here)
        c = compare_new_params(lambda **p: invest_model(2, end_on_win=True, **p), T, draws,
                               ref_reps=cfg.new_ref_reps, nm_reps=cfg.new_nm_reps, nm_budget=cfg.nm_budget)
    except Exception as exc:
        why = report_error("T=5 new parameters", exc)
        rows["reference"].append(["invest T=5 end_on_win n=2", "error", why[:50]] + [""] * 10)
        targets.fail("T=5 solve, new params each time", f"<= {fmt_time(T5_NEW_SOLVE)}", why)
        return
    rows["reference"].append(comparison_row("invest T=5 end_on_win n=2", c))
    if c["mapping"]:
        print(f"!! T=5: reference skipped, mapping check failed: {c['mapping']}")
    targets.check("T=5 solve, new params each time", c["solve_median"], T5_NEW_SOLVE,
                  note=f"median agg.solve(5), init=None; {c['certified']}/{c['reps']} certified")
    targets.check("T=5 build + solve, new params each time", c["total_median"], T5_NEW_SOLVE,
                  note=f"build (PayoffFunc + Aggregator) {fmt_time(c['build_median'])}")
    if c["ref"]:
        targets.check("T=5 speed-up vs reference (build + solve)", c["ratio_total"], T5_REF_RATIO, fmt=fmt_ratio,
                      op=">=", note=f"reference {fmt_time(c['ref_median'])} ({c['ref_converged']}/{len(c['ref'])} "
                                    f"converged); vs solve alone {fmt_ratio(c['ratio_solve'])}")
    else:
        targets.fail("T=5 speed-up vs reference (build + solve)", f">= {T5_REF_RATIO:.0f}x", c["mapping"] or ref.note)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter budgets")
    parser.add_argument(
        "--cases",
        nargs="+",
        default=["t5", "t5new", "t50", "sharing", "sweep"],
        choices=["t5", "t5new", "t50", "sharing", "sweep"],
        help="cases to run (default: all)",
    )
    add_blas_option(parser)
    args = parser.parse_args(argv)
    apply_blas_threads(args.blas_threads)
    cfg = Config(args.quick)

    header("bench_dynamic: multi-period models", cfg.quick)
    print(
        f"time budgets: T=5 solve {cfg.t5_budget:g} s, Nelder-Mead {cfg.nm_budget:g} s, "
        f"T=50 solve {cfg.t50_budget:g} s, sharing {cfg.share_budget:g} s "
        f"(+{cfg.share_mem_budget:g} s in a fresh process for memory)"
    )
    targets = Targets()
    rows = {key: [] for key in ("compile", "first", "solve", "baseline", "reference", "memory", "sweep")}
    cases = {"t5": case_t5, "t5new": case_t5new, "t50": case_t50, "sharing": case_sharing, "sweep": case_sweep}
    for name in args.cases:
        print(f"... {name}", flush=True)
        try:
            cases[name](cfg, targets, rows)
        except Exception as exc:  # anything the case itself did not catch
            report_error(name, exc)

    print_table(
        "Compile, cold (caches cleared): agg.game(T) build + kkt_jacobian calls",
        ["case", "game build", "1st jacobian", "jacobian (warm)", "build+1st-warm", "lambdify per block"],
        rows["compile"],
    )
    print_table(
        "First solve on a fresh structure (caches cleared)",
        ["case", "1st solve", "median solve", "1st - median", "status"],
        rows["first"],
    )
    print_table(
        "Solve after compile (median; includes certification; init=None also solves a static game for the start)",
        ["case", "median", "certified", "max KKT res", "evals/solve", "status"],
        rows["solve"],
    )
    print_table(
        "Baseline: iterated best response, Nelder-Mead in log space (method='best_response_nm')",
        ["case", "time", "evals", "certified", "KKT res", "NM / ours", "our evals", "status"],
        rows["baseline"],
    )
    if rows["reference"]:
        print_table(
            "New parameters each time: package against the reference, same problems, same run "
            "(A ~ U(8, 12), theta ~ U(0.35, 0.65), r ~ U(0.07, 0.13))",
            COMPARISON_HEADERS,
            rows["reference"],
        )
        print(COMPARISON_NOTE)
        ref = reference()
        if not ref.available:
            print(f"NOTE: {ref.note}")
    print_table("Memory", ["case", "peak RSS (fresh process)", "ru_maxrss (this process)", "scope"],
                rows["memory"])
    print_table(
        "Invest model n=2 versus T (caches cleared per T; gradient = game.kkt_function)",
        [
            "T",
            "N vars",
            "game build",
            "1st jacobian",
            "jacobian (warm)",
            "compile",
            "1st gradient",
            "gradient",
            "gradient / T",
            "note",
        ],
        rows["sweep"],
    )
    print(
        "(compile = build + 1st jacobian - warm jacobian; the 1st gradient call also compiles "
        "the first-derivative block)"
    )
    targets.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
