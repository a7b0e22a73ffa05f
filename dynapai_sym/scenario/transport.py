r"""A chunk's results sent between processes column by column.

A worker process returns a chunk's ``(index, result, start)`` triples to the process that runs
the sweep by pickling them. Pickled one by one, a
:class:`~dynapai_sym.solvers.SolverResult` costs about 0.2 ms to write and read: each of its
dozen small arrays goes through numpy's per-array pickling. :class:`PackedOutputs` writes the
chunk in columns instead: each field's arrays of one shape stacked into one array, nested
results (certificates, strategies, per-period actions) column by column too, everything else
(strings, numbers, lists, failed points) as a list. Unpickling rebuilds objects equal to the
originals, field for field; their arrays are rows of the stacked arrays.

Only the types listed in :data:`COLUMNAR` are taken apart; the rest are pickled whole.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np

from ..model import Actions, Strategies
from ..solvers import SolverResult
from ..solvers.certificate import Certificate
from ..solvers.result import Optimum
from .batched import solve_tasks

__all__ = ["COLUMNAR", "PackedOutputs", "solve_packed"]

#: classes whose instances travel field by field (dataclasses, or immutable classes with slots)
COLUMNAR: tuple[type, ...] = (SolverResult, Certificate, Strategies)


class PackedOutputs:
    """A chunk's ``(index, result, start)`` triples (:attr:`outputs`), pickled in columns."""

    __slots__ = ("outputs",)

    def __init__(self, outputs: list):
        self.outputs = list(outputs)

    def __reduce__(self):
        columns = list(zip(*self.outputs)) if self.outputs else [(), (), ()]
        return (_unpack, (len(self.outputs), [_encode(list(col)) for col in columns]))


def solve_packed(*args) -> PackedOutputs:
    """:func:`~dynapai_sym.scenario.batched.solve_tasks` (same arguments), its output packed for the
    trip back from a worker process."""
    return PackedOutputs(solve_tasks(*args))


def unpacked(out) -> list:
    """A chunk's output as a list of triples, whether it came packed or not."""
    return out.outputs if isinstance(out, PackedOutputs) else out


def _unpack(count: int, columns: list) -> PackedOutputs:
    if not count:
        return PackedOutputs([])
    return PackedOutputs(list(zip(*(_decode(col, count) for col in columns))))


# ----------------------------------------------------------------------------- columns
@cache
def _fields(cls: type) -> tuple[str, ...]:
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    return tuple(name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ()))


def _same_arrays(values: list) -> bool:
    first = values[0]
    return all(type(v) is np.ndarray and v.shape == first.shape and v.dtype == first.dtype
               and v.flags.writeable == first.flags.writeable for v in values)


def _encode(values: list):
    """One column (a list) as ``(kind, ...)``: stacked arrays, nested columns, or the list itself."""
    kinds = {type(v) for v in values}
    if len(kinds) != 1:
        return ("list", values)
    cls = kinds.pop()
    if cls is np.ndarray and values[0].dtype != object and _same_arrays(values):
        return ("array", np.stack(values), bool(values[0].flags.writeable))
    if cls is Optimum and len({len(v) for v in values}) == 1 and all(type(a) is type(v[0]) for v in values
                                                                      for a in v):
        kind = type(values[0][0]) if values[0] else None
        if kind is not None and issubclass(kind, Actions):
            periods = len(values[0])
            return ("optimum", kind, [_encode([v[t].data for v in values]) for t in range(periods)])
    if cls in COLUMNAR and _complete(values, cls):
        return ("object", cls, {name: _encode([getattr(v, name) for v in values]) for name in _fields(cls)})
    return ("list", values)


def _complete(objs: list, cls: type) -> bool:
    """Whether every object holds exactly the fields of ``cls`` (nothing set besides them)."""
    names = _fields(cls)
    if dataclasses.is_dataclass(cls):
        wanted = set(names)
        return all(getattr(obj, "__dict__", None) is not None and obj.__dict__.keys() == wanted for obj in objs)
    return all(not getattr(obj, "__dict__", None) and all(hasattr(obj, name) for name in names) for obj in objs)


def _decode(column, count: int) -> list:
    kind = column[0]
    if kind == "list":
        return column[1]
    if kind == "array":
        _, stacked, writeable = column
        if not writeable:
            stacked.setflags(write=False)
        return list(stacked)
    if kind == "optimum":
        _, action_type, periods = column
        rows = [_decode(period, count) for period in periods]
        out = []
        for j in range(count):
            actions = []
            for period in rows:
                a = object.__new__(action_type)
                object.__setattr__(a, "data", period[j])
                actions.append(a)
            out.append(Optimum(actions))
        return out
    _, cls, fields = column
    values = {name: _decode(col, count) for name, col in fields.items()}
    objs = [object.__new__(cls) for _ in range(count)]
    if dataclasses.is_dataclass(cls):
        for j, obj in enumerate(objs):
            obj.__dict__.update({name: vals[j] for name, vals in values.items()})
    else:
        for name, vals in values.items():
            for obj, v in zip(objs, vals):
                object.__setattr__(obj, name, v)
    return objs
