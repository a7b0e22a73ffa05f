r"""Iterated best response.

Players take turns (Gauss–Seidel) maximising their own payoff over their whole
schedule with the others' fixed, until no schedule moves by more than ``tol``
(relative). Three inner optimisers:

* ``"lbfgsb"`` — L-BFGS-B on the bounded actions with the exact gradient
  (adjoint through time);
* ``"nelder-mead"`` — Nelder–Mead on :math:`\log x` with no derivatives, the
  algorithm of the dynapai and AIIncentives.jl engines; for non-smooth models (threshold costs);
* ``"log-lbfgsb"`` — L-BFGS-B in :math:`\log x` (down to :math:`10^{-300}`, without stopping
  at the first corner), then in :math:`x` from where it ended (which reaches exact zeros); the
  better of the two, never worse than the current schedule: for equilibria where some inputs
  are tiny or exactly 0 beside others of order one.

The fixed point of the iteration is a profile of mutual best responses (when
each inner solve finds the global best response); the caller certifies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

__all__ = ["best_response", "BRRun", "best_response_to", "maximise_own"]

_FLOOR = 1e-12
#: the log-coordinate ascent's floor, as a fraction of the start's scale: it stands for zero
_LOG_ASCENT_FLOOR = 1e-8
#: times the ascent's floor is lowered (by another factor of :data:`_LOG_ASCENT_FLOOR`) for inputs
#: that end on it still pushed down: a payoff singular at 0 (:math:`x^\beta` with a small
#: :math:`\beta`) can peak at 1e-13 of the other inputs
_FLOOR_EXTENSIONS = 3
#: the smallest input of the log-coordinate ascents of ``inner="log-lbfgsb"``
_LOG_FLOOR = 1e-300


@dataclass
class BRRun:
    x: np.ndarray
    rounds: int
    converged: bool
    change: float
    evaluations: int


def maximise_own(game, i: int, profiles, start: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 maxiter: int = 500, ftol: float = 1e-15, gtol: float = 1e-12,
                 stop: Callable[[np.ndarray, float], bool] | None = None, log_space: bool = False) -> np.ndarray:
    r"""L-BFGS-B (exact adjoint gradient) on player i's mean payoff against each profile in ``profiles``.

    One profile gives an ordinary best response; several (a history) a best response to
    their empirical distribution. Points where the payoff is not finite count as very bad.
    ``stop(own, value)``, called after each iteration with the iterate (in action space) and
    its (mean) payoff, ends the ascent early when it returns True.

    With ``log_space`` the ascent runs in :math:`v = \log x` (gradient :math:`x \odot \nabla_x U`),
    between :math:`\log 10^{-300}` and :math:`\log` of the upper bound: exact zeros (corners
    where :math:`x^\alpha` is singular) are then out of reach, which keeps an ascent from stopping
    at the first corner it meets; starts at zero begin at :math:`10^{-6}`.
    """
    profiles = [np.asarray(p, dtype=float) for p in profiles]
    history = np.array(profiles) if len(profiles) > 1 else None

    def negative_x(own):
        if history is not None:  # a history: one batched pass over all its profiles
            vals, grads = game.player_gradient_profiles(i, own, history)
            if not np.all(np.isfinite(vals)):
                return 1e300, np.zeros_like(own)
            grads = np.nan_to_num(grads, nan=0.0, posinf=1e150, neginf=-1e150)
            return -float(np.mean(vals)), -grads.mean(axis=0)
        total, grad = 0.0, np.zeros_like(own)
        for profile in profiles:
            xv = game.layout.with_own(profile, i, own)
            with np.errstate(all="ignore"):
                val, g = game.player_gradient(i, xv)
            if not np.isfinite(val):
                return 1e300, np.zeros_like(own)
            # a finite payoff with a singular slope (x^alpha at a floor of 1e-300): the slope's
            # direction is what counts there, and the bound stops the step
            g = np.nan_to_num(g, nan=0.0, posinf=1e150, neginf=-1e150)
            total += val
            grad += g
        return -total / len(profiles), -grad / len(profiles)

    start = np.clip(start, lower, upper)
    if log_space:
        log_upper = np.log(np.where(np.isfinite(upper), upper, 1e300))

        def to_x(v):
            return np.minimum(np.exp(v), upper)

        def negative(v):
            own = to_x(v)
            val, grad = negative_x(own)
            return val, grad * own

        x0 = np.minimum(np.log(np.maximum(start, 1e-6)), log_upper)
        # a floor of 1e-8 x the start's scale stands for zero (reached as an active bound, not crawled to)
        floor = _LOG_ASCENT_FLOOR * max(float(np.max(start)), 1e-3)
        x0 = np.maximum(x0, np.log(floor))
        log_floor = np.full(len(start), np.log(floor))
        bounds = list(zip(log_floor, log_upper))
    else:
        def to_x(v):
            return v

        negative, x0 = negative_x, start
        bounds = list(zip(lower, np.where(np.isfinite(upper), upper, None)))
    callback = None
    stopped = [False]  # an early stop ends the ascent: no floor lowered after it
    if stop is not None:
        def callback(intermediate_result):
            if stop(to_x(intermediate_result.x), -float(intermediate_result.fun)):
                stopped[0] = True
                raise StopIteration

    def run(v0, bounds_):
        return minimize(negative, v0, jac=True, method="L-BFGS-B", bounds=bounds_,
                        options={"maxiter": maxiter, "ftol": ftol, "gtol": gtol}, callback=callback)

    res = run(x0, bounds)
    if log_space:
        # inputs that end on the floor still pushed down: the floor may hide the best level
        # (x^beta with a small beta peaks far below it); lowered, and the ascent goes on
        for _ in range(_FLOOR_EXTENSIONS):
            with np.errstate(all="ignore"):
                _, grad = negative(res.x)
            on_floor = (res.x <= log_floor + 1e-9) & (grad > 0)
            if not on_floor.any() or stopped[0]:
                break
            log_floor = np.where(on_floor, log_floor + np.log(_LOG_ASCENT_FLOOR), log_floor)
            bounds = list(zip(log_floor, log_upper))
            better = run(res.x, bounds)
            if not better.fun <= res.fun:
                break
            res = better
    return to_x(res.x)


def best_response_to(game, i: int, x: np.ndarray, start: np.ndarray, inner: str, options) -> np.ndarray:
    """Player i's best response (own schedule, flat) to ``x``, started from ``start``."""
    idx = game.own_index(i)
    lower, upper = game.lower[idx], game.upper[idx]
    if inner == "nelder-mead":
        boxed = np.isfinite(upper)

        def to_x(v):
            out = np.exp(v)
            out[boxed] = np.minimum(out[boxed], upper[boxed])
            return out

        def negative(v):
            val = game.player_objective(i, game.layout.schedules(to_x(v))[None], x)[0]
            return -val if np.isfinite(val) else 1e300

        v0 = np.log(np.maximum(start, 1e-8))
        simplex = [v0] + [v0 + options.init_simplex_size * np.eye(len(v0))[j] for j in range(len(v0))]
        res = minimize(negative, v0, method="Nelder-Mead",
                       options={"maxiter": options.nm_iters * len(v0), "xatol": options.nm_tol,
                                "fatol": options.nm_tol, "initial_simplex": np.array(simplex)})
        return to_x(res.x)

    if inner == "log-lbfgsb":
        return _climb_log_then_raw(game, i, x, start, lower, upper)
    floor = np.maximum(lower, _FLOOR)
    return maximise_own(game, i, [x], start, floor, upper)


def _climb_log_then_raw(game, i: int, x: np.ndarray, start: np.ndarray, lower: np.ndarray,
                        upper: np.ndarray) -> np.ndarray:
    """The ``"log-lbfgsb"`` best response: an ascent in log coordinates, then one in the actions
    from where the first ended; whichever pays more, never worse than ``start``."""
    shape = (1, game.T, game.k)
    best = np.array(start, dtype=float)
    best_val = float(game.player_objective(i, best.reshape(shape), x)[0])
    for log_space in (True, False):
        floor = np.maximum(lower, _LOG_FLOOR) if log_space else lower
        cand = maximise_own(game, i, [x], np.maximum(best, floor), floor, upper, log_space=log_space)
        val = float(game.player_objective(i, cand.reshape(shape), x)[0])
        if np.isfinite(val) and val > best_val:
            best, best_val = cand, val
    return best


def best_response(game, x0: np.ndarray, options, inner: str = "lbfgsb") -> BRRun:
    """Iterate best responses from ``x0`` (see module docstring)."""
    x = np.clip(np.asarray(x0, dtype=float), game.lower, game.upper)
    change = np.inf
    for rnd in range(1, options.iters + 1):
        x_old = x.copy()
        for i in range(game.n):
            idx = game.own_index(i)
            x[idx] = best_response_to(game, i, x, x[idx], inner, options)
        change = float(np.max(np.abs(x - x_old) / (1e-8 + np.abs(x_old) + np.abs(x))))
        if change <= max(options.tol, options.nm_tol if inner == "nelder-mead" else 1e-10):
            return BRRun(x, rnd, True, change, game.evaluations)
    return BRRun(x, options.iters, False, change, game.evaluations)
