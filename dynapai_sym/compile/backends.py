r"""Differentiation backends and the kink conventions of generated code.

``"symengine"`` (when installed; the ``fast`` extra): expressions are
differentiated by symengine (about 100x faster than sympy) and compiled by its
LLVM ``Lambdify`` (or its Python backend if LLVM is missing). ``Max``/``Min`` (the
sharing transition) reach symengine as three-piece ``Piecewise`` expressions with the
tie as its own piece, so that piecewise derivatives keep the kink convention below.
Other non-smooth functions (``Piecewise``, ``Heaviside``, ``Abs``: threshold costs) go
through sympy's ``lambdify`` in the same model.
``"sympy"``: everything through sympy. Both use common-subexpression elimination.

Derivative conventions: at a kink of :math:`\max(0, x)` the derivative is
``Heaviside(0) = 1/2``; second derivatives of kinks (``DiracDelta``) are 0.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ..model import ModelStructure

__all__ = ["Algebra", "apply_exit_guards", "available_backends", "default_backend", "fast_kinks", "kinks_as_pieces",
           "nonzero_entries", "stabilise_fractions", "KINK_FUNCTIONS", "SYMPY_ONLY"]

#: functions symengine cannot differentiate or compile the way we need
SYMPY_ONLY = (sp.Max, sp.Min, sp.Piecewise, sp.Heaviside, sp.DiracDelta, sp.Abs, sp.sign)


def available_backends() -> tuple[str, ...]:
    """Code generators available here: ``"sympy"`` always, ``"symengine"`` when installed."""
    try:
        import symengine  # noqa: F401
    except ImportError:
        return ("sympy",)
    return ("sympy", "symengine")


def default_backend() -> str:
    """``"symengine"`` when installed, else ``"sympy"``."""
    return available_backends()[-1]


def drop_dirac_deltas(expr):
    """Apply the derivative conventions for kinks (DiracDelta -> 0) to a sympy expression."""
    if isinstance(expr, sp.Basic) and expr.has(sp.DiracDelta):
        expr = expr.replace(sp.DiracDelta, lambda *args: sp.Integer(0))
    return expr


class Algebra:
    """Differentiation in symengine where possible, sympy otherwise (per expression)."""

    def __init__(self, structure: ModelStructure, backend: str, stabilise: bool = True):
        self.backend = backend
        # the two-piece fractions stay compact only with common subexpressions shared (cse): the
        # plain build of a three-player Hessian took minutes to compile with them
        self.stable_forms = tuple(getattr(structure, "stable_forms", ())) if stabilise else ()
        self.variables = (*structure.actions, *structure.states)
        if backend == "symengine":
            import symengine as se

            self.se = se
            self._se_vars = {v: se.sympify(v) for v in (*structure.actions, *structure.states)}

    def convert(self, expr):
        """Expression in the backend that will differentiate it.

        ``Max``/``Min`` go to symengine as three-piece ``Piecewise`` expressions (see
        :func:`kinks_as_pieces`), which it differentiates and compiles with LLVM; other
        non-smooth functions stay in sympy. For symengine, the safe fractions of the structure's
        :attr:`~ModelStructure.stable_forms` are written in two pieces
        (:func:`stabilise_fractions`: equal values, accurate derivatives), which it differentiates
        and compiles quickly when common subexpressions are shared (``cse``); sympy's
        differentiation of those pieces (products of them in the Hessians) is far slower, so the
        sympy paths, and builds without ``cse``, keep the fractions as written.
        """
        stable = self.stable_forms
        if self.backend != "symengine" or not stable:
            return expr
        if expr.has(sp.Max, sp.Min) and not expr.has(*(f for f in SYMPY_ONLY if f not in (sp.Max, sp.Min))):
            return self.se.sympify(stabilise_fractions(kinks_as_pieces(expr), stable))
        if not expr.has(*SYMPY_ONLY):
            return self.se.sympify(stabilise_fractions(expr, stable))
        return expr

    def diff(self, expr, var):
        if isinstance(expr, sp.Basic):
            return drop_dirac_deltas(sp.diff(expr, var))
        return expr.diff(self._se_vars[var])

    @staticmethod
    def is_zero(expr) -> bool:
        return expr == 0


def stabilise_fractions(expr, fractions) -> sp.Expr:
    r"""``expr`` with each fraction :math:`a/(a + b)` of ``fractions`` (pairs ``(a, b)``; a product
    holding :math:`(a + b)^{-1}` and the factors of :math:`a`) written in two pieces, equal in value:
    :math:`a/(a + b)` where :math:`a \le b`, :math:`1/(1 + b/a)` where :math:`a > b` (accurate
    derivatives: see :func:`~dynapai_sym.components.risk.safe_fraction_parts`)."""
    for a, b in fractions:
        inv = sp.Pow(a + b, -1)
        if not expr.has(inv):
            continue
        factors = sp.Mul.make_args(a)
        held = sp.Dummy("safe")  # the fraction as written, put back after the rewrite
        pieces = sp.Piecewise((held, sp.Le(a, b)), (1 / (1 + b / a), True))
        # each product holding the fraction, found in one walk and replaced by one substitution
        # (sympy's pattern ``replace`` rebuilt the whole tree, a third of a small model's compile);
        # repeated while a replaced product held another one
        while True:
            hits = {e for e in sp.preorder_traversal(expr)
                    if isinstance(e, sp.Mul) and inv in e.args and all(f in e.args for f in factors)}
            if not hits:
                break
            mapping = {}
            for e in hits:
                rest = list(e.args)
                for f in (inv, *factors):
                    rest.remove(f)
                mapping[e] = sp.Mul(*rest) * pieces
            expr = expr.xreplace(mapping)
        expr = expr.xreplace({held: a * inv})
    return expr


def apply_exit_guards(expr, structure: ModelStructure):
    r"""``expr`` (sympy or symengine) with each exit denominator :math:`D` of ``structure`` replaced by
    its guarded form :math:`D + [v_D = 0]` (``ModelStructure.exit_guards``).

    Applied to the final expressions — values and derivatives — after differentiation: the
    guard's derivative is 0, so guarding the derivatives of the plain expressions equals
    differentiating the guarded ones, and no ``Piecewise`` is ever differentiated (which keeps
    the generated code small).
    """
    if not structure.exit_guards:
        return expr
    if isinstance(expr, sp.Basic):
        return expr.xreplace(dict(structure.exit_guards))
    return expr.xreplace(_guards_in_symengine(structure.exit_guards))


@lru_cache(maxsize=64)
def _guards_in_symengine(guards: tuple) -> dict:
    """The exit guards as a symengine substitution (converted once per structure, not once per
    compiled expression: a three-player Hessian has over a thousand)."""
    import symengine as se

    return {se.sympify(d): se.sympify(g) for d, g in guards}


_STEP = sp.Function("dp_step")
_MAX = sp.Function("dp_max")
KINK_FUNCTIONS = {
    "dp_step": lambda x: np.heaviside(x, 0.5),  # Heaviside(0) = 1/2, as sympy
    "dp_max": np.maximum,
}


def pairwise_piece(a, b, first_wins):
    r"""``max(a, b)`` (``first_wins = a > b``) or ``min(a, b)`` (``a < b``) with the tie as its own piece.

    .. math::

        \max(a, b) = \begin{cases} a & a > b \\ (a + b)/2 & a = b \\ b & a < b \end{cases}

    Equal in value to ``Max``; differentiated piece by piece it gives the package's kink
    convention: the averaged derivative :math:`(a' + b')/2` at a tie (``Heaviside(0) = 1/2``),
    and no ``DiracDelta`` terms in second derivatives.
    """
    return sp.Piecewise((a, first_wins(a, b)), ((a + b) / 2, sp.Eq(a, b)), (b, True))


def kinks_as_pieces(expr):
    """Replace every ``Max``/``Min`` in ``expr`` by nested :func:`pairwise_piece` expressions."""
    def fold(first_wins):
        def build(*args):
            out = args[0]
            for nxt in args[1:]:
                out = pairwise_piece(out, nxt, first_wins)
            return out
        return build

    return expr.replace(sp.Max, fold(sp.StrictGreaterThan)).replace(sp.Min, fold(sp.StrictLessThan))


def fast_kinks(expr):
    """Print kinks as numpy ufuncs rather than ``select`` over a Piecewise (10-20x faster on scalars)."""
    if expr.has(sp.Heaviside):
        expr = expr.replace(sp.Heaviside, lambda x, *rest: _STEP(x))
    if expr.has(sp.Max):
        expr = expr.replace(lambda e: isinstance(e, sp.Max) and len(e.args) == 2,
                            lambda e: _MAX(*e.args))
    return expr


def nonzero_entries(exprs) -> dict[int, object]:
    return {i: e for i, e in enumerate(exprs) if not Algebra.is_zero(e)}
