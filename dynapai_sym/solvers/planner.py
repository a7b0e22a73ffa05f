r"""The planner's optimum: maximise :math:`W = \sum_i w_i U_i` over every player's actions jointly.

The problem (:class:`~dynapai_sym.numeric.planner.PlannerProblem`) is one objective over the
flat action vector with the game's bounds. It is solved and certified in four steps:

1. **Global search.** Many starts (the given ones, e.g. the Nash equilibrium, scaled by
   0.01..3; each player alone in the race; random profiles, log-uniform over eight orders of
   magnitude) climb together in log coordinates :math:`\ell = \log x` (Adam steps on
   :math:`\partial W/\partial\ell = x \odot \nabla W`, one batched adjoint gradient per step), with
   inputs held above a floor :math:`f_0 = 10^{-12}`.
2. **Newton.** The best distinct end points, and copies of them with the floored inputs set to
   exactly 0 (where the model takes its limits), start the semismooth Newton method on the
   planner's KKT system (:func:`~dynapai_sym.solvers.kkt.solve_kkt`).
3. **Certificate.** A converged point :math:`x^*` is a *certified optimum* when its KKT residual
   is at most ``kkt_tol``, the scaled Hessian of :math:`W` on its free variables is negative
   semi-definite (largest eigenvalue :math:`\le 10^{-7}\max(1, \max|H|)`), and no point of the
   global search beats it by more than ``gain_tol`` :math:`(1 + |W^*|)`.
4. **Suprema.** When the best search point keeps inputs at the floor and setting them to 0
   loses welfare, the floor is lowered, :math:`f_k = f_0^k` (k = 1, 2, 3), and the problem
   re-solved with those inputs bounded below by :math:`f_k`. If welfare keeps rising,
   :math:`W_1 < W_2 < W_3`, no profile attains the supremum: the status is
   ``"unattained supremum"``, with the limit extrapolated as for geometric convergence
   (Aitken), :math:`W_\infty \approx W_3 + d_2^2/(d_1 - d_2)`, :math:`d_k = W_{k+1} - W_k`.
   This happens with the Tullock contest, in which someone always wins: inputs shrinking to 0
   (performance faster than safety) keep winning, while safety rises to 1 and costs fall to 0.

Anything else is reported as ``"not converged"`` with the best profile found.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from .kkt import solve_kkt
from .result import SolverResult

__all__ = ["PlannerStatus", "PlannerOutcome", "PlannerResult", "solve_planner", "search_welfare", "second_order"]

_FLOOR = 1e-12  # inputs are held above this in the search (log coordinates)
_EIGEN_TOL = 1e-7  # second order holds when the largest eigenvalue <= this x max(1, max |H|)
_STEPS = 300  # Adam steps of the batched ascent
_RANDOM = 192  # random starts of the search
_NEWTON_STARTS = 4  # distinct best end points polished by Newton
_DISTINCT = 1e-3  # end points closer than this (relative) are one
_SINKING = 1e-6  # an input at most this (relative to the largest) and pushed down is sinking to 0
_OUT_OF_RACE = 1e-4  # a performance input below this x the largest played is tried at exactly 0
_SCALES = (0.01, 0.1, 0.3, 1.0, 3.0)  # multiples of each given start


class PlannerStatus:
    """Status strings of the planner's solution."""

    CERTIFIED = "certified optimum"
    UNATTAINED = "unattained supremum"
    NOT_CONVERGED = "not converged"


@dataclass
class PlannerOutcome:
    """What :func:`solve_planner` found.

    Attributes
    ----------
    x : ndarray (N,)
        The optimum, or the best profile found.
    success : bool
        True only for a certified optimum.
    welfare : float
        :math:`W(x)`.
    search_best : float
        The best welfare the global search found.
    limit : float or None
        With ``"unattained supremum"``: the extrapolated supremum.
    floors : list of (floor, welfare)
        With ``"unattained supremum"``: welfare at each floor of the continuation.
    """

    x: np.ndarray
    success: bool
    status: str
    message: str
    welfare: float
    kkt_residual: float
    second_order_ok: bool
    max_eigenvalue: float
    search_best: float
    limit: float | None
    iterations: int
    seconds: float
    floors: list = field(default_factory=list)
    notes: list = field(default_factory=list)


@dataclass
class PlannerResult(SolverResult):
    r"""The planner's solution, as a :class:`SolverResult` with the welfare fields.

    ``success`` is True only for a certified optimum; ``status`` is one of
    :class:`PlannerStatus`. ``payoffs`` are each player's :math:`U_i` by the belief the planner
    uses (``belief``, 0-based).

    Attributes
    ----------
    welfare : float
        :math:`W = \sum_i w_i U_i` at the profile.
    weights : ndarray (n,)
    limit : float or None
        With ``"unattained supremum"``: the supremum welfare approaches (extrapolated).
    search_best : float
        The best welfare the global search found.
    belief : int
        Which belief the planner evaluates the players' objectives with.
    horizon : int or float
        T, or ``math.inf`` (stationary play).
    bellman : BellmanCheck or None
        Infinite horizon with one discount factor for all: the planner's Bellman check
        (:func:`~dynapai_sym.solvers.stationary.planner_bellman_check`), which extends the
        optimum from stationary plans to all plans.
    """

    welfare: float = float("nan")
    weights: np.ndarray | None = None
    limit: float | None = None
    search_best: float = float("nan")
    belief: int = 0
    horizon: float = 1
    floors: list = field(default_factory=list)
    bellman: object = None  # infinite horizon with one discount factor: the planner's Bellman check

    def __str__(self) -> str:
        text = super().__str__().replace("SolverResult:", "PlannerResult:", 1)
        extra = f"  welfare W = {self.welfare:.10g}"
        if self.limit is not None:
            extra += f" (supremum about {self.limit:.6g}, not attained)"
        return text + "\n" + extra


# ---------------------------------------------------------------- global search
def _starts(problem, given: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Structured and random starts (B, N), all within the bounds and above the floor."""
    lay, n, k = problem.layout, problem.n, problem.k
    positive = [np.asarray(g, dtype=float) for g in given if np.any(np.asarray(g) > 0)]
    scale = float(np.mean([np.mean(g[g > 0]) for g in positive])) if positive else 1.0
    rows = []
    for g in positive:
        base = np.where(g > _FLOOR, g, 0.1 * scale)
        rows.extend(base * c for c in _SCALES)
        # each player alone in the race (the others at the floor)
        X = lay.unpack(base)
        for i in range(n):
            alone = np.full_like(X, _FLOOR)
            alone[:, i] = X[:, i]
            rows.append(lay.pack(alone))
    rows.append(np.full(problem.N, scale))
    rand = scale * np.exp(rng.uniform(np.log(1e-5), np.log(1e3), size=(_RANDOM, problem.N)))
    X = np.vstack([np.asarray(rows), rand])
    del k
    return np.clip(X, np.maximum(problem.lower, _FLOOR), problem.upper)


def search_welfare(problem, given: list[np.ndarray], rng: np.random.Generator,
                   steps: int = _STEPS) -> tuple[np.ndarray, np.ndarray]:
    r"""Batched multi-start ascent of :math:`W` in log coordinates (module docstring, step 1).

    Returns
    -------
    X : (B, N) the best point each start reached, sorted by welfare (best first)
    W : (B,) their welfare
    """
    X0 = _starts(problem, given, rng)
    lo = np.log(np.maximum(problem.lower, _FLOOR))
    hi = np.log(problem.upper)  # +inf where unbounded
    ell = np.log(X0)
    best_x, best_w = X0.copy(), np.full(X0.shape[0], -np.inf)
    m1 = np.zeros_like(ell)
    m2 = np.zeros_like(ell)
    b1, b2, lr = 0.9, 0.999, 0.3
    for it in range(1, steps + 1):
        x = np.exp(ell)
        w, g = problem.gradient_batch(x)
        ok = np.isfinite(w) & np.all(np.isfinite(g), axis=1)
        better = ok & (w > best_w)
        best_x[better], best_w[better] = x[better], w[better]
        gl = np.where(ok[:, None], x * g, 0.0)
        m1 = b1 * m1 + (1 - b1) * gl
        m2 = b2 * m2 + (1 - b2) * gl * gl
        step = lr * (1.0 - it / (steps + 1)) * (m1 / (1 - b1**it)) / (np.sqrt(m2 / (1 - b2**it)) + 1e-12)
        # a start whose welfare is not defined goes back to its best point
        ell = np.where(ok[:, None], ell + step, np.log(best_x))
        ell = np.clip(ell, lo, hi)
    x = np.exp(ell)
    w = problem.welfare(x)
    better = np.isfinite(w) & (w > best_w)
    best_x[better], best_w[better] = x[better], w[better]
    order = np.argsort(-np.where(np.isfinite(best_w), best_w, -np.inf))
    return best_x[order], best_w[order]


def _exit_variants(problem, x: np.ndarray) -> list[np.ndarray]:
    """Newton starts from a search end point: with the inputs at the floor set to exactly 0, and with
    every player-period whose performance input is below 1e-4 of the largest one played taken out
    of the race (its x_s and x_p at exactly 0; the model takes its limits there), then the point itself."""
    out = []
    floored = x <= _FLOOR * (1 + 1e-9)
    X = problem.layout.unpack(x)  # (T, n, k)
    xp = X[..., 1]
    out_of_race = xp <= _OUT_OF_RACE * max(float(np.max(xp)), _FLOOR)
    if out_of_race.any():
        Y = X.copy()
        Y[..., :2] = np.where(out_of_race[..., None], 0.0, Y[..., :2])
        out.append(problem.layout.pack(Y))
    if floored.any():
        out.append(np.where(floored, 0.0, x))
    out.append(x)
    return out


def _distinct(X: np.ndarray, count: int) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for x in X:
        if all(np.max(np.abs(x - y) / (np.abs(y) + 1e-6)) > _DISTINCT for y in out):
            out.append(x)
        if len(out) == count:
            break
    return out


# ---------------------------------------------------------------- certificate
def second_order(problem, x: np.ndarray, G: np.ndarray, kkt_tol: float) -> tuple[bool, float]:
    """Whether the scaled Hessian of :math:`W` on the free variables is negative semi-definite,
    and its largest eigenvalue (``-inf`` when every variable is at an active bound)."""
    active = ((x <= problem.lower) & (G < -kkt_tol)) | ((x >= problem.upper) & (G > kkt_tol))
    with np.errstate(all="ignore"):
        H = problem.free_hessian(x, active)
    if H.size == 0:
        return True, -np.inf
    finite = np.all(np.isfinite(H) & (np.abs(H) < 1e12), axis=1)
    if not finite.all():  # singular corners (x^alpha at 0) count as active
        H = H[np.ix_(finite, finite)]
        if H.size == 0:
            return True, -np.inf
    eig = float(np.max(np.linalg.eigvalsh(H)))
    return eig <= _EIGEN_TOL * max(1.0, float(np.max(np.abs(H)))), eig


def _newton(problem, start: np.ndarray, options) -> tuple[np.ndarray, float, bool, int]:
    # the plain Fischer–Burmeister function only: its Newton steps stop at the floors the
    # continuation of step 4 extrapolates from (the penalized one runs on to the corner where W
    # jumps down)
    run = solve_kkt(problem, start, tol=options.tol, max_iter=options.iters, rescue=False)
    x = run.x
    with np.errstate(all="ignore"):
        res = problem.kkt_residual(x)
    return x, res, bool(np.isfinite(res) and res <= options.kkt_tol), run.iterations


def _polish_log(problem, x: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """L-BFGS-B in log coordinates with the bounds ``[lower, upper]`` (lower > 0)."""
    lo, hi = np.log(lower), np.log(problem.upper)

    def f(ell):
        xe = np.exp(ell)
        w, g = problem.gradient(xe)
        if not np.isfinite(w):
            return 1e300, np.zeros_like(ell)
        return -w, -(xe * g)

    bounds = [(a, b if np.isfinite(b) else None) for a, b in zip(lo, hi)]
    res = minimize(f, np.clip(np.log(np.maximum(x, lower)), lo, hi), jac=True, method="L-BFGS-B",
                   bounds=bounds, options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-12})
    return np.exp(res.x)


def _sinking(problem, x: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Inputs just above their lower bound (at most 1e-6 of the largest input, and below 1e-6)
    whose condition pushes them down."""
    scale = max(float(np.max(x)), 1.0)
    with np.errstate(invalid="ignore"):
        return (x > problem.lower) & (x <= _SINKING * scale) & ~(G >= 0)


def _rises_towards_zero(problem, x: np.ndarray, G: np.ndarray, w: float, tol: float) -> bool:
    r"""Whether welfare still rises, by more than the tolerance, as the sinking inputs go to their
    bound: they are moved to :math:`c x` and :math:`c^2 x` (:math:`c = 10^{-4}`), and the gain left in
    the limit extrapolated as in :func:`~dynapai_sym.solvers.certify.certify` (near such a corner
    :math:`W \approx C - D x^a`)."""
    sink = _sinking(problem, x, G)
    if not sink.any():
        return False
    c = 1e-4
    deeper = np.stack([x, np.where(sink, c * x, x), np.where(sink, c * c * x, x)])
    v = problem.welfare(deeper)
    d1, d2 = v[1] - v[0], v[2] - v[1]
    if not (np.all(np.isfinite(v)) and d1 > 0):
        return False
    return d1 / max(1.0 - max(d2, 0.0) / d1, 1e-3) > tol * (1.0 + abs(w))


def _supremum(problem, x: np.ndarray, w: float, options):
    """The floor continuation of the module docstring (step 4) from the best profile ``x``, or None
    when welfare does not keep rising as its sinking inputs go to 0."""
    with np.errstate(all="ignore"):
        G = problem.kkt_function(x)
    sink = _sinking(problem, x, G) | ((x > problem.lower) & (x <= _FLOOR * (1 + 1e-9)))
    if not sink.any():
        return None
    at_zero = float(problem.welfare(np.where(sink, problem.lower, x)))
    if np.isfinite(at_zero) and at_zero >= w - options.gain_tol * (1 + abs(w)):
        return None
    floors, values, iterations = [], [], 0
    for k in (1, 2, 3):
        f = _FLOOR ** k
        held = problem.with_lower(np.where(sink, f, problem.lower))
        start = np.where(sink, f, x)
        xn, _, ok, its = _newton(held, start, options)
        iterations += its
        wn = float(held.welfare(xn)) if ok else -np.inf
        xp = _polish_log(held, start, np.where(sink, f, np.maximum(problem.lower, 1e-300)))
        wp = float(held.welfare(xp))
        x, wk = (xn, wn) if wn >= wp else (xp, wp)
        floors.append((f, wk))
        values.append(wk)
    if not values[0] < values[1] < values[2]:
        return None
    return x, values, floors, _aitken(values), at_zero, int(sink.sum()), iterations


def _aitken(values: list[float]) -> float | None:
    d1, d2 = values[-2] - values[-3], values[-1] - values[-2]
    if d1 > 0 and 0 <= d2 < d1:
        return float(values[-1] + d2 * d2 / (d1 - d2))
    return None


# ---------------------------------------------------------------- the solver
def solve_planner(problem, given: list[np.ndarray], options) -> PlannerOutcome:
    """Find and certify the planner's optimum (module docstring).

    Parameters
    ----------
    problem : PlannerProblem
    given : list of ndarray (N,)
        Starting profiles (e.g. the Nash equilibrium); random starts are added.
    options : SolverOptions
        ``tol``, ``iters`` (Newton), ``kkt_tol``, ``gain_tol`` and ``seed`` are used.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(options.seed)
    notes: list[str] = []
    X, W = search_welfare(problem, given, rng)
    search_best = float(W[0])
    iterations = _STEPS
    tol_gain = options.gain_tol
    candidates = []
    for x in _distinct(X[np.isfinite(W)], _NEWTON_STARTS):
        for s in _exit_variants(problem, x):
            xs, res, ok, its = _newton(problem, s, options)
            iterations += its
            w = float(problem.welfare(xs))
            search_best = max(search_best, w) if np.isfinite(w) else search_best
            candidates.append((xs, res, ok, w))
    best = None
    top = (X[0], float(W[0]))  # the best profile seen, for the supremum check
    for xs, res, ok, w in sorted(candidates, key=lambda c: -c[3] if np.isfinite(c[3]) else np.inf):
        if not np.isfinite(w):
            continue
        if w > top[1]:
            top = (xs, w)
        if not ok:
            continue
        G = problem.kkt_function(xs)
        if _rises_towards_zero(problem, xs, G, w, tol_gain):
            continue
        so_ok, eig = second_order(problem, xs, G, options.kkt_tol)
        if best is None:
            best = (xs, res, so_ok, eig, w)
        if so_ok and w >= search_best - tol_gain * (1.0 + abs(w)):
            msg = (f"certified optimum: KKT residual {res:.2e}, second-order condition holds, and no start "
                   f"of the global search found more welfare (best found {search_best:.10g})")
            return PlannerOutcome(xs, True, PlannerStatus.CERTIFIED, msg, w, res, so_ok, eig, search_best,
                                  None, iterations, time.perf_counter() - t0, notes=notes)
    # the best profile with inputs sinking towards 0: a supremum approached as they go to 0?
    sup = _supremum(problem, top[0], top[1], options)
    if sup is not None:
        x, values, floors, limit, at_zero, count, its = sup
        iterations += its
        limit_text = f"about {limit:.6g}" if limit is not None else f"above {values[-1]:.6g}"
        msg = (f"no optimum attained: welfare keeps rising as {count} input(s) go to 0 "
               f"({', '.join(f'{v:.6g} at {f:.0e}' for f, v in floors)}), towards a supremum "
               f"{limit_text} that no profile attains; with those inputs at exactly 0 welfare is {at_zero:.6g}")
        return PlannerOutcome(x, False, PlannerStatus.UNATTAINED, msg, values[-1], float("nan"), False,
                              float("nan"), max(search_best, values[-1]), limit, iterations,
                              time.perf_counter() - t0, floors=floors, notes=notes)
    if best is not None:
        xs, res, so_ok, eig, w = best
        why = [] if so_ok else [f"second-order condition fails (largest eigenvalue {eig:.3g})"]
        if w < search_best - tol_gain * (1.0 + abs(w)):
            why.append(f"the global search found more welfare ({search_best:.10g} against {w:.10g})")
        return PlannerOutcome(xs, False, PlannerStatus.NOT_CONVERGED, "; ".join(why), w, res, so_ok, eig,
                              search_best, None, iterations, time.perf_counter() - t0, notes=notes)
    x = X[0]
    with np.errstate(all="ignore"):
        res = problem.kkt_residual(x)
    return PlannerOutcome(x, False, PlannerStatus.NOT_CONVERGED,
                          f"Newton did not converge from the best search points (KKT residual {res:.2e})",
                          float(W[0]), res, False, float("nan"), search_best, None, iterations,
                          time.perf_counter() - t0, notes=notes)
