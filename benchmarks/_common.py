"""Helpers shared by the benchmark scripts (timing, time budgets, cache clearing, tables), and the
glue to the reference implementation (``../shared/reference``, when that folder exists).

Not part of the package; imported by the scripts in this folder when they are run as scripts
(``python benchmarks/bench_static.py``), which puts this folder on ``sys.path``. Importing it puts
this checkout of the package first on ``sys.path`` (see ``_paths.py``).
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from types import SimpleNamespace

import _paths
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


def fmt_ratio(value) -> str:
    """A speed ratio: ``12x``, ``3.4x``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


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


# ---------------------------------------------------------------- fresh processes
def fresh_process_json(code: str, timeout: float) -> dict:
    """Run ``code`` in a fresh Python process that imports this checkout; parse the JSON it prints
    on its last line. Returns ``{"error": ...}`` on a failure or a timeout."""
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                              cwd=str(_paths.REPO_ROOT), env=_paths.child_env())
    except subprocess.TimeoutExpired:
        return {"error": f"ran over {timeout:g} s"}
    if proc.returncode != 0 or not proc.stdout.strip():
        lines = proc.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


_IMPORT_CODE = """
import json, sys, time
sys.path.insert(0, {path!r})
t0 = time.perf_counter()
{imports}
print(json.dumps({{"seconds": time.perf_counter() - t0}}))
"""


def import_seconds(imports: str, reps: int = 3, path: str | None = None) -> float:
    """Median wall time of ``imports`` (Python statements) in fresh processes, interpreter start-up
    excluded. ``path`` is put first on the child's ``sys.path``."""
    code = _IMPORT_CODE.format(path=path or str(_paths.REPO_ROOT), imports=imports)
    times = []
    for _ in range(reps):
        out = fresh_process_json(code, timeout=120)
        if "error" in out:
            raise RuntimeError(f"import in a fresh process failed: {out['error']}")
        times.append(out["seconds"])
    return median(times)


# ---------------------------------------------------------------- models with new parameters
# The README model and the invest model with parameters drawn around their published values, so
# that no timed solve can be served from a cache of an earlier answer.
README_DRAW = {"r": (0.07, 0.13), "theta": (0.35, 0.65), "a": (8.0, 12.0)}


def draw_params(rng: np.random.Generator, ranges: dict = README_DRAW) -> dict:
    """One draw of scalar parameters, uniform in ``ranges`` (name: (low, high))."""
    return {name: float(rng.uniform(lo, hi)) for name, (lo, hi) in ranges.items()}


def readme_model(n: int = 2, a=10.0, theta=0.5, r=0.1):
    """``models.readme_payoff(n)`` with A, theta and r given (scalars or per-player vectors)."""
    ones = np.ones(n)
    prod = dynapai_sym.ProdFunc(a=ones * a, alpha=ones * 0.5, b=ones * 10.0, beta=ones * 0.5)
    return dynapai_sym.PayoffFunc(prod_func=prod, risk_func=dynapai_sym.RiskFunc.winner_only(ones * theta),
                                  d=ones * 1.0, r=ones * r)


def invest_model(n: int = 2, a=10.0, theta=0.5, r=0.1, end_on_win: bool = True):
    """``models.invest_aggregator(n, end_on_win)`` with A, theta and r given."""
    ones = np.ones(n)
    prod = dynapai_sym.ProdFunc(a=ones * a, alpha=ones * 0.5, b=ones * 1.0, beta=ones * 0.5)
    pf = dynapai_sym.PayoffFunc(prod_func=prod, risk_func=dynapai_sym.RiskFunc.winner_only(ones * theta),
                                csf=dynapai_sym.CSF.maybe_no_win(), d=ones * 1.0, r=ones * r, r_inv=ones * 0.01)
    return dynapai_sym.Aggregator(pf, gammas=np.linspace(0.1, 0.9, n), end_on_win=end_on_win)


# ---------------------------------------------------------------- reference implementation
_REFERENCE: SimpleNamespace | None = None


#: the reference's names of the disaster forms
_REFERENCE_DISASTER = {"per_winner": "seed"}


def reference() -> SimpleNamespace:
    """The reference implementation in ``../shared/reference`` (relative to the repository root).

    Returns a namespace with ``available`` (bool) and ``note`` (why not, or where from); when
    available, also the modules ``model`` and ``baseline``. The folder is put on ``sys.path`` (its
    modules import each other by plain names: ``model``, ``baseline``, ``model_loops``, ``_env``).
    Nothing of it is copied; users of the package do not have it.
    """
    global _REFERENCE
    if _REFERENCE is not None:
        return _REFERENCE
    where = _paths.REFERENCE_DIR
    if not (where / "baseline.py").is_file() or not (where / "model.py").is_file():
        _REFERENCE = SimpleNamespace(available=False, note=f"reference columns skipped: {where} not found")
        return _REFERENCE
    sys.path.insert(0, str(where))
    try:
        import baseline
        import model
    except Exception as exc:  # a broken reference should not stop the benchmark
        _REFERENCE = SimpleNamespace(available=False, note=f"reference at {where} failed to import: {exc}")
        return _REFERENCE
    finally:
        sys.path.remove(str(where))
    check = model.readme_check()
    if not np.allclose(check, -0.2099315, atol=1e-7):
        _REFERENCE = SimpleNamespace(available=False, note=f"reference README check gives {check}, not -0.2099315")
        return _REFERENCE
    _REFERENCE = SimpleNamespace(available=True, note=f"reference implementation: {where}", model=model,
                                 baseline=baseline, dir=where)
    return _REFERENCE


class MappingError(ValueError):
    """A package model that the reference cannot express, or whose payoffs the two disagree on."""


_RISK_FORMS = ("winner_only", "multiplicative", "additive")
_CSF_FORMS = {"default": "basic", "maybe_no_win": "maybe_no_win"}
_ACTIONS = {2: "basic", 4: "invest", 6: "sharing"}
_TRANSITIONS = {2: "none", 4: "invest", 6: "sharing"}


def _vec(v) -> list[float]:
    return [float(x) for x in np.asarray(v, dtype=float).reshape(-1)]


def _payoff_params(pf) -> tuple[dict, dict]:
    """(per-player parameters, structure) of one package PayoffFunc in the reference's terms."""
    n = pf.n
    prod, risk, csf, reward, cost = pf.prod_func, pf.risk_func, pf.csf, pf.reward_func, pf.cost_func
    if risk.form not in _RISK_FORMS:
        raise MappingError(f"risk form {risk.form!r} has no reference counterpart")
    if csf.form not in _CSF_FORMS:
        raise MappingError(f"contest form {csf.form!r} has no reference counterpart")
    if reward.is_custom:
        raise MappingError("a user-written reward has no reference counterpart")
    if pf.disaster_cost.is_matrix:
        raise MappingError("a disaster-cost matrix d_ij has no reference counterpart")
    if cost.form != "fixed":
        raise MappingError(f"cost form {cost.form!r} has no reference counterpart (only fixed prices)")
    if pf.transition.form != _TRANSITIONS[pf.k]:
        raise MappingError(f"transition {pf.transition.form!r} is not the default for k={pf.k}")
    params = {"A": _vec(prod.a), "alpha": _vec(prod.alpha), "B": _vec(prod.b), "beta": _vec(prod.beta),
              "theta": _vec(risk.theta), "d": _vec(pf.d), "r": _vec(cost.values["r"]),
              "win_a": _vec(reward.win_a), "win_b": _vec(reward.win_b), "lose_a": _vec(reward.lose_a),
              "lose_b": _vec(reward.lose_b)}
    if pf.k >= 4:
        params["r_inv"] = _vec(cost.values["rinv"])
    if pf.k == 6:
        params["r_share"] = _vec(cost.values.get("rshare", np.zeros(n)))
    structure = {"action": _ACTIONS[pf.k], "risk": risk.form, "csf": _CSF_FORMS[csf.form],
                 "csf_k": float(csf.scale) if csf.form == "maybe_no_win" else 1.0,
                 "disaster": _REFERENCE_DISASTER.get(pf.disaster, pf.disaster),
                 "share_map": pf.share_map}
    if risk.form != "winner_only":
        structure["risk_w"] = _vec(risk.w) if risk.w is not None else [1.0] * n
    return params, structure


def reference_problem(model, t: int = 1) -> dict:
    """The reference problem dict of a package model over ``t`` periods.

    ``model`` is a ``dynapai_sym.Aggregator`` (its gammas and end_on_win are used) or a
    ``PayoffFunc`` (one period, or undiscounted periods). Covered: ``ProdFunc``; winner-only,
    multiplicative and additive risk (with weights); the default and maybe-no-win contests (with
    their scale); the linear ``RewardFunc``; a disaster-cost vector; fixed prices (r, r_inv,
    r_share); the default transitions with either share map; heterogeneous beliefs. Anything else
    raises :class:`MappingError`. Check a mapping with :func:`check_reference_payoffs`.
    """
    if isinstance(model, dynapai_sym.Aggregator):
        agg = model
        beliefs = agg.state.beliefs
        gammas = _vec(agg.gammas) if agg.gammas is not None else [1.0] * agg.n
        end_on_win = bool(agg.end_on_win)
        common = agg.state.common
    else:
        beliefs, gammas, end_on_win, common = (model,), [1.0] * model.n, False, True
    mapped = [_payoff_params(pf) for pf in beliefs]
    params, structure = mapped[0]
    if any(s != structure for _, s in mapped[1:]):
        raise MappingError("beliefs that differ in structure (forms, contest scale, weights) have no reference "
                           "counterpart")
    params = dict(params, gamma=gammas)
    problem = {"n": int(beliefs[0].n), "T": int(t), "params": params, "end_on_win": end_on_win, **structure}
    if not common:
        problem["beliefs"] = [dict(p, gamma=gammas) for p, _ in mapped]
    return problem


def random_profiles(rng: np.random.Generator, shape: tuple, count: int, share_map: str = "fraction",
                    zeros: float = 0.0) -> np.ndarray:
    """``count`` random nonnegative profiles of ``shape`` (T, n, k): lognormal inputs (a fraction ``zeros``
    of them set to exactly 0), shares in [0, 1] for ``share_map="fraction"``."""
    X = rng.lognormal(-1.0, 1.0, size=(count, *shape))
    if zeros:
        X[rng.random(X.shape) < zeros] = 0.0
    if shape[-1] == 6 and share_map == "fraction":
        X[..., 4:] = rng.uniform(0.0, 1.0, size=X[..., 4:].shape)
    return X


def package_payoffs(agg, X: np.ndarray) -> np.ndarray:
    """The package's payoffs (``agg.u``) of a batch of profiles ``(..., T, n, k)``: ``(..., n)``."""
    X = np.asarray(X, dtype=float)
    flat = X.reshape(-1, *X.shape[-3:])
    out = np.array([agg.u(dynapai_sym.Strategies(x)) for x in flat])
    return out.reshape(*X.shape[:-3], X.shape[-2])


def check_reference_payoffs(agg, problem: dict, rng: np.random.Generator, count: int = 4,
                            rtol: float = 1e-9) -> float:
    """Compare the package's and the reference's payoffs at ``count`` random profiles (and the all-ones
    profile); return the largest relative difference, or raise :class:`MappingError` above ``rtol``.

    The profiles are strictly positive: no limit at an exact zero (which both implementations take,
    such as x_s = x_p = 0 giving a safety probability of 0) is involved."""
    ref = reference()
    if not ref.available:
        raise MappingError(ref.note)
    shape = (problem["T"], problem["n"], len(ref.model.ACTION_COORDS[problem["action"]]))
    X = np.concatenate([np.ones((1, *shape)), random_profiles(rng, shape, count, problem.get("share_map", "fraction"))])
    mine = package_payoffs(agg, X)
    theirs = ref.model.payoffs(problem, X)
    with np.errstate(invalid="ignore"):
        rel = np.abs(mine - theirs) / (1.0 + np.abs(theirs))
    worst = float(np.nanmax(rel)) if np.isfinite(rel).any() else float("inf")
    if not (np.isfinite(mine) == np.isfinite(theirs)).all() or worst > rtol:
        raise MappingError(f"payoffs differ: package {mine.tolist()} vs reference {theirs.tolist()} "
                           f"(largest relative difference {worst:.2e})")
    return worst


def reference_payoff_function(problem: dict) -> Callable[[np.ndarray], np.ndarray]:
    """Batch payoffs of the reference model: ``X (..., T, n, k) -> U (..., n)`` (compiled once)."""
    ref = reference()
    cp = ref.model.compile_problem(problem)

    def payoffs(X):
        with np.errstate(all="ignore"):
            return ref.model.payoffs(cp, X)

    return payoffs


def _blas_one_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def time_reference(problem: dict, params: dict | None = None, seed: int = 0, **options) -> tuple[float, object]:
    """``(seconds, BaselineResult)`` of one ``solve_baseline`` (the original engine's algorithm) on
    ``problem`` with ``params`` overriding entries of ``problem["params"]``.

    The reference's own set-up (the problem dict compiled to arrays) is inside the time, as a user
    of it would pay it. BLAS runs on one thread, as the reference's ``_env`` sets up and as the package
    does during its solves.
    """
    ref = reference()
    if not ref.available:
        raise MappingError(ref.note)
    if params:
        problem = dict(problem, params=dict(problem["params"], **params))
    with _blas_one_thread():
        t0 = time.perf_counter()
        res = ref.baseline.solve_baseline(problem, seed=seed, **options)
        seconds = time.perf_counter() - t0
    return seconds, res


# ---------------------------------------------------------------- speed against the reference

def time_reference_on(agg, t: int, rng: np.random.Generator, seed: int = 0) -> tuple[float, object, dict]:
    """Map ``agg`` to a reference problem, check both give the same payoffs, then time the reference.

    Returns the seconds, the reference's result and the problem dict. Raises :class:`MappingError`
    (or what the check raises) when the model has no faithful mapping.
    """
    problem = reference_problem(agg, t)
    check_reference_payoffs(agg, problem, rng)
    return (*time_reference(problem, seed=seed), problem)

def budgeted_solve_time(agg, t: int, budget: float, **kwargs) -> tuple[float, object]:
    """``(seconds, result)`` of ``agg.solve(t, **kwargs)``; ``(inf, None)`` when it runs over ``budget``."""
    games = [agg.game(h) for h in sorted({1, t})]
    res, seconds = None, float("inf")
    with time_budget(games, budget) as info:
        res, seconds = timed(agg.solve, t, **kwargs)
    return (float("inf"), None) if info["aborted"] else (seconds, res)


def compare_new_params(make_agg: Callable, t: int, draws: list[dict], *, ref_reps: int, nm_reps: int = 0,
                       nm_budget: float = 20.0, check_rng: np.random.Generator | None = None) -> dict:
    """The package and the reference on the same problems, new parameters for every timed solve.

    For each parameter draw (a dict for ``make_agg``): build the package model (``make_agg(**draw)``,
    timed: *build*) and solve it over ``t`` periods (timed: *solve*; the compile happened before, on
    the first structure). For the first ``ref_reps`` draws also: map the model to the reference
    (:func:`reference_problem`), check that both give the same payoffs at random profiles (untimed),
    and time ``solve_baseline`` on it (seed = draw index). The two alternate, so both see the same
    machine load. Then ``method="best_response_nm"`` (the package's own Nelder-Mead baseline) on
    fresh models of the first ``nm_reps`` draws, each within ``nm_budget`` seconds.
    """
    ref = reference()
    rng = check_rng if check_rng is not None else np.random.default_rng(12345)
    out = {"build": [], "solve": [], "total": [], "certified": 0, "ref": [], "ref_converged": 0, "gap": [],
           "mapping": "", "nm": [], "nm_certified": 0, "reps": len(draws)}
    for j, draw in enumerate(draws):
        t0 = time.perf_counter()
        agg = make_agg(**draw)
        t1 = time.perf_counter()
        res = agg.solve(t)
        t2 = time.perf_counter()
        out["build"].append(t1 - t0)
        out["solve"].append(t2 - t1)
        out["total"].append(t2 - t0)
        out["certified"] += bool(res.success)
        if j < ref_reps and ref.available and not out["mapping"]:
            try:
                seconds, base, problem = time_reference_on(agg, t, rng, seed=j)
            except MappingError as exc:
                out["mapping"] = str(exc)
                continue
            out["ref"].append(seconds)
            out["ref_converged"] += bool(base.converged)
            # how far apart the answers are, in the reference's own payoffs
            U = reference_payoff_function(problem)(np.stack([res.strategies.data, base.strategies]))
            out["gap"].append(float(np.max(np.abs(U[0] - U[1]) / (1.0 + np.abs(U[1])))))
    for draw in draws[:nm_reps]:
        agg = make_agg(**draw)
        seconds, res = budgeted_solve_time(agg, t, nm_budget, method="best_response_nm")
        out["nm"].append(seconds)
        out["nm_certified"] += bool(res is not None and res.success)
    out["nm_budget"] = nm_budget
    for key in ("build", "solve", "total", "ref"):
        out[f"{key}_median"] = median(out[key])
    finite_nm = [s for s in out["nm"] if math.isfinite(s)]
    out["nm_aborted"] = len(out["nm"]) - len(finite_nm)
    # an aborted run counts as its budget: the median is then a lower bound
    out["nm_median"] = median([min(s, nm_budget) for s in out["nm"]]) if out["nm"] else float("nan")
    total, solve, refm = out["total_median"], out["solve_median"], out["ref_median"]
    out["ratio_total"] = refm / total if total > 0 else float("nan")
    out["ratio_solve"] = refm / solve if solve > 0 else float("nan")
    out["nm_ratio"] = out["nm_median"] / total if total > 0 else float("nan")
    return out


def comparison_row(label: str, c: dict) -> list[str]:
    """One row of a 'package against the reference' table (see :func:`compare_new_params`)."""
    ref_text = fmt_time(c["ref_median"]) if c["ref"] else "skipped"
    nm_text = "not run"
    if c["nm"]:
        nm_text = ((">" if c["nm_aborted"] else "") + fmt_time(c["nm_median"])
                   + (f" ({c['nm_aborted']}/{len(c['nm'])} over {c['nm_budget']:g} s)" if c["nm_aborted"] else "")
                   + f", {c['nm_certified']}/{len(c['nm'])} cert.")

    def ratio(v):
        return fmt_ratio(v) if c["ref"] else "n/a"

    return [label, str(c["reps"]), fmt_time(c["build_median"]), fmt_time(c["solve_median"]),
            fmt_time(c["total_median"]), f"{c['certified']}/{c['reps']}", ref_text,
            f"{c['ref_converged']}/{len(c['ref'])}" if c["ref"] else "",
            ratio(c["ratio_total"]), ratio(c["ratio_solve"]),
            fmt_num(max(c["gap"]), ".1e") if c["gap"] else "", nm_text,
            (">" if c["nm_aborted"] else "") + fmt_ratio(c["nm_ratio"]) if c["nm"] else ""]


COMPARISON_HEADERS = ["case", "draws", "build", "solve", "build+solve", "certified", "reference",
                      "ref conv.", "ref/(b+s)", "ref/solve", "payoff gap", "package NM BR", "NM/(b+s)"]
COMPARISON_NOTE = (
    "build = constructing PayoffFunc and Aggregator from the drawn parameters; solve = agg.solve (certified);\n"
    "reference = solve_baseline on the mapped problem dict (iterated best response, Nelder-Mead in log space,\n"
    "the original engine's algorithm; its dict-to-array set-up included), median over the draws shown;\n"
    "payoff gap = largest |U_i(package answer) - U_i(reference answer)| / (1 + |U_i|), both in the reference's\n"
    "payoffs; package NM BR = agg.solve(method='best_response_nm') on fresh models of the first draws.")
