r"""The one place that turns sympy expressions into numpy functions.

Calling convention (every compiled function)
--------------------------------------------
``f(z, y, theta)`` with

* ``z``: actions of all players in one period, flat, player-major
  (index ``i * k + c``), shape ``(m,)`` or ``(m, *batch)`` with ``m = n k``;
* ``y``: the moving state (``ModelStructure.states``), shape ``(ds,)`` or ``(ds, *batch)``;
* ``theta``: every other parameter (``ModelStructure.params``), shape ``(np,)`` or
  ``(np, *batch)`` (one parameter set per batch entry: many calibrations of one structure
  evaluated in one call, e.g. every point of a static sweep).

Outputs have fixed shapes (structural zeros and constants are filled in), with
any batch axes last. Parameters are arguments, so one compile serves every
calibration; compiled models are cached per :class:`~dynapai_sym.model.ModelStructure`.

Blocks
------
*values*: :math:`u \in \mathbb{R}^n`, next state :math:`f \in \mathbb{R}^{ds}`,
win probability :math:`Q = \sum_j q_j`.

*static*: own gradients :math:`\partial u_i/\partial a_i` (n, k) and their
Jacobian rows :math:`\partial^2 u_i / \partial a_i \partial z` (n, k, m).

*first* / *dynamic*: with :math:`v = (z, y)` of size ``nv = m + ds``: :math:`u_v` (n, nv),
:math:`f_v` (ds, nv), :math:`Q_v` (nv,), and the Hessians :math:`u_{vv}` (n, nv, nv),
:math:`f_{vv}` (ds, nv, nv), :math:`Q_{vv}` (nv, nv).

Backends and kink conventions: :mod:`dynapai_sym.compile.backends`;
:attr:`CompiledModel.backend` names what was used for what.
"""

from __future__ import annotations

from functools import cached_property, lru_cache

import numpy as np

from ..errors import InvalidArgumentError
from ..model import ModelStructure
from .backends import Algebra, available_backends, default_backend, nonzero_entries
from .blocks import ArrayFunction, build_array_function

__all__ = ["compile_model", "CompiledModel"]

# (name, meaning) of each block's outputs, for the compiled functions' docstrings
_VALUES = (("u", "payoffs u_i"), ("f", "next moving state"), ("Q", "win probability, sum_j q_j"))
_V = "v = (z, y), nv = m + ds"
_NAMES = {
    "values": _VALUES,
    "static": (("g", "own gradients du_i/da_ic"), ("J", "their Jacobian rows d2u_i/(da_ic dz)")),
    "first": _VALUES + (("u_v", f"du_i/dv, {_V}"), ("f_v", "df/dv"), ("Q_v", "dQ/dv")),
    "dynamic": (("u_v", f"du_i/dv, {_V}"), ("u_vv", "d2u_i/dv2 (symmetric)"), ("f_v", "df/dv"),
                ("f_vv", "d2f/dv2 (symmetric)"), ("Q_v", "dQ/dv"), ("Q_vv", "d2Q/dv2 (symmetric)")),
}


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
            raise InvalidArgumentError(f"backend must be one of {available_backends()}, got {backend!r}")
        self.structure = structure
        self.cse = cse
        self.requested_backend = backend
        self.n, self.k = structure.n, structure.k
        self.m = self.n * self.k
        self.ds = len(structure.states)
        self.upper = np.tile(np.asarray(structure.upper, dtype=float), self.n)
        self._algebra = Algebra(structure, backend, stabilise=cse)

    @property
    def backend(self) -> str:
        """What produced the functions built so far, e.g. ``"symengine-llvm+sympy"``."""
        built = tuple(name for name in ("_values", "_static", "_first", "_dynamic", "_quantities")
                      if name in self.__dict__)
        cached = self.__dict__.get("_backend_of")
        if cached is not None and cached[0] == built:
            return cached[1]
        used = []
        for name in built:
            used.extend(self.__dict__[name].backend.split("+"))
        used = list(dict.fromkeys(used))
        out = "+".join(used) if used else self.requested_backend
        self.__dict__["_backend_of"] = (built, out)
        return out

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
            if Algebra.is_zero(g):
                continue
            for b in range(a, len(variables)):
                h = self._algebra.diff(g, variables[b])
                if not Algebra.is_zero(h):
                    out[(a, b)] = h
        return out

    # -------------------------------------------------------------- blocks
    @cached_property
    def _values(self) -> ArrayFunction:
        return build_array_function(self.structure, [((self.n,), nonzero_entries(self._payoffs)),
                                       ((self.ds,), nonzero_entries(self._next_state)),
                                       ((), nonzero_entries([self._win]))], self.cse, self.requested_backend,
                                    _NAMES["values"], "values")

    @cached_property
    def _quantities(self) -> ArrayFunction:
        outputs = [((self.n,), nonzero_entries([self._algebra.convert(e) for e in exprs]))
                   for _, exprs in self.structure.quantities]
        names = [(name, f"{name} of each player") for name, _ in self.structure.quantities]
        return build_array_function(self.structure, outputs, self.cse, self.requested_backend, names, "quantities")

    @cached_property
    def _static(self) -> ArrayFunction:
        n, k, m = self.n, self.k, self.m
        alg = self._algebra
        actions = self.structure.actions
        grads = [[alg.diff(self._payoffs[i], actions[i * k + c]) for c in range(k)] for i in range(n)]
        jac = {}
        for i in range(n):
            for c in range(k):
                if Algebra.is_zero(grads[i][c]):
                    continue
                for j, var in enumerate(actions):
                    e = alg.diff(grads[i][c], var)
                    if not Algebra.is_zero(e):
                        jac[(i * k + c) * m + j] = e
        gflat = {i * k + c: grads[i][c] for i in range(n) for c in range(k)
                 if not Algebra.is_zero(grads[i][c])}
        return build_array_function(self.structure, [((n, k), gflat), ((n, k, m), jac)], self.cse,
                      self.requested_backend, _NAMES["static"], "static")

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
                    if not Algebra.is_zero(e)}

        # the values ride along, so that a gradient pass needs one call per period
        values = [((n,), nonzero_entries(self._payoffs)), ((ds,), nonzero_entries(self._next_state)),
                  ((), nonzero_entries([self._win]))]
        return build_array_function(self.structure, values + [((n, nv), flat(gu)), ((ds, nv), flat(gf)),
                                                ((nv,), flat([gq]))], self.cse, self.requested_backend,
                                    _NAMES["first"], "first")

    @cached_property
    def _dynamic(self) -> ArrayFunction:
        n, ds = self.n, self.ds
        nv = self.m + ds
        gu, gf, gq = self._grads
        u_v, u_vv, f_v, f_vv, q_v, q_vv = {}, {}, {}, {}, {}, {}
        for i, row in enumerate(gu):
            u_v.update({i * nv + a: e for a, e in enumerate(row) if not Algebra.is_zero(e)})
            for (a, b), e in self._hessian(row).items():
                u_vv[(i * nv + a) * nv + b] = u_vv[(i * nv + b) * nv + a] = e
        for kk, row in enumerate(gf):
            f_v.update({kk * nv + a: e for a, e in enumerate(row) if not Algebra.is_zero(e)})
            for (a, b), e in self._hessian(row).items():
                f_vv[(kk * nv + a) * nv + b] = f_vv[(kk * nv + b) * nv + a] = e
        q_v.update({a: e for a, e in enumerate(gq) if not Algebra.is_zero(e)})
        for (a, b), e in self._hessian(gq).items():
            q_vv[a * nv + b] = q_vv[b * nv + a] = e
        outputs = [((n, nv), u_v), ((n, nv, nv), u_vv), ((ds, nv), f_v),
                   ((ds, nv, nv), f_vv), ((nv,), q_v), ((nv, nv), q_vv)]
        return build_array_function(self.structure, outputs, self.cse, self.requested_backend,
                                    _NAMES["dynamic"], "dynamic")

    # -------------------------------------------------------------- calls
    def values(self, z, y, theta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(u, f, Q)``: payoffs (n,), next state (ds,), win probability ()."""
        return self._values(z, y, theta)

    def payoffs(self, z, y, theta) -> np.ndarray:
        """Payoffs :math:`u` (n,) at one period's actions."""
        return self._values(z, y, theta)[0]

    def payoff_columns(self, Z: np.ndarray, y: np.ndarray, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Payoffs (B, n) at the columns of ``Z`` (m, B), column b with the moving state and
        parameters of set ``idx[b]`` (``y`` (ds, P), ``theta`` (np, P)): as
        ``payoffs(Z, y[:, idx], theta[:, idx]).T``, without gathering the parameters first."""
        return self._values.entries_at(0, Z, y, theta, idx)

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
