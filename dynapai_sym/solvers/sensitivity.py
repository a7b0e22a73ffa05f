r"""Comparative statics: derivatives of an equilibrium with respect to a parameter.

At a certified equilibrium :math:`x^*(\theta)` the scaled conditions hold,
:math:`G(x^*, \theta) = 0` on the free variables, while active bounds stay active
(strict complementarity). By the implicit function theorem

.. math::

    \frac{dx^*_F}{d\theta} = -\big[\partial_{x_F} G_F\big]^{-1} \partial_\theta G_F, \qquad
    \frac{dx^*_A}{d\theta} = 0,

with F the free and A the active variables. :math:`\partial_x G` is the solver's exact
Jacobian; :math:`\partial_\theta G` is a central difference of the exact conditions in
the parameter (reported in the result's ``method``). Derivatives of s, p, sigma and the
payoffs follow by differentiating along :math:`(x^* + h\,dx^*/d\theta,\ \theta + h)`.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InvalidArgumentError, InvalidTypeError
from ..names import PARAMETER_GROUPS
from ..numeric import Belief, NumericGame

__all__ = ["sensitivity", "predict_equilibrium"]

def _direction(names: list[str], param: str) -> np.ndarray:
    """Unit direction in a list of symbol names for ``param`` (a symbol name or a group)."""
    if param in names:
        return np.array([1.0 if nm == param else 0.0 for nm in names])
    # a group: a built-in name (``r`` -> r1, r2, ...) or a parameter of written components, one per player
    base = PARAMETER_GROUPS.get(param, param)
    pattern = re.compile(rf"^{re.escape(base)}(\d+(_\d+)?)?$")
    return np.array([1.0 if pattern.match(nm) else 0.0 for nm in names])


def _shifted(game: NumericGame, param: str, delta: float) -> NumericGame:
    """The same game with every value of ``param`` moved by ``delta``."""
    beliefs = []
    for b in game.beliefs:
        s = b.model.structure
        dth = _direction([p.name for p in s.params], param)
        dy = _direction([p.name for p in s.states], param)
        beliefs.append(Belief(b.model, b.theta + delta * dth, b.y0 + delta * dy))
    return NumericGame(beliefs, game.belief_of, game.gammas, game.T, game.end_on_win, game.symmetric)


def _step(game: NumericGame, param: str) -> float:
    """The absolute parameter step per unit h (the parameter's own scale, at least 1)."""
    for b in game.beliefs:
        s = b.model.structure
        dth = _direction([p.name for p in s.params], param)
        if dth.any():
            return float(np.max(np.maximum(np.abs(b.theta[dth > 0]), 1.0)))
        dy = _direction([p.name for p in s.states], param)
        if dy.any():
            return float(np.max(np.maximum(np.abs(b.y0[dy > 0]), 1.0)))
    return 0.0


def sensitivity(agg, result, param: str, h: float = 1e-6) -> dict:
    r"""Derivatives of the equilibrium in ``result`` with respect to ``param``.

    Parameters
    ----------
    agg : Aggregator
        The game that ``result`` solves.
    result : SolverResult
        A certified equilibrium (``success=True``).
    param : str
        A parameter symbol's name (``"r1"``, ``"theta2"``, ``"kappa"``, ``"A1"``) or a group
        moving every player's value together (``"r"``, ``"theta"``, ``"d"``, ``"a"``, ...).
        A group moves every value by the same amount.
    h : float
        Relative step for :math:`\partial_\theta G` and the derived quantities.

    Returns
    -------
    dict
        ``actions`` (T, n, k), ``s``, ``p``, ``sigma``, ``q`` (T, n), ``payoffs`` (n,),
        and ``method`` (how each part was obtained).
    """
    if not getattr(result, "success", False):
        raise InvalidArgumentError("sensitivity needs a certified equilibrium (result.success is False)")
    if not isinstance(param, str):
        raise InvalidTypeError(f"param must be a parameter name, got {param!r}")
    game = agg.game(result.strategies.t)
    step = _step(game, param)
    if step == 0.0:
        known = sorted({p.name for b in game.beliefs for p in (*b.model.structure.params, *b.model.structure.states)})
        raise InvalidArgumentError(f"unknown parameter {param!r}; expected a group {sorted(PARAMETER_GROUPS)}, "
                                   f"a written component's parameter, or one of {known}")
    x = np.array(game.layout.pack(result.strategies.data))
    G, J = game.kkt_jacobian(x)
    delta = h * step
    plus, minus = _shifted(game, param, delta), _shifted(game, param, -delta)
    dG = (plus.kkt_function(x) - minus.kkt_function(x)) / (2 * delta)
    dx = _ift_step(game, x, G, J, dG)
    out = {"actions": game.layout.unpack(dx)}
    # derived quantities along the equilibrium path (x* + delta dx, theta + delta)
    qp, qm = plus.quantities(x + delta * dx), minus.quantities(x - delta * dx)
    for key in ("s", "p", "sigma", "q", "payoffs"):
        out[key] = (qp[key] - qm[key]) / (2 * delta)
    out["method"] = ("implicit function theorem with the exact Jacobian in actions; derivative of the "
                     "conditions in the parameter and of s, p, sigma, q, payoffs by central differences")
    return out


def _ift_step(game: NumericGame, x: np.ndarray, G: np.ndarray, J: np.ndarray, dG: np.ndarray) -> np.ndarray:
    r"""Solve :math:`J_{FF}\,dx_F = -dG_F` on the free variables; active bounds stay put (dx_A = 0)."""
    tol = 1e-8
    active = ((x <= game.lower + tol) & (G < -tol)) | ((x >= game.upper - tol) & (G > tol))
    free = ~active
    dx = np.zeros_like(x)
    if free.any():
        dx[free] = -np.linalg.solve(J[np.ix_(free, free)], dG[free])
    return dx


def predict_equilibrium(old: NumericGame, x_old: np.ndarray, new: NumericGame) -> np.ndarray | None:
    r"""Predict the equilibrium of ``new`` from a solved neighbouring game ``old`` (same structure).

    The implicit-function-theorem predictor for a finite parameter change
    :math:`\Delta\theta = \theta_{new} - \theta_{old}`:

    .. math::

        x_{pred} = x^* - \big[\partial_{x_F} G_F(x^*, \theta_{old})\big]^{-1} \Delta G_F,
        \qquad \Delta G = G(x^*, \theta_{new}) - G(x^*, \theta_{old}) \approx \partial_\theta G\,\Delta\theta,

    with F the free variables at :math:`x^*` (active bounds stay active); a variable the step
    would push across a bound moves halfway to the bound instead.
    It is :math:`x^* + (dx^*/d\theta)\,\Delta\theta` to first order, for any direction of
    :math:`\Delta\theta` (one or several parameters moving at once).

    Parameters
    ----------
    old, new : NumericGame
        Games of one model structure and horizon, at the old and new parameter values.
    x_old : ndarray (N,)
        A certified equilibrium of ``old``.

    Returns
    -------
    ndarray (N,) or None
        The predicted profile, or None where the prediction is not usable (singular Jacobian,
        non-finite values); the caller then starts from ``x_old`` itself.
    """
    if old.N != new.N or old.T != new.T:
        raise InvalidArgumentError(f"old and new games differ in size ({old.N} vs {new.N} variables)")
    x_old = np.asarray(x_old, dtype=float)
    with np.errstate(all="ignore"):
        G, J = old.kkt_jacobian(x_old)
        dG = new.kkt_function(x_old) - G
        if not (np.all(np.isfinite(J)) and np.all(np.isfinite(dG))):
            return None
        try:
            dx = _ift_step(old, x_old, G, J, dG)
        except np.linalg.LinAlgError:
            return None
    if not np.all(np.isfinite(dx)):
        return None
    x_new = x_old + dx
    # a variable pushed across a bound goes halfway to it instead (exactly at a bound the
    # payoff can be singular, and the solver's own corner handling decides activity)
    below, above = x_new < new.lower, x_new > new.upper
    x_new[below] = 0.5 * (x_old[below] + new.lower[below])
    x_new[above] = 0.5 * (x_old[above] + new.upper[above])
    return np.clip(x_new, new.lower, new.upper)
