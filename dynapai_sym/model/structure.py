r"""The symbolic model as the compiler sees it, and its KKT conditions.

:class:`ModelStructure` is everything :mod:`dynapai_sym.compile` needs to generate numeric
code, with parameters left as symbols: two models of the same form and different parameter
values share one structure, hence one compile. :class:`KKTSystem` states the one-period
complementarity conditions as sympy objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

__all__ = ["ModelStructure", "KKTSystem"]


@dataclass(frozen=True)
class ModelStructure:
    """Everything the compiler needs, with parameters left as symbols.

    Two payoff functions with the same structure and different parameter
    values share one compiled model.
    """

    n: int
    k: int
    actions: tuple[sp.Symbol, ...]  # flat, player-major: index i * k + c
    states: tuple[sp.Symbol, ...]  # moving state symbols (subset of A, B)
    params: tuple[sp.Symbol, ...]  # every other parameter, sorted by name
    payoffs: tuple[sp.Expr, ...]  # u_i
    next_state: tuple[sp.Expr, ...]  # one per moving state symbol
    win_probability: sp.Expr  # sum_j q_j
    upper: tuple[float, ...]  # per action column
    smooth: bool
    quantities: tuple[tuple[str, tuple[sp.Expr, ...]], ...] = ()  # s, p, sigma, q for reports
    kinked: bool = False  # max(0, .) or |.| inside (sharing): first-order points need a harder probe
    # denominators D that vanish only at exits, each with its guard D + [inputs = 0] (see
    # components.base.zero_guard); the compiler applies them after differentiating
    exit_guards: tuple[tuple[sp.Expr, sp.Expr], ...] = ()


@dataclass(frozen=True)
class KKTSystem:
    r"""KKT conditions of the one-period game, as sympy objects.

    For each action variable :math:`a` with gradient :math:`g = \partial u_i / \partial a`:
    :math:`a \ge 0`, :math:`g \le 0`, :math:`a g = 0` (and with an upper bound
    :math:`\bar a`: :math:`a = \bar a \Rightarrow g \ge 0`).
    """

    variables: tuple[sp.Symbol, ...]
    gradients: tuple[sp.Expr, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    def conditions(self) -> list[sp.Basic]:
        """One sympy boolean per variable stating its complementarity condition."""
        out = []
        for a, g, lo, hi in zip(self.variables, self.gradients, self.lower, self.upper):
            cond = sp.Or(sp.And(sp.Eq(a, lo), g <= 0), sp.Eq(g, 0), evaluate=False)
            if np.isfinite(hi):
                cond = sp.Or(cond, sp.And(sp.Eq(a, hi), g >= 0), evaluate=False)
            out.append(cond)
        return out
