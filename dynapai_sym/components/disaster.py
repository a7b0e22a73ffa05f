r"""Disaster cost: what player i loses when j wins and the outcome is a disaster.

:math:`d_{ij} = d_i` for a vector ``d`` (the default), or a full
:math:`n \times n` matrix :math:`d_{ij}`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .._validation import all_equal, as_matrix, as_player_vector
from ..symbols import pair_symbols, player_symbols
from .base import Component, updated

__all__ = ["DisasterCost"]


class DisasterCost(Component):
    r"""Disaster cost :math:`d_{ij}` from a vector (:math:`d_{ij} = d_i`) or a matrix."""

    __slots__ = ("n", "d", "is_matrix")
    kind = "disaster"

    def __init__(self, d, n: int | None = None):
        if isinstance(d, DisasterCost):
            d = d.d
        nd = np.ndim(d)
        if nd == 2:
            rows = np.shape(d)[0]
            n = rows if n is None else n
            self._set(n=n, d=as_matrix(d, "d", (n, n), nonnegative=True), is_matrix=True)
        else:
            self._set(n=n, d=as_player_vector(d, "d", n, nonnegative=True), is_matrix=False)
            object.__setattr__(self, "n", len(self.d))

    def _rebuilt(self, byname):
        if self.is_matrix:
            d = np.array(self.d, dtype=float, copy=True)
            for i in range(self.n):
                for j in range(self.n):
                    d[i, j] = byname.get(f"d{i + 1}_{j + 1}", d[i, j])
            return DisasterCost(d, self.n)
        return DisasterCost(updated(self.d, "d", byname), self.n)

    @property
    def symbols(self):
        if self.is_matrix:
            return pair_symbols("d", self.n)
        return player_symbols("d", self.n)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        if self.is_matrix:
            syms = pair_symbols("d", self.n)
            return {syms[i][j]: float(self.d[i, j]) for i in range(self.n) for j in range(self.n)}
        return dict(zip(player_symbols("d", self.n), map(float, self.d)))

    def matrix(self, s=None, p=None) -> list[list[sp.Expr]]:
        r"""Return :math:`d_{ij}` as nested lists of symbols (``s``, ``p``: unused here; a disaster cost
        written as an expression may depend on them)."""
        if self.is_matrix:
            return [list(row) for row in pair_symbols("d", self.n)]
        d = player_symbols("d", self.n)
        return [[d[i]] * self.n for i in range(self.n)]

    def form_key(self) -> tuple:
        """A matrix :math:`d_{ij}` or a vector :math:`d_i`."""
        return ("matrix" if self.is_matrix else "vector",)

    def is_symmetric(self) -> bool:
        if not self.is_matrix:
            return all_equal(self.d)
        diag = np.diag(self.d)
        off = self.d[~np.eye(self.n, dtype=bool)]
        return all_equal(diag) and all_equal(off)

    def __repr__(self) -> str:
        return f"DisasterCost({self.d.tolist()})"

    def to_latex(self) -> str:
        return r"d_{ij}" if self.is_matrix else r"d_{ij} = d_i"
