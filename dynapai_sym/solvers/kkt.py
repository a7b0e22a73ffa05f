r"""KKT root-finding: Fischer–Burmeister reformulation, projected Levenberg–Marquardt.

The game's first-order conditions with bounds form a mixed complementarity
problem (MCP): with :math:`F = -G` (minus the scaled gradient), find
:math:`x \in [l, u]` with :math:`F_j \ge 0` where :math:`x_j = l_j`,
:math:`F_j \le 0` where :math:`x_j = u_j`, :math:`F_j = 0` in between.

Each condition is written as one equation :math:`\phi_j(x) = 0` with the
Fischer–Burmeister function :math:`\phi_{FB}(a, b) = a + b - \sqrt{a^2 + b^2}`
(zero iff :math:`a, b \ge 0, ab = 0`):

.. math::

    \phi_j = \phi_{FB}(x_j - l_j, F_j) \quad (u_j = \infty), \qquad
    \phi_j = \phi_{FB}\big(x_j - l_j, -\phi_{FB}(u_j - x_j, -F_j)\big) \quad \text{(boxes)}

(the box form is Billups' composition). A run that drifts to ever larger inputs (where
:math:`\phi_{FB}` levels off, far from a solution) or fails is repeated from its start with the
rows of variables that have only a lower bound penalized
(:func:`penalized_fischer_burmeister`: :math:`\lambda\phi_{FB} + (1 - \lambda) a_+ \min(b_+, 1)`).
:math:`\phi` is semismooth, and
:math:`\tfrac12\|\phi\|^2` is continuously differentiable, so corners are
solved exactly (no interior-point smoothing). Steps: the semismooth Newton
step when the generalised Jacobian is well conditioned, otherwise a
Levenberg–Marquardt step :math:`(J^\top J + \mu I) d = -J^\top \phi` with
:math:`\mu = \|\phi\|^2`; then a projected backtracking line search
:math:`x^+ = \Pi_{[l,u]}(x + \alpha d)` on the merit :math:`\tfrac12\|\phi\|^2`
(Kanzow, Yamashita & Fukushima 2004, "Levenberg–Marquardt methods with strong
local convergence properties for solving nonlinear equations with convex
constraints", J. Comput. Appl. Math. 172).

Source for the FB reformulation: Facchinei & Pang (2003), *Finite-Dimensional
Variational Inequalities and Complementarity Problems*, ch. 9; Billups (1995)
for the box form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

__all__ = ["fischer_burmeister", "penalized_fischer_burmeister", "mcp_residual", "solve_kkt", "KKTRun",
           "jacobian_is_cheap", "solve_small"]

_DIAG = 1.0 - 1.0 / np.sqrt(2.0)


def fischer_burmeister(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r""":math:`\phi(a, b) = a + b - \sqrt{a^2 + b^2}` and an element of its generalised gradient."""
    r = np.hypot(a, b)
    positive = r > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        if positive.all():  # the common case: no (0, 0) pair, no masking needed
            return a + b - r, 1.0 - a / r, 1.0 - b / r
        safe = np.where(positive, r, 1.0)
        da = np.where(positive, 1.0 - a / safe, _DIAG)
        db = np.where(positive, 1.0 - b / safe, _DIAG)
    return a + b - r, da, db


#: weight of the Fischer–Burmeister term in :func:`penalized_fischer_burmeister`
PENALTY_LAMBDA = 0.8
#: the penalty's second factor is capped at this: near a singular corner (a -> 0 with b -> inf)
#: the row stays linear in a, so Newton keeps its rate there
PENALTY_CAP = 1.0


def penalized_fischer_burmeister(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The penalized Fischer–Burmeister function of Chen, Chen & Kanzow (2000) and an element of
    its generalised gradient:

    .. math::

        \phi_\lambda(a, b) = \lambda\,\phi_{FB}(a, b) + (1 - \lambda)\, a_+ \min(b_+, 1),
        \qquad \lambda = 0.8 .

    Zero exactly where :math:`\phi_{FB}` is (:math:`a, b \ge 0`, :math:`ab = 0`). The penalty
    matters far from a solution: :math:`\phi_{FB}(a, b) \to b` as :math:`a \to \infty` with
    :math:`b > 0` fixed, a plateau of :math:`\tfrac12\|\phi_{FB}\|^2` where a player's condition
    is a constant price (the payoff flat), on which a Newton search can wander off to ever larger
    inputs; :math:`a_+ b_+` grows there instead. (Chen, Chen & Kanzow, "A penalized Fischer–Burmeister
    NCP-function", Math. Programming 88, 2000.) The second factor is capped at 1: a player giving
    up an input sits at a singular corner, :math:`a \to 0` with :math:`b \to \infty` (an infinite
    slope), where :math:`a b` would fall only as :math:`a^{\beta\theta}` and Newton would crawl;
    capped, the row stays linear in :math:`a`. The cap keeps the function zero exactly at
    complementarity (the penalty is positive only where both arguments are).
    """
    phi, da, db = fischer_burmeister(a, b)
    lam = PENALTY_LAMBDA
    both = (a > 0) & (b > 0)
    if not both.any():
        return lam * phi, lam * da, lam * db
    ap = np.where(both, a, 0.0)
    bp = np.where(both, np.minimum(b, PENALTY_CAP), 0.0)
    db_pen = np.where(b < PENALTY_CAP, ap, 0.0)
    return lam * phi + (1.0 - lam) * ap * bp, lam * da + (1.0 - lam) * bp, lam * db + (1.0 - lam) * db_pen


def mcp_residual(x, F, lower, upper, boxed: np.ndarray | None = None,
                 penalized: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r""":math:`\phi(x)` and diagonal factors with :math:`\partial\phi = D_x + D_F\, \partial F`.

    ``boxed``: which variables have a finite upper bound (``np.isfinite(upper)``), if known.
    ``penalized``: the lower-bound rows use :func:`penalized_fischer_burmeister` (else the plain
    function)."""
    boxed = np.isfinite(upper) if boxed is None else boxed
    phi, da, db = (penalized_fischer_burmeister if penalized else fischer_burmeister)(x - lower, F)
    if not boxed.any():
        return phi, da, db
    dx, dF = da.copy(), db.copy()
    psi, pa, pb = fischer_burmeister(upper[boxed] - x[boxed], -F[boxed])
    phib, qa, qb = fischer_burmeister(x[boxed] - lower[boxed], -psi)
    phi = phi.copy()
    phi[boxed] = phib
    # d(phi) = qa dx - qb d(psi);  d(psi) = -pa dx - pb dF
    dx[boxed] = qa + qb * pa
    dF[boxed] = qb * pb
    return phi, dx, dF


@dataclass
class KKTRun:
    """Outcome of one KKT solve."""

    x: np.ndarray
    residual: float
    iterations: int
    converged: bool
    message: str
    #: a run (the plain one or its rescue) stopped at ``max_iter`` steps, still moving
    capped: bool = False


def solve_kkt(game, x0: np.ndarray, tol: float = 1e-12, max_iter: int = 200, rescue: bool = True) -> KKTRun:
    """Solve the game's KKT system from ``x0`` (see module docstring).

    Parameters
    ----------
    game : NumericGame
        Provides ``kkt_jacobian(x) -> (G, dG/dx)``, ``lower``, ``upper``.
    x0 : ndarray
        Start (projected onto the bounds).
    tol : float
        Stop when the natural residual :math:`\\|x - \\Pi(x + G)\\|_\\infty` is below ``tol``.
    max_iter : int
        Maximum number of steps.
    rescue : bool
        When the run drifts (an input grows past :data:`DRIFT` times the start's largest, where
        the Fischer–Burmeister merit levels off, far from a solution) or ends with its residual
        above :data:`RESCUE_ABOVE`, run again from ``x0`` with the penalized function
        (:func:`penalized_fischer_burmeister`) and return the run with the smaller residual (steps
        counted together). The planner's
        search, which follows welfare to the floors of a supremum no profile attains, runs
        without the rescue.
    """
    with np.errstate(all="ignore"):  # far from a solution, values may overflow: caught as non-finite
        run = _solve_kkt(game, x0, tol, max_iter, False, rescue)
        if not rescue or run.converged or run.residual <= RESCUE_ABOVE:
            return run
        again = _solve_kkt(game, x0, tol, max_iter, True, False)
        best = again if (again.converged or again.residual < run.residual) else run
        return KKTRun(best.x, best.residual, run.iterations + again.iterations, best.converged, best.message,
                      run.capped or again.capped)


#: a plain run that ends with its residual above this (not converged) is rescued (:func:`solve_kkt`);
#: one that ends closer (e.g. at a singular corner) is left to the caller's tolerance
RESCUE_ABOVE = 1e-6

#: a run whose largest input exceeds this many times ``max(1, largest input of the start)`` is
#: drifting (see :func:`solve_kkt`)
DRIFT = 30.0


def drifting(x: np.ndarray, scale) -> np.ndarray | bool:
    """Whether profiles ``x`` (``(N,)`` or ``(B, N)``) have drifted beyond :data:`DRIFT` times
    ``scale`` (``max(1, largest input of the start)``, a number or ``(B,)``)."""
    return np.max(x, axis=-1) > DRIFT * scale


def drift_scale(x0: np.ndarray):
    """The scale :func:`drifting` compares with: ``max(1, largest input)`` of the start(s)."""
    return np.maximum(1.0, np.max(x0, axis=-1))


def _solve_kkt(game, x0: np.ndarray, tol: float, max_iter: int, penalized: bool = False,
               watch_drift: bool = False) -> KKTRun:
    lower, upper = game.lower, game.upper
    boxed = np.isfinite(upper)
    x = np.minimum(np.maximum(np.asarray(x0, dtype=float), lower), upper)
    drift_limit = DRIFT * float(drift_scale(x))
    diagonal = np.arange(len(x)) * (len(x) + 1)  # flat indices of the diagonal

    # singular corners of the start (a player sitting a period out) stay fixed for the run;
    # the steps may not create new ones (their conditions are not finite: the line search backs off)
    pinned = np.zeros(len(x), dtype=bool)
    any_pinned = False

    def evaluate(xv, G=None, JG=None):
        if G is None:
            G, JG = game.kkt_jacobian(xv)
        if any_pinned:
            G, JG = _pin(G, JG, pinned)
        if not (np.isfinite(G).all() and np.isfinite(JG).all()):
            return None
        phi, dx, dF = mcp_residual(xv, -G, lower, upper, boxed, penalized)
        if any_pinned:  # held exactly: a zero row of phi, a unit row of its Jacobian
            phi, dx, dF = np.where(pinned, 0.0, phi), np.where(pinned, 1.0, dx), np.where(pinned, 0.0, dF)
        return G, JG, phi, dx, dF

    def merit_of(xv):
        """Merit at a trial point from the conditions alone (no Jacobian)."""
        G = game.kkt_function(xv)
        if any_pinned:
            G = np.where(pinned, -1.0, G)
        if not np.isfinite(G).all():
            return None
        phi, _, _ = mcp_residual(xv, -G, lower, upper, boxed, penalized)
        if any_pinned:
            phi = np.where(pinned, 0.0, phi)
        return 0.5 * float(phi @ phi)

    cheap_jacobian = jacobian_is_cheap(game)
    G0, JG0 = game.kkt_jacobian(x)
    corners = game.singular_corners(x, G0, JG0)
    # a corner is only held where the payoffs themselves are defined
    if corners.any() and np.isfinite(game.payoffs(x)).all():
        pinned[:] = corners
        any_pinned = True
    state = evaluate(x, G0, JG0)
    if state is None:
        return KKTRun(x, np.inf, 0, False, "the conditions are not finite at the start")
    best_res = np.inf
    stall = 0
    for it in range(1, max_iter + 1):
        G, JG, phi, dx, dF = state
        res = game.kkt_residual(x, G)
        if res <= tol:
            x, res = _snap(game, x, G, res, tol)
            return KKTRun(x, res, it - 1, True, "converged")
        if res < best_res * 0.999:
            best_res, stall = res, 0
        else:
            stall += 1
            if stall > 25:
                return KKTRun(x, res, it - 1, False, "stalled")
        merit = 0.5 * float(phi @ phi)
        J = dF[:, None] * -JG  # d(phi)/dx with F = -G: diag(dx) - diag(dF) dG/dx
        J.flat[diagonal] += dx
        accepted = False
        for d in _directions(J, phi, merit, x):
            alpha = 1.0
            for _ in range(40):
                x_new = np.minimum(np.maximum(x + alpha * d, lower), upper)
                if cheap_jacobian:  # one compiled call gives both: no separate merit evaluation
                    new_state = evaluate(x_new)
                    new_merit = None if new_state is None else 0.5 * float(new_state[2] @ new_state[2])
                    if new_merit is not None and (new_merit <= merit * (1.0 - 1e-4 * alpha) or new_merit < 1e-30):
                        x, state = x_new, new_state
                        accepted = True
                        break
                    alpha *= 0.5
                    continue
                new_merit = merit_of(x_new)
                if new_merit is not None and (new_merit <= merit * (1.0 - 1e-4 * alpha) or new_merit < 1e-30):
                    new_state = evaluate(x_new)
                    if new_state is not None:
                        x, state = x_new, new_state
                        accepted = True
                        break
                alpha *= 0.5
            if accepted:
                break
        if not accepted:
            return KKTRun(x, res, it, False, "line search failed")
        if watch_drift and x.max() > drift_limit:  # drifting
            return KKTRun(x, res, it, False, "drifting")
    G = state[0]
    res = game.kkt_residual(x, G)
    if res <= tol:
        x, res = _snap(game, x, G, res, tol)
    return KKTRun(x, res, max_iter, res <= tol, "converged" if res <= tol else "iteration limit", res > tol)


def _pin(G: np.ndarray, JG: np.ndarray, pinned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Hold singular corners (``game.singular_corners``) at their bound.

    Their condition is replaced by :math:`G_j = -1` (an active lower bound, so the
    Fischer–Burmeister row is the unit row and :math:`\phi_j = 0`), and their row and column
    of the Jacobian by zeros: the Newton step leaves them where they are, and the other
    conditions are solved with them fixed. Whether sitting at the corner is optimal is left
    to certification's global probe.
    """
    G = np.where(pinned, -1.0, G)
    JG = JG.copy()
    JG[pinned, :] = 0.0
    JG[:, pinned] = 0.0
    return G, JG


def _directions(J: np.ndarray, phi: np.ndarray, merit: float, x: np.ndarray):
    """Search directions in order of preference, each computed only when asked for.

    Semismooth Newton :math:`J d = -\\phi`; Levenberg–Marquardt
    :math:`(J^\\top J + \\mu I) d = -J^\\top \\phi` with :math:`\\mu = \\|\\phi\\|^2`; steepest descent
    on the merit. Far from a solution the products can overflow; such directions are discarded
    (non-finite). The caller holds ``np.errstate(all="ignore")``.
    """
    d = solve_small(J, -phi)
    if d is not None:
        size = math.sqrt(float(d @ d)) if np.isfinite(d).all() else math.inf
        if size < 1e8 * (1.0 + math.sqrt(float(x @ x))):
            yield d
    grad_merit = J.T @ phi
    mu = max(merit * 2.0, 1e-14)
    d = solve_small(J.T @ J + mu * np.eye(len(x)), -grad_merit)
    if d is not None and np.isfinite(d).all():
        yield d
    d = -grad_merit / max(1.0, float(np.linalg.norm(grad_merit)))
    if np.isfinite(d).all():
        yield d


def jacobian_is_cheap(game) -> bool:
    """Whether ``game``'s Jacobian costs about as much as its conditions (one-period games, or a
    game that sets ``cheap_jacobian = True``): a line search then evaluates both at each trial
    point; otherwise only the conditions there, and the Jacobian where the trial is accepted."""
    return bool(getattr(game, "cheap_jacobian", getattr(game, "static", False)))


def solve_small(A: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The solution of :math:`A d = b` (LAPACK ``gesv``, LU with partial pivoting: what
    ``np.linalg.solve`` calls, without its overhead on small systems), or None where ``A`` is
    exactly singular."""
    _, _, d, info = lapack.dgesv(A, b)
    return d if info == 0 else None


def _snap(game, x: np.ndarray, G: np.ndarray, res: float, tol: float) -> tuple[np.ndarray, float]:
    """Put variables that sit within rounding of an active bound exactly on it.

    A semismooth Newton step lands a corner at, say, 1e-16 rather than 0. A
    variable is snapped when it is within ``1e-9 (1 + |x|)`` of a bound and its
    scaled gradient pushes into that bound; the snapped point is kept only if
    its residual is still within ``tol``.
    """
    lower, upper = game.lower, game.upper
    near_low = (x - lower <= 1e-9 * (1 + np.abs(x))) & (G < 0)
    near_up = (upper - x <= 1e-9 * (1 + np.abs(x))) & (G > 0)
    if not (near_low.any() or near_up.any()):
        return x, res
    snapped = np.where(near_low, lower, np.where(near_up, upper, x))
    with np.errstate(all="ignore"):
        G2 = game.kkt_function(snapped)
    res2 = game.kkt_residual(snapped, G2)
    if np.isfinite(res2) and res2 <= max(tol, res):
        return snapped, res2
    return x, res
