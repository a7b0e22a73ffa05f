r"""Reward: what player i gets when j wins and the outcome is safe.

Linear: :math:`\rho_{ii} = a^{\mathrm{win}}_i + b^{\mathrm{win}}_i p_i`,
:math:`\rho_{ij} = a^{\mathrm{lose}}_i + b^{\mathrm{lose}}_i p_i` for :math:`j \ne i`.
The default is :math:`a^{\mathrm{win}} = 1` and the rest 0 (``RewardFunc(n)``),
in which case only :math:`a^{\mathrm{win}}` enters the model as a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import sympy as sp

from .._validation import all_equal, as_player_vector, check_n
from ..errors import InvalidArgumentError
from ..symbols import intermediate, player_symbols
from .base import Component, as_param_values, call_or_rebind, relabelling_symmetric, updated, updated_extra

__all__ = ["RewardFunc"]


class RewardFunc(Component):
    r"""Reward matrix :math:`\rho_{ij}`.

    Parameters
    ----------
    n : int
        Number of players.
    win_a, win_b, lose_a, lose_b : float or array_like, optional
        Coefficients of the linear reward. With only ``n`` (and perhaps
        ``win_a``) given, the reward is :math:`\rho_{ii} = a^{\mathrm{win}}_i`,
        :math:`\rho_{ij} = 0`.
    """

    __slots__ = ("n", "win_a", "win_b", "lose_a", "lose_b", "linear", "_spec", "_extra")
    kind = "reward"

    def __init__(self, n: int, win_a=1.0, win_b=None, lose_a=None, lose_b=None, *,
                 _spec=None, _extra=None):
        n = check_n(n)
        linear = any(v is not None for v in (win_b, lose_a, lose_b))
        self._set(
            n=n,
            win_a=as_player_vector(win_a, "win_a", n),
            win_b=as_player_vector(0.0 if win_b is None else win_b, "win_b", n),
            lose_a=as_player_vector(0.0 if lose_a is None else lose_a, "lose_a", n),
            lose_b=as_player_vector(0.0 if lose_b is None else lose_b, "lose_b", n),
            linear=linear,
            _spec=_spec,
            _extra=_extra or {},
        )

    @classmethod
    def linear_reward(cls, win_a, win_b, lose_a, lose_b) -> RewardFunc:
        r"""Linear reward with all four coefficients as parameters (vectors or scalars)."""
        n = next((len(v) for v in (win_a, win_b, lose_a, lose_b) if np.ndim(v) == 1), None)
        if n is None:
            raise InvalidArgumentError("linear_reward needs at least one per-player vector to know n")
        return cls(n, win_a, win_b, lose_a, lose_b)

    @classmethod
    def custom(cls, n: int, rho: Callable | list, params: Mapping | None = None) -> RewardFunc:
        r"""A user-written reward matrix.

        ``rho(p) -> n x n nested list`` (row i: what i gets when j wins), or the
        nested list of expressions in ``p1..pn`` and the symbols of ``params``.
        """
        return cls(n, _spec=rho, _extra=as_param_values(params, "params"))

    def _rebuilt(self, byname):
        if self._spec is not None:
            return type(self)(self.n, _spec=self._spec, _extra=updated_extra(self._extra, byname))
        rest = [updated(v, base, byname) if self.linear else None
                for v, base in ((self.win_b, "winB"), (self.lose_a, "loseA"), (self.lose_b, "loseB"))]
        return type(self)(self.n, updated(self.win_a, "winA", byname), *rest)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        if self._spec is not None:
            return dict(self._extra)
        out = dict(zip(player_symbols("winA", self.n), map(float, self.win_a)))
        if self.linear:
            for base, vals in (("winB", self.win_b), ("loseA", self.lose_a), ("loseB", self.lose_b)):
                out.update(zip(player_symbols(base, self.n), map(float, vals)))
        return out

    def rho(self, p) -> list[list[sp.Expr]]:
        r"""Return the matrix :math:`\rho_{ij}` as nested lists."""
        n = self.n
        if self._spec is not None:
            p_syms = intermediate("p", n)
            known = {s.name: s for s in p_syms} | {s.name: s for s in self._extra}
            mat = call_or_rebind(self._spec, (p_syms,), known, "rho")
            if not (isinstance(mat, list) and len(mat) == n and all(
                    isinstance(r, list) and len(r) == n for r in mat)):
                raise InvalidArgumentError(f"custom rho must give an {n} x {n} nested list of expressions")
            mapping = dict(zip(p_syms, p))
            return [[sp.sympify(e).xreplace(mapping) for e in row] for row in mat]
        wa = player_symbols("winA", n)
        if not self.linear:
            return [[wa[i] if i == j else sp.Integer(0) for j in range(n)] for i in range(n)]
        wb, la, lb = (player_symbols(b, n) for b in ("winB", "loseA", "loseB"))
        return [
            [wa[i] + wb[i] * p[i] if i == j else la[i] + lb[i] * p[i] for j in range(n)]
            for i in range(n)
        ]

    @property
    def is_custom(self) -> bool:
        """True for a user-written reward (:meth:`custom`)."""
        return self._spec is not None

    def form_key(self) -> tuple | None:
        """``("linear",)`` or ``("win_only",)``; None for a user-written reward."""
        if self.is_custom:
            return None
        return ("linear",) if self.linear else ("win_only",)

    def is_symmetric(self) -> bool:
        if self._spec is not None:  # user-written: symmetric when relabelling the players permutes rho alike
            return relabelling_symmetric(self.rho(intermediate("p", self.n)), self.n, self._extra)
        return all(all_equal(v) for v in (self.win_a, self.win_b, self.lose_a, self.lose_b))

    def __repr__(self) -> str:
        if self._spec is not None:
            return f"RewardFunc.custom(n={self.n})"
        if not self.linear:
            return f"RewardFunc(n={self.n}, win_a={self.win_a.tolist()})"
        return (f"RewardFunc.linear_reward(win_a={self.win_a.tolist()}, win_b={self.win_b.tolist()}, "
                f"lose_a={self.lose_a.tolist()}, lose_b={self.lose_b.tolist()})")

    def to_latex(self) -> str:
        """The reward as LaTeX."""
        if self._spec is None and not self.linear:
            return r"\rho_{ii} = a^{\mathrm{win}}_i, \qquad \rho_{ij} = 0 \ (j \ne i)"
        if self._spec is None:
            return (r"\rho_{ii} = a^{\mathrm{win}}_i + b^{\mathrm{win}}_i p_i, \qquad "
                    r"\rho_{ij} = a^{\mathrm{lose}}_i + b^{\mathrm{lose}}_i p_i \ (j \ne i)")
        from ..symbols import glossary

        mat = sp.Matrix(self.rho(intermediate("p", self.n)))
        return r"\rho = " + sp.latex(mat, symbol_names=glossary(mat.free_symbols))
