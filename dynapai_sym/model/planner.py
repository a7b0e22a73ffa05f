r"""The planner's problem, symbolically: the weighted welfare and its first-order conditions.

.. math::

    W = \sum_i w_i u_i, \qquad \frac{\partial W}{\partial a_{j,c}} \quad \text{for every player } j
    \text{ and action } c,

with the KKT conditions of the joint maximisation over every player's actions
(:math:`a \ge 0`, :math:`\partial W/\partial a \le 0`, :math:`a\, \partial W/\partial a = 0`; shares
also :math:`a \le 1`). Unlike a player, the planner counts the effect of each action on every
player's payoff. Weights are the symbols :math:`w_1 .. w_n`, or given numbers (default 1).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..errors import InvalidArgumentError
from ..symbols import player_symbols
from .structure import KKTSystem

__all__ = ["PlannerConditions", "planner_weights", "planner_objective", "planner_focs", "planner_kkt",
           "planner_jacobian"]


def planner_weights(n: int, weights=None, symbolic: bool = False) -> tuple:
    """Welfare weights: numbers (default all 1) or, with ``symbolic``, the symbols ``w1..w_n``."""
    if symbolic:
        return player_symbols("w", n, positive=True)
    if weights is None:
        return (sp.Integer(1),) * n
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidArgumentError(f"weights must be {n} non-negative numbers with a positive sum, got {weights!r}")
    return tuple(sp.Integer(int(v)) if float(v).is_integer() else sp.Float(float(v)) for v in w)


def planner_objective(pf, weights=None, symbolic: bool = False) -> sp.Expr:
    r""":math:`W = \sum_i w_i u_i` of a one-period payoff model."""
    w = planner_weights(pf.n, weights, symbolic)
    return sp.Add(*[wi * u for wi, u in zip(w, pf.payoff_expr())])


def planner_focs(pf, weights=None, symbolic: bool = False) -> sp.Matrix:
    r"""The (n, k) matrix :math:`\partial W/\partial a_{j,c}`: the planner's first-order conditions.

    Examples
    --------
    >>> from dynapai_sym import models
    >>> pf = models.readme_payoff()
    >>> F = planner_focs(pf)
    >>> F.shape
    (2, 2)
    >>> import sympy as sp  # the planner's condition adds every player's slope
    >>> xs1 = pf.action_symbols[0][0]
    >>> sp.simplify(F[0, 0] - sum(sp.diff(u, xs1) for u in pf.payoff_expr())) == 0
    True
    """
    W = planner_objective(pf, weights, symbolic)
    X = pf.action_symbols
    return sp.Matrix(pf.n, pf.k, lambda j, c: sp.diff(W, X[j][c]))


def planner_kkt(pf, weights=None, symbolic: bool = False) -> KKTSystem:
    """The KKT system of the planner's one-period problem with the bounds on actions."""
    focs = planner_focs(pf, weights, symbolic)
    X = pf.action_symbols
    variables = tuple(X[j][c] for j in range(pf.n) for c in range(pf.k))
    grads = tuple(focs[j, c] for j in range(pf.n) for c in range(pf.k))
    upper = pf.transition.upper_bounds(pf.k) * pf.n
    return KKTSystem(variables, grads, (0.0,) * len(variables), upper)


def planner_jacobian(pf, weights=None, symbolic: bool = False) -> sp.Matrix:
    r"""Jacobian of the planner's stacked conditions (the Hessian of :math:`W`): (nk, nk)."""
    focs = planner_focs(pf, weights, symbolic)
    flat = [focs[j, c] for j in range(pf.n) for c in range(pf.k)]
    variables = [x for row in pf.action_symbols for x in row]
    return sp.Matrix(flat).jacobian(variables)


class PlannerConditions:
    """The planner's symbolic problem as methods of a payoff model (mixed into ``PayoffFunc``)."""

    def planner_objective(self, weights=None, symbolic: bool = False) -> sp.Expr:
        r""":math:`W = \sum_i w_i u_i` (weights default 1; ``symbolic``: the symbols :math:`w_i`)."""
        return planner_objective(self, weights, symbolic)

    def planner_focs(self, weights=None, symbolic: bool = False) -> sp.Matrix:
        r"""The planner's first-order conditions: the (n, k) matrix :math:`\partial W/\partial a_{j,c}`."""
        return planner_focs(self, weights, symbolic)

    def planner_kkt(self, weights=None, symbolic: bool = False) -> KKTSystem:
        """The planner's KKT system (every player's actions, with their bounds)."""
        return planner_kkt(self, weights, symbolic)

    def planner_jacobian(self, weights=None, symbolic: bool = False) -> sp.Matrix:
        r"""Jacobian of the planner's stacked conditions, the Hessian of :math:`W`: (nk, nk)."""
        return planner_jacobian(self, weights, symbolic)
