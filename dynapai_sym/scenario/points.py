r"""The models of a grid's points, built on first use, and the grid's parameter table.

A grid of :math:`m_1 \times m_2` points that differ in one or two parameters holds one model
structure: every point is the same compiled model with other numbers. Building each point's
:class:`~dynapai_sym.game.Aggregator` (its components, payoff and state) costs tens of
microseconds, as much as solving the point in a batched sweep, and most points never need it.

:class:`PointModels` builds the points *along the axes* when the grid is made: every value of
the first parameter with the second at its first value, and every value of the second with the
first at its first value (:math:`m_1 + m_2 - 1` models, each value checked by the model's own
validation). Every model's numbers are its parameter vector :math:`\theta` (the values of
:attr:`~dynapai_sym.model.ModelStructure.params`, in order), its initial moving state
:math:`y_0` and its discount factors :math:`\gamma`. When each entry of these vectors moves
along at most one axis (one parameter sets it), point :math:`(i, j)` has

.. math::

    v_{(i,j)}[e] = \begin{cases} v_{(i,0)}[e] & e \text{ moves along the first axis} \\
                                 v_{(0,j)}[e] & e \text{ moves along the second axis} \\
                                 v_{(0,0)}[e] & \text{otherwise,} \end{cases}

exactly (values copied, not computed): the :class:`ParameterTable`. A batched sweep evaluates
its games from the table; a point's own model is built only when something asks for it (a
point solved on its own, a user reading ``scenario.aggregators[j]``). Grids whose entries move
along both axes, whose points differ in structure, or whose models hold several beliefs are
built point by point, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._validation import all_equal
from ..errors import InvalidTypeError
from ..game import Aggregator

__all__ = ["ParameterTable", "PointModels", "PointRef", "resolve"]


@dataclass(frozen=True)
class ParameterTable:
    """The numbers of every point of a grid of one model structure (one belief for all players).

    Attributes
    ----------
    template : Aggregator
        The first point's model: the structure, compiled model and settings every point shares.
    theta : ndarray (P, n_params)
        Row j: the parameter vector of point j (``PayoffFunc.param_vector``).
    y0 : ndarray (P, n_states)
        Row j: its initial moving state (``PayoffFunc.state_vector``).
    gammas : ndarray (P, n)
        Row j: its discount factors (ones where the model has none, as ``Aggregator.game``).
    symmetric : ndarray (P,) bool
        Whether permuting players leaves point j's model unchanged.
    """

    template: Aggregator
    theta: np.ndarray
    y0: np.ndarray
    gammas: np.ndarray
    symmetric: np.ndarray


class PointModels(Sequence):
    """The aggregators of a scenario's points, each built on first use (see module docstring).

    Used as a list: indexing, slices (lists), iteration, ``len``, ``+`` with a list, and
    replacing a point (``models[j] = agg``: that point is then solved with its own model).

    Parameters
    ----------
    count : int
        Number of points.
    build : callable
        ``build(j)`` returns point j's Aggregator.
    built : dict of int to Aggregator
        Points already built.
    table : ParameterTable, optional
        The grid's numbers, when every point's can be read from the axes.
    """

    def __init__(self, count: int, build: Callable[[int], Aggregator], built: dict[int, Aggregator],
                 table: ParameterTable | None):
        self._count = int(count)
        self._build = build
        self._built = dict(built)
        self._replaced: set[int] = set()  # points given a model of their own (not the table's)
        self.table = table

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self[i] for i in range(*j.indices(self._count))]
        j = self._index(j)
        agg = self._built.get(j)
        if agg is None:
            agg = self._build(j)
            self._built[j] = agg
        return agg

    def _index(self, j) -> int:
        """``j`` as a point's index (negative counts from the end); IndexError out of range."""
        j = int(j)
        if j < 0:
            j += self._count
        if not 0 <= j < self._count:
            raise IndexError(f"point {j} out of range: the scenario has {self._count} points")
        return j

    def __setitem__(self, j: int, agg: Aggregator) -> None:
        """Replace point j's model; the point is then no longer read from the table."""
        if not isinstance(agg, Aggregator):
            raise InvalidTypeError(f"a scenario's point must be an Aggregator, got {type(agg).__name__}")
        j = self._index(j)
        self._built[j] = agg
        self._replaced.add(j)

    def __add__(self, other) -> list[Aggregator]:
        """Concatenation, as for lists: ``scenario.aggregators + more`` is a list of aggregators."""
        if not isinstance(other, (list, tuple, PointModels)):
            return NotImplemented
        return list(self) + list(other)

    def __radd__(self, other) -> list[Aggregator]:
        if not isinstance(other, (list, tuple)):
            return NotImplemented
        return list(other) + list(self)

    def __reduce__(self):
        """Pickled with every point's model (the builder is a local function): built first."""
        return (_point_models, (list(self), self.table, sorted(self._replaced)))

    def built(self) -> dict[int, Aggregator]:
        """The points built so far, by index."""
        return dict(self._built)

    def ref(self, j: int) -> PointRef | Aggregator:
        """Point j as a task holds it: a reference on a grid with a table (built or not), else its aggregator."""
        return self[j] if self.table is None or j in self._replaced else PointRef(self, j)

    def __repr__(self) -> str:
        return f"PointModels({self._count} points, {len(self._built)} built)"


def _point_models(aggregators: list[Aggregator], table: ParameterTable | None, replaced: list[int]) -> PointModels:
    """A :class:`PointModels` with every point built (unpickling)."""
    def unreachable(j: int) -> Aggregator:  # pragma: no cover - every point is built
        raise IndexError(j)

    out = PointModels(len(aggregators), unreachable, dict(enumerate(aggregators)), table)
    out._replaced.update(replaced)
    return out


class PointRef:
    """Point ``index`` of ``models`` (:func:`resolve` gives its aggregator, built then if need be)."""

    __slots__ = ("models", "index")

    def __init__(self, models: PointModels, index: int):
        self.models = models
        self.index = index

    def __repr__(self) -> str:
        return f"PointRef({self.index})"


def resolve(ref: Aggregator | PointRef) -> Aggregator:
    """The aggregator a task holds or refers to (built now if need be)."""
    return ref.models[ref.index] if isinstance(ref, PointRef) else ref


def grid_table(built: dict[int, Aggregator], m1: int, m2: int) -> ParameterTable | None:
    """The :class:`ParameterTable` of an ``m1 x m2`` grid (first axis fastest) from its points
    built along the axes (``built`` holds ``(i, 0)`` at ``i`` and ``(0, j)`` at ``j m1``), or
    None when the grid's numbers cannot be read from them (see module docstring)."""
    first = [built[i] for i in range(m1)]
    second = [built[j * m1] for j in range(m2)]
    template = first[0]
    if not _one_structure(template, first + second):
        return None
    rows = np.arange(m1 * m2)
    i, j = rows % m1, rows // m1
    tables = []
    for part in (_theta, _y0, _gammas):
        base = part(template)
        along1 = np.stack([part(a) for a in first])  # (m1, size)
        along2 = np.stack([part(a) for a in second])  # (m2, size)
        moves1, moves2 = np.any(along1 != base, axis=0), np.any(along2 != base, axis=0)
        if np.any(moves1 & moves2):
            return None  # an entry set by both parameters: build every point
        table = np.repeat(base[None], rows.size, axis=0)
        table[:, moves1] = along1[i][:, moves1]
        table[:, moves2] = along2[j][:, moves2]
        tables.append(table)
    # symmetric where symmetric along both axes (each parameter's values equal across players)
    symmetric = np.array([_symmetric(a) for a in first])[i] & np.array([_symmetric(a) for a in second])[j]
    return ParameterTable(template, *tables, symmetric)


def _one_structure(template: Aggregator, aggs: Sequence[Aggregator]) -> bool:
    """Whether ``aggs`` are one model structure with one belief for all players, like ``template``."""
    belief0 = template.state.beliefs[0]
    if not template.state.common:
        return False
    for agg in aggs:
        belief = agg.state.beliefs[0]
        if (type(agg) is not type(template) or not agg.state.common or agg.n != template.n
                or agg.k != template.k or agg.end_on_win != template.end_on_win
                or (agg.gammas is None) != (template.gammas is None)
                or not (belief.structure is belief0.structure or belief.structure == belief0.structure)):
            return False
    return True


def _theta(agg: Aggregator) -> np.ndarray:
    return np.asarray(agg.state.beliefs[0].param_vector(), dtype=float)


def _y0(agg: Aggregator) -> np.ndarray:
    return np.asarray(agg.state.beliefs[0].state_vector(), dtype=float)


def _gammas(agg: Aggregator) -> np.ndarray:
    return np.ones(agg.n) if agg.gammas is None else np.asarray(agg.gammas, dtype=float)


def _symmetric(agg: Aggregator) -> bool:
    return agg.state.beliefs[0].is_symmetric() and all_equal(_gammas(agg))


class PointGames(Sequence):
    """The numeric games over ``t`` periods of the points ``rows`` of ``models``, each built on first
    use (position p is point ``rows[p]``); :meth:`evaluations` reads the counters of those built."""

    def __init__(self, models: PointModels, rows, t: int):
        self.models = models
        self.rows = [int(r) for r in rows]
        self.t = t
        self._games: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, p):
        p = int(p)
        game = self._games.get(p)
        if game is None:
            game = self.models[self.rows[p]].game(self.t)
            self._games[p] = game
        return game

    def evaluations(self, p: int) -> int:
        """Payoff evaluations counted by point p's own game (0 if it was never built)."""
        game = self._games.get(p)
        return 0 if game is None else game.evaluations


def table_rows(tasks) -> tuple[PointModels, list[int]] | None:
    """``(models, point indices)`` when every task refers to a point of one grid with a
    :class:`ParameterTable`; else None."""
    refs = [ref for _, ref, _ in tasks]
    if not refs or not all(isinstance(ref, PointRef) for ref in refs):
        return None
    models = refs[0].models
    if models.table is None or any(ref.models is not models for ref in refs):
        return None
    return models, [ref.index for ref in refs]
