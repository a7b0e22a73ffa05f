r"""Symbols of the model and their typeset names.

Every symbol the package creates comes from here, so that one glossary serves
docstrings, LaTeX output and Jupyter display. Players are labelled ``1..n`` in
symbol names and formulas (``x_s1`` is :math:`x_{s,1}`, the safety input of the
first player); Python indices stay 0-based (player ``i`` in code is labelled
``i + 1`` in formulas).

Action columns (per player, per period)

====================  =========================  ==============================
column                name                       meaning
====================  =========================  ==============================
``xs``                :math:`x_{s,i}`            input to safety
``xp``                :math:`x_{p,i}`            input to performance
``is``                :math:`i_{s,i}`            investment in safety productivity
``ip``                :math:`i_{p,i}`            investment in performance productivity
``shs``               :math:`sh_{s,i}`           share of the safety lead given away
``shp``               :math:`sh_{p,i}`           share of the performance lead given away
====================  =========================  ==============================

Intermediate quantities: :math:`s_i` (safety), :math:`p_i` (performance),
:math:`\sigma_i` (probability of a safe outcome if ``i`` wins), :math:`q_i`
(probability that ``i`` wins).
"""

from __future__ import annotations

import re
from functools import cache

import sympy as sp

from .errors import InvalidArgumentError
from .names import ACTION_SYMBOLS

__all__ = [
    "action_symbols",
    "intermediate",
    "latex_name",
    "player_symbols",
    "period_symbol",
    "glossary",
    "sort_symbols",
    "parameter_rows",
]


_ACTION_LATEX = {
    "xs": r"x_{s,%s}",
    "xp": r"x_{p,%s}",
    "is": r"i_{s,%s}",
    "ip": r"i_{p,%s}",
    "shs": r"\mathit{sh}_{s,%s}",
    "shp": r"\mathit{sh}_{p,%s}",
}

# base name -> LaTeX template with one %s for the player label.
_PLAYER_LATEX = {
    "A": r"A_{%s}",
    "B": r"B_{%s}",
    "alpha": r"\alpha_{%s}",
    "beta": r"\beta_{%s}",
    "theta": r"\theta_{%s}",
    "w": r"w_{%s}",
    "d": r"d_{%s}",
    "winA": r"a^{\mathrm{win}}_{%s}",
    "winB": r"b^{\mathrm{win}}_{%s}",
    "loseA": r"a^{\mathrm{lose}}_{%s}",
    "loseB": r"b^{\mathrm{lose}}_{%s}",
    "gamma": r"\gamma_{%s}",
    "s": r"s_{%s}",
    "p": r"p_{%s}",
    "sigma": r"\sigma_{%s}",
    "q": r"q_{%s}",
    "c": r"c_{%s}",
    "u": r"u_{%s}",
    "r": r"r_{%s}",
    "rinv": r"r^{\mathrm{inv}}_{%s}",
    "rshare": r"r^{\mathrm{sh}}_{%s}",
    "P": r"P_{%s}",
}
# price symbols: r_<column><player>, r0_<column><player>, r1_<column><player>
for _col in ACTION_SYMBOLS:
    _sub = {"xs": "x_s", "xp": "x_p", "is": "i_s", "ip": "i_p", "shs": "sh_s", "shp": "sh_p"}[_col]
    _PLAYER_LATEX[f"r_{_col}"] = r"r^{%s}_{%%s}" % _sub.replace("_", "")
    _PLAYER_LATEX[f"r0_{_col}"] = r"r^{%s}_{0,%%s}" % _sub.replace("_", "")
    _PLAYER_LATEX[f"r1_{_col}"] = r"r^{%s}_{1,%%s}" % _sub.replace("_", "")
    _PLAYER_LATEX[_col] = _ACTION_LATEX[_col]

_SCALAR_LATEX = {"kappa": r"\kappa", "L": r"L", "s_thresh": r"\bar{s}"}

_NAME_RE = re.compile(r"^([A-Za-z0-9_]*?[A-Za-z_])(\d+)(?:_(\d+))?$")


def _make(name: str, **assumptions: bool) -> sp.Symbol:
    return sp.Symbol(name, **assumptions)


@cache
def player_symbols(base: str, n: int, *, positive: bool = False) -> tuple[sp.Symbol, ...]:
    """Return ``(base1, ..., base_n)``: one real symbol per player.

    Parameters
    ----------
    base : str
        Base name, e.g. ``"A"`` gives ``A1, A2, ...``.
    n : int
        Number of players.
    positive : bool
        Declare the symbols positive (helps simplification).
    """
    assumptions = {"positive": True} if positive else {"real": True}
    return tuple(_make(f"{base}{i + 1}", **assumptions) for i in range(n))


@cache
def pair_symbols(base: str, n: int) -> tuple[tuple[sp.Symbol, ...], ...]:
    """Return an ``n x n`` tuple of symbols ``base{i}_{j}`` (e.g. ``d1_2``)."""
    return tuple(
        tuple(_make(f"{base}{i + 1}_{j + 1}", real=True) for j in range(n)) for i in range(n)
    )


@cache
def action_symbols(n: int, k: int) -> tuple[tuple[sp.Symbol, ...], ...]:
    """Return the ``(n, k)`` action symbols, row ``i`` for player ``i``.

    Column ``c`` is :data:`dynapai_sym.names.ACTION_SYMBOLS` ``[c]``; all are non-negative.
    """
    if k not in (2, 4, 6):
        raise InvalidArgumentError(f"k (actions per player) must be 2, 4 or 6, got {k!r}")
    return tuple(
        tuple(_make(f"{col}{i + 1}", nonnegative=True) for col in ACTION_SYMBOLS[:k])
        for i in range(n)
    )


@cache
def intermediate(name: str, n: int) -> tuple[sp.Symbol, ...]:
    r"""Return placeholder symbols for an intermediate quantity.

    ``name`` is one of ``"s"``, ``"p"``, ``"sigma"``, ``"q"``; custom
    components are written in these (e.g. ``p1, p2`` for :math:`p_1, p_2`).
    """
    if name not in ("s", "p", "sigma", "q"):
        raise InvalidArgumentError(f"name must be one of 's', 'p', 'sigma', 'q', got {name!r}")
    return tuple(_make(f"{name}{i + 1}", positive=True) for i in range(n))


_PERIOD_RE = re.compile(r"^(.*)_t(\d+)$")


def period_symbol(sym: sp.Symbol, t: int) -> sp.Symbol:
    """The copy of ``sym`` for period ``t`` (e.g. ``xs1`` -> ``xs1_t0``, typeset :math:`x_{s,1}(0)`)."""
    return sp.Symbol(f"{sym.name}_t{t}", **sym.assumptions0)


def latex_name(sym: sp.Symbol, labels=None) -> str:
    """Return the typeset name of a package symbol (falls back to sympy's own).

    ``labels`` maps player labels to other subscripts (``{"1": "i", "2": "j"}`` typesets
    ``A1`` as :math:`A_{i}`), to write a generic player's equations.
    """
    name = sym.name
    period = _PERIOD_RE.match(name)
    if period:
        return latex_name(sp.Symbol(period.group(1)), labels) + f"({period.group(2)})"
    if name in _SCALAR_LATEX:
        return _SCALAR_LATEX[name]
    match = _NAME_RE.match(name)
    if match:
        base, i, j = match.groups()
        template = _PLAYER_LATEX.get(base)
        if template is not None:
            if labels:
                i = labels.get(i, i)
                j = labels.get(j, j) if j is not None else None
            return template % (i if j is None else f"{i},{j}")
    return sp.latex(sp.Symbol(name))


def glossary(symbols, labels=None) -> dict[sp.Symbol, str]:
    """Map each symbol to its typeset name, for ``sympy.latex(..., symbol_names=...)``."""
    return {s: latex_name(s, labels) for s in symbols if isinstance(s, sp.Symbol)}


def sort_symbols(symbols) -> tuple[sp.Symbol, ...]:
    """Return symbols in a deterministic order: by name, numbers compared as numbers."""

    def key(sym: sp.Symbol):
        return [int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", sym.name)]

    return tuple(sorted(set(symbols), key=key))


def parameter_rows(values, n: int) -> list[tuple[str, str, list[float | None] | float]]:
    r"""Group parameter values into rows: one row per parameter, one entry per player.

    Parameters
    ----------
    values : mapping of sympy.Symbol to float
        Parameter values (e.g. ``PayoffFunc.param_values``), in the order rows should appear.
    n : int
        Number of players.

    Returns
    -------
    list of (name, latex, cells)
        ``name`` is a plain name (``"alpha"``, ``"d1_j"``), ``latex`` the typeset name of a
        generic player i (``\alpha_{i}``; ``d_{1,j}`` for row 1 of a matrix), and ``cells``
        either a list of n values (``None`` where a player has none) or one float for a
        parameter shared by all players.

    Examples
    --------
    >>> import sympy as sp
    >>> parameter_rows({sp.Symbol("A1"): 10.0, sp.Symbol("A2"): 11.0, sp.Symbol("kappa"): 1.0}, 2)
    [('A', 'A_{i}', [10.0, 11.0]), ('kappa', '\\kappa', 1.0)]
    """
    rows: dict[str, tuple[str, list[float | None] | float]] = {}
    for sym, value in values.items():
        match = _NAME_RE.match(sym.name)
        template = _PLAYER_LATEX.get(match.group(1)) if match else None
        if template is None:
            rows[sym.name] = (latex_name(sym), float(value))
            continue
        base, i, j = match.groups()
        if j is None:
            key, col, tex = base, int(i) - 1, template % "i"
        else:
            key, col, tex = f"{base}{i}_j", int(j) - 1, template % f"{i},j"
        cells = rows.setdefault(key, (tex, [None] * n))[1]
        if 0 <= col < n:
            cells[col] = float(value)
    return [(key, tex, cells) for key, (tex, cells) in rows.items()]
