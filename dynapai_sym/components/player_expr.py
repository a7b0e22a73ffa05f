r"""One player's expression, applied to every player: the names it may use and their symbols.

A :class:`PlayerExpr` is written once, for a generic player :math:`i`, in the player's own
names (the table in :mod:`dynapai_sym.components.expression`), and becomes player i's
expression by :meth:`PlayerExpr.for_player`. This module also holds the tables of those names
(:data:`ACTION_NAMES`, :data:`BUILTIN_PARAMETERS`, :data:`WINNER_NAMES`, :data:`RESERVED`) and the
helpers that turn per-player values into parameter symbols.

Examples
--------
>>> ex = PlayerExpr("A * x_s**alpha", ("x_s",), ("A", "alpha"))
>>> ex.params
('A', 'alpha')
>>> ex.for_player(1, 2)
A2*xs2**alpha2
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

from .._frozen import Frozen
from .._validation import as_player_vector, check_n
from ..errors import InvalidArgumentError, InvalidTypeError
from ..names import ACTION_SYMBOLS
from ..symbols import latex_name, player_symbols
from .base import key_is_identifier
from .parser import FUNCTIONS, parse_expression

__all__ = ["PlayerExpr", "ACTION_NAMES", "BUILTIN_PARAMETERS", "WINNER_NAMES", "RESERVED", "check_parameter_name",
           "parameter_symbols", "as_player_expr", "player_values", "values_to_symbols", "check_values_given",
           "same_for_all", "values_repr"]


#: action names in expressions -> symbol base (the columns in storage order)
ACTION_NAMES: dict[str, str] = dict(zip(("x_s", "x_p", "i_s", "i_p", "share_s", "share_p"), ACTION_SYMBOLS))

#: built-in parameter names -> (symbol base, positive): they mean the package's own symbols
BUILTIN_PARAMETERS: dict[str, tuple[str, bool]] = {
    "A": ("A", True), "B": ("B", True), "alpha": ("alpha", True), "beta": ("beta", True),
    "theta": ("theta", True), "w": ("w", True), "d": ("d", False), "r": ("r", False),
    "r_inv": ("rinv", False), "r_share": ("rshare", False),
}

#: the winner's safety and performance, in disaster costs
WINNER_NAMES: tuple[str, ...] = ("s_winner", "p_winner")

#: names a new parameter may not take (they mean something else in the package)
RESERVED: frozenset[str] = frozenset({
    *ACTION_NAMES, *ACTION_SYMBOLS, *FUNCTIONS, *WINNER_NAMES, "s", "p", "sigma", "q", "c", "u", "rho", "gamma",
    "gammas", "kappa", "winA", "winB", "loseA", "loseB", "P", "rinv", "rshare", "L", "s_thresh", "t", "n", "i", "j",
    "pi", "E", "I", "oo", "nan", "zoo",
    *(f"{pre}_{col}" for pre in ("r", "r0", "r1") for col in ACTION_SYMBOLS),
})


def check_parameter_name(name, where: str = "params") -> str:
    """``name`` if it can name a per-player parameter; a clear error otherwise.

    A parameter name is an identifier that is not a keyword, does not start with an
    underscore or end with a digit (its player copies are ``name1, name2, ...``), and is not
    one of the names the package uses for something else (actions, ``s``, ``p``, ...).
    """
    if not isinstance(name, str):
        raise InvalidTypeError(f"{where}: parameter names must be strings, got {name!r}")
    if not key_is_identifier(name) or name.startswith("_") or name[-1].isdigit():
        raise InvalidArgumentError(f"{where}: {name!r} cannot name a parameter: use letters, digits and "
                                   "underscores, not starting with an underscore nor ending with a digit")
    if name in RESERVED and name not in BUILTIN_PARAMETERS:
        raise InvalidArgumentError(f"{where}: {name!r} cannot name a parameter: the package uses it for "
                                   "something else")
    return name


def parameter_symbols(name: str, n: int) -> tuple[sp.Symbol, ...]:
    """The symbols :math:`name_1, \\dots, name_n` of a parameter (the package's own for built-in names)."""
    base, positive = BUILTIN_PARAMETERS.get(name, (name, False))
    return player_symbols(base, n, positive=positive)


def _generic(name: str) -> sp.Symbol:
    """The placeholder symbol of ``name`` in a player expression (with its assumptions)."""
    if name in ACTION_NAMES:
        return sp.Symbol(name, nonnegative=True)
    if name in ("s", "p") or name in WINNER_NAMES:
        return sp.Symbol(name, positive=True)
    positive = BUILTIN_PARAMETERS.get(name, (name, False))[1]
    return sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)


class PlayerExpr(Frozen):
    r"""One expression written for a generic player, applied to every player.

    Parameters
    ----------
    expr : str, sympy expression or PlayerExpr
        The expression, in the names of ``variables`` and ``params``.
    variables : sequence of str
        The player's own quantities the expression may use (action names, ``"s"``, ``"p"``).
    params : sequence of str
        Parameter names it may use.
    source, key : str
        Where the text comes from, for messages.

    Attributes
    ----------
    expr : sympy.Expr
        The expression in placeholder symbols (``x_s``, ``s``, ``alpha``, ...).
    text : str
        The text as given (a sympy expression is printed).
    uses : tuple of str
        The names it uses, sorted.
    """

    __slots__ = ("expr", "text", "uses")

    def __init__(self, expr, variables, params, source: str = "expression", key: str | None = None):
        names = {name: _generic(name) for name in (*variables, *params)}
        original = None
        if isinstance(expr, PlayerExpr):
            original, expr = expr.text, expr.expr
        if isinstance(expr, str):
            built = parse_expression(expr, names, source, key)
            text = expr.strip()
        elif isinstance(expr, (sp.Expr, int, float)) and not isinstance(expr, bool):
            built = sp.sympify(expr, strict=True)
            unknown = sorted(s.name for s in built.free_symbols if s.name not in names)
            if unknown:
                raise InvalidArgumentError(f"{source}{': ' + key if key else ''}: unknown names {unknown}; "
                                           f"known names: {', '.join(sorted(names))}")
            built = built.xreplace({s: names[s.name] for s in built.free_symbols})
            text = str(built)
        else:
            raise InvalidTypeError(f"{source}{': ' + key if key else ''}: an expression must be a string or a "
                                   f"sympy expression, got {type(expr).__name__}")
        uses = tuple(sorted(s.name for s in built.free_symbols))
        self._set(expr=built, text=text if original is None else original, uses=uses)

    @property
    def params(self) -> tuple[str, ...]:
        """The parameter names used (every name that is not an action, ``s`` or ``p``)."""
        return tuple(name for name in self.uses
                     if name not in ACTION_NAMES and name not in ("s", "p") and name not in WINNER_NAMES)

    def for_player(self, i: int, n: int, s=None, p=None, winner: Mapping | None = None) -> sp.Expr:
        """The expression of player ``i`` (0-based) of ``n``, with ``s``, ``p`` the player's own.

        ``winner`` gives the values of ``s_winner`` and ``p_winner`` (disaster costs).
        """
        mapping = {}
        for name in self.uses:
            gen = _generic(name)
            if name in ACTION_NAMES:
                mapping[gen] = sp.Symbol(f"{ACTION_NAMES[name]}{i + 1}", nonnegative=True)
            elif name == "s":
                mapping[gen] = s
            elif name == "p":
                mapping[gen] = p
            elif name in WINNER_NAMES:
                mapping[gen] = winner[name]
            else:
                mapping[gen] = parameter_symbols(name, n)[i]
        return self.expr.xreplace(mapping)

    def latex(self) -> str:
        """The expression typeset for a generic player :math:`i`."""
        names = {}
        for name in self.uses:
            gen = _generic(name)
            if name in ACTION_NAMES:
                col = {"x_s": "x_{s,i}", "x_p": "x_{p,i}", "i_s": "i_{s,i}", "i_p": "i_{p,i}",
                       "share_s": r"\mathit{sh}_{s,i}", "share_p": r"\mathit{sh}_{p,i}"}[name]
                names[gen] = col
            else:
                if name in WINNER_NAMES:
                    names[gen] = f"{name[0]}_{{j}}"
                    continue
                one = sp.Symbol(f"{name}1") if name in ("s", "p") else parameter_symbols(name, 1)[0]
                label = latex_name(one)
                names[gen] = label[:-3] + "{i}" if label.endswith("{1}") else sp.latex(sp.Symbol(f"{name}_i"))
        return sp.latex(self.expr, symbol_names=names)

    def __eq__(self, other) -> bool:
        return type(other) is PlayerExpr and self.expr == other.expr

    def __hash__(self) -> int:
        return hash(self.expr)

    def __repr__(self) -> str:
        return repr(self.text)


def as_player_expr(expr, variables, params, key: str) -> PlayerExpr:
    return PlayerExpr(expr, variables, params, key=key)


def player_values(params: Mapping | None, n: int | None, name: str = "params") -> tuple[int, dict[str, np.ndarray]]:
    """``(n, {name: (n,) array})`` from per-player values (a number broadcasts to every player)."""
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise InvalidTypeError(f"{name} must be a mapping from parameter name to a number or one value per player, "
                               f"got {type(params).__name__}")
    for key, value in params.items():
        check_parameter_name(key, name)
        if np.ndim(value) == 1:
            n = len(value) if n is None else n
    if n is None:
        raise InvalidArgumentError(f"give n (the number of players) or a per-player vector in {name}")
    n = check_n(n, "n (number of players)")
    out = {}
    for key, value in params.items():
        positive = BUILTIN_PARAMETERS.get(key, (key, False))[1]
        vec = as_player_vector(value, f"{name}[{key!r}]", n, positive=positive)
        vec.setflags(write=False)
        out[key] = vec
    return n, out


def values_to_symbols(values: Mapping[str, np.ndarray], n: int) -> dict[sp.Symbol, float]:
    out: dict[sp.Symbol, float] = {}
    for name, vec in values.items():
        out.update(zip(parameter_symbols(name, n), map(float, vec)))
    return out


def check_values_given(exprs: Mapping[str, PlayerExpr], values: Mapping, provided_elsewhere=()) -> None:
    for key, ex in exprs.items():
        missing = [name for name in ex.params if name not in values and name not in provided_elsewhere]
        if missing:
            raise InvalidArgumentError(f"{key}: the parameters {missing} have no value; give them in params")


def same_for_all(values: Mapping[str, np.ndarray]) -> bool:
    return all(bool(np.all(v == v[0])) for v in values.values())


def values_repr(values: Mapping[str, np.ndarray]) -> str:
    return "{" + ", ".join(f"{k!r}: {v.tolist()}" for k, v in values.items()) + "}"
