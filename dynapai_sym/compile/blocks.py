"""Compiled blocks: several fixed-shape arrays from one generated function per backend."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..model import ModelStructure
from .backends import KINK_FUNCTIONS, apply_exit_guards, fast_kinks

__all__ = ["ArrayFunction", "build_array_function"]

log = logging.getLogger(__name__)

#: LLVM's optimisation level for the generated code: 0 halves the compile time of a model's blocks
#: (a static n = 2 model 56 -> 30 ms, a T = 5 investment model's second derivatives 144 -> 85 ms)
#: while a batch of 1,000 profiles takes about 10% longer (levels 1 and 2 compile as slowly as 3)
LLVM_OPT_LEVEL = 0


@dataclass(repr=False)
class ArrayFunction:
    """A compiled function returning arrays of fixed shapes.

    Called as ``f(z, y, theta)`` with ``z`` one period's actions ``(m,)`` or ``(m, *batch)``
    (flat, player-major), ``y`` the moving state ``(ds,)`` or ``(ds, *batch)`` and ``theta``
    every other parameter ``(np,)`` or ``(np, *batch)`` (one parameter set per batch entry:
    many calibrations of one structure in one call); returns a tuple of arrays of the fixed
    :attr:`shapes`, with any batch axes last. Inputs without the batch axes are broadcast
    along them; the batch shape is that of ``z``, else of ``theta``, else of ``y``. Each
    instance's own docstring (``help(f)``) names its outputs, their shapes and the sizes
    ``m``, ``ds``, ``np`` it takes.

    Only the structurally non-zero entries are computed (by up to two
    generated functions, one per backend); the rest are zeros.
    """

    shapes: tuple[tuple[int, ...], ...]
    plan: list  # per output: (shape, size, flat indices, positions in the value vector)
    parts: list  # (kind, callable, n_exprs)
    n_entries: int
    backend: str
    compile_seconds: float = field(default=0.0)
    #: ``(n, k, ds, np)``: players, action columns per player, sizes of ``y`` and ``theta``
    sizes: tuple[int, int, int, int] = (0, 0, 0, 0)
    #: ``(name, meaning)`` of each output, in order
    names: tuple[tuple[str, str], ...] = ()
    #: what the block computes, for its docstring
    title: str = "compiled block"

    def __post_init__(self):
        self.__doc__ = self.describe()
        # one profile, one parameter set, one generated function: the hot path of small solves
        self._single = self.parts[0][1] if len(self.parts) == 1 and self.parts[0][0] == "symengine" else None
        offsets = np.cumsum([0] + [size for _, size, _, _ in self.plan])
        self._total = int(offsets[-1])
        self._slices = [(int(lo), int(lo) + size, shape) for lo, (shape, size, _, _) in zip(offsets, self.plan)]
        self._flat_all = np.concatenate([lo + flat for lo, (_, _, flat, _) in zip(offsets, self.plan)] or
                                        [np.empty(0, dtype=int)]).astype(int)
        self._pos_all = np.concatenate([pos for _, _, _, pos in self.plan] or [np.empty(0, dtype=int)]).astype(int)
        self._dense = bool(np.array_equal(self._flat_all, np.arange(self._total))
                           and np.array_equal(self._pos_all, np.arange(self._total)))
        # the generated function's unchecked entry point (no argument checks: sizes checked here)
        self._unsafe = getattr(self._single, "unsafe_real", None)
        self._n_args = self.sizes[0] * self.sizes[1] + self.sizes[2] + self.sizes[3]
        self._count = self.parts[0][2] if self._single is not None else 0

    def describe(self) -> str:
        """The calling convention and outputs of this block (its docstring)."""
        n, k, ds, n_par = self.sizes
        names = list(self.names) + [(f"out{j}", "") for j in range(len(self.names), len(self.shapes))]
        rows = [(name, str(shape) if len(shape) != 1 else f"({shape[0]},)", meaning)
                for (name, meaning), shape in zip(names, self.shapes)]
        width = max([len(r[0]) for r in rows] + [5])
        swidth = max([len(r[1]) for r in rows] + [4])
        lines = [f"{self.title}: f(z, y, theta) -> ({', '.join(r[0] for r in rows)})",
                 "",
                 "Parameters",
                 "----------",
                 f"z : ndarray, shape (m,) = ({n * k},), or (m, *batch)",
                 f"    One period's actions of all n = {n} players, flat, player-major: z[i k + c] is",
                 f"    action column c of player i (k = {k} columns).",
                 f"y : ndarray, shape (ds,) = ({ds},), or (ds, *batch)",
                 "    The moving state (ModelStructure.states).",
                 f"theta : ndarray, shape (np,) = ({n_par},), or (np, *batch)",
                 "    Every other parameter (ModelStructure.params); one set per batch entry if batched.",
                 "",
                 "Returns",
                 "-------",
                 "tuple of ndarray, each of the shape below followed by the batch axes of z:",
                 ""]
        lines += [f"    {name:<{width}}  {shape:<{swidth}}  {meaning}".rstrip() for name, shape, meaning in rows]
        lines += ["", f"Backend: {self.backend}; {self.n_entries} non-zero entries computed."]
        return "\n".join(lines)

    def __repr__(self) -> str:
        outs = ", ".join(name for name, _ in self.names) or f"{len(self.shapes)} arrays"
        return f"<ArrayFunction {self.title}: f(z, y, theta) -> ({outs}); {self.backend}>"

    def _call_single(self, z: np.ndarray, y: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """One profile and one parameter set through the single generated function: the same
        arrays as the general path, with a few array operations instead of dozens."""
        inp = np.concatenate((z, y, theta))
        if self._unsafe is not None and inp.shape[0] == self._n_args:
            vals = np.empty(self._count)
            self._unsafe(inp, vals)
        else:
            vals = np.asarray(self._single(inp)).reshape(-1)
        if self._dense:
            buf = vals.copy()
        else:
            buf = np.zeros(self._total)
            buf[self._flat_all] = vals[self._pos_all]
        return tuple(buf[lo:hi].reshape(shape) for lo, hi, shape in self._slices)

    def entries_at(self, output: int, Z: np.ndarray, y: np.ndarray, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Every flat entry of output ``output`` at many columns, each with its own parameter set.

        Column b has the actions ``Z[:, b]`` (m, B) and the moving state and parameters of set
        ``idx[b]``: ``y[:, idx[b]]`` (ds, P) and ``theta[:, idx[b]]`` (np, P). Returns
        ``(B, size)``: row b is ``self(Z[:, b], y[:, idx[b]], theta[:, idx[b]])[output]``,
        flattened, computed without building the gathered parameter arrays (a sweep's candidate
        batches hold hundreds of thousands of columns, most sharing a parameter set).
        """
        shape, size, flat, pos = self.plan[output]
        B = Z.shape[1]
        if self._single is None:  # several generated functions: the general path
            return self(Z, y[:, idx], theta[:, idx])[output].reshape(size, B).T
        vals = self._rows(Z, y.T if y.shape[0] else None, theta.T, idx)
        if flat.size == size and np.array_equal(flat, np.arange(size)):
            return vals[:, pos]
        out = np.zeros((B, size))
        out[:, flat] = vals[:, pos]
        return out

    def _call_columns(self, z: np.ndarray, y: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Profiles ``z`` (m, B) with one parameter set (``y`` (ds,), ``theta`` (np,)) or one per
        column (``(ds, B)``, ``(np, B)``): the general path's arrays, with the generated function's
        input rows written in place (no broadcast copies, no axis moves)."""
        B = z.shape[1]
        if (y.ndim == 2 and y.shape[1] != B) or (theta.ndim == 2 and theta.shape[1] != B):
            return self._general(z, y, theta)
        vals = self._rows(z, y.T if y.shape[0] else None, theta.T)
        return self._scatter(vals.T, (B,))

    def _rows(self, z: np.ndarray, y_rows: np.ndarray | None, theta_rows: np.ndarray,
              idx: np.ndarray | None = None) -> np.ndarray:
        """The generated function at the columns of ``z`` (m, B), its input rows written in place:
        the actions, then the moving state and the parameters (``(B, ds)``/``(B, np)`` rows, or one
        ``(ds,)``/``(np,)`` row for all; no state: None). With ``idx`` (B,), column b takes the rows
        ``idx[b]`` of ``y_rows``/``theta_rows`` (``(P, ds)``/``(P, np)``), gathered straight into the
        input. Returns the computed entries (B, count)."""
        m, B = z.shape
        ds = 0 if y_rows is None else y_rows.shape[-1]
        inp = np.empty((B, m + ds + theta_rows.shape[-1]))
        inp[:, :m] = z.T
        if idx is None:
            if ds:
                inp[:, m:m + ds] = y_rows
            inp[:, m + ds:] = theta_rows
        else:  # no gathered (B, np) temporaries: a sweep's probe has hundreds of thousands of columns
            if ds:
                np.take(y_rows, idx, axis=0, out=inp[:, m:m + ds], mode="clip")
            np.take(theta_rows, idx, axis=0, out=inp[:, m + ds:], mode="clip")
        return np.asarray(self._single(inp)).reshape(B, -1)

    def _general(self, z, y, theta) -> tuple[np.ndarray, ...]:
        """The general path: profiles and parameters broadcast along the batch axes of ``z``."""
        return self._scatter(self._values(z, y, theta, np.shape(z)[1:]), np.shape(z)[1:])

    def _scatter(self, vals: np.ndarray, batch: tuple) -> tuple[np.ndarray, ...]:
        """The outputs (zeros where structurally zero) from the computed entries ``vals``: views of
        one buffer, filled by one gather (disjoint slices, so writing into one output leaves the
        others as they are)."""
        buf = np.zeros((self._total, *batch))
        if self._flat_all.size:
            buf[self._flat_all] = vals[self._pos_all]
        return tuple(buf[lo:hi].reshape((*shape, *batch)) for lo, hi, shape in self._slices)

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
                    th = np.broadcast_to(th.reshape(th.shape[0], *([1] * nb)) if th.ndim == 1 else th,
                                         (th.shape[0], *batch))
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
        if (self._single is not None and type(z) is np.ndarray and type(y) is np.ndarray
                and type(theta) is np.ndarray and z.ndim == 1 and y.ndim == 1 and theta.ndim == 1
                and z.dtype == theta.dtype == np.float64 and y.dtype == np.float64):
            return self._call_single(z, y, theta)
        if (self._single is not None and type(z) is np.ndarray and z.ndim == 2 and z.dtype == np.float64
                and type(y) is np.ndarray and type(theta) is np.ndarray and y.ndim <= 2 and theta.ndim <= 2):
            return self._call_columns(z, y, theta)
        batch = np.shape(z)[1:]
        # one profile, many parameter sets (ndarray.ndim first: this call is hot, np.ndim slower)
        if not batch and ((theta.ndim if type(theta) is np.ndarray else np.ndim(theta)) > 1
                          or (y.ndim if type(y) is np.ndarray else np.ndim(y)) > 1):
            batch = np.shape(theta)[1:] if np.ndim(theta) > 1 else np.shape(y)[1:]
            z = np.broadcast_to(np.asarray(z, dtype=float).reshape(-1, *([1] * len(batch))),
                                (np.shape(z)[0], *batch))
        return self._scatter(self._values(z, y, theta, batch), batch)


def build_array_function(structure: ModelStructure, outputs: list, cse: bool, backend: str,
                         names=(), title: str = "compiled block") -> ArrayFunction:
    """Compile the non-zero entries of several arrays.

    ``outputs`` is a list of ``(shape, {flat index: expression})``. Equal
    expressions (e.g. both halves of a symmetric Hessian) are generated once.
    ``names`` (one ``(name, meaning)`` per output) and ``title`` go into the
    returned function's docstring.
    """
    t0 = time.perf_counter()
    outputs = [(shape, {f: apply_exit_guards(e, structure) for f, e in nonzero.items()})
               for shape, nonzero in outputs]
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
        options = {"backend": "llvm", "opt_level": LLVM_OPT_LEVEL} if llvm else {"backend": "lambda"}
        func = se.Lambdify(args, exprs, cse=cse, **options)
        parts.append(("symengine", func, len(exprs)))
        used.append("symengine-llvm" if llvm else "symengine")
    if groups["sympy"]:
        args = (list(structure.actions), list(structure.states), list(structure.params))
        exprs = [fast_kinks(e) for e in groups["sympy"]]
        func = sp.lambdify(args, exprs, modules=[KINK_FUNCTIONS, "numpy"], cse=cse, docstring_limit=0)
        parts.append(("sympy", func, len(exprs)))
        used.append("sympy")
    seconds = time.perf_counter() - t0
    n_entries = sum(len(g) for g in groups.values())
    log.debug("compiled %d expressions in %.3f s (%s)", n_entries, seconds, "+".join(used))
    sizes = (structure.n, structure.k, len(structure.states), len(structure.params))
    return ArrayFunction(tuple(s for s, _ in outputs), plan, parts, n_entries,
                         "+".join(used) or backend, seconds, sizes, tuple(names), title)
