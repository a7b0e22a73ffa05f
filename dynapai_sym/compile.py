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

*dynamic*: with :math:`v = (z, y)` of size ``nv = m + ds``: :math:`u_v` (n, nv),
:math:`u_{vv}` (n, nv, nv), :math:`f_v` (ds, nv), :math:`f_{vv}` (ds, nv, nv),
:math:`Q_v` (nv,), :math:`Q_{vv}` (nv, nv).

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

__all__ = ["compile_model", "CompiledModel", "ArrayFunction", "available_backends"]

log = logging.getLogger(__name__)


def available_backends() -> tuple[str, ...]:
    """Code generators available: ``"sympy"`` (``lambdify`` with CSE)."""
    return ("sympy",)


def _clean(expr: sp.Expr) -> sp.Expr:
    """Apply the derivative conventions for kinks (DiracDelta -> 0)."""
    if expr.has(sp.DiracDelta):
        expr = expr.replace(sp.DiracDelta, lambda *args: sp.Integer(0))
    return expr


@dataclass
class ArrayFunction:
    """A compiled function returning arrays of fixed shapes.

    Only the structurally non-zero entries are computed; the rest are zeros.
    """

    shapes: tuple[tuple[int, ...], ...]
    entries: tuple[tuple[tuple[int, int], ...], ...]  # per output: (flat index, position in list)
    func: object
    backend: str
    compile_seconds: float
    n_entries: int = field(default=0)

    def __call__(self, z, y, theta) -> tuple[np.ndarray, ...]:
        vals = self.func(z, y, theta)
        batch = np.shape(z)[1:]
        if batch:
            vals = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in vals],
                                       np.empty(batch))[:-1] if vals else []
        outs = []
        for shape, entries in zip(self.shapes, self.entries):
            size = int(np.prod(shape)) if shape else 1
            out = np.zeros((size, *batch))
            if entries:
                flat_idx = [e[0] for e in entries]
                out[flat_idx] = [vals[e[1]] for e in entries]
            outs.append(out.reshape((*shape, *batch)))
        return tuple(outs)


def _build(structure: ModelStructure, outputs: list[tuple[tuple[int, ...], dict[int, sp.Expr]]],
           cse: bool, backend: str) -> ArrayFunction:
    """Lambdify the non-zero entries of several arrays into one function.

    Equal expressions (e.g. the two halves of a symmetric Hessian) are
    generated once.
    """
    t0 = time.perf_counter()
    position: dict[sp.Expr, int] = {}
    entries = []
    for _shape, nonzero in outputs:
        ent = []
        for flat, expr in sorted(nonzero.items()):
            ent.append((flat, position.setdefault(expr, len(position))))
        entries.append(tuple(ent))
    exprs = list(position)
    args = (list(structure.actions), list(structure.states), list(structure.params))
    func = sp.lambdify(args, exprs, modules="numpy", cse=cse, docstring_limit=0)
    seconds = time.perf_counter() - t0
    log.debug("compiled %d expressions in %.3f s", len(exprs), seconds)
    return ArrayFunction(
        shapes=tuple(shape for shape, _ in outputs),
        entries=tuple(entries),
        func=func,
        backend=backend,
        compile_seconds=seconds,
        n_entries=len(exprs),
    )


def _nonzero(exprs) -> dict[int, sp.Expr]:
    return {i: e for i, e in enumerate(exprs) if e != 0}


class CompiledModel:
    """Numeric functions of one model structure (see the module docstring).

    Parameters
    ----------
    structure : ModelStructure
    cse : bool
        Common-subexpression elimination in the generated code (default on).
    backend : {"sympy", "symengine"}
        Code generator; differentiation is done by sympy in both cases.
    """

    def __init__(self, structure: ModelStructure, cse: bool = True, backend: str = "sympy"):
        if backend not in available_backends():
            raise ValueError(f"backend must be one of {available_backends()}, got {backend!r}")
        self.structure = structure
        self.cse = cse
        self.backend = backend
        self.n, self.k = structure.n, structure.k
        self.m = self.n * self.k
        self.ds = len(structure.states)
        self.upper = np.tile(np.asarray(structure.upper, dtype=float), self.n)

    # -------------------------------------------------------------- blocks
    @cached_property
    def _values(self) -> ArrayFunction:
        s = self.structure
        return _build(s, [((self.n,), _nonzero(s.payoffs)), ((self.ds,), _nonzero(s.next_state)),
                          ((), _nonzero([s.win_probability]))], self.cse, self.backend)

    @cached_property
    def _quantities(self) -> ArrayFunction:
        s = self.structure
        return _build(s, [((self.n,), _nonzero(exprs)) for _, exprs in s.quantities],
                      self.cse, self.backend)

    @cached_property
    def static_gradient_exprs(self) -> list[list[sp.Expr]]:
        r""":math:`\partial u_i / \partial a_{i,c}` as an (n, k) nested list."""
        s, k = self.structure, self.k
        return [[_clean(sp.diff(s.payoffs[i], s.actions[i * k + c])) for c in range(k)]
                for i in range(self.n)]

    @cached_property
    def _static(self) -> ArrayFunction:
        s, n, k, m = self.structure, self.n, self.k, self.m
        grads = self.static_gradient_exprs
        jac = {}
        for i in range(n):
            for c in range(k):
                for j, var in enumerate(s.actions):
                    e = _clean(sp.diff(grads[i][c], var))
                    if e != 0:
                        jac[(i * k + c) * m + j] = e
        gflat = {i * k + c: grads[i][c] for i in range(n) for c in range(k) if grads[i][c] != 0}
        return _build(s, [((n, k), gflat), ((n, k, m), jac)], self.cse, self.backend)

    @cached_property
    def _first(self) -> ArrayFunction:
        s, n = self.structure, self.n
        variables = (*s.actions, *s.states)
        nv = len(variables)

        def grad(exprs, rows):
            out = {}
            for r, e in enumerate(exprs):
                for a, v in enumerate(variables):
                    d = _clean(sp.diff(e, v))
                    if d != 0:
                        out[r * nv + a] = d
            return out

        return _build(s, [((n, nv), grad(s.payoffs, n)), ((self.ds, nv), grad(s.next_state, self.ds)),
                          ((nv,), grad([s.win_probability], 1))], self.cse, self.backend)

    @cached_property
    def _dynamic(self) -> ArrayFunction:
        s, n = self.structure, self.n
        variables = (*s.actions, *s.states)
        nv = len(variables)

        def grad_hess(expr):
            g = [_clean(sp.diff(expr, v)) for v in variables]
            h = {}
            for a in range(nv):
                if g[a] == 0:
                    continue
                for b in range(a, nv):
                    e = _clean(sp.diff(g[a], variables[b]))
                    if e != 0:
                        h[(a, b)] = e
            return g, h

        outputs = []
        u_v, u_vv = {}, {}
        for i, u in enumerate(s.payoffs):
            g, h = grad_hess(u)
            u_v.update({i * nv + a: e for a, e in enumerate(g) if e != 0})
            for (a, b), e in h.items():
                u_vv[(i * nv + a) * nv + b] = u_vv[(i * nv + b) * nv + a] = e
        f_v, f_vv = {}, {}
        for kk, f in enumerate(s.next_state):
            g, h = grad_hess(f)
            f_v.update({kk * nv + a: e for a, e in enumerate(g) if e != 0})
            for (a, b), e in h.items():
                f_vv[(kk * nv + a) * nv + b] = f_vv[(kk * nv + b) * nv + a] = e
        gq, hq = grad_hess(s.win_probability)
        q_v = {a: e for a, e in enumerate(gq) if e != 0}
        q_vv = {}
        for (a, b), e in hq.items():
            q_vv[a * nv + b] = q_vv[b * nv + a] = e
        outputs = [((n, nv), u_v), ((n, nv, nv), u_vv), ((self.ds, nv), f_v),
                   ((self.ds, nv, nv), f_vv), ((nv,), q_v), ((nv, nv), q_vv)]
        return _build(s, outputs, self.cse, self.backend)

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
        return self._first(z, y, theta)

    def dynamic(self, z, y, theta) -> tuple[np.ndarray, ...]:
        r"""``(u_v, u_vv, f_v, f_vv, Q_v, Q_vv)`` with :math:`v = (z, y)`; Hessians symmetric."""
        return self._dynamic(z, y, theta)

    @property
    def compile_seconds(self) -> dict[str, float]:
        """Seconds spent building each block built so far."""
        out = {}
        for name in ("_values", "_static", "_first", "_dynamic", "_quantities"):
            if name in self.__dict__:
                out[name.strip("_")] = self.__dict__[name].compile_seconds
        return out

    def __getstate__(self):
        # lambdified functions do not pickle with the standard library: rebuild on load
        return {"structure": self.structure, "cse": self.cse, "backend": self.backend}

    def __setstate__(self, state):
        self.__init__(state["structure"], state["cse"], state["backend"])


@lru_cache(maxsize=64)
def compile_model(structure: ModelStructure, cse: bool = True, backend: str | None = None) -> CompiledModel:
    """The compiled model of ``structure`` (cached: one compile per structure).

    ``backend=None`` uses sympy's ``lambdify``.
    """
    return CompiledModel(structure, cse=cse, backend=backend or "sympy")
