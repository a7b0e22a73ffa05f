r"""The one-period payoff written whole, in place of the built-in composition.

The built-in payoff is

.. math:: u_i = \sum_j \sigma_j q_j \rho_{ij} - \sum_j (1 - \sigma_j) q_j d_{ij} - c_i .

A :class:`PayoffExpr` replaces this overall form by any expression, written as a function
``u(i, v) -> u_i`` of the player (0-based) and a :class:`PayoffSymbols` ``v`` holding the
package's symbols of every player: ``v.sigma[j]``, ``v.q[j]``, ``v.s[j]``, ``v.p[j]``,
``v.c[j]``, ``v.rho[i][j]``, ``v.d[i][j]``, the actions ``v.x_s[j]``, ``v.x_p[j]`` (and
``v.i_s``, ``v.i_p``, ``v.share_s``, ``v.share_p``), and parameters ``v.param("k")[j]``
(a new per-player parameter :math:`k_j`, valued in ``params``; the built-in names give the
package's own symbols, e.g. ``v.param("d")``). The components still give
:math:`\sigma, q, \rho, d, c`; the expression says how they combine.

Examples
--------
The built-in form with a weight :math:`\lambda_i` on the disaster term:

>>> import sympy as sp
>>> def u(i, v):
...     n = len(v.q)
...     win = sp.Add(*[v.sigma[j] * v.q[j] * v.rho[i][j] for j in range(n)])
...     loss = sp.Add(*[(1 - v.sigma[j]) * v.q[j] * v.d[i][j] for j in range(n)])
...     return win - v.param("lam")[i] * loss - v.c[i]
>>> PayoffExpr(u, n=2, params={"lam": 2.0}).is_symmetric()
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import sympy as sp

from ..errors import InvalidArgumentError, InvalidTypeError
from ..symbols import glossary, intermediate, player_symbols
from .base import Component, relabelling_symmetric
from .player_expr import ACTION_NAMES, parameter_symbols, player_values, same_for_all, values_repr, values_to_symbols

__all__ = ["PayoffExpr", "PayoffSymbols"]

_INDEXED = re.compile(r"^([A-Za-z_]*[A-Za-z_])(\d+)(?:_(\d+))?$")  # rho1_2 -> ("rho", "1", "2")


def _pairs(base: str, n: int) -> tuple[tuple[sp.Symbol, ...], ...]:
    return tuple(tuple(sp.Symbol(f"{base}{i + 1}_{j + 1}", real=True) for j in range(n)) for i in range(n))


class PayoffSymbols:
    """The symbols a written payoff is built from (see the module docstring).

    Attributes
    ----------
    n : int
    sigma, q, s, p, c : tuple of sympy.Symbol, length n
    rho, d : tuple of tuples, n x n
    x_s, x_p, i_s, i_p, share_s, share_p : tuple of sympy.Symbol, length n
    """

    def __init__(self, n: int):
        self.n = n
        self.sigma, self.q = intermediate("sigma", n), intermediate("q", n)
        self.s, self.p = intermediate("s", n), intermediate("p", n)
        self.c = player_symbols("c", n)
        self.rho, self.d = _pairs("rho", n), _pairs("dloss", n)
        for name, base in ACTION_NAMES.items():
            setattr(self, name, tuple(sp.Symbol(f"{base}{i + 1}", nonnegative=True) for i in range(n)))

    def param(self, name: str) -> tuple[sp.Symbol, ...]:
        """The symbols of the per-player parameter ``name`` (the package's own for built-in names)."""
        return parameter_symbols(name, self.n)

    def intermediates(self) -> dict[sp.Symbol, tuple[str, int, int | None]]:
        """Each placeholder symbol -> (quantity, i, j) (j None for per-player quantities)."""
        out: dict[sp.Symbol, tuple[str, int, int | None]] = {}
        for key in ("sigma", "q", "s", "p", "c"):
            out.update({sym: (key, i, None) for i, sym in enumerate(getattr(self, key))})
        for key in ("rho", "d"):
            out.update({sym: (key, i, j) for i, row in enumerate(getattr(self, key)) for j, sym in enumerate(row)})
        return out


class PayoffExpr(Component):
    r"""The one-period payoff :math:`u_i` written whole (see the module docstring).

    Parameters
    ----------
    u : callable or sequence of sympy expressions
        ``u(i, v) -> u_i`` for player ``i`` (0-based) and :class:`PayoffSymbols` ``v``, or the
        list of the n expressions in those symbols.
    n : int
        Number of players.
    params : mapping, optional
        Values of the new parameters used through ``v.param(name)`` (a number, or one per player).
    """

    __slots__ = ("n", "exprs", "values")
    kind = "payoff"

    def __init__(self, u: Callable | list, n: int, params: Mapping | None = None):
        n, values = player_values(params, n)
        v = PayoffSymbols(n)
        if callable(u):
            exprs = [u(i, v) for i in range(n)]
        elif isinstance(u, (list, tuple)):
            exprs = list(u)
        else:
            raise InvalidTypeError(f"u must be a function u(i, v) or a list of {n} sympy expressions, "
                                   f"got {type(u).__name__}")
        if len(exprs) != n:
            raise InvalidArgumentError(f"u must give {n} expressions (one per player), got {len(exprs)}")
        out = []
        for i, e in enumerate(exprs):
            if isinstance(e, str) or not isinstance(e, (sp.Expr, int, float)):
                raise InvalidTypeError(f"u for player {i + 1} must be a sympy expression, got {type(e).__name__}")
            out.append(sp.sympify(e, strict=True))
        self._set(n=n, exprs=tuple(out), values=values)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        return values_to_symbols(self.values, self.n)

    def payoffs(self, quantities: Mapping[str, list]) -> list[sp.Expr]:
        """The n payoffs with the model's quantities (``sigma``, ``q``, ``s``, ``p``, ``c``, ``rho``, ``d``) put in."""
        mapping = {}
        for sym, (key, i, j) in PayoffSymbols(self.n).intermediates().items():
            mapping[sym] = quantities[key][i] if j is None else quantities[key][i][j]
        return [e.xreplace(mapping) for e in self.exprs]

    def form_key(self) -> tuple:
        return ("payoff", self.exprs, tuple(self.values))

    def is_symmetric(self) -> bool:
        """True when relabelling the players permutes the payoffs alike and every value is the same."""
        return same_for_all(self.values) and relabelling_symmetric(self.exprs, self.n)

    def __repr__(self) -> str:
        return f"PayoffExpr(n={self.n}, params={values_repr(self.values)})"

    def to_latex(self) -> str:
        """Player 1's payoff as LaTeX (``u_1 = ...``)."""
        expr = self.exprs[0]
        names = glossary(expr.free_symbols)
        for row in (*PayoffSymbols(self.n).rho, *PayoffSymbols(self.n).d):
            for sym in row:
                base, i, j = _INDEXED.match(sym.name).groups()
                names[sym] = (r"\rho" if base == "rho" else "d") + f"_{{{i},{j}}}"
        return rf"u_1 = {sp.latex(expr, symbol_names=names)}"

