r"""Components written as expressions of one player's own quantities.

A *player expression* is written once, for a generic player :math:`i`, in the player's
own names, and applied to every player:

=====================================  ===========================================
name in the expression                 stands for (player :math:`i`)
=====================================  ===========================================
``x_s``, ``x_p``                       the inputs :math:`x_{s,i}`, :math:`x_{p,i}`
``i_s``, ``i_p``, ``share_s``,         investment and sharing choices (where the
``share_p``                            action type has them)
``s``, ``p``                           the player's safety :math:`s_i` and
                                       performance :math:`p_i`
a parameter name (``alpha``, ``k``)    the player's own value (:math:`\alpha_i`,
                                       :math:`k_i`)
=====================================  ===========================================

The built-in parameter names (``A``, ``B``, ``alpha``, ``beta``, ``theta``, ``d``, ``r``,
``r_inv``, ``r_share``, ``w``) mean the package's own symbols, so an expression written as
a built-in formula gives exactly the built-in model. Any other name (``k``, ``gamma_s``)
becomes a new per-player parameter :math:`k_1, \dots, k_n` of the model: listed with the
others in LaTeX, moved by sweeps like the built-in ones.

Expressions are given as text (parsed by the safe parser,
:func:`~dynapai_sym.components.parser.parse_expression`) or as sympy expressions in
symbols of those names. Because one expression serves every player, a model whose
parameter values are the same for every player is symmetric, and models with the same
expressions share one compiled structure whatever their values.

The components written this way:

* :class:`ExprProdFunc` (``ProdFunc.expression``): :math:`p_i` and :math:`s_i`;
* :class:`ExprRiskFunc` (``RiskFunc.expression``): :math:`\sigma_i` from :math:`s_i, p_i`;
* :class:`ExprDisasterCost` (``DisasterCost.expression``): :math:`d_{ij}`, any expression in
  the player's actions, :math:`s_i, p_i`, the winner's :math:`s_j, p_j` and parameters;
* :class:`ExprCostFunc` (``CostFunc.expression``): :math:`c_i`.

Examples
--------
>>> risk = ExprRiskFunc("s / (1 + s)", theta=[0.5, 0.5])
>>> risk.sigma(*[[sp.Symbol(f"{b}{i}", positive=True) for i in (1, 2)] for b in "sp"])
[s1/(s1 + 1), s2/(s2 + 1)]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

from .._validation import as_player_vector
from ..errors import InvalidArgumentError
from ..names import ACTION_SYMBOLS
from ..symbols import intermediate
from .cost import CostForm, CostFunc
from .disaster import DisasterCost
from .player_expr import (
    ACTION_NAMES,
    BUILTIN_PARAMETERS,
    WINNER_NAMES,
    PlayerExpr,
    as_player_expr,
    check_parameter_name,
    check_values_given,
    parameter_symbols,
    player_values,
    same_for_all,
    values_repr,
    values_to_symbols,
)
from .production import ProdFunc
from .risk import RiskForm, RiskFunc

__all__ = ["PlayerExpr", "ExprProdFunc", "ExprRiskFunc", "ExprDisasterCost", "ExprCostFunc",
           "ACTION_NAMES", "BUILTIN_PARAMETERS", "WINNER_NAMES", "parameter_symbols", "check_parameter_name"]


# ------------------------------------------------------------------------ production
class ExprProdFunc(ProdFunc):
    r"""Production written as expressions: :math:`p_i = f_p(x_{p,i}, x_{s,i}; \cdot_i)`,
    :math:`s_i = f_s(x_{s,i}, x_{p,i}, p_i; \cdot_i)`.

    Parameters
    ----------
    s, p : str or sympy expression
        Safety (may use ``x_s``, ``x_p``, ``p`` and parameters) and performance (``x_s``,
        ``x_p`` and parameters). ``theta`` may be used: its value comes with the risk function.
    params : mapping of str to float or array_like
        Values of the parameters used (a number for every player, or one per player). ``A`` and
        ``B`` are the state moved by investment and sharing: give them for those action types.
    n : int, optional
        Number of players, when no value is a per-player vector.

    Examples
    --------
    The built-in Cobb–Douglas production, written out:

    >>> prod = ExprProdFunc(s="A * x_s**alpha * p**(-theta)", p="B * x_p**beta",
    ...                     params=dict(A=10, alpha=0.5, B=10, beta=0.5), n=2)
    >>> prod.performance(sp.symbols("xp1 xp2", nonnegative=True))
    [B1*xp1**beta1, B2*xp2**beta2]
    """

    __slots__ = ("s_expr", "p_expr", "values")

    def __init__(self, s, p, params: Mapping | None = None, n: int | None = None):
        n, values = player_values(params, n)
        names = tuple(values)
        p_expr = as_player_expr(p, ("x_s", "x_p"), (*names, "theta"), "production.p")
        s_expr = as_player_expr(s, ("x_s", "x_p", "p"), (*names, "theta"), "production.s")
        check_values_given({"production.s": s_expr, "production.p": p_expr}, values, ("theta",))
        nan = np.full(n, np.nan)
        self._set(n=n, a=values.get("A", nan), alpha=values.get("alpha", nan), b=values.get("B", nan),
                  beta=values.get("beta", nan), s_expr=s_expr, p_expr=p_expr, values=values)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        return values_to_symbols(self.values, self.n)

    def performance(self, xp) -> list[sp.Expr]:
        """:math:`p_i` of every player (``xp`` the performance inputs; ``x_s`` taken as the action symbols)."""
        out = []
        for i in range(self.n):
            expr = self.p_expr.for_player(i, self.n)
            out.append(expr.xreplace({sp.Symbol(f"xp{i + 1}", nonnegative=True): xp[i]}))
        return out

    def safety(self, xs, p, theta) -> list[sp.Expr]:
        """:math:`s_i` of every player (``theta`` is the risk function's; the expression names it)."""
        out = []
        for i in range(self.n):
            expr = self.s_expr.for_player(i, self.n, p=p[i])
            out.append(expr.xreplace({sp.Symbol(f"xs{i + 1}", nonnegative=True): xs[i]}))
        return out

    def form_key(self) -> tuple:
        return ("expression", self.s_expr.expr, self.p_expr.expr, tuple(self.values))

    def is_symmetric(self) -> bool:
        return same_for_all(self.values)

    def __repr__(self) -> str:
        return f"ProdFunc.expression(s={self.s_expr!r}, p={self.p_expr!r}, params={values_repr(self.values)})"

    def to_latex(self) -> str:
        return rf"p_i = {self.p_expr.latex()}, \qquad s_i = {self.s_expr.latex()}"


# ------------------------------------------------------------------------ risk
class _ExpressionRisk(RiskForm):
    r""":math:`\sigma_i` from one expression of the player's own :math:`s_i`, :math:`p_i` (not registered:
    the component holds the expression)."""

    __slots__ = ()
    name = "expression"

    def sigma(self, risk, s, p):
        return [sp.together(risk.sigma_expr.for_player(i, risk.n, s=s[i], p=p[i])) for i in range(risk.n)]

    def exit_denominators(self, risk, s, p):
        # a denominator that vanishes with its inputs, over a numerator that does too, is 0/0 where
        # the player gives up: the model takes 0 there, as for the built-in forms (zero_guard)
        out = []
        for expr in self.sigma(risk, s, p):
            num, den = sp.fraction(expr)
            inputs = {x for x in den.free_symbols if x.is_nonnegative and not x.is_positive}
            if not inputs:
                continue
            zero = dict.fromkeys(inputs, 0)
            try:
                if den.xreplace(zero) == 0 and num.xreplace(zero) == 0:
                    out.append(den)
            except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - defensive
                continue
        return out

    def latex(self, risk):
        return rf"\sigma_i = {risk.sigma_expr.latex()}"


class ExprRiskFunc(RiskFunc):
    r"""Risk written as one expression: :math:`\sigma_i = f(s_i, p_i; \cdot_i)`, the chance of a safe
    outcome when player i wins, from the winner's own safety and performance.

    Where a player gives up (all its inputs 0) and the expression is 0/0, the model takes 0,
    as the built-in forms do.

    Parameters
    ----------
    sigma : str or sympy expression
        In ``s``, ``p`` and parameter names (e.g. ``"s / (1 + s)"``, the winner-only form).
    theta : array_like, shape (n,), optional
        :math:`\theta_i`, used by the production function (built-in or written).
    params : mapping, optional
        Values of the other parameters used (a number, or one per player).
    n : int, optional
        Number of players, when neither ``theta`` nor a value is a per-player vector.
    """

    __slots__ = ("sigma_expr", "values")

    def __init__(self, sigma, theta=None, params: Mapping | None = None, n: int | None = None):
        if theta is not None:
            if np.ndim(theta) != 1:
                raise InvalidArgumentError(f"theta must be a per-player vector, got {theta!r}")
            n = len(theta) if n is None else n
        n, values = player_values(params, n)
        if "theta" in values:
            raise InvalidArgumentError("give theta as the theta argument, not in params")
        theta = None if theta is None else as_player_vector(theta, "theta", n, nonnegative=True)
        known = (*values, *(("theta",) if theta is not None else ()))
        expr = as_player_expr(sigma, ("s", "p"), known, "risk.sigma")
        check_values_given({"risk.sigma": expr}, values, ("theta",))
        self._set(n=n, form="expression", theta=theta, w=None, _spec=None, _extra={}, _form=_ExpressionRisk(),
                  sigma_expr=expr, values=values)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        out = values_to_symbols(self.values, self.n)
        if self.theta is not None:
            out.update(zip(self.theta_symbols, map(float, self.theta)))
        return out

    def form_key(self) -> tuple:
        return ("expression", self.sigma_expr.expr, tuple(self.values), self.theta is None)

    def is_symmetric(self) -> bool:
        return same_for_all(self.values) and (self.theta is None or bool(np.all(self.theta == self.theta[0])))

    def __repr__(self) -> str:
        theta = "" if self.theta is None else f", theta={self.theta.tolist()}"
        params = f", params={values_repr(self.values)}" if self.values else ""
        return f"RiskFunc.expression({self.sigma_expr!r}{theta}{params})"


# ------------------------------------------------------------------------ disaster cost
class ExprDisasterCost(DisasterCost):
    r"""Disaster cost written as one expression: :math:`d_{ij} = f(a_i, s_i, p_i, s_j, p_j; \cdot_i)`, what
    player i loses when j wins and the outcome is a disaster.

    Parameters
    ----------
    d : str or sympy expression
        In the player's own actions (``x_s``, ``x_p``, ``i_s``, ...), ``s``, ``p``, the winner's
        ``s_winner``, ``p_winner`` and parameter names (e.g. ``"d * (1 + h * p_winner)"``: the
        loss grows with the winner's performance; ``"d"`` alone is the built-in :math:`d_i`).
    params : mapping
        Values of the parameters used (a number, or one per player).
    n : int, optional
        Number of players, when no value is a per-player vector.
    """

    __slots__ = ("d_expr", "values")

    def __init__(self, d, params: Mapping | None = None, n: int | None = None):
        n, values = player_values(params, n)
        expr = as_player_expr(d, (*ACTION_NAMES, "s", "p", *WINNER_NAMES), tuple(values), "disaster.d")
        check_values_given({"disaster.d": expr}, values)
        self._set(n=n, d=values.get("d", np.full(n, np.nan)), is_matrix=False, d_expr=expr, values=values)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        return values_to_symbols(self.values, self.n)

    def matrix(self, s=None, p=None) -> list[list[sp.Expr]]:
        r""":math:`d_{ij}`: the expression of player i with winner j (``s``, ``p`` default to the symbols
        :math:`s_1..s_n`, :math:`p_1..p_n`)."""
        n = self.n
        s = intermediate("s", n) if s is None else s
        p = intermediate("p", n) if p is None else p
        return [[self.d_expr.for_player(i, n, s=s[i], p=p[i], winner={"s_winner": s[j], "p_winner": p[j]})
                 for j in range(n)] for i in range(n)]

    def form_key(self) -> tuple:
        return ("expression", self.d_expr.expr, tuple(self.values))

    def is_symmetric(self) -> bool:
        return same_for_all(self.values)

    def __repr__(self) -> str:
        return f"DisasterCost.expression({self.d_expr!r}, params={values_repr(self.values)})"

    def to_latex(self) -> str:
        return rf"d_{{ij}} = {self.d_expr.latex()}"


# ------------------------------------------------------------------------ input cost
class _ExpressionCost(CostForm):
    r""":math:`c_i` from one expression of the player's own actions, :math:`s_i`, :math:`p_i` (not registered)."""

    __slots__ = ()
    name = "expression"

    def cost(self, cost, X, s, p):
        out = []
        for i in range(cost.n):
            expr = cost.c_expr.for_player(i, cost.n, s=s[i], p=p[i])
            mapping = {sp.Symbol(f"{base}{i + 1}", nonnegative=True): X[i][c]
                       for c, base in enumerate(ACTION_SYMBOLS[:cost.k])}
            out.append(expr.xreplace(mapping))
        return out

    def latex(self, cost):
        return rf"c_i = {cost.c_expr.latex()}"


class ExprCostFunc(CostFunc):
    r"""Input cost written as one expression: :math:`c_i = f(a_i, s_i, p_i; \cdot_i)`.

    Parameters
    ----------
    c : str or sympy expression
        In the player's own actions (those of the action type: ``x_s``, ``x_p``, and ``i_s``,
        ``i_p`` for k >= 4, ``share_s``, ``share_p`` for k = 6), ``s``, ``p`` and parameters.
    k : int
        Actions per player (2, 4 or 6): decides the action type.
    params : mapping
        Values of the parameters used (a number, or one per player).
    n : int, optional
        Number of players, when no value is a per-player vector.
    """

    __slots__ = ("c_expr",)

    def __init__(self, c, k: int, params: Mapping | None = None, n: int | None = None):
        if k not in (2, 4, 6):
            raise InvalidArgumentError(f"k (actions per player) must be 2, 4 or 6, got {k!r}")
        n, values = player_values(params, n)
        expr = as_player_expr(c, (*tuple(ACTION_NAMES)[:k], "s", "p"), tuple(values), "cost.c")
        check_values_given({"cost.c": expr}, values)
        self._set(n=n, k=k, form="expression", values=values, _spec=None, _extra={}, _form=_ExpressionCost(),
                  c_expr=expr)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        return values_to_symbols(self.values, self.n)

    def form_key(self) -> tuple:
        return ("expression", self.c_expr.expr, self.k, tuple(self.values))

    def is_symmetric(self) -> bool:
        return same_for_all(self.values)

    def __repr__(self) -> str:
        return f"CostFunc.expression({self.c_expr!r}, k={self.k}, params={values_repr(self.values)})"


# ------------------------------------------------------------------------ constructors on the components
def _production(cls, s, p, params: Mapping | None = None, n: int | None = None) -> ExprProdFunc:
    """Production written as expressions (see :class:`~dynapai_sym.components.expression.ExprProdFunc`)."""
    return ExprProdFunc(s, p, params, n)


def _risk(cls, sigma, theta=None, params: Mapping | None = None, n: int | None = None) -> ExprRiskFunc:
    """Risk written as one expression of the winner's own s and p (see
    :class:`~dynapai_sym.components.expression.ExprRiskFunc`)."""
    return ExprRiskFunc(sigma, theta, params, n)


def _disaster(cls, d, params: Mapping | None = None, n: int | None = None) -> ExprDisasterCost:
    """Disaster cost written as one expression (see :class:`~dynapai_sym.components.expression.ExprDisasterCost`)."""
    return ExprDisasterCost(d, params, n)


def _cost(cls, c, k: int, params: Mapping | None = None, n: int | None = None) -> ExprCostFunc:
    """Input cost written as one expression (see :class:`~dynapai_sym.components.expression.ExprCostFunc`)."""
    return ExprCostFunc(c, k, params, n)


# ``ProdFunc.expression(...)`` and the like: the classes live in their own modules, which this one
# imports, so the constructors are attached here rather than imported there (no import cycle)
for _cls, _make in ((ProdFunc, _production), (RiskFunc, _risk), (DisasterCost, _disaster), (CostFunc, _cost)):
    _cls.expression = classmethod(_make)
