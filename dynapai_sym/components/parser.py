r"""A safe parser of user expressions: text in, sympy out, nothing executed.

Expressions written as text (in a model file, or as strings passed to a component) are
parsed with Python's :mod:`ast` into a syntax tree, every node is checked against a small
grammar, and the sympy objects are built here from that tree. The text never reaches
``eval``, ``exec``, ``sympify`` or ``parse_expr``, which run arbitrary code.

Grammar
-------
=====================  ==========================================================
allowed                examples
=====================  ==========================================================
numbers                ``2``, ``0.5``, ``1e-3`` (finite; not ``True``, not ``1j``)
known names            ``x_s``, ``p``, ``alpha`` (the names given by the caller)
operators              ``+ - * / **``, unary ``-`` and ``+``, parentheses
functions              ``exp(e)``, ``log(e)``, ``sqrt(e)``, ``abs(e)``, ``min(a, b, ...)``,
                       ``max(a, b, ...)``
=====================  ==========================================================

Everything else is refused with an :class:`ExpressionError` that names where the text
came from, the offending token and what is allowed: attribute access, subscripts, calls
of any other name, keyword arguments, lambdas, comprehensions, strings, comparisons,
dunder names, unknown names (the message lists the known ones), text over
:data:`MAX_LENGTH` characters or nested deeper than :data:`MAX_DEPTH`, and powers of
numbers whose value would be astronomically large (``9**9**9**9`` is refused; it is
never computed). Results that are undefined (``1/0``, ``log(0)``) or complex
(``(-8)**0.5``) are refused too.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> parse_expression("2 * x**0.5 + max(x, 1)", {"x": x})
2*x**0.5 + Max(1, x)
>>> parse_expression("x.__class__", {"x": x})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
dynapai_sym.components.parser.ExpressionError: expression: attribute access ('x.__class__') is not allowed; ...
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Mapping

import sympy as sp

from ..errors import InvalidArgumentError

__all__ = ["parse_expression", "ExpressionError", "FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH", "MAX_POWER_DIGITS"]

#: longest accepted expression, in characters
MAX_LENGTH = 2000
#: deepest accepted nesting of operations and calls
MAX_DEPTH = 50
#: a power of two numbers is computed only when its value has at most this many decimal digits
MAX_POWER_DIGITS = 300

#: the functions an expression may call: name -> (sympy function, least and most arguments)
FUNCTIONS: dict[str, tuple[object, int, int | None]] = {
    "exp": (sp.exp, 1, 1),
    "log": (sp.log, 1, 1),
    "sqrt": (sp.sqrt, 1, 1),
    "abs": (sp.Abs, 1, 1),
    "min": (sp.Min, 2, None),
    "max": (sp.Max, 2, None),
}

_MAX_EXP = MAX_POWER_DIGITS * math.log(10.0)
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_ALLOWED = ("numbers, the names listed, + - * / ** and parentheses, and the functions "
            + ", ".join(FUNCTIONS))


class ExpressionError(InvalidArgumentError):
    """An expression was refused: the message names its source, key and offending token.

    Attributes
    ----------
    source : str
        Where the text came from (a file name, or ``"expression"``).
    key : str or None
        The key that holds it (e.g. ``"components.risk.sigma"``).
    token : str or None
        The offending piece of the text.
    """

    def __init__(self, message: str, source: str = "expression", key: str | None = None,
                 token: str | None = None):
        where = source if key is None else f"{source}: {key}"
        super().__init__(f"{where}: {message}")
        self.source, self.key, self.token = source, key, token


class _Builder:
    """Walks a checked syntax tree and builds the sympy expression."""

    def __init__(self, text: str, names: Mapping[str, sp.Basic], source: str, key: str | None):
        self.text, self.names, self.source, self.key = text, names, source, key

    def fail(self, message: str, node: ast.AST | None = None, token: str | None = None):
        if token is None and node is not None:
            token = ast.get_source_segment(self.text, node) or type(node).__name__
        if token is not None and len(token) > 60:
            token = token[:57] + "..."
        where = f" ({token!r})" if token is not None else ""
        raise ExpressionError(f"{message}{where} is not allowed; allowed: {_ALLOWED}"
                              f"{self._known()}", self.source, self.key, token)

    def _known(self) -> str:
        return f"; known names: {', '.join(sorted(self.names))}" if self.names else ""

    def build(self, node: ast.AST, depth: int) -> sp.Basic:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested deeper than {MAX_DEPTH} levels", self.source,
                                  self.key, None)
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1)
            self.fail("the operator " + type(node.op).__name__, node)
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                self.fail(f"the operator {type(node.op).__name__}", node)
            left = self.build(node.left, depth + 1)
            right = self.build(node.right, depth + 1)
            return self._binary(node, left, right)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        self.fail(_describe(node), node)

    def _number(self, node: ast.Constant) -> sp.Basic:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"the constant {_segment(self.text, node)} is not a number; allowed: {_ALLOWED}",
                                  self.source, self.key, _segment(self.text, node))
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ExpressionError(f"the number {_segment(self.text, node)} is not finite", self.source,
                                      self.key, _segment(self.text, node))
            return sp.Float(value)
        return sp.Integer(value)

    def _name(self, node: ast.Name) -> sp.Basic:
        name = node.id
        if name.startswith("__") or name.endswith("__"):
            raise ExpressionError(f"the name {name!r} (double underscores) is not allowed; known names: "
                                  f"{', '.join(sorted(self.names))}", self.source, self.key, name)
        if name not in self.names:
            if name in FUNCTIONS:
                raise ExpressionError(f"the function {name!r} must be called, as {name}(...)",
                                      self.source, self.key, name)
            raise ExpressionError(f"unknown name {name!r}; known names: {', '.join(sorted(self.names))}",
                                  self.source, self.key, name)
        return self.names[name]

    def _binary(self, node: ast.BinOp, left, right) -> sp.Basic:
        op = type(node.op)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if op is ast.Div:
            return left / right
        return self._power(node, left, right)

    def _power(self, node: ast.BinOp, base, exponent) -> sp.Basic:
        if base.is_Number and exponent.is_Number:
            b, e = float(abs(base)) if base != 0 else 0.0, float(exponent)
            if b > 0 and abs(e * math.log10(b)) > MAX_POWER_DIGITS:
                raise ExpressionError(f"the power {_segment(self.text, node)!r} is a number with more than "
                                      f"{MAX_POWER_DIGITS} digits; it is refused, not computed",
                                      self.source, self.key, _segment(self.text, node))
            if base < 0 and not exponent.is_Integer:
                raise ExpressionError(f"{_segment(self.text, node)!r} is a negative number to a fractional "
                                      "power (complex)", self.source, self.key, _segment(self.text, node))
        elif exponent.is_Number and abs(float(exponent)) > 10.0 ** MAX_POWER_DIGITS:
            raise ExpressionError(f"the exponent in {_segment(self.text, node)!r} is too large",
                                  self.source, self.key, _segment(self.text, node))
        return base ** exponent

    def _call(self, node: ast.Call, depth: int) -> sp.Basic:
        func = node.func
        if not isinstance(func, ast.Name):
            self.fail("calling " + _describe(func), func)
        if func.id not in FUNCTIONS:
            raise ExpressionError(f"calling {func.id!r} is not allowed; the functions are "
                                  f"{', '.join(FUNCTIONS)}", self.source, self.key, func.id)
        if node.keywords:
            self.fail("a keyword argument", node.keywords[0])
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail("a starred argument", arg)
        fn, least, most = FUNCTIONS[func.id]
        count = len(node.args)
        if count < least or (most is not None and count > most):
            want = f"{least}" if least == most else f"at least {least}"
            raise ExpressionError(f"{func.id}() takes {want} argument{'s' if least != 1 else ''}, got {count}",
                                  self.source, self.key, _segment(self.text, node))
        args = [self.build(arg, depth + 1) for arg in node.args]
        if func.id == "exp" and args[0].is_Number and abs(float(args[0])) > _MAX_EXP:
            raise ExpressionError(f"{_segment(self.text, node)!r} is a number too large to compute; it is refused",
                                  self.source, self.key, _segment(self.text, node))
        return fn(*args)


def _segment(text: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(text, node) or type(node).__name__
    return segment if len(segment) <= 60 else segment[:57] + "..."


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access", ast.Subscript: "a subscript", ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension", ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a comprehension", ast.Compare: "a comparison", ast.BoolOp: "a boolean operator",
        ast.IfExp: "a conditional expression", ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict",
        ast.Set: "a set", ast.JoinedStr: "a string", ast.NamedExpr: "an assignment", ast.Await: "await",
        ast.Yield: "yield", ast.YieldFrom: "yield", ast.Starred: "a starred expression", ast.Slice: "a slice",
    }
    return kinds.get(type(node), f"the syntax {type(node).__name__}")


def parse_expression(text: str, names: Mapping[str, sp.Basic], source: str = "expression",
                     key: str | None = None) -> sp.Expr:
    """Parse ``text`` into a sympy expression, accepting only the grammar of the module docstring.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"A * x_s**alpha * p**(-theta)"``.
    names : mapping of str to sympy object
        The names the expression may use and what each stands for.
    source : str
        Where the text comes from (a file name), for messages.
    key : str, optional
        The key that holds the text (``"components.production.s"``), for messages.

    Returns
    -------
    sympy.Expr
        Built node by node from the syntax tree; nothing in the text is executed.

    Raises
    ------
    ExpressionError
        (an :class:`~dynapai_sym.errors.InvalidArgumentError`, a ``ValueError``) for anything
        outside the grammar; the message names ``source``, ``key``, the offending token and
        what is allowed.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, got {type(text).__name__} {text!r:.60}",
                              source, key, None)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression has {len(text)} characters; at most {MAX_LENGTH} are allowed",
                              source, key, text[:20] + "...")
    if not text.strip():
        raise ExpressionError("the expression is empty", source, key, None)
    try:
        with warnings.catch_warnings():  # e.g. SyntaxWarning on "1if": the text is refused or built, not warned about
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        token = exc.text.strip()[:60] if exc.text else None
        raise ExpressionError(f"not a valid expression ({exc.msg}); allowed: {_ALLOWED}", source, key,
                              token) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"not a valid expression ({type(exc).__name__}); allowed: {_ALLOWED}",
                              source, key, None) from None
    builder = _Builder(text.strip(), names, source, key)
    try:
        expr = builder.build(tree.body, 1)
    except RecursionError:
        raise ExpressionError(f"the expression is nested deeper than {MAX_DEPTH} levels", source, key,
                              None) from None
    except (ArithmeticError, TypeError, ValueError) as exc:
        if isinstance(exc, ExpressionError):
            raise
        raise ExpressionError(f"the expression cannot be evaluated ({type(exc).__name__})", source, key,
                              text.strip()[:60]) from None
    if not isinstance(expr, sp.Expr):
        raise ExpressionError("the expression does not give a number", source, key, None)
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise ExpressionError("the expression is undefined (a division by zero or the log of zero)", source,
                              key, text.strip()[:60])
    if expr.has(sp.I):
        raise ExpressionError("the expression is complex (e.g. a negative number to a fractional power)",
                              source, key, text.strip()[:60])
    return expr
