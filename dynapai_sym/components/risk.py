r"""Risk: the probability :math:`\sigma_j` of a safe outcome given that player j wins.

* winner only: :math:`\sigma_j = s_j / (1 + s_j)`
* multiplicative: :math:`\sigma_j = \left[\prod_k \left(\frac{s_k}{1+s_k}\right)^{w_k}\right]^{n/\sum_k w_k}`
* additive: :math:`\sigma_j = \sum_k w_k \frac{s_k}{1+s_k} \Big/ \sum_k w_k`
* custom: any expression in :math:`s_1..s_n` (and :math:`p_1..p_n`) with extra parameters.

:math:`\theta_i` (in :math:`s_i = A_i x_{s,i}^{\alpha_i} p_i^{-\theta_i}`) is held here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import sympy as sp

from .._validation import as_player_vector, check_n
from ..symbols import intermediate, player_symbols
from .base import Component, as_param_values, call_or_rebind

__all__ = ["RiskFunc"]

_KINDS = ("winner_only", "multiplicative", "additive", "custom")


class RiskFunc(Component):
    r"""Probability of a safe outcome given each winner.

    Build with :meth:`winner_only`, :meth:`multiplicative`, :meth:`additive`
    or :meth:`custom`.

    Parameters
    ----------
    theta : array_like, shape (n,)
        :math:`\theta_i \ge 0`, the erosion of safety by performance.
    """

    __slots__ = ("n", "form", "theta", "w", "_spec", "_extra")
    kind = "risk"

    def __init__(self, form: str, theta, w=None, spec=None, extra=None):
        if form not in _KINDS:
            raise ValueError(f"form must be one of {_KINDS}, got {form!r}")
        if np.ndim(theta) != 1:
            raise ValueError(f"theta must be a per-player vector, got {theta!r}")
        n = check_n(len(theta), "number of players (length of theta)")
        theta = as_player_vector(theta, "theta", n, nonnegative=True)
        if form in ("multiplicative", "additive"):
            w = as_player_vector(np.ones(n) if w is None else w, "w", n, nonnegative=True)
            if not np.any(w > 0):
                raise ValueError("w (risk weights) must have at least one positive entry")
        elif w is not None:
            raise ValueError(f"w (risk weights) only applies to multiplicative or additive risk, not {form}")
        self._set(n=n, form=form, theta=theta, w=w, _spec=spec, _extra=extra or {})

    @classmethod
    def winner_only(cls, theta) -> RiskFunc:
        r""":math:`\sigma_j = s_j / (1 + s_j)`: only the winner's safety matters."""
        return cls("winner_only", theta)

    #: name used by the original bindings
    winner_only_risk = winner_only

    @classmethod
    def multiplicative(cls, theta, w=None) -> RiskFunc:
        r""":math:`\sigma_j = [\prod_k (s_k/(1+s_k))^{w_k}]^{n/\sum w}` for every j (default w = 1)."""
        return cls("multiplicative", theta, w)

    multiplicative_risk = multiplicative

    @classmethod
    def additive(cls, theta, w=None) -> RiskFunc:
        r""":math:`\sigma_j = \sum_k w_k s_k/(1+s_k) / \sum_k w_k` for every j (default w = 1)."""
        return cls("additive", theta, w)

    additive_risk = additive

    @classmethod
    def custom(cls, theta, sigma: Callable | list, params: Mapping | None = None) -> RiskFunc:
        r"""A user-written risk function.

        Parameters
        ----------
        theta : array_like, shape (n,)
            :math:`\theta_i`, used in :math:`s_i`.
        sigma : callable or list of sympy expressions
            Either ``sigma(s, p) -> [sigma_1, ..., sigma_n]`` taking tuples of
            sympy symbols, or the list of n expressions written in the symbols
            ``s1..sn``, ``p1..pn`` (see :func:`dynapai_sym.symbols.intermediate`)
            and the symbols of ``params``.
        params : mapping, optional
            Values of the extra parameter symbols used in ``sigma``.
        """
        return cls("custom", theta, spec=sigma, extra=as_param_values(params, "params"))

    # symbols -----------------------------------------------------------------
    @property
    def theta_symbols(self) -> tuple[sp.Symbol, ...]:
        return player_symbols("theta", self.n, positive=True)

    @property
    def w_symbols(self) -> tuple[sp.Symbol, ...]:
        return player_symbols("w", self.n, positive=True)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        out = dict(zip(self.theta_symbols, map(float, self.theta)))
        if self.w is not None:
            out.update(zip(self.w_symbols, map(float, self.w)))
        out.update(self._extra)
        return out

    # expressions -------------------------------------------------------------
    def sigma(self, s, p) -> list[sp.Expr]:
        r"""Return :math:`[\sigma_1, \dots, \sigma_n]` given safety ``s`` and performance ``p``."""
        n = self.n
        # s/(1+s) over a common denominator: with s = A x_s^alpha p^-theta this is
        # A x_s^alpha / (A x_s^alpha + p^theta), finite with finite derivatives both where a player
        # gives up performance (p -> 0, where s itself overflows) and at x_s = 0
        safe = [sp.together(si / (1 + si)) for si in s]
        if self.form == "winner_only":
            return safe
        if self.form == "multiplicative":
            w = self.w_symbols
            prod = sp.Mul(*[sk**wk for sk, wk in zip(safe, w)])
            return [prod ** (sp.Integer(n) / sp.Add(*w))] * n
        if self.form == "additive":
            w = self.w_symbols
            total = sp.Add(*[wk * sk for sk, wk in zip(safe, w)]) / sp.Add(*w)
            return [total] * n
        known = {sym.name: sym for sym in (*intermediate("s", n), *intermediate("p", n))}
        known.update({sym.name: sym for sym in self._extra})
        s_syms, p_syms = intermediate("s", n), intermediate("p", n)
        exprs = call_or_rebind(self._spec, (s_syms, p_syms), known, "sigma")
        if not isinstance(exprs, list) or len(exprs) != n:
            raise ValueError(f"custom sigma must give a list of {n} expressions (one per winner)")
        mapping = dict(zip(s_syms, s)) | dict(zip(p_syms, p))
        return [sp.sympify(e).xreplace(mapping) for e in exprs]

    def is_symmetric(self) -> bool:
        ok = bool(np.all(self.theta == self.theta[0]))
        if self.w is not None:
            ok = ok and bool(np.all(self.w == self.w[0]))
        return ok and self.form != "custom"

    def __repr__(self) -> str:
        extra = f", w={self.w.tolist()}" if self.w is not None else ""
        return f"RiskFunc.{self.form}(theta={self.theta.tolist()}{extra})"

    def to_latex(self) -> str:
        """The risk function as LaTeX."""
        if self.form == "winner_only":
            return r"\sigma_j = \frac{s_j}{1 + s_j}"
        if self.form == "multiplicative":
            return (r"\sigma_j = \left[\prod_k \left(\frac{s_k}{1+s_k}\right)^{w_k}\right]"
                    r"^{n / \sum_k w_k}")
        if self.form == "additive":
            return r"\sigma_j = \frac{\sum_k w_k s_k / (1 + s_k)}{\sum_k w_k}"
        from ..symbols import glossary

        exprs = self.sigma(intermediate("s", self.n), intermediate("p", self.n))
        names = glossary(set().union(*[e.free_symbols for e in exprs]))
        return r" \\ ".join(
            rf"\sigma_{{{j + 1}}} = {sp.latex(e, symbol_names=names)}" for j, e in enumerate(exprs)
        )
