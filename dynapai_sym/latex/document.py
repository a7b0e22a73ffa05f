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
from ..symbols import glossary, intermediate, latex_name, player_symbols, sort_symbols

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
# Rows wider than this are scaled to fit (standalone documents only).
_FIT_FRACTION = 0.85
# Explicit expressions longer than this (LaTeX characters), or with a row wider than
# _MAX_ROW_UNITS even after splitting, are not typeset: TeX cannot box them.
_MAX_EXPLICIT_CHARS = 40_000
_MAX_ROW_UNITS = 1_000.0
# Parameter table: (symbol, value) pairs per table row, rows per tabular.
_TABLE_PAIRS = 3
_TABLE_ROWS = 30

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\usepackage{graphicx}
\allowdisplaybreaks
% \dpfit{f}{math}: typeset a display row, scaled down to f\linewidth only if wider than that.
\newsavebox{\dpfitbox}
\newcommand{\dpfit}[2]{\sbox{\dpfitbox}{$\displaystyle #2$}%
  \ifdim\wd\dpfitbox>#1\linewidth\resizebox{#1\linewidth}{!}{\usebox{\dpfitbox}}%
  \else\usebox{\dpfitbox}\fi}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5\baselineskip}
"""


# ---------------------------------------------------------------------------- public API
def to_latex(obj, document: bool = False, t: int | None = None) -> str:
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
        in general form; with it also explicitly for player 1 (up to the
        limit of :meth:`Aggregator.objective_expr`, t <= 6). Only for an
        Aggregator.

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
    if not isinstance(document, (bool, np.bool_)):
        raise InvalidTypeError(f"document must be True or False, got {document!r}")
    _check_model(obj)
    if t is not None:
        if not isinstance(obj, MultiPeriodModel):
            raise InvalidArgumentError("t (number of periods) only applies to an Aggregator, "
                                       f"not a {type(obj).__name__}")
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 1:
            raise InvalidArgumentError(f"t (number of periods) must be a positive integer, got {t!r}")
        t = int(t)
    ctx = _Ctx(fit=bool(document))
    if isinstance(obj, MultiPeriodModel):
        title, body = "Multi-period model", _aggregator_body(obj, t, ctx)
    elif isinstance(obj, PayoffModel):
        title, body = "One-period payoff", _payoff_body(obj, 0, ctx)
    else:
        title, body = f"{_TITLES.get(obj.kind, obj.kind.capitalize())}", _component_body(obj, ctx)
    if not document:
        return body
    return _PREAMBLE + "\\begin{document}\n" + f"\\section*{{{title}}}\n" + body + "\\end{document}\n"


def write_latex(obj, path: str | os.PathLike, t: int | None = None) -> Path:
    """Write a standalone LaTeX document of ``obj`` (see :func:`to_latex`) to ``path``.

    Parameters
    ----------
    obj : model component, PayoffFunc or Aggregator
        What to typeset.
    path : str or path-like
        The ``.tex`` file to write (its folder must exist).
    t : int, optional
        Horizon of an Aggregator (see :func:`to_latex`).

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
    text = to_latex(obj, document=True, t=t)  # model errors before touching the file system
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
    """Options of one export: whether wide rows are scaled to fit (standalone documents)."""

    def __init__(self, fit: bool):
        self.fit = fit


def _check_model(obj) -> None:
    if not isinstance(obj, (*_COMPONENT_TYPES, Component, PayoffModel, MultiPeriodModel)):
        raise InvalidTypeError(f"expected {_EXPECTED}, got {type(obj).__name__}")


def _env(lines: list[str], env: str = "align*", args: str = "") -> str:
    return f"\\begin{{{env}}}{args}\n" + " \\\\\n".join(lines) + f"\n\\end{{{env}}}\n"


def _explicit(lhs: str, expr: sp.Expr, names: Mapping[sp.Symbol, str], ctx: _Ctx) -> list[str]:
    """Align lines ``lhs &= ...`` of an explicit expression, broken into rows of terms."""
    rows = _rows(_as_expr(expr), names, _ROW_WIDTH)
    size = sum(len(text) for _, text in rows)
    if size > _MAX_EXPLICIT_CHARS or max(_visual_width(text) for _, text in rows) > _MAX_ROW_UNITS:
        return [f"{lhs} &= \\text{{(too long to typeset: {size} characters of \\LaTeX)}}"]
    lines = []
    for k, (depth, text) in enumerate(rows):
        if ctx.fit and _visual_width(text) > 0.75 * _ROW_WIDTH:
            text = f"\\dpfit{{{max(0.5, _FIT_FRACTION - 0.05 * depth):.2f}}}{{{text}}}"
        indent = r"\quad " * depth
        lines.append(f"{lhs} &= {text}" if k == 0 else f"&\\quad {indent}{text}")
    return lines


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


def _param_table(entries: list[tuple[str, float]], caption: str | None = None) -> str:
    """A booktabs table of (typeset name, value) pairs, several pairs per row."""
    if not entries:
        return "No parameters.\n"
    out = []
    if caption:
        out.append(caption + "\n")
    per_table = _TABLE_PAIRS * _TABLE_ROWS
    for start in range(0, len(entries), per_table):
        chunk = entries[start:start + per_table]
        pairs = min(_TABLE_PAIRS, len(chunk))
        spec = "@{}" + "@{\\qquad}".join(["ll"] * pairs) + "@{}"
        head = " & ".join(["symbol & value"] * pairs)
        rows = []
        for r in range(0, len(chunk), pairs):
            cells = [f"${name}$ & ${_fmt_value(v)}$" for name, v in chunk[r:r + pairs]]
            cells += ["&"] * (pairs - len(cells))
            rows.append(" & ".join(cells) + r" \\")
        out.append("\\begin{center}\n"
                   f"\\begin{{tabular}}{{{spec}}}\n\\toprule\n{head} \\\\\n\\midrule\n"
                   + "\n".join(rows) + "\n\\bottomrule\n\\end{tabular}\n\\end{center}\n")
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
def _component_body(comp: Component, ctx: _Ctx) -> str:
    out = [_env(_component_lines(comp))]
    params = sort_symbols(comp.param_values)
    if params:
        out.append(_param_table([(latex_name(s), comp.param_values[s]) for s in params], "Parameters:"))
    return "".join(out)


def _payoff_body(pf: PayoffModel, player: int, ctx: _Ctx, heading_prefix: str = "") -> str:
    """Components, payoff (general and explicit for ``player``), KKT conditions and parameters."""
    n, k = pf.n, pf.k
    names = pf.glossary()
    label = player + 1
    out = [_heading(f"{heading_prefix}Components")]
    out.append(f"{n} players, {k} actions per player "
               f"(${', '.join(_action_names(k))}$), all $\\ge 0$"
               + (", shares at most 1" if k == 6 and pf.share_map == "fraction" else "") + ".\n")
    out.append(_titled_env([(_TITLES[c.kind], _component_lines(c, n)) for c in
                            (pf.prod_func, pf.risk_func, pf.csf, pf.reward_func, pf.disaster_cost, pf.cost_func)]))

    out.append(_heading(f"{heading_prefix}One-period payoff"))
    form = ("" if pf.disaster == "per_winner" else
            " (the older engines' form, which also counts ``nobody wins'' as a disaster)")
    out.append(f"In general{form}:\n")
    out.append(_env([_payoff_general(pf)]))
    out.append(f"Explicitly, for player {label}:\n")
    out.append(_env(_explicit(latex_name(sp.Symbol(f"u{label}")), pf.payoff_expr(player), names, ctx)))

    out.append(_heading(f"{heading_prefix}First-order (KKT) conditions"))
    kkt = pf.kkt()
    own = slice(player * k, (player + 1) * k)
    variables, gradients = kkt.variables[own], kkt.gradients[own]
    bounded = any(np.isfinite(hi) for hi in kkt.upper[own])
    general = [r"&a \ge 0, \quad \frac{\partial u_i}{\partial a} \le 0, \quad a\, \frac{\partial u_i}{\partial a} = 0"
               r" \qquad \text{for each own action } a \text{ of player } i"]
    if bounded:
        general.append(r"&0 \le a \le 1: \quad \frac{\partial u_i}{\partial a} \le 0 \text{ if } a = 0, \quad "
                       r"= 0 \text{ if } 0 < a < 1, \quad \ge 0 \text{ if } a = 1 \qquad \text{(shares)}")
    out.append("Each player's action maximises its payoff given the others': for every player $i$,\n")
    out.append(_env(general))
    if not pf.structure.smooth:
        out.append("The input cost is discontinuous: these conditions hold only away from its jumps.\n")
    ulabel = latex_name(sp.Symbol(f"u{label}"))
    for var, grad, hi in zip(variables, gradients, kkt.upper[own]):
        a = names.get(var, latex_name(var))
        d = f"\\frac{{\\partial {ulabel}}}{{\\partial {a}}}"
        if np.isfinite(hi):
            top = _fmt_value(hi)
            cond = (f"$0 \\le {a} \\le {top}$; ${d} \\le 0$ if ${a} = 0$, ${d} = 0$ if $0 < {a} < {top}$, "
                    f"${d} \\ge 0$ if ${a} = {top}$")
        else:
            cond = f"${a} \\ge 0$, ${d} \\le 0$, ${a}\\, {d} = 0$"
        out.append(f"Player {label}, action ${a}$: {cond}, where\n")
        out.append(_env(_explicit(d, grad, names, ctx)))
    out.append(_heading(f"{heading_prefix}Parameters"))
    moving = set(pf.structure.states)
    entries = []
    for sym in _params_of(pf.components):
        name = latex_name(sym) + ("(0)" if sym in moving else "")
        entries.append((name, pf.param_values[sym]))
    note = (" The state symbols marked $(0)$ move between periods; their initial values are shown."
            if moving else "")
    out.append(_param_table(entries, f"Values of the parameters.{note}"))
    return "".join(out)


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
        out.append(_payoff_body(beliefs[0], 0, ctx))
    else:
        out.append("Heterogeneous beliefs: player $i$ evaluates its payoff with its own payoff function; "
                   "every belief's state moves with the same actions.\n")
        for i in range(n):
            out.append(_payoff_body(agg.state.belief_of(i), i, ctx, heading_prefix=f"Beliefs of player {i + 1}: "))

    out.append(_heading("Multi-period objective"))
    horizon = "T" if t is None else str(t)
    out.append("The first period is undiscounted; $P_t$ is the probability that the game is still on at $t$"
               + (" (it ends the first time someone wins)" if agg.end_on_win else "") + ".\n")
    lines = [rf"U_i &= \sum_{{t=0}}^{{{horizon}-1}} \gamma_i^{{t}} P_t\, u_i(t)", _survival_general(agg.end_on_win)]
    out.append(_env(lines))
    if agg.end_on_win:
        out.append("The probability that someone wins in a period, in that period's actions and state:\n")
        for pf in _distinct(beliefs):
            out.append(_env(_explicit(r"\sum_j q_j", pf.win_probability, pf.glossary(), ctx)))

    out.append(_heading("State transitions"))
    for pf in _distinct(beliefs):
        if not agg.state.common:
            out.append(f"Belief of player {beliefs.index(pf) + 1}:\n")
        general = [] if pf.transition.is_custom else align_lines(pf.transition.to_latex())
        out.append(_env(general + _transition_lines(pf)))

    if t is not None:
        out.append(_objective_section(agg, t, ctx))

    out.append(_heading("Discount factors"))
    if agg.gammas is None:
        out.append("No discount factors given (one period only).\n")
    else:
        gammas = player_symbols("gamma", n, positive=True)
        out.append(_param_table([(latex_name(g), v) for g, v in zip(gammas, agg.gammas)]))
    out.append("The game ends the first time someone wins (end\\_on\\_win).\n" if agg.end_on_win
               else "The game goes on after a win: every period is played.\n")
    return "".join(out)


def _distinct(beliefs: list[PayoffModel]) -> list[PayoffModel]:
    out: list[PayoffModel] = []
    for pf in beliefs:
        if not any(pf is other for other in out):
            out.append(pf)
    return out


def _objective_section(agg: MultiPeriodModel, t: int, ctx: _Ctx) -> str:
    """The objective of player 1 over ``t`` periods, written out period by period."""
    limit = 6
    out = [_heading(f"Objective of player 1 over {t} period{'s' if t > 1 else ''}")]
    if t > limit:
        out.append(f"The explicit objective is shown for at most {limit} periods.\n")
        return "".join(out)
    objective = agg.objective_expr(t)[0]
    gamma = player_symbols("gamma", agg.n, positive=True)[0]
    pf = agg.state.belief_of(0)
    names = glossary(objective.free_symbols)
    for sym in pf.structure.states:  # the state at t = 0 is the initial state
        names[sym] = latex_name(sym) + "(0)"
    groups: dict[int, list[sp.Expr]] = {}
    for term in sp.Add.make_args(objective):
        coeff, part = term.as_independent(gamma, as_Add=False)
        base, exp = part.as_base_exp()
        if part == 1:
            tau = 0
        elif base == gamma and exp.is_Integer and exp > 0:
            tau = int(exp)
        else:  # not a polynomial in gamma: show it whole
            groups = {}
            break
        groups.setdefault(tau, []).append(coeff)
    out.append("Actions and states of period $\\tau$ are written $a(\\tau)$; the state moves by the "
               "transitions above from its initial value $A_i(0), B_i(0)$.\n")
    g = latex_name(gamma)
    if not groups:
        out.append(_env(_explicit(r"U_{1}", objective, names, ctx)))
        return "".join(out)
    lines = [r"U_{1} &= " + " + ".join(
        (rf"{g}^{{{tau}}}\, " if tau > 1 else rf"{g}\, " if tau == 1 else "")
        + (rf"P_{{{tau}}}\, " if agg.end_on_win and tau > 0 else "") + rf"u_{{1}}({tau})"
        for tau in sorted(groups))]
    out.append(_env(lines))
    for tau in sorted(groups):
        lhs = (rf"P_{{{tau}}}\, " if agg.end_on_win and tau > 0 else "") + rf"u_{{1}}({tau})"
        out.append(_env(_explicit(lhs, sp.Add(*groups[tau]), names, ctx)))
    return "".join(out)

