r"""The one place that turns sympy expressions into numpy functions.

Calling convention (every compiled function)
--------------------------------------------
``f(z, y, theta)`` with

* ``z``: actions of all players in one period, flat, player-major
  (index ``i * k + c``), shape ``(m,)`` or ``(m, *batch)`` with ``m = n k``;
* ``y``: the moving state (``ModelStructure.states``), shape ``(ds,)`` or ``(ds, *batch)``;
* ``theta``: every other parameter (``ModelStructure.params``), shape ``(np,)``.

Outputs have fixed shapes (structural zeros and constants are filled in), with
any batch axes last. Parameters are arguments, so one compile serves every
calibration; compiled models are cached per :class:`~dynapai_sym.payoff.ModelStructure`.

Blocks
------
*values*: :math:`u \in \mathbb{R}^n`, next state :math:`f \in \mathbb{R}^{ds}`,
win probability :math:`Q = \sum_j q_j`.

*static*: own gradients :math:`\partial u_i/\partial a_i` (n, k) and their
Jacobian rows :math:`\partial^2 u_i / \partial a_i \partial z` (n, k, m).

*first* / *dynamic*: with :math:`v = (z, y)` of size ``nv = m + ds``: :math:`u_v` (n, nv),
:math:`f_v` (ds, nv), :math:`Q_v` (nv,), and the Hessians :math:`u_{vv}` (n, nv, nv),
:math:`f_{vv}` (ds, nv, nv), :math:`Q_{vv}` (nv, nv).

Backends
--------
``"symengine"`` (when installed; the ``fast`` extra): expressions are
differentiated by symengine (about 100x faster than sympy) and compiled by its
LLVM ``Lambdify`` (or its Python backend if LLVM is missing). ``Max``/``Min`` (the
sharing transition) reach symengine as three-piece ``Piecewise`` expressions with the
tie as its own piece, so that piecewise derivatives keep the kink convention below.
Other non-smooth functions (``Piecewise``, ``Heaviside``, ``Abs``: threshold costs) go
through sympy's ``lambdify`` in the same model; :attr:`CompiledModel.backend` names what
was used for what.
``"sympy"``: everything through sympy. Both use common-subexpression elimination.

Derivative conventions: at a kink of :math:`\max(0, x)` the derivative is
``Heaviside(0) = 1/2``; second derivatives of kinks (``DiracDelta``) are 0.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import sympy as sp

from .payoff import ModelStructure

__all__ = ["compile_model", "CompiledModel", "ArrayFunction", "available_backends", "default_backend"]

log = logging.getLogger(__name__)

#: functions symengine cannot differentiate or compile the way we need
_SYMPY_ONLY = (sp.Max, sp.Min, sp.Piecewise, sp.Heaviside, sp.DiracDelta, sp.Abs, sp.sign)


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


def _clean(expr):
    """Apply the derivative conventions for kinks (DiracDelta -> 0) to a sympy expression."""
    if isinstance(expr, sp.Basic) and expr.has(sp.DiracDelta):
        expr = expr.replace(sp.DiracDelta, lambda *args: sp.Integer(0))
    return expr


class _Algebra:
    """Differentiation in symengine where possible, sympy otherwise (per expression)."""

    def __init__(self, structure: ModelStructure, backend: str):
        self.backend = backend
        self.variables = (*structure.actions, *structure.states)
        if backend == "symengine":
            import symengine as se

            self.se = se
            self._se_vars = {v: se.sympify(v) for v in (*structure.actions, *structure.states)}

    def convert(self, expr):
        """Expression in the backend that will differentiate it.

        ``Max``/``Min`` go to symengine as three-piece ``Piecewise`` expressions (see
        :func:`_kinks_as_pieces`), which it differentiates and compiles with LLVM; other
        non-smooth functions stay in sympy.
        """
        if self.backend != "symengine":
            return expr
        if expr.has(sp.Max, sp.Min) and not expr.has(*(f for f in _SYMPY_ONLY if f not in (sp.Max, sp.Min))):
            return self.se.sympify(_kinks_as_pieces(expr))
        if not expr.has(*_SYMPY_ONLY):
            return self.se.sympify(expr)
        return expr

    def diff(self, expr, var):
        if isinstance(expr, sp.Basic):
            return _clean(sp.diff(expr, var))
        return expr.diff(self._se_vars[var])

    @staticmethod
    def is_zero(expr) -> bool:
        return expr == 0


@dataclass
class ArrayFunction:
    """A compiled function returning arrays of fixed shapes.

    Only the structurally non-zero entries are computed (by up to two
    generated functions, one per backend); the rest are zeros.
    """

    shapes: tuple[tuple[int, ...], ...]
    plan: list  # per output: (shape, size, flat indices, positions in the value vector)
    parts: list  # (kind, callable, n_exprs)
    n_entries: int
    backend: str
    compile_seconds: float = field(default=0.0)

    def _values(self, z, y, theta, batch) -> np.ndarray:
        chunks = []
        for kind, func, count in self.parts:
            if kind == "symengine":
                z2 = np.asarray(z, dtype=float)
                y2 = np.asarray(y, dtype=float)
                th = np.asarray(theta, dtype=float)
                if batch:
                    nb = len(batch)
                    y2 = np.broadcast_to(y2.reshape(y2.shape[0], *([1] * nb)) if y2.ndim == 1 else y2,
                                         (y2.shape[0], *batch))
                    th = np.broadcast_to(th.reshape(th.shape[0], *([1] * nb)), (th.shape[0], *batch))
                    inp = np.moveaxis(np.concatenate([z2, y2, th], axis=0), 0, -1)
                    chunks.append(np.moveaxis(np.asarray(func(inp)).reshape(*batch, count), -1, 0))
                else:
                    chunks.append(np.asarray(func(np.concatenate([z2, y2, th]))).reshape(count))
            else:
                vals = func(z, y, theta)
                if batch:
                    chunks.append(np.stack(np.broadcast_arrays(
                        *[np.asarray(v, dtype=float) for v in vals], np.empty(batch))[:-1]))
                else:
                    chunks.append(np.array(vals, dtype=float).reshape(count))
        if not chunks:
            return np.empty((0, *batch))
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks, axis=0)

    def __call__(self, z, y, theta) -> tuple[np.ndarray, ...]:
        batch = np.shape(z)[1:]
        vals = self._values(z, y, theta, batch)
        outs = []
        for shape, size, flat, pos in self.plan:
            out = np.zeros((size, *batch))
            if flat.size:
                out[flat] = vals[pos]
            outs.append(out.reshape((*shape, *batch)))
        return tuple(outs)


def _build(structure: ModelStructure, outputs: list, cse: bool, backend: str) -> ArrayFunction:
    """Compile the non-zero entries of several arrays.

    ``outputs`` is a list of ``(shape, {flat index: expression})``. Equal
    expressions (e.g. both halves of a symmetric Hessian) are generated once.
    """
    t0 = time.perf_counter()
    groups: dict[str, dict] = {"symengine": {}, "sympy": {}}
    for _shape, nonzero in outputs:
        for expr in nonzero.values():
            kind = "sympy" if isinstance(expr, sp.Basic) else "symengine"
            groups[kind].setdefault(expr, len(groups[kind]))
    offset = {"symengine": 0, "sympy": len(groups["symengine"])}
    plan = []
    for shape, nonzero in outputs:
        size = int(np.prod(shape)) if shape else 1
        items = sorted(nonzero.items())
        flat = np.array([f for f, _ in items], dtype=int)
        pos = np.array([offset["sympy" if isinstance(e, sp.Basic) else "symengine"]
                        + groups["sympy" if isinstance(e, sp.Basic) else "symengine"][e]
                        for _, e in items], dtype=int)
        plan.append((shape, size, flat, pos))
    parts = []
    used = []
    if groups["symengine"]:
        import symengine as se

        args = [se.sympify(a) for a in (*structure.actions, *structure.states, *structure.params)]
        exprs = list(groups["symengine"])
        llvm = bool(getattr(se, "have_llvm", False))
        func = se.Lambdify(args, exprs, cse=cse, backend="llvm" if llvm else "lambda")
        parts.append(("symengine", func, len(exprs)))
        used.append("symengine-llvm" if llvm else "symengine")
    if groups["sympy"]:
        args = (list(structure.actions), list(structure.states), list(structure.params))
        exprs = [_fast_kinks(e) for e in groups["sympy"]]
        func = sp.lambdify(args, exprs, modules=[_KINK_FUNCTIONS, "numpy"], cse=cse, docstring_limit=0)
        parts.append(("sympy", func, len(exprs)))
        used.append("sympy")
    seconds = time.perf_counter() - t0
    n_entries = sum(len(g) for g in groups.values())
    log.debug("compiled %d expressions in %.3f s (%s)", n_entries, seconds, "+".join(used))
    return ArrayFunction(tuple(s for s, _ in outputs), plan, parts, n_entries,
                         "+".join(used) or backend, seconds)


_STEP = sp.Function("dp_step")
_MAX = sp.Function("dp_max")
_KINK_FUNCTIONS = {
    "dp_step": lambda x: np.heaviside(x, 0.5),  # Heaviside(0) = 1/2, as sympy
    "dp_max": np.maximum,
}


def _pairwise_piece(a, b, first_wins):
    r"""``max(a, b)`` (``first_wins = a > b``) or ``min(a, b)`` (``a < b``) with the tie as its own piece.

    .. math::

        \max(a, b) = \begin{cases} a & a > b \\ (a + b)/2 & a = b \\ b & a < b \end{cases}

    Equal in value to ``Max``; differentiated piece by piece it gives the package's kink
    convention: the averaged derivative :math:`(a' + b')/2` at a tie (``Heaviside(0) = 1/2``),
    and no ``DiracDelta`` terms in second derivatives.
    """
    return sp.Piecewise((a, first_wins(a, b)), ((a + b) / 2, sp.Eq(a, b)), (b, True))


def _kinks_as_pieces(expr):
    """Replace every ``Max``/``Min`` in ``expr`` by nested :func:`_pairwise_piece` expressions."""
    def fold(first_wins):
        def build(*args):
            out = args[0]
            for nxt in args[1:]:
                out = _pairwise_piece(out, nxt, first_wins)
            return out
        return build

    return expr.replace(sp.Max, fold(sp.StrictGreaterThan)).replace(sp.Min, fold(sp.StrictLessThan))


def _fast_kinks(expr):
    """Print kinks as numpy ufuncs rather than ``select`` over a Piecewise (10-20x faster on scalars)."""
    if expr.has(sp.Heaviside):
        expr = expr.replace(sp.Heaviside, lambda x, *rest: _STEP(x))
    if expr.has(sp.Max):
        expr = expr.replace(lambda e: isinstance(e, sp.Max) and len(e.args) == 2,
                            lambda e: _MAX(*e.args))
    return expr


def _nonzero(exprs) -> dict[int, object]:
    return {i: e for i, e in enumerate(exprs) if not _Algebra.is_zero(e)}


class CompiledModel:
    """Numeric functions of one model structure (see the module docstring).

    Parameters
    ----------
    structure : ModelStructure
    cse : bool
        Common-subexpression elimination in the generated code (default on).
    backend : {"sympy", "symengine"}
        Differentiation and code generation (see module docstring).
    """

    def __init__(self, structure: ModelStructure, cse: bool = True, backend: str | None = None):
        backend = default_backend() if backend is None else backend
        if backend not in available_backends():
            raise ValueError(f"backend must be one of {available_backends()}, got {backend!r}")
        self.structure = structure
        self.cse = cse
        self.requested_backend = backend
        self.n, self.k = structure.n, structure.k
        self.m = self.n * self.k
        self.ds = len(structure.states)
        self.upper = np.tile(np.asarray(structure.upper, dtype=float), self.n)
        self._algebra = _Algebra(structure, backend)

    @property
    def backend(self) -> str:
        """What produced the functions built so far, e.g. ``"symengine-llvm+sympy"``."""
        used = []
        for name in ("_values", "_static", "_first", "_dynamic", "_quantities"):
            if name in self.__dict__:
                used.extend(self.__dict__[name].backend.split("+"))
        used = list(dict.fromkeys(used))
        return "+".join(used) if used else self.requested_backend

    # -------------------------------------------------------------- expressions
    @cached_property
    def _payoffs(self) -> list:
        return [self._algebra.convert(e) for e in self.structure.payoffs]

    @cached_property
    def _next_state(self) -> list:
        return [self._algebra.convert(e) for e in self.structure.next_state]

    @cached_property
    def _win(self):
        return self._algebra.convert(self.structure.win_probability)

    def _gradient(self, exprs: list) -> list[list]:
        variables = self._algebra.variables
        return [[self._algebra.diff(e, v) for v in variables] for e in exprs]

    def _hessian(self, grad_row: list) -> dict[tuple[int, int], object]:
        variables = self._algebra.variables
        out = {}
        for a, g in enumerate(grad_row):
            if _Algebra.is_zero(g):
                continue
            for b in range(a, len(variables)):
                h = self._algebra.diff(g, variables[b])
                if not _Algebra.is_zero(h):
                    out[(a, b)] = h
        return out

    # -------------------------------------------------------------- blocks
    @cached_property
    def _values(self) -> ArrayFunction:
        return _build(self.structure, [((self.n,), _nonzero(self._payoffs)),
                                       ((self.ds,), _nonzero(self._next_state)),
                                       ((), _nonzero([self._win]))], self.cse, self.requested_backend)

    @cached_property
    def _quantities(self) -> ArrayFunction:
        outputs = [((self.n,), _nonzero([self._algebra.convert(e) for e in exprs]))
                   for _, exprs in self.structure.quantities]
        return _build(self.structure, outputs, self.cse, self.requested_backend)

    @cached_property
    def _static(self) -> ArrayFunction:
        n, k, m = self.n, self.k, self.m
        alg = self._algebra
        actions = self.structure.actions
        grads = [[alg.diff(self._payoffs[i], actions[i * k + c]) for c in range(k)] for i in range(n)]
        jac = {}
        for i in range(n):
            for c in range(k):
                if _Algebra.is_zero(grads[i][c]):
                    continue
                for j, var in enumerate(actions):
                    e = alg.diff(grads[i][c], var)
                    if not _Algebra.is_zero(e):
                        jac[(i * k + c) * m + j] = e
        gflat = {i * k + c: grads[i][c] for i in range(n) for c in range(k)
                 if not _Algebra.is_zero(grads[i][c])}
        return _build(self.structure, [((n, k), gflat), ((n, k, m), jac)], self.cse,
                      self.requested_backend)

    @cached_property
    def _grads(self) -> tuple[list, list, list]:
        return (self._gradient(self._payoffs), self._gradient(self._next_state),
                self._gradient([self._win])[0])

    @cached_property
    def _first(self) -> ArrayFunction:
        n, ds = self.n, self.ds
        nv = self.m + ds
        gu, gf, gq = self._grads

        def flat(rows):
            return {r * nv + a: e for r, row in enumerate(rows) for a, e in enumerate(row)
                    if not _Algebra.is_zero(e)}

        # the values ride along, so that a gradient pass needs one call per period
        values = [((n,), _nonzero(self._payoffs)), ((ds,), _nonzero(self._next_state)),
                  ((), _nonzero([self._win]))]
        return _build(self.structure, values + [((n, nv), flat(gu)), ((ds, nv), flat(gf)),
                                                ((nv,), flat([gq]))], self.cse, self.requested_backend)

    @cached_property
    def _dynamic(self) -> ArrayFunction:
        n, ds = self.n, self.ds
        nv = self.m + ds
        gu, gf, gq = self._grads
        u_v, u_vv, f_v, f_vv, q_v, q_vv = {}, {}, {}, {}, {}, {}
        for i, row in enumerate(gu):
            u_v.update({i * nv + a: e for a, e in enumerate(row) if not _Algebra.is_zero(e)})
            for (a, b), e in self._hessian(row).items():
                u_vv[(i * nv + a) * nv + b] = u_vv[(i * nv + b) * nv + a] = e
        for kk, row in enumerate(gf):
            f_v.update({kk * nv + a: e for a, e in enumerate(row) if not _Algebra.is_zero(e)})
            for (a, b), e in self._hessian(row).items():
                f_vv[(kk * nv + a) * nv + b] = f_vv[(kk * nv + b) * nv + a] = e
        q_v.update({a: e for a, e in enumerate(gq) if not _Algebra.is_zero(e)})
        for (a, b), e in self._hessian(gq).items():
            q_vv[a * nv + b] = q_vv[b * nv + a] = e
        outputs = [((n, nv), u_v), ((n, nv, nv), u_vv), ((ds, nv), f_v),
                   ((ds, nv, nv), f_vv), ((nv,), q_v), ((nv, nv), q_vv)]
        return _build(self.structure, outputs, self.cse, self.requested_backend)

    # -------------------------------------------------------------- calls
    def values(self, z, y, theta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(u, f, Q)``: payoffs (n,), next state (ds,), win probability ()."""
        return self._values(z, y, theta)

    def payoffs(self, z, y, theta) -> np.ndarray:
        """Payoffs :math:`u` (n,) at one period's actions."""
        return self._values(z, y, theta)[0]

    def quantities(self, z, y, theta) -> dict[str, np.ndarray]:
        """s, p, sigma, q (each (n,)) and the payoffs."""
        names = [name for name, _ in self.structure.quantities]
        out = dict(zip(names, self._quantities(z, y, theta)))
        out["payoffs"] = self.payoffs(z, y, theta)
        return out

    def static(self, z, y, theta) -> tuple[np.ndarray, np.ndarray]:
        r"""``(g, J)``: :math:`g_{ic} = \partial u_i/\partial a_{ic}` (n, k); :math:`J` (n, k, m)."""
        return self._static(z, y, theta)

    def first(self, z, y, theta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""``(u_v, f_v, Q_v)``: first derivatives with respect to :math:`v = (z, y)`."""
        return self._first(z, y, theta)[3:]

    def values_first(self, z, y, theta) -> tuple[np.ndarray, ...]:
        r"""``(u, f, Q, u_v, f_v, Q_v)``: :meth:`values` and :meth:`first` in one call."""
        return self._first(z, y, theta)

    def dynamic(self, z, y, theta) -> tuple[np.ndarray, ...]:
        r"""``(u_v, u_vv, f_v, f_vv, Q_v, Q_vv)`` with :math:`v = (z, y)`; Hessians symmetric."""
        return self._dynamic(z, y, theta)

    @property
    def compile_seconds(self) -> dict[str, float]:
        """Seconds spent generating code for each block built so far."""
        out = {}
        for name in ("_values", "_static", "_first", "_dynamic", "_quantities"):
            if name in self.__dict__:
                out[name.strip("_")] = self.__dict__[name].compile_seconds
        return out

    def __getstate__(self):
        # lambdified functions do not pickle with the standard library: rebuild on load
        return {"structure": self.structure, "cse": self.cse, "backend": self.requested_backend}

    def __setstate__(self, state):
        self.__init__(state["structure"], state["cse"], state["backend"])


@lru_cache(maxsize=64)
def compile_model(structure: ModelStructure, cse: bool = True, backend: str | None = None) -> CompiledModel:
    """The compiled model of ``structure`` (cached: one compile per structure and backend).

    ``backend=None`` means :func:`default_backend`.
    """
    return CompiledModel(structure, cse=cse, backend=backend)
