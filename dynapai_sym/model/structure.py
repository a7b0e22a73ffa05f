r"""The symbolic model as the compiler sees it, and its KKT conditions.

:class:`ModelStructure` is everything :mod:`dynapai_sym.compile` needs to generate numeric
code, with parameters left as symbols: two models of the same form and different parameter
values share one structure, hence one compile. :class:`KKTSystem` states the one-period
complementarity conditions as sympy objects.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

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
    # safe fractions a/(a + b) the compiler writes in two pieces with accurate derivatives before
    # differentiating: (a, b) each (components.risk.safe_fraction_parts)
    stable_forms: tuple[tuple[sp.Expr, sp.Expr], ...] = ()

    def __hash__(self) -> int:
        """The hash of the fields, computed once (the compile cache looks a structure up by it for
        every model built; hashing its sympy expressions each time costs tens of microseconds)."""
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict:
        # hashes of strings differ between processes: a copy computes its own
        return {key: value for key, value in self.__dict__.items() if key != "_hash"}

    def __setstate__(self, state: dict) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)


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
