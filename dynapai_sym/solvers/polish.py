r"""Newton in log coordinates on the free inputs: the last digits of an equilibrium whose inputs
span many orders of magnitude.

At some equilibria a player's input sits many orders below the others' (a performance input of
:math:`10^{-12}` beside safety inputs of order one). There the payoff behaves like
:math:`x^\alpha` with :math:`\alpha < 1`: its slope changes by orders of magnitude within
:math:`x` itself, and the semismooth Newton iteration of :mod:`.kkt` (steps in :math:`x`, one
merit over all conditions) overshoots to the bound or stalls a little above its tolerance.

This iteration finishes such a run. The variables split in three:

* **held at a bound**: a singular corner exactly at its lower bound (a player sitting out: its
  condition is not finite there; see :meth:`~dynapai_sym.numeric.NumericGame.singular_corners`),
  a variable exactly at a bound, and one within ``hold`` of its lower bound whose condition
  pushes it there (:math:`x_j + G_j \le l_j`: its natural residual is :math:`x_j - l_j` itself).
  Below ``hold`` (:math:`10^{-13}`) a condition carries a rounding error of about
  :math:`10^{-16}/x_j` (the derivative of :math:`x^\beta/(x^\beta + b)` by the quotient rule
  cancels two terms of size :math:`x^{-1}`), so it no longer locates a root;
* **free**: the others, strictly inside their bounds.

On the free set :math:`F` it solves :math:`G_F(x) = 0` by Newton's method in
:math:`u = \log(x_F - l_F)`, whose Jacobian

.. math::

    \frac{\partial G_F}{\partial u} = \frac{\partial G_F}{\partial x_F}\,
    \operatorname{diag}(x_F - l_F)

is well scaled however small the inputs: the step
:math:`\Delta u = -(\partial G_F/\partial u)^{-1} G_F` is capped at :data:`MAX_LOG_STEP` (a
factor :math:`e^{2}`) and damped by backtracking on :math:`\tfrac12\|G_F\|^2` (the Newton step
is a descent direction for it in any coordinates). It stops when the natural residual of the
whole profile (:meth:`~dynapai_sym.numeric.NumericGame.kkt_residual`) reaches ``tol``, or when
no step lowers the merit (the conditions cannot be resolved further in floating point).

It only finishes runs: the caller certifies what it returns, like any other first-order point.

Conditions met to the precision of the inputs
---------------------------------------------
Where a condition is that steep, it cannot be brought below the tolerance at all: moving
:math:`x_j = 4\cdot10^{-12}` by one unit in the last place (:math:`8\cdot10^{-28}`) changes a
condition whose slope is :math:`7\cdot10^{18}` by :math:`6\cdot10^{-9}`. :func:`met_to_rounding`
therefore accepts each variable's natural residual up to the tolerance plus
:data:`ROUNDING_ULPS` such steps, :math:`|\partial_j G_j|\,\mathrm{ulp}(x_j)`; for inputs of
ordinary size and slope that allowance is below :math:`10^{-15}`. The certificate's first-order
test uses it too; its global probe still checks every deviation by its payoff.
"""

from __future__ import annotations

import numpy as np

from .kkt import KKTRun, jacobian_is_cheap, solve_small

__all__ = ["log_newton", "met_to_rounding", "rounding_allowance", "MAX_LOG_STEP", "ROUNDING_ULPS"]

#: largest change of a free variable's logarithm in one step
MAX_LOG_STEP = 2.0
#: backtracking halvings of one step
HALVINGS = 40
#: units in the last place of an input within which its condition counts as met (see :func:`met_to_rounding`)
ROUNDING_ULPS = 4.0


def rounding_allowance(x: np.ndarray, JG: np.ndarray) -> np.ndarray:
    r"""What each condition can change within :data:`ROUNDING_ULPS` units in the last place of its
    variable: :math:`4\,|\partial G_j/\partial x_j|\,\mathrm{ulp}(x_j)` (0 where the slope is not finite)."""
    with np.errstate(all="ignore"):
        slope = np.abs(np.diagonal(JG))
        out = ROUNDING_ULPS * slope * np.spacing(np.abs(x))
    return np.where(np.isfinite(out), out, 0.0)


def met_to_rounding(game, x: np.ndarray, G: np.ndarray, JG: np.ndarray | None, tol: float) -> bool:
    """Whether every variable's natural residual is at most ``tol`` plus its :func:`rounding_allowance`
    (``JG`` None: at most ``tol``)."""
    with np.errstate(invalid="ignore"):
        r = np.abs(game.natural_residual(x, G))
    allowed = tol if JG is None else tol + rounding_allowance(x, JG)
    return bool(np.all(r <= allowed))


def log_newton(game, x0: np.ndarray, tol: float = 1e-12, max_iter: int = 40, hold: float = 1e-13) -> KKTRun:
    """Newton's method in log coordinates on the free variables from ``x0`` (see the module docstring).

    Parameters
    ----------
    game : NumericGame
        Provides ``kkt_jacobian(x) -> (G, dG/dx)``, ``kkt_function``, ``kkt_residual``,
        ``lower``, ``upper`` and, optionally, ``cheap_jacobian`` (whether a Jacobian costs about
        what the conditions cost; if not, trial points are tested on the conditions first).
    x0 : ndarray
        Start, typically the end of a Newton run that came close.
    tol : float
        Stop when the natural residual is at most ``tol``.
    max_iter : int
        Most steps.
    hold : float
        A variable within ``hold`` of its lower bound whose condition pushes it there is held.

    Returns
    -------
    KKTRun
        ``converged`` when the residual reached ``tol``, or :func:`met_to_rounding`; otherwise the best point reached
        (message ``"stalled"``: no step lowered the merit; ``"no free variables"``;
        ``"iteration limit"``).
    """
    lower, upper = game.lower, game.upper
    x = np.minimum(np.maximum(np.asarray(x0, dtype=float), lower), upper)
    cheap = jacobian_is_cheap(game)
    with np.errstate(all="ignore"):
        G, JG = game.kkt_jacobian(x)
    for it in range(max_iter + 1):
        with np.errstate(all="ignore"):
            res = game.kkt_residual(x, G)
        if res <= tol or met_to_rounding(game, x, G, JG, tol):
            return KKTRun(x, res, it, True, "converged" if res <= tol else "converged to the precision of the inputs")
        if it == max_iter:
            break
        with np.errstate(invalid="ignore"):
            held = (x <= lower) | (x >= upper) | ((x + G <= lower) & (x - lower <= hold))
        free = np.flatnonzero(~held)
        if not free.size:
            return KKTRun(x, res, it, False, "no free variables")
        g = G[free]
        scale = x[free] - lower[free]
        Ju = JG[np.ix_(free, free)] * scale[None, :]
        if not (np.all(np.isfinite(g)) and np.all(np.isfinite(Ju))):
            return KKTRun(x, res, it, False, "stalled")
        du = solve_small(Ju, -g)
        if du is None:  # exactly singular: the least-squares step
            du = np.linalg.lstsq(Ju, -g, rcond=None)[0]
        if not np.all(np.isfinite(du)):
            return KKTRun(x, res, it, False, "stalled")
        largest = float(np.max(np.abs(du)))
        if largest > MAX_LOG_STEP:
            du *= MAX_LOG_STEP / largest
        merit = 0.5 * float(g @ g)
        alpha, moved = 1.0, False
        for _ in range(HALVINGS):
            trial = x.copy()
            trial[free] = np.minimum(lower[free] + scale * np.exp(alpha * du), upper[free])
            with np.errstate(all="ignore"):
                tG, tJG = game.kkt_jacobian(trial) if cheap else (game.kkt_function(trial), None)
            tg = tG[free]
            if np.all(np.isfinite(tg)) and 0.5 * float(tg @ tg) <= merit * (1.0 - 1e-4 * alpha):
                if tJG is None:  # accepted: its Jacobian now
                    with np.errstate(all="ignore"):
                        tG, tJG = game.kkt_jacobian(trial)
                x, G, JG, moved = trial, tG, tJG, True
                break
            alpha *= 0.5
        if not moved:
            return KKTRun(x, res, it, False, "stalled")
    return KKTRun(x, res, max_iter, False, "iteration limit")
