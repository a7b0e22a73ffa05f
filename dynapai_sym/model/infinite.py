r"""The infinite horizon with stationary play, symbolically.

When the actions do not move the state (basic actions, or a transition that leaves A, B
where they are) and every player plays the same action in every period, the survival
probability falls geometrically and the objective sums in closed form:

.. math::

    U_i = \sum_{t=0}^{\infty} \gamma_i^t (1 - Q)^t u_i = \frac{u_i}{1 - \gamma_i (1 - Q)},
    \qquad Q = \sum_j q_j

when the game ends the first time someone wins (``end_on_win``), and :math:`Q = 0` (so
:math:`U_i = u_i/(1 - \gamma_i)`) when it goes on after a win. Discount factors must lie in
(0, 1): the denominator is then positive at every profile.

Stationary strategies lose nothing: against the others' stationary play a player faces the
same one-period problem in every period it reaches, so its best response is stationary, and
its value solves the Bellman equation
:math:`V_i = \max_x [u_i(x, x_{-i}) + \gamma_i (1 - Q(x, x_{-i})) V_i]`
(checked numerically by :mod:`dynapai_sym.solvers.stationary`).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ..errors import InvalidArgumentError
from ..symbols import player_symbols

__all__ = ["is_infinite", "check_stationary", "stationary_objective"]


def is_infinite(t) -> bool:
    """Whether ``t`` asks for the infinite horizon (``math.inf``, ``numpy.inf``)."""
    return isinstance(t, (float, np.floating)) and math.isinf(t) and t > 0


def check_stationary(model) -> None:
    """Raise a clear error unless the infinite horizon is supported for ``model``.

    Supported: actions that do not move the state, and one discount factor in (0, 1) per player.

    Parameters
    ----------
    model : MultiPeriodModel
    """
    moving = sorted({s.name for pf in model.state.beliefs for s in pf.structure.states})
    if moving:
        raise InvalidArgumentError(
            f"t=math.inf (the infinite horizon) supports actions that do not move the state: stationary "
            f"play with basic actions (x_s, x_p). This model's {model.action_type.__name__} move "
            f"{', '.join(moving)} between periods (investment or sharing); solve it over a finite t instead")
    if model.gammas is None:
        raise InvalidArgumentError("t=math.inf needs gammas (one discount factor per player, each below 1)")
    if np.any(np.asarray(model.gammas) >= 1.0):
        raise InvalidArgumentError(f"t=math.inf needs every discount factor below 1 (the objective "
                                   f"u_i / (1 - gamma_i (1 - Q)) must be finite), got gammas={model.gammas.tolist()}")


def stationary_objective(model) -> list[sp.Expr]:
    r"""The objectives :math:`U_i = u_i / (1 - \gamma_i (1 - Q))` as sympy expressions.

    Discount factors are the symbols ``gamma1..gamma_n``; :math:`Q = 0` without ``end_on_win``.

    Examples
    --------
    >>> from dynapai_sym import models
    >>> agg = models.basic_aggregator(2, end_on_win=True)
    >>> U = stationary_objective(agg)
    >>> sorted(s.name for s in U[0].free_symbols if s.name.startswith("gamma"))
    ['gamma1']
    """
    check_stationary(model)
    gammas = player_symbols("gamma", model.n, positive=True)
    out = []
    for i in range(model.n):
        pf = model.state.belief_of(i)
        Q = pf.win_probability if model.end_on_win else sp.Integer(0)
        out.append(pf.payoff_expr(i) / (1 - gammas[i] * (1 - Q)))
    return out
