r"""Contest success: the probability :math:`q_j` that player j wins this period.

* default (Tullock): :math:`q_j = p_j / \sum_k p_k`
* maybe no win: :math:`q_j = \kappa p_j / (1 + \kappa \sum_l p_l)`; then
  :math:`1 - \sum_j q_j` is the probability that nobody wins this period.
* custom: any expression in :math:`p_1..p_n` with extra parameters (e.g. a
  Tullock contest with an exponent, :math:`q_j = p_j^\phi / \sum_k p_k^\phi`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import sympy as sp

from ..symbols import intermediate
from .base import Component, as_param_values, call_or_rebind

__all__ = ["CSF"]

KAPPA = sp.Symbol("kappa", positive=True)


class CSF(Component):
    r"""Contest success function. Build with :meth:`default`, :meth:`maybe_no_win` or :meth:`custom`."""

    __slots__ = ("form", "scale", "_spec", "_extra", "_n")
    kind = "contest"

    def __init__(self, form: str = "default", scale: float | None = None, spec=None, extra=None,
                 n: int | None = None):
        if form not in ("default", "maybe_no_win", "custom"):
            raise ValueError(f"form must be 'default', 'maybe_no_win' or 'custom', got {form!r}")
        if form == "maybe_no_win":
            try:
                scale = float(scale)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"scale must be a number, got {scale!r}") from exc
            if not np.isfinite(scale) or scale <= 0:
                raise ValueError(f"scale must be positive and finite, got {scale!r}")
        self._set(form=form, scale=scale, _spec=spec, _extra=extra or {}, _n=n)

    @classmethod
    def default(cls) -> CSF:
        r"""Tullock contest :math:`q_j = p_j / \sum_k p_k` (someone always wins)."""
        return cls("default")

    @classmethod
    def maybe_no_win(cls, scale: float = 1.0) -> CSF:
        r""":math:`q_j = \kappa p_j / (1 + \kappa \sum_l p_l)`, with :math:`\kappa` = ``scale``."""
        return cls("maybe_no_win", scale)

    @classmethod
    def custom(cls, q: Callable | list, params: Mapping | None = None) -> CSF:
        r"""A user-written contest.

        Parameters
        ----------
        q : callable or list of sympy expressions
            ``q(p) -> [q_1, ..., q_n]`` taking the tuple of performance symbols,
            or n expressions in the symbols ``p1..pn``. The sum may be below 1
            (nobody wins with the remaining probability).
        params : mapping, optional
            Values of the extra parameter symbols used.
        """
        return cls("custom", spec=q, extra=as_param_values(params, "params"))

    @property
    def always_someone_wins(self) -> bool:
        """True when :math:`\\sum_j q_j = 1` identically (the default contest)."""
        return self.form == "default"

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        if self.form == "maybe_no_win":
            return {KAPPA: float(self.scale)}
        return dict(self._extra)

    def q(self, p) -> list[sp.Expr]:
        r"""Return :math:`[q_1, \dots, q_n]` for performances ``p``."""
        n = len(p)
        if self.form == "default":
            total = sp.Add(*p)
            return [pj / total for pj in p]
        if self.form == "maybe_no_win":
            total = sp.Add(*p)
            return [KAPPA * pj / (1 + KAPPA * total) for pj in p]
        p_syms = intermediate("p", n)
        known = {sym.name: sym for sym in p_syms} | {sym.name: sym for sym in self._extra}
        exprs = call_or_rebind(self._spec, (p_syms,), known, "q")
        if not isinstance(exprs, list) or len(exprs) != n:
            raise ValueError(f"custom q must give a list of {n} expressions (one per player)")
        mapping = dict(zip(p_syms, p))
        return [sp.sympify(e).xreplace(mapping) for e in exprs]

    def __repr__(self) -> str:
        if self.form == "maybe_no_win":
            return f"CSF.maybe_no_win(scale={self.scale})"
        return f"CSF.{self.form}()"

    def to_latex(self) -> str:
        """The contest success function as LaTeX."""
        if self.form == "default":
            return r"q_j = \frac{p_j}{\sum_k p_k}"
        if self.form == "maybe_no_win":
            return r"q_j = \frac{\kappa p_j}{1 + \kappa \sum_l p_l}"
        from ..symbols import glossary

        n = self._n or 2
        exprs = self.q(intermediate("p", n))
        names = glossary(set().union(*[e.free_symbols for e in exprs]))
        return r" \\ ".join(
            rf"q_{{{j + 1}}} = {sp.latex(e, symbol_names=names)}" for j, e in enumerate(exprs)
        )
