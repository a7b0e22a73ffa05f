r"""LaTeX export of model components, payoff functions and aggregators.

:func:`to_latex` typesets a model: the equations of its components (each
component's ``to_latex()``), the one-period payoff in general form and
explicitly (:meth:`PayoffFunc.payoff_expr`), the first-order (KKT) conditions
(:meth:`PayoffFunc.kkt`), and a table of every parameter with its value. For an
:class:`~dynapai_sym.game.Aggregator` it adds the multi-period objective
with discounting, the survival probability (``end_on_win``), the state
transitions and the discount factors. ``document=True`` gives a standalone
``.tex`` file; :func:`write_latex` writes one.

Symbols are typeset with the package glossary
(:func:`dynapai_sym.symbols.latex_name`). Long explicit expressions are broken
into rows of terms inside ``align*`` (with ``\allowdisplaybreaks``); in a
standalone document a row that is still wider than the line is scaled down
to fit, so every document compiles.

The fragment returned with ``document=False`` needs the packages of
:data:`LATEX_PACKAGES` (``amsmath``, ``amssymb``, ``booktabs``). The standalone
document also uses ``geometry`` and ``graphicx``; all are in Debian's
``texlive-latex-base`` and ``texlive-latex-recommended``.

For checking an export by machine, :func:`export_expr` with ``plain=True``
writes every symbol with a name that sympy's LaTeX parser reads back as one
symbol (:func:`plain_names`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence

from .._tex import align_lines, display_math
from ..components import CSF, CostFunc, DisasterCost, ProdFunc, RewardFunc, RiskFunc, Transition
from ..components.base import Component
from ..errors import InvalidArgumentError, InvalidTypeError
from ..model import MultiPeriodModel, PayoffModel
from ..names import ACTION_SYMBOLS
from ..symbols import glossary, intermediate, latex_name, parameter_rows, sort_symbols
from .conditions import IntermediateForm

__all__ = [
    "LATEX_PACKAGES",
    "export_expr",
    "expr_lines",
    "plain_names",
    "repr_latex",
    "to_latex",
    "write_latex",
]

#: Packages the fragment of :func:`to_latex` (``document=False``) needs.
LATEX_PACKAGES: tuple[str, ...] = ("amsmath", "amssymb", "booktabs")

#: Above this many players the first-order conditions are written for player 1 only.
_MAX_WRITTEN_PLAYERS = 4

_COMPONENT_TYPES = (ProdFunc, RiskFunc, CSF, RewardFunc, DisasterCost, CostFunc, Transition)
_EXPECTED = ("a model component (ProdFunc, RiskFunc, CSF, RewardFunc, DisasterCost, CostFunc, "
             "Transition), a PayoffFunc or an Aggregator")

_TITLES = {
    "production": "Production",
    "risk": "Risk",
    "contest": "Contest success",
    "reward": "Reward",
    "disaster": "Disaster cost",
    "cost": "Input cost",
    "transition": "State transition",
}

# Rough width of a display row, in the units of _visual_width (about one
# letter of math italic): an A4 page with 2 cm margins holds about 95.
_ROW_WIDTH = 70.0
# Explicit expressions longer than this (LaTeX characters), or with a row wider than
# _MAX_ROW_UNITS even after splitting, are not typeset: TeX cannot box them.
_MAX_EXPLICIT_CHARS = 40_000
_MAX_ROW_UNITS = 1_000.0
# Parameter table: rows per tabular; players per table (more players: several tables).
_TABLE_ROWS = 30
_TABLE_PLAYERS = 8

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5\baselineskip}
"""


# ---------------------------------------------------------------------------- public API
def to_latex(obj, document: bool = False, t: int | None = None, jacobian: bool = False) -> str:
    r"""Typeset a model as LaTeX.

    Parameters
    ----------
    obj : ProdFunc, RiskFunc, CSF, RewardFunc, DisasterCost, CostFunc, Transition, PayoffFunc or Aggregator
        The model (or model component) to typeset.
    document : bool
        Return a standalone document (``\documentclass{article}`` ...) that
        compiles with ``pdflatex``. Otherwise return a fragment (headings,
        ``align*`` environments and tables) that needs the packages of
        :data:`LATEX_PACKAGES`.
    t : int, optional
        Horizon T of an :class:`Aggregator`. Without it the objective is shown
        in general form; with it also period by period for player 1 (in the
        periods' payoffs and survival probabilities). Only for an Aggregator.
    jacobian : bool
        Also write the second derivatives of the payoff (the rows of the Jacobian of
        the stacked first-order conditions), in the intermediate quantities.

    Returns
    -------
    str
        The LaTeX source.

    Raises
    ------
    TypeError
        If ``obj`` is not a model component, a PayoffFunc or an Aggregator, or
        ``document`` is not a bool.
    ValueError
        If ``t`` is given for anything but an Aggregator, or is not a positive integer.
    """
    for name, flag in (("document", document), ("jacobian", jacobian)):
        if not isinstance(flag, (bool, np.bool_)):
            raise InvalidTypeError(f"{name} must be True or False, got {flag!r}")
    _check_model(obj)
    if t is not None:
        if not isinstance(obj, MultiPeriodModel):
            raise InvalidArgumentError("t (number of periods) only applies to an Aggregator, "
                                       f"not a {type(obj).__name__}")
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 1:
            raise InvalidArgumentError(f"t (number of periods) must be a positive integer, got {t!r}")
        t = int(t)
    if jacobian and not isinstance(obj, (PayoffModel, MultiPeriodModel)):
        raise InvalidArgumentError("jacobian applies to a PayoffFunc or an Aggregator, "
                                   f"not a {type(obj).__name__}")
    ctx = _Ctx(jacobian=bool(jacobian))
    if isinstance(obj, MultiPeriodModel):
        horizon = "T periods" if t is None else f"T = {t} period{'s' if t > 1 else ''}"
        title, body = f"A race over {horizon}, {obj.n} players", _aggregator_body(obj, t, ctx)
    elif isinstance(obj, PayoffModel):
        title, body = f"A one-period race, {obj.n} players", _payoff_body(obj, 0, ctx)
    else:
        title, body = f"{_TITLES.get(obj.kind, obj.kind.capitalize())}", _component_body(obj, ctx)
    if not document:
        return body
    return _PREAMBLE + "\\begin{document}\n" + f"\\section*{{{title}}}\n" + body + "\\end{document}\n"


def write_latex(obj, path: str | os.PathLike, t: int | None = None, jacobian: bool = False) -> Path:
    """Write a standalone LaTeX document of ``obj`` (see :func:`to_latex`) to ``path``.

    Parameters
    ----------
    obj : model component, PayoffFunc or Aggregator
        What to typeset.
    path : str or path-like
        The ``.tex`` file to write (its folder must exist).
    t : int, optional
        Horizon of an Aggregator (see :func:`to_latex`).
    jacobian : bool
        Also write the Jacobian (see :func:`to_latex`).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If ``path`` is not a str or path-like, or ``obj`` is not a model.
    OSError
        If the file cannot be written; the message names the path.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidTypeError(f"path must be a str or path-like, got {type(path).__name__}")
    target = Path(path)
    text = to_latex(obj, document=True, t=t, jacobian=jacobian)  # model errors before touching the file system
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        message = f"cannot write the LaTeX document to {str(target)!r}: {exc.strerror or exc}"
        if exc.errno is None:
            raise OSError(message) from exc
        raise OSError(exc.errno, message) from exc  # OSError picks the subclass (FileNotFoundError, ...)
    return target


def repr_latex(obj) -> str:
    r"""Short LaTeX for Jupyter (``_repr_latex_``): ``$$...$$``-wrapped math.

    A component gives its equation, a PayoffFunc the payoff formula, an
    Aggregator the multi-period objective.

    Raises
    ------
    TypeError
        If ``obj`` is not a model component, a PayoffFunc or an Aggregator.
    """
    _check_model(obj)
    if isinstance(obj, MultiPeriodModel):
        pf = obj.state.beliefs[0]
        rows = [r"U_i &= \sum_{t=0}^{T-1} \gamma_i^{t} P_t\, u_i(t)", _survival_general(obj.end_on_win),
                _payoff_general(pf)]
    elif isinstance(obj, PayoffModel):
        rows = [_payoff_general(obj)]
    else:
        rows = align_lines(obj.to_latex())
    return display_math(rows)


def plain_names(symbols: Iterable[sp.Symbol]) -> dict[sp.Symbol, str]:
    r"""Names that sympy's LaTeX parser reads back as one symbol each.

    ``A1`` becomes ``A_{1}`` and ``alpha1`` becomes ``\alpha_{1}``; every other
    symbol becomes ``v_{k}``. The parser reads each as the symbol named by the
    string without its backslash (``\alpha_{1}`` -> ``alpha_{1}``), and the
    names are distinct, so a parsed expression maps back by name.

    Parameters
    ----------
    symbols : iterable of sympy.Symbol

    Returns
    -------
    dict
        ``{symbol: LaTeX name}``, for ``sympy.latex(..., symbol_names=...)``.
    """
    out: dict[sp.Symbol, str] = {}
    used: set[str] = set()
    pending = []
    for sym in sort_symbols(s for s in symbols if isinstance(s, sp.Symbol)):
        match = _PLAIN_RE.match(sym.name)
        if match and match.group(1) != "e" and (len(match.group(1)) == 1 or match.group(1) in _GREEK):
            base, digits = match.groups()
            name = (f"\\{base}" if base in _GREEK else base) + f"_{{{digits}}}"
            if name.lstrip("\\") not in used:
                out[sym] = name
                used.add(name.lstrip("\\"))
                continue
        pending.append(sym)
    k = 0
    for sym in pending:
        while f"v_{{{k}}}" in used:
            k += 1
        out[sym] = f"v_{{{k}}}"
        used.add(out[sym])
    return out


def export_expr(expr, names: Mapping[sp.Symbol, str] | None = None, plain: bool = False) -> str:
    """One sympy expression as a single line of LaTeX.

    Parameters
    ----------
    expr : sympy expression
    names : mapping, optional
        Typeset name of each symbol; default the package glossary (or
        :func:`plain_names` when ``plain``).
    plain : bool
        For reading back by machine: names that sympy's LaTeX parser reads
        (see :func:`plain_names`), and every product written with ``\\cdot``
        (the parser reads ``x (y)`` as a function call).

    Returns
    -------
    str
    """
    expr = _as_expr(expr)
    return _latex(expr, _names_for(expr, names, plain), plain)


def expr_lines(expr, names: Mapping[sp.Symbol, str] | None = None, plain: bool = False,
               width: float = _ROW_WIDTH) -> list[str]:
    r"""One sympy expression as rows of terms, for a multi-line display.

    The rows, joined with spaces, are the expression: each row holds whole
    terms (with their signs); a term too wide for one row that is a product
    with a sum among its factors is written ``coefficient \Big( ... \Big)``
    with the sum's terms on the following rows.

    Parameters
    ----------
    expr : sympy expression
    names : mapping, optional
        As in :func:`export_expr`.
    plain : bool
        As in :func:`export_expr`.
    width : float
        Target width of a row, in letters.

    Returns
    -------
    list of str
    """
    expr = _as_expr(expr)
    return [text for _, text in _rows(expr, _names_for(expr, names, plain), width, plain=plain)]


# ---------------------------------------------------------------------------- expressions
_PLAIN_RE = re.compile(r"^([A-Za-z]+)(\d+)$")
_GREEK = frozenset({"alpha", "beta", "gamma", "delta", "theta", "kappa", "lambda", "mu", "nu", "rho",
                    "sigma", "tau", "phi", "psi", "omega", "eta", "zeta", "xi", "chi"})


def _as_expr(expr) -> sp.Expr:
    if isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, (int, float, np.integer, np.floating)):
        return sp.Float(expr) if isinstance(expr, (float, np.floating)) else sp.Integer(int(expr))
    raise InvalidTypeError(f"expr must be a sympy expression, got {type(expr).__name__}")


def _names_for(expr: sp.Basic, names: Mapping[sp.Symbol, str] | None, plain: bool) -> dict[sp.Symbol, str]:
    free = [s for s in expr.free_symbols if isinstance(s, sp.Symbol)]
    if names is not None:
        out = dict(names)
        missing = [s for s in free if s not in out]
        out.update(plain_names(missing) if plain else glossary(missing))
        return out
    return plain_names(free) if plain else glossary(free)


def _latex(expr, names: Mapping[sp.Symbol, str], plain: bool = False) -> str:
    if plain:  # "x (y)" would read as a function call: write every product with \cdot
        return sp.latex(expr, symbol_names=dict(names), mul_symbol="dot")
    return sp.latex(expr, symbol_names=dict(names))


def _rows(expr: sp.Expr, names: Mapping[sp.Symbol, str], width: float, depth: int = 0,
          plain: bool = False) -> list[tuple[int, str]]:
    """Rows ``(depth, text)`` of an expression split between its terms (see :func:`expr_lines`)."""
    terms = expr.as_ordered_terms() if isinstance(expr, sp.Add) else [expr]
    rows: list[tuple[int, str]] = []
    current, current_width = "", 0.0
    for term in terms:
        negative = term.could_extract_minus_sign()
        body = -term if negative else term
        sign = "-" if negative else ("+" if rows or current else "")
        text = _latex(body, names, plain)
        w = _visual_width(text) + 2.0
        if current and current_width + w > width:
            rows.append((depth, current))
            current, current_width = "", 0.0
        if w > width:
            split = _bracket_split(body, names, width, plain)
            if split is not None:
                if current:
                    rows.append((depth, current))
                    current, current_width = "", 0.0
                head, sums = split
                times = r" \cdot" if plain else ""
                opening = (f"{head}{times} " if head else "") + r"\Big("
                rows.append((depth, f"{sign} {opening}" if sign else opening))
                for k, factor in enumerate(sums):
                    inner_rows = _rows(factor, names, width - 2.0, depth + 1, plain)
                    closing = r" \Big)" if k == len(sums) - 1 else rf" \Big){times} \Big("
                    last_depth, last_text = inner_rows[-1]
                    inner_rows[-1] = (last_depth, last_text + closing)
                    rows.extend(inner_rows)
                continue
        piece = f"{sign} {text}" if sign else text
        current = f"{current} {piece}" if current else piece
        current_width += w
    if current:
        rows.append((depth, current))
    return rows


def _bracket_split(term: sp.Expr, names, width: float, plain: bool = False) -> tuple[str, list[sp.Expr]] | None:
    """Write a wide product as ``head (sum_1) (sum_2) ...``.

    The sums are the factors too wide for a row (or else the widest sum);
    ``head`` is the product of the other factors.
    """
    if not isinstance(term, sp.Mul):
        return None
    widths = {f: _visual_width(_latex(f, names, plain)) for f in term.args if isinstance(f, sp.Add)}
    if not widths:
        return None
    sums = [f for f in term.args if f in widths and widths[f] > width] or [max(widths, key=widths.get)]
    rest = sp.Mul(*[f for f in term.args if not any(f is g for g in sums)])
    if rest.as_coeff_Mul()[0] < 0:  # a negative number among the factors: move it into the first sum
        rest, sums[0] = -rest, -sums[0]
    if rest == 1:
        return "", sums
    head = _latex(rest, names, plain)
    if precedence(rest) < PRECEDENCE["Mul"]:
        head = rf"\left({head}\right)"
    return head, sums


_FUNC_WIDTH = {"max": 3, "min": 3, "log": 3, "exp": 3, "ln": 2, "sin": 3, "cos": 3, "tan": 3}
_ZERO_CMDS = {"left", "right", "displaystyle", "textstyle", "mathrm", "mathit", "mathbf", "operatorname",
              "text", "Big", "big", "Bigg", "bigg", "limits", "nolimits", "begin", "end"}
_SPACES = {",": 0.2, ":": 0.25, ";": 0.3, "!": 0.0, " ": 0.3, "quad": 2.0, "qquad": 4.0}


def _visual_width(s: str) -> float:
    """Rough printed width of inline LaTeX math, in letters (fractions count their wider part)."""
    pos = 0

    def command() -> float:
        nonlocal pos
        pos += 1  # the backslash
        if pos >= len(s):
            return 0.0
        if not s[pos].isalpha():
            ch = s[pos]
            pos += 1
            return _SPACES.get(ch, 1.0)
        start = pos
        while pos < len(s) and s[pos].isalpha():
            pos += 1
        name = s[start:pos]
        if name in ("frac", "dfrac", "tfrac"):
            return max(atom(), atom()) + 0.5
        if name == "sqrt":
            return atom() + 1.0
        if name in ("begin", "end"):
            atom()
            return 0.0
        if name in _ZERO_CMDS:
            return 0.0
        if name in _SPACES:
            return _SPACES[name]
        return float(_FUNC_WIDTH.get(name, 1))

    def atom() -> float:
        nonlocal pos
        while pos < len(s) and s[pos] == " ":
            pos += 1
        if pos >= len(s):
            return 0.0
        if s[pos] == "{":
            pos += 1
            return group()
        if s[pos] == "\\":
            return command()
        pos += 1
        return 1.0

    def group() -> float:
        nonlocal pos
        total = 0.0
        while pos < len(s):
            ch = s[pos]
            if ch == "}":
                pos += 1
                return total
            if ch in "^_":
                pos += 1
                total += 0.7 * atom()
            elif ch == "\\":
                total += command()
            elif ch == "{":
                pos += 1
                total += group()
            elif ch == " ":
                pos += 1
            else:
                pos += 1
                total += 1.8 if ch in "+-=<>" else 1.0
        return total

    width = 0.0
    while pos < len(s):
        width += group()  # a stray "}" ends a group; carry on after it
    return width


# ---------------------------------------------------------------------------- building blocks
class _Ctx:
    """Options of one export: whether the Jacobian is written."""

    def __init__(self, jacobian: bool = False):
        self.jacobian = jacobian


def _check_model(obj) -> None:
    if not isinstance(obj, (*_COMPONENT_TYPES, Component, PayoffModel, MultiPeriodModel)):
        raise InvalidTypeError(f"expected {_EXPECTED}, got {type(obj).__name__}")


def _env(lines: list[str], env: str = "align*", args: str = "") -> str:
    return f"\\begin{{{env}}}{args}\n" + " \\\\\n".join(lines) + f"\n\\end{{{env}}}\n"


def _explicit(lhs: str, expr: sp.Expr, names: Mapping[sp.Symbol, str], ctx: _Ctx) -> list[str]:
    """Align lines ``lhs &= ...`` of an expression, broken at top-level ``+``/``-`` between terms.

    Every line is balanced: a product too wide for a line keeps its brackets around an
    ``aligned`` block of the bracketed sum's terms (see :func:`_display_rows`).
    """
    expr = _as_expr(expr)
    size = len(_latex(expr, names))
    if size > _MAX_EXPLICIT_CHARS:
        return [f"{lhs} &= \\text{{(too long to typeset: {size} characters of \\LaTeX)}}"]
    width = max(30.0, _ROW_WIDTH - 0.6 * _visual_width(lhs))
    rows = _display_rows(expr, names, width)
    if max(_visual_width(row) for row in rows) > _MAX_ROW_UNITS:
        return [f"{lhs} &= \\text{{(too long to typeset: {size} characters of \\LaTeX)}}"]
    return [f"{lhs} &= {row}" if k == 0 else f"&\\quad {row}" for k, row in enumerate(rows)]


_INTERMEDIATE_BASES = ("p", "s", "sigma", "q")


def _term_order(term: sp.Expr) -> int:
    """Terms with the model's quantities first, plain prices and constants last (as written by hand)."""
    bases = {_PLAIN_RE.match(sym.name).group(1) for sym in term.free_symbols
             if isinstance(sym, sp.Symbol) and _PLAIN_RE.match(sym.name)}
    return 0 if bases & set(_INTERMEDIATE_BASES) else 1


def _display_rows(expr: sp.Expr, names: Mapping[sp.Symbol, str], width: float) -> list[str]:
    """Rows of a displayed expression, each at most about ``width`` wide and each balanced.

    A sum is broken between its terms (greedily packed, signs leading the rows); a term that
    is itself too wide and is a product with a sum among its factors is written
    ``head \\left(\\begin{aligned} ... \\end{aligned}\\right)``, the sum's own rows inside the
    brackets, so no row opens a bracket that another row closes.
    """
    terms = sorted(sp.Add.make_args(expr), key=_term_order) if isinstance(expr, sp.Add) else [expr]
    rows: list[str] = []
    current, current_width = "", 0.0
    for term in terms:
        negative = term.could_extract_minus_sign()
        body = -term if negative else term
        sign = "- " if negative else ("+ " if rows or current else "")
        text = _display_term(body, names, width - 2.0)
        w = _block_width(text) + 2.0
        if current and current_width + w > width:
            rows.append(current)
            current, current_width = "", 0.0
        current = f"{current} {sign}{text}".strip() if current else f"{sign}{text}"
        current_width += w
    if current:
        rows.append(current)
    return rows


def _display_term(term: sp.Expr, names: Mapping[sp.Symbol, str], width: float) -> str:
    """One term; a wide product with a sum among its factors gets that sum as an aligned block."""
    text = _latex(term, names)
    if _visual_width(text) <= width or not isinstance(term, sp.Mul):
        return text
    sums = [f for f in term.args if isinstance(f, sp.Add)]
    if not sums:
        return text
    widest = max(sums, key=lambda f: _visual_width(_latex(f, names)))
    rest = sp.Mul(*[f for f in term.args if f is not widest])
    head = "" if rest == 1 else _latex(rest, names)
    if head and precedence(rest) < PRECEDENCE["Mul"]:
        head = rf"\left({head}\right)"
    inner = _display_rows(widest, names, max(20.0, width - _visual_width(head) - 3.0))
    if len(inner) == 1:
        return text
    block = r" \\ ".join(f"&{row}" for row in inner)
    return rf"{head} \left(\begin{{aligned}}{block}\end{{aligned}}\right)"


def _block_width(text: str) -> float:
    """Printed width of a row that may hold aligned blocks (each counts as its widest row)."""
    if r"\begin{aligned}" not in text:
        return _visual_width(text)
    head, _, rest = text.partition(r"\left(\begin{aligned}")
    block, _, tail = rest.rpartition(r"\end{aligned}\right)")
    widest = max(_block_width(part) for part in block.split(r" \\ &"))
    return _visual_width(head) + widest + 2.0 + _visual_width(tail)


def _fmt_value(value: float) -> str:
    value = float(value)
    if math.isinf(value):
        return r"\infty" if value > 0 else r"-\infty"
    if math.isnan(value):
        return r"\mathrm{NaN}"
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        exp = int(exponent)
        return (f"{mantissa} \\times " if mantissa != "1" else "") + f"10^{{{exp}}}"
    return text


def _param_table(rows: list[tuple[str, list | float]], n: int, caption: str | None = None) -> str:
    """A booktabs table: one row per parameter (its name for a generic player i), one column per player.

    ``rows`` holds ``(typeset name, cells)``: a list of n values (None where a player has none) or
    one number shared by every player, written once across the columns.
    """
    if not rows:
        return "No parameters.\n"
    out = [caption + "\n"] if caption else []
    for first in range(0, n, _TABLE_PLAYERS):
        players = range(first, min(n, first + _TABLE_PLAYERS))
        spec = "@{}l" + "c" * len(players) + "@{}"
        head = "parameter & " + " & ".join(f"player {i + 1}" for i in players) + r" \\"
        for start in range(0, len(rows), _TABLE_ROWS):
            body = []
            for name, cells in rows[start:start + _TABLE_ROWS]:
                if isinstance(cells, list):
                    values = " & ".join("" if cells[i] is None else f"${_fmt_value(cells[i])}$" for i in players)
                else:
                    values = f"\\multicolumn{{{len(players)}}}{{c}}{{${_fmt_value(cells)}$ (every player)}}"
                body.append(f"${name}$ & {values} \\\\")
            out.append("\\begin{center}\n"
                       f"\\begin{{tabular}}{{{spec}}}\n\\toprule\n{head}\n\\midrule\n"
                       + "\n".join(body) + "\n\\bottomrule\n\\end{tabular}\n\\end{center}\n")
    return "".join(out)


def _params_of(components: Iterable[Component]) -> list[sp.Symbol]:
    seen: list[sp.Symbol] = []
    for comp in components:
        for sym in sort_symbols(comp.param_values):
            if sym not in seen:
                seen.append(sym)
    return seen


def _titled_env(blocks: list[tuple[str, list[str]]]) -> str:
    """An ``alignat*`` of titled equation blocks: a title column, then the aligned equations."""
    lines = []
    for title, block in blocks:
        for k, line in enumerate(block):
            lead = f"&\\text{{{title}:}}\\qquad &" if k == 0 else "&&"
            lines.append(lead + line)
    return _env(lines, "alignat*", "{2}")


def _heading(text: str) -> str:
    return f"\\subsection*{{{text}}}\n"


def _payoff_general(pf: PayoffModel) -> str:
    if pf.payoff_form is not None:  # the payoff written whole (PayoffExpr): player 1's, as written
        return pf.payoff_form.to_latex().replace(" = ", " &= ", 1)
    if pf.disaster == "per_winner":
        return (r"u_i &= \sum_j \sigma_j q_j \rho_{ij} - \sum_j (1 - \sigma_j)\, q_j\, d_{ij} - c_i")
    return r"u_i &= \sum_j \sigma_j q_j \rho_{ij} - \Big(1 - \sum_j \sigma_j q_j\Big) d_i - c_i"


def _survival_general(end_on_win: bool) -> str:
    if end_on_win:
        return r"P_t &= \prod_{\tau < t} \Big(1 - \sum_j q_j(\tau)\Big), \qquad P_0 = 1"
    return r"P_t &= 1"


def _component_lines(comp: Component, n: int | None = None) -> list[str]:
    """Align lines of a component's equation; a custom contest is written out for ``n`` players."""
    if isinstance(comp, CSF) and comp.is_custom and n is not None:
        exprs = comp.q(intermediate("p", n))
        names = glossary(set().union(*[e.free_symbols for e in exprs]))
        return [f"q_{{{j + 1}}} &= {_latex(e, names)}" for j, e in enumerate(exprs)]
    return align_lines(comp.to_latex())


# ---------------------------------------------------------------------------- bodies
def _table_rows(values: Mapping[sp.Symbol, float], n: int, moving=frozenset()) -> list[tuple[str, list | float]]:
    """Rows of the parameter table: typeset generic name (``(0)`` for a moving state), cells."""
    out = []
    for key, tex, cells in parameter_rows(values, n):
        if any(sym.name.startswith(key) and sym in moving for sym in values):
            tex += "(0)"
        out.append((tex, cells))
    return out


def _component_body(comp: Component, ctx: _Ctx) -> str:
    out = [_env(_component_lines(comp))]
    params = sort_symbols(comp.param_values)
    if params:
        n = getattr(comp, "n", None) or max((int(m.group(2)) for m in (_PLAIN_RE.match(p.name) for p in params)
                                             if m), default=1)
        out.append(_param_table(_table_rows({p: comp.param_values[p] for p in params}, n), n, "Parameters:"))
    return "".join(out)


def _same_form_for_all(pf: PayoffModel) -> bool:
    """True when exchanging players' labels maps the model's equations onto each other (built-in forms)."""
    return not any(comp.is_custom for comp in pf.components)


def _labels(pf: PayoffModel, player: int) -> dict[str, str] | None:
    """Subscripts of a generic player's equations: i for ``player``, j for the other of two players."""
    if not _same_form_for_all(pf) or pf.n != 2:
        return None
    return {str(player + 1): "i", str(2 - player): "j"}


def _intermediate_names(pf: PayoffModel, labels) -> dict[sp.Symbol, str]:
    form = _form_of(pf)
    syms = set(pf.param_values) | set(pf.structure.actions) | {*form.P, *form.S, *form.SIG, *form.Q}
    return glossary(syms, labels)


_FORMS: dict[int, object] = {}


def _form_of(pf: PayoffModel):
    """The model in intermediate quantities (cached per model object)."""
    key = id(pf)
    cached = _FORMS.get(key)
    if cached is None or cached.pf is not pf:
        if len(_FORMS) > 32:
            _FORMS.clear()
        cached = _FORMS[key] = IntermediateForm(pf)
    return cached


def _d(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def _derivatives_section(pf: PayoffModel, player: int, labels, heading_prefix: str) -> str:
    """Each intermediate's own derivatives, stated once (for ``player``, or a generic player)."""
    form = _form_of(pf)
    names = _intermediate_names(pf, labels)
    lab = (labels or {}).get(str(player + 1), str(player + 1))
    out = [_heading(f"{heading_prefix}Derivatives of the intermediate quantities")]
    who = (f"player ${lab}$ ($j$ is the other player)" if labels else
           f"player {player + 1}" + ("; every other player's are the same with the labels exchanged"
                                     if _same_form_for_all(pf) else ""))
    out.append(f"The quantities $p, s, \\sigma, q$ as functions of their own arguments, for {who}:\n")
    lines = []
    X = form.X[player]
    P, S = form.P[player], form.S[player]
    for (k, var), value in sorted(form.dp.items(), key=lambda kv: (kv[0][0], kv[0][1].name)):
        if k == player and var in X:
            lines.append(f"{_d(names[P], names[var])} &= {_latex(value, names)}")
    for (k, var), value in sorted(form.ds.items(), key=lambda kv: (kv[0][0], kv[0][1].name)):
        if k == player and (var in X or var == P):
            lines.append(f"{_d(names[S], names[var])} &= {_latex(value, names)}")
    for j in range(pf.n):
        for var in (S, P):
            value = form.dsigma.get((j, var))
            if value is not None:
                lines.append(f"{_d(names[form.SIG[j]], names[var])} &= {_latex(value, names)}")
    for j in range(pf.n):
        value = form.dq.get((j, P))
        if value is not None:
            lines.append(f"{_d(names[form.Q[j]], names[P])} &= {_latex(value, names)}")
    out.append(_env(lines or [r"&\text{(none)}"]))
    zero = [names[form.SIG[j]] for j in range(pf.n) if (j, S) not in form.dsigma and (j, P) not in form.dsigma]
    if zero:
        out.append(f"(${', '.join(zero)}$ do not depend on ${names[S]}$ or ${names[P]}$.)\n")
    return "".join(out)


def _conditions_section(pf: PayoffModel, player: int, labels, heading_prefix: str, ctx: _Ctx,
                        intro: bool = True) -> str:
    """The first-order (KKT) conditions of ``player`` in intermediates: chain rule, then written out."""
    form = _form_of(pf)
    k = pf.k
    names = _intermediate_names(pf, labels)
    lab = (labels or {}).get(str(player + 1), str(player + 1))
    u = f"u_{{{lab}}}"
    out = [_heading(f"{heading_prefix}First-order (KKT) conditions")]
    kkt = pf.kkt()
    own = slice(player * k, (player + 1) * k)
    bounded = any(np.isfinite(hi) for hi in kkt.upper[own])
    general = [r"&a \ge 0, \quad \frac{\partial u_i}{\partial a} \le 0, \quad a\, \frac{\partial u_i}{\partial a} = 0"
               r" \qquad \text{for each own action } a \text{ of player } i"]
    if bounded:
        general.append(r"&0 \le a \le 1: \quad \frac{\partial u_i}{\partial a} \le 0 \text{ if } a = 0, \quad "
                       r"= 0 \text{ if } 0 < a < 1, \quad \ge 0 \text{ if } a = 1 \qquad \text{(shares)}")
    if intro:
        out.append("Each player's action maximises its payoff given the others': for every player $i$,\n")
        out.append(_env(general))
        if not pf.structure.smooth:
            out.append("The input cost is discontinuous: these conditions hold only away from its jumps.\n")
    # the chain rule, once
    P, S = names[form.P[player]], names[form.S[player]]
    xs, xp = names[form.X[player][0]], names[form.X[player][1]]
    c = f"c_{{{lab}}}"
    out.append("By the chain rule, through the quantities of the previous section (sums over every player $k$):\n")
    sig_k, q_k = r"\sigma_k", "q_k"
    out.append(_env([
        rf"{_d(u, xs)} &= \Big(\sum_k {_d(u, sig_k)} {_d(sig_k, S)}\Big) {_d(S, xs)} - {_d(c, xs)}",
        rf"{_d(u, xp)} &= \Big(\sum_k {_d(u, sig_k)} \Big({_d(sig_k, S)} {_d(S, P)} + {_d(sig_k, P)}\Big)"
        rf" + \sum_k {_d(u, q_k)} {_d(q_k, P)} + {_d(u, P)}\Big) {_d(P, xp)} - {_d(c, xp)}",
    ]))
    outer = form.payoffs[player]
    pieces = []
    for j in range(pf.n):
        for sym in (form.SIG[j], form.Q[j]):
            d = sp.diff(outer, sym)
            if d != 0:
                pieces.append(f"{_d(u, names[sym])} &= {_latex(_tidy_expr(d), names)}")
    d_rho = sp.diff(outer, form.P[player])
    if d_rho != 0:
        pieces.append(f"{_d(u, P)} &= {_latex(_tidy_expr(d_rho), names)} \\quad \\text{{(reward and cost)}}")
    out.append(f"where, from the payoff, with $u_{{{lab}}}$ read as a function of $\\sigma$, $q$, $p$:\n")
    out.append(_env(pieces))
    out.append("Written out, simplified:\n")
    lines = []
    for col, var in enumerate(kkt.variables[own]):
        a = names.get(var, latex_name(var, labels))
        lines += _explicit(_d(u, a), form.foc(player, col), names, ctx)
    out.append(_env(lines))
    bounds = []
    for var, hi in zip(kkt.variables[own], kkt.upper[own]):
        a = names.get(var, latex_name(var, labels))
        bounds.append(f"${a} \\le 1$" if np.isfinite(hi) else None)
    if any(bounds):
        out.append("Shares are fractions: " + ", ".join(b for b in bounds if b) + ".\n")
    return "".join(out)


def _tidy_expr(expr: sp.Expr) -> sp.Expr:
    return sp.factor_terms(expr)


def _jacobian_section(pf: PayoffModel, player: int, labels, heading_prefix: str, ctx: _Ctx) -> str:
    """Second derivatives of ``player``'s payoff: its rows of the Jacobian of the stacked conditions."""
    form = _form_of(pf)
    names = _intermediate_names(pf, labels)
    lab = (labels or {}).get(str(player + 1), str(player + 1))
    u = f"u_{{{lab}}}"
    out = [_heading(f"{heading_prefix}Jacobian of the first-order conditions")]
    out.append(f"The rows of player ${lab}$ (the Jacobian stacks every player's conditions in every "
               "player's actions); entries not shown are 0.\n")
    lines = []
    for c in range(pf.k):
        for j in range(pf.n):
            for e in range(pf.k):
                entry = form.jacobian_entry(player, c, j, e)
                if entry == 0:
                    continue
                a, b = names[form.X[player][c]], names[form.X[j][e]]
                lhs = rf"\frac{{\partial^2 {u}}}{{\partial {a}\, \partial {b}}}"
                lines += _explicit(lhs, entry, names, ctx)
    out.append(_env(lines or [r"&\text{every entry is 0}"]))
    return "".join(out)


def _payoff_body(pf: PayoffModel, player: int, ctx: _Ctx, heading_prefix: str = "",
                 parameters: bool = True) -> str:
    """Components, payoff, derivatives of the intermediates, KKT conditions (and parameters)."""
    n, k = pf.n, pf.k
    out = [_heading(f"{heading_prefix}Components")]
    out.append(f"{n} players, {k} actions per player "
               f"(${', '.join(_action_names(k))}$), all $\\ge 0$"
               + (", shares at most 1" if k == 6 and pf.share_map == "fraction" else "") + ".\n")
    out.append(_titled_env([(_TITLES[c.kind], _component_lines(c, n)) for c in
                            (pf.prod_func, pf.risk_func, pf.csf, pf.reward_func, pf.disaster_cost, pf.cost_func)]))

    out.append(_heading(f"{heading_prefix}Payoff"))
    form = ("" if pf.disaster == "per_winner" else
            " (the older engines' form, which also counts ``nobody wins'' as a disaster)")
    out.append(f"Each player's payoff in one period{form}:\n")
    out.append(_env([_payoff_general(pf)]))

    players = _written_players(pf, player)
    for who in players:
        labels = _labels(pf, who)
        prefix = heading_prefix if len(players) == 1 else f"{heading_prefix}Player {who + 1}: "
        out.append(_derivatives_section(pf, who, labels, prefix))
        out.append(_conditions_section(pf, who, labels, prefix, ctx, intro=who == players[0]))
        if ctx.jacobian:
            out.append(_jacobian_section(pf, who, labels, prefix, ctx))
    if player == 0:  # the planner evaluates with the first belief unless told otherwise
        out.append(_planner_section(pf, ctx, heading_prefix))
    if parameters:
        out.append(_heading(f"{heading_prefix}Parameters"))
        out.append(_parameters(pf))
    return "".join(out)


def _written_players(pf: PayoffModel, player: int) -> list[int]:
    """Whose conditions are written: one (generic) player when the form is the same for all, else each."""
    if _same_form_for_all(pf) or pf.n > _MAX_WRITTEN_PLAYERS:
        return [player]
    return list(range(pf.n))


def _parameters(pf: PayoffModel, gammas=None) -> str:
    moving = set(pf.structure.states)
    values = {sym: pf.param_values[sym] for sym in _params_of(pf.components)}
    rows = _table_rows(values, pf.n, moving)
    if gammas is not None:
        rows.append((r"\gamma_{i}", [float(g) for g in gammas]))
    note = (" The state symbols marked $(0)$ move between periods; their initial values are shown."
            if moving else "")
    if pf.disaster_cost.is_matrix:
        note += " In the rows $d_{i,j}$ the columns are the winner $j$."
    return _param_table(rows, pf.n, f"One row per parameter, one column per player.{note}")


def _action_names(k: int) -> list[str]:
    return [latex_name(sp.Symbol(f"{col}1")).replace(",1}", ",i}") for col in ACTION_SYMBOLS[:k]]


def _transition_lines(pf: PayoffModel) -> list[str]:
    """Explicit next-state equations, state and actions written at period t."""
    moving = list(pf.structure.states)
    if not moving:
        return [r"&\text{the state does not move}"]
    names = dict(pf.glossary())
    for sym in (*pf.structure.actions, *pf.state_symbols):
        names[sym] = latex_name(sym) + "(t)"
    lines = []
    for sym, expr in zip(pf.structure.states, pf.structure.next_state):
        lines.append(f"{latex_name(sym)}(t+1) &= {_latex(expr, names)}")
    return lines


def _aggregator_body(agg: MultiPeriodModel, t: int | None, ctx: _Ctx) -> str:
    n = agg.n
    beliefs = agg.state.beliefs
    out = []
    if agg.state.common:
        out.append("All players share one payoff function (common beliefs).\n")
        out.append(_payoff_body(beliefs[0], 0, ctx, parameters=False))
    else:
        out.append("Heterogeneous beliefs: player $i$ evaluates its payoff with its own payoff function; "
                   "every belief's state moves with the same actions.\n")
        for i in range(n):
            out.append(_payoff_body(agg.state.belief_of(i), i, ctx, heading_prefix=f"Beliefs of player {i + 1}: ",
                                    parameters=False))

    out.append(_heading("Objective over the periods"))
    horizon = "T" if t is None else f"T = {t}"
    out.append("The first period is undiscounted; $P_t$ is the probability that the game is still on at $t$"
               + (" (it ends the first time someone wins)" if agg.end_on_win else "")
               + (f", and ${horizon}$" if t is not None else "") + ":\n")
    lines = [r"U_i &= \sum_{t=0}^{T-1} \gamma_i^{t} P_t\, u_i(t)", _survival_general(agg.end_on_win)]
    out.append(_env(lines))
    out.append("Here $u_i(t)$ is the one-period payoff above, with the period-$t$ actions $a(t)$ and the "
               "quantities $p(t)$, $s(t)$, $\\sigma(t)$, $q(t)$ they give at the state $A(t)$, $B(t)$.\n")
    if agg.end_on_win:
        out.append("The probability that someone wins in a period, in that period's performances:\n")
        for pf in _distinct(beliefs):
            form = _form_of(pf)
            names = glossary(set(form.P) | set(pf.param_values))
            out.append(_env(_explicit(r"\sum_j q_j", _tidy_expr(sp.Add(*form.q_expr)), names, ctx)))

    out.append(_heading("State transitions"))
    for pf in _distinct(beliefs):
        if not agg.state.common:
            out.append(f"Belief of player {beliefs.index(pf) + 1}:\n")
        general = [] if pf.transition.is_custom else align_lines(pf.transition.to_latex())
        out.append(_env(general or _transition_lines(pf)))

    out.append(_state_effects_section(agg, ctx))
    if t is not None:
        out.append(_objective_section(agg, t, ctx))
    out.append(_stationary_section(agg, ctx))

    out.append(_heading("Parameters"))
    first = agg.state.belief_of(0)
    out.append(_parameters(first, agg.gammas))
    if not agg.state.common:
        for i in range(1, n):
            out.append(f"Beliefs of player {i + 1}:\n")
            out.append(_parameters(agg.state.belief_of(i)))
    if agg.gammas is None:
        out.append("No discount factors given (one period only).\n")
    out.append("The game ends the first time someone wins (end\\_on\\_win).\n" if agg.end_on_win
               else "The game goes on after a win: every period is played.\n")
    return "".join(out)


def _state_effects_section(agg: MultiPeriodModel, ctx: _Ctx) -> str:
    """How the state enters a period's payoff: the derivatives the conditions chain through time."""
    pf = agg.state.belief_of(0)
    moving = list(pf.structure.states)
    if not moving:
        return ""
    form = _form_of(pf)
    labels = _labels(pf, 0)
    names = _intermediate_names(pf, labels)
    for sym in pf.state_symbols:
        names[sym] = latex_name(sym, labels)
    lab = (labels or {}).get("1", "1")
    u = f"u_{{{lab}}}"
    out = [_heading("How the state enters the conditions")]
    out.append(f"An action of period $\\tau$ that moves the state changes every later period's payoff "
               f"(for player ${lab}$"
               + (", $j$ the other player" if labels else "") + "):\n")
    out.append(_env([
        r"\frac{\partial U_i}{\partial a_i(\tau)} &= \gamma_i^{\tau} P_\tau "
        r"\frac{\partial u_i(\tau)}{\partial a_i(\tau)}"
        r" + \sum_{t > \tau} \gamma_i^{t} \Big(P_t \sum_k \Big(\frac{\partial u_i(t)}{\partial A_k(t)}"
        r" \frac{\partial A_k(t)}{\partial a_i(\tau)} + \frac{\partial u_i(t)}{\partial B_k(t)}"
        r" \frac{\partial B_k(t)}{\partial a_i(\tau)}\Big) + u_i(t) \frac{\partial P_t}{\partial a_i(\tau)}\Big)",
    ]))
    lines = []
    for sym in moving:
        d = form.state_derivative(0, sym)
        if d != 0:
            lines += _explicit(_d(u, names[sym]), d, names, ctx)
    out.append("with the payoff's derivatives in the state, in the quantities of period $t$:\n")
    out.append(_env(lines or [r"&\text{(the payoff does not depend on the moving state)}"]))
    return "".join(out)


def _distinct(beliefs: list[PayoffModel]) -> list[PayoffModel]:
    out: list[PayoffModel] = []
    for pf in beliefs:
        if not any(pf is other for other in out):
            out.append(pf)
    return out


def _objective_section(agg: MultiPeriodModel, t: int, ctx: _Ctx) -> str:
    """Player 1's objective over ``t`` periods, in the periods' payoffs and survival probabilities."""
    out = [_heading(f"Objective of player 1 over $T = {t}$ period{'s' if t > 1 else ''}")]
    g = r"\gamma_{1}"
    terms = []
    for tau in range(t):
        disc = "" if tau == 0 else (rf"{g}\, " if tau == 1 else rf"{g}^{{{tau}}}\, ")
        surv = rf"P_{{{tau}}}\, " if agg.end_on_win and tau > 0 else ""
        terms.append(f"{disc}{surv}u_{{1}}({tau})")
    lines = []
    for start in range(0, len(terms), 4):
        chunk = " + ".join(terms[start:start + 4])
        lines.append(("U_{1} &= " if start == 0 else "&\\quad + ") + chunk)
    if agg.end_on_win:
        for tau in range(1, t):
            factors = r"\, ".join(rf"\Big(1 - \sum_j q_j({s})\Big)" for s in range(tau))
            lines.append(f"P_{{{tau}}} &= {factors}")
    out.append(_env(lines))
    pf = agg.state.belief_of(0)
    moving = list(pf.structure.states)
    if moving:
        state_lines = []
        for sym, expr in zip(pf.structure.states, pf.structure.next_state):
            for tau in range(1, t):
                names = dict(pf.glossary())
                for a in (*pf.structure.actions, *pf.state_symbols):
                    names[a] = latex_name(a) + f"({tau - 1})"
                state_lines.append(f"{latex_name(sym)}({tau}) &= {_latex(expr, names)}")
        out.append("with the state moving from its initial value:\n")
        out.append(_env(state_lines))
    return "".join(out)



def _planner_section(pf: PayoffModel, ctx: _Ctx, heading_prefix: str = "") -> str:
    """The planner's first-order (KKT) conditions: every action's effect on the sum of payoffs,
    written in the intermediates (p, s, sigma, q) as the players' conditions are."""
    out = [_heading(f"{heading_prefix}Planner's first-order (KKT) conditions")]
    out.append("A planner chooses every player's actions jointly to maximise the welfare "
               "$W = \\sum_i w_i u_i$ (here $w_i = 1$); unlike a player, it counts each action's effect on "
               "every player's payoff. For each action $a$ of any player:\n")
    out.append(_env([r"&a \ge 0, \quad \frac{\partial W}{\partial a} \le 0, \quad a\, \frac{\partial W}{\partial a} = 0"
                     + (r" \qquad (0 \le a \le 1 \text{ for shares})" if pf.k == 6 else "")]))
    out.append("For an action $a$ of player $i$ this is the player's own condition plus the action's effects "
               "on the others' payoffs, which the player ignores:\n")
    out.append(_env([r"\frac{\partial W}{\partial a} &= \frac{\partial u_i}{\partial a}"
                     r" + \sum_{j \ne i} \frac{\partial u_j}{\partial a}"]))
    names = pf.glossary()
    symmetric = pf.is_symmetric()
    if symmetric:
        out.append("The model is symmetric: the conditions of player 1's actions are shown; the others' "
                   "follow by exchanging the players.\n")
    out.append("Action by action (the effects on the other players are the terms a player leaves out):\n")
    lines = []
    for j in range(1 if symmetric else pf.n):
        for c in range(pf.k):
            var = pf.structure.actions[j * pf.k + c]
            a = names.get(var, latex_name(var))
            terms = " + ".join(_d(f"u_{{{m + 1}}}", a) for m in range(pf.n))
            lines.append(f"{_d('W', a)} &= {terms}")
    out.append(_env(lines))
    return "".join(out)


def _stationary_section(agg: MultiPeriodModel, ctx: _Ctx) -> str:
    """The infinite horizon with stationary play, when the actions do not move the state."""
    if any(pf.structure.states for pf in agg.state.beliefs) or agg.gammas is None or np.any(agg.gammas >= 1):
        return ""
    out = [_heading("Infinite horizon (stationary play)")]
    Q = r"\sum_j q_j" if agg.end_on_win else "0"
    out.append("The actions do not move the state. When every player repeats its action in every period, "
               "the objective sums in closed form"
               + (" (the game goes on until someone wins)" if agg.end_on_win else " (no win ends the game)")
               + ":\n")
    out.append(_env([rf"U_i &= \sum_{{t=0}}^{{\infty}} \gamma_i^t \Big(1 - {Q}\Big)^t u_i = "
                     rf"\frac{{u_i}}{{1 - \gamma_i \big(1 - {Q}\big)}}" if agg.end_on_win
                     else r"U_i &= \sum_{t=0}^{\infty} \gamma_i^t u_i = \frac{u_i}{1 - \gamma_i}"]))
    # in the model's own quantities (u_1 and the q_j as above), not expanded into the primitives
    n = agg.state.beliefs[0].n
    if agg.end_on_win:
        survive = " - ".join(["1", *(f"q_{{{j + 1}}}" for j in range(n))])
        line = rf"U_{{1}} &= \frac{{u_{{1}}}}{{1 - \gamma_{{1}} \big({survive}\big)}}"
    else:
        line = r"U_{1} &= \frac{u_{1}}{1 - \gamma_{1}}"
    out.append("For player 1, with $u_1$ the one-period payoff and $q_j$ the probabilities of winning above"
               " (the others' alike):\n")
    out.append(_env([line]))
    return "".join(out)
