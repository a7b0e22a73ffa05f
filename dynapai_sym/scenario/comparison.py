r"""Left/right comparisons of two scenarios on a common grid: testing claims.

A claim such as "the probability of a safe outcome is higher when safety research is more
productive (:math:`A = 15`) than when it is less (:math:`A = 5`), at every price :math:`r`"
compares two families of problems, the *left* and the *right* side, over a grid of common
parameters (here :math:`r`). :func:`compare` evaluates a quantity at the equilibrium of every
point of both sides, reduces it to one number per point and compares the sides pointwise:

.. math::

    \Delta(g) = L(g) - R(g), \qquad
    L(g) = \rho\bigl(y^{\mathrm{left}}(g)\bigr), \quad R(g) = \rho\bigl(y^{\mathrm{right}}(g)\bigr),

where :math:`g` runs over the common grid, :math:`y(g)` is the quantity at the equilibrium of
the point :math:`g` (for example :math:`\sigma_i`, one entry per player :math:`i`, in one
period) and :math:`\rho` the reduction to one number (``"mean"``, ``"min"``, ``"max"``,
``"sum"`` over players, or any function). The claim ``left > right`` holds at :math:`g` when
:math:`\Delta(g) > \mathrm{atol}` (``>=``: :math:`\Delta(g) \ge -\mathrm{atol}`, and
symmetrically for ``<`` and ``<=``), and holds *overall* when it holds at every certified common
point: one where both sides are certified equilibria. Points that did not certify on either side
are never compared; they are excluded, listed in :attr:`Comparison.excluded` and reported by a
warning.

Families with side-specific ranges
----------------------------------
AIIncentives.jl's ``solve_left_right`` compares, for example, every problem with
:math:`A \in [0.1, 10]` against every problem with :math:`A \in [10, 100]`, on a common grid of
:math:`\theta`. Here that is two 2-D scenarios (varying ``a`` and ``theta``) compared with
``over="theta"``: at each common point the claim must hold for every pair of a left and a right
problem, so the margin is the worst case,

.. math::

    \Delta(g) = \min_{a} L(g, a) - \max_{a'} R(g, a') \quad (\text{claims} > \text{ and } \ge),
    \qquad \Delta(g) = \max_{a} L(g, a) - \min_{a'} R(g, a') \quad (< \text{ and } \le).

With one problem per side at each point (the usual case) this is simply :math:`L(g) - R(g)`.
:func:`solve_left_right` builds and solves both sides from keyword dictionaries, as
AIIncentives.jl's function of that name does.

Examples
--------
>>> import numpy as np
>>> import dynapai_sym as dp
>>> low, high = dp.solve_left_right({"a": 5.0}, {"a": 15.0}, {"r": np.linspace(0.05, 0.15, 3)}, varying="r")
>>> cmp = dp.compare(high, low, "sigma")
>>> bool(cmp.holds), cmp.fraction
(True, 1.0)
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._figures import new_figure
from ..errors import InvalidArgumentError, InvalidTypeError, PointsExcludedWarning
from ..names import ACTION_COLUMNS
from ..solvers import SolverResult

__all__ = ["Comparison", "ExcludedPoint", "compare", "QUANTITIES", "CLAIMS"]

@runtime_checkable
class SolvedScenario(Protocol):
    """What :func:`compare` reads of a :class:`~dynapai_sym.scenario.ScenarioResult`.

    (A protocol rather than the class, because ``ScenarioResult.compare`` calls this module.)
    """

    results: list
    points: list
    varying: tuple
    t: int

    def values(self, name: str): ...

#: Quantities :func:`compare` can compare: the action columns, safety ``s``, performance ``p``,
#: ``sigma`` (P(safe | i wins)), ``q`` (P(i wins)), the aggregate ``payoff`` and
#: ``probability_safe`` (P(safe | someone wins), one number per period).
QUANTITIES = (*ACTION_COLUMNS, "s", "p", "sigma", "q", "payoff", "probability_safe")

#: Claims :func:`compare` can test, read as ``left <claim> right``.
CLAIMS = (">", ">=", "<", "<=")

_REDUCTIONS: dict[str, Callable[[np.ndarray], Any]] = {"mean": np.mean, "min": np.min, "max": np.max,
                                                       "sum": np.sum}
_KEY_DIGITS = 12  # grid values equal to this many significant digits are one grid point


@dataclass(frozen=True)
class ExcludedPoint:
    """A common grid point left out of a comparison.

    Attributes
    ----------
    index : int
        Position on the common grid (flat, in the order of :meth:`Comparison.to_dataframe`).
    coords : dict of str to float
        Its value of each common parameter (player 0's value), or ``{"point": index}`` for
        unlabelled scenarios.
    reason : str
        Which side's points did not certify, and their status.
    """

    index: int
    coords: dict
    reason: str


class Comparison:
    r"""The outcome of :func:`compare`: one side against the other over their common grid.

    Arrays have the shape :attr:`shape` of the common grid: the scenarios' own ``shape`` when
    they are compared point for point (``(m1,)`` or ``(m1, m2)``), ``(G,)`` for ``G`` common
    points otherwise.

    Attributes
    ----------
    quantity : str
        What is compared (one of :data:`QUANTITIES`).
    reduce : str
        Name of the reduction :math:`\rho` (a function's ``__name__`` for callables).
    period : int or None
        The period compared (None: all periods entered the reduction).
    claim : str
        ``">"``, ``">="``, ``"<"`` or ``"<="``, read as ``left <claim> right``.
    atol : float
        Margin the difference must clear (see the module docstring).
    over : tuple of str
        The common parameters (empty for unlabelled scenarios, compared by point index).
    labels : tuple of str
        Names of the two sides, for tables and plots.
    coords : dict of str to ndarray
        Each common parameter's value (player 0's) at every common point, flat ``(G,)``.
    left, right : ndarray
        :math:`L(g)`, :math:`R(g)` (worst case over side-specific points); NaN where excluded.
    difference : ndarray
        :math:`\Delta(g)`; NaN where excluded.
    certified : ndarray of bool
        Whether every problem at the point is a certified equilibrium on both sides.
    holds_at : ndarray of bool
        Whether the claim holds at each point (False where excluded).
    excluded : tuple of ExcludedPoint
        The points left out, with the reason.
    """

    def __init__(self, *, quantity: str, reduce: str, period: int | None, claim: str, atol: float,
                 over: tuple[str, ...], labels: tuple[str, str], shape: tuple[int, ...],
                 coords: dict[str, np.ndarray], left: np.ndarray, right: np.ndarray,
                 excluded: tuple[ExcludedPoint, ...]):
        self.quantity = quantity
        self.reduce = reduce
        self.period = period
        self.claim = claim
        self.atol = atol
        self.over = over
        self.labels = labels
        self.shape = shape
        self.coords = coords
        self.excluded = excluded
        self.left = np.asarray(left, dtype=float).reshape(shape, order="F")
        self.right = np.asarray(right, dtype=float).reshape(shape, order="F")
        self.difference = self.left - self.right
        self.certified = np.isfinite(self.difference)
        d = np.where(self.certified, self.difference, 0.0)
        ok = {">": d > atol, ">=": d >= -atol, "<": d < -atol, "<=": d <= atol}[claim]
        self.holds_at = ok & self.certified

    # ------------------------------------------------------------------ verdict
    @property
    def n_certified(self) -> int:
        """Number of common points compared (certified on both sides)."""
        return int(self.certified.sum())

    @property
    def fraction(self) -> float:
        """Share of the certified common points where the claim holds (NaN if there are none)."""
        if not self.n_certified:
            return float("nan")
        return float(self.holds_at.sum() / self.n_certified)

    @property
    def holds(self) -> bool:
        """Whether the claim holds at every certified common point.

        False when no point certified on both sides: a claim with no evidence does not hold.
        """
        return bool(self.n_certified > 0 and self.holds_at[self.certified].all())

    def __repr__(self) -> str:
        period = "all periods" if self.period is None else f"period {self.period}"
        verdict = "holds" if self.holds else "does not hold"
        excluded = f", {len(self.excluded)} excluded (not certified)" if self.excluded else ""
        return (f"Comparison({self.quantity} ({self.reduce}, {period}): {self.labels[0]} {self.claim} "
                f"{self.labels[1]} at {int(self.holds_at.sum())} of {self.n_certified} certified common points"
                f"{excluded}; {verdict})")

    # ------------------------------------------------------------------ table and plot
    def to_dataframe(self):
        """One row per common point (flat, first common parameter fastest).

        Columns: the common parameters (player 0's value; ``point`` for unlabelled scenarios),
        the two sides under their :attr:`labels`, ``difference``, ``certified``, ``holds`` and
        ``reason`` (why the point was excluded; empty if it was compared).

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        reasons = [""] * self.difference.size
        for ex in self.excluded:
            reasons[ex.index] = ex.reason
        flat = {name: values for name, values in self.coords.items()}
        flat[self.labels[0]] = self.left.ravel(order="F")
        flat[self.labels[1]] = self.right.ravel(order="F")
        flat["difference"] = self.difference.ravel(order="F")
        flat["certified"] = self.certified.ravel(order="F")
        flat["holds"] = self.holds_at.ravel(order="F")
        flat["reason"] = reasons
        return pd.DataFrame(flat)

    def plot(self, title: str | None = None, show: bool = False):
        """Both sides and their difference against the first common parameter.

        The top panel draws :math:`L(g)` and :math:`R(g)`, the bottom one :math:`\\Delta(g)`
        with the zero line; points where the claim fails are circled in red, excluded points are
        marked by grey vertical lines (and counted in the title). With two common parameters,
        one line per value of the second.

        Parameters
        ----------
        title : str, optional
            Title of the figure (default: the claim and its verdict).
        show : bool
            Also show the figure with ``matplotlib.pyplot.show``.

        Returns
        -------
        matplotlib.figure.Figure
        """
        if not isinstance(show, (bool, np.bool_)):
            raise InvalidTypeError(f"show must be True or False, got {show!r}")
        if title is not None and not isinstance(title, str):
            raise InvalidTypeError(f"title must be a string, got {type(title).__name__}")
        fig, (top, bottom) = new_figure(2, 1, show, width=6.0, height=3.0)
        xname = self.over[0] if self.over else "point"
        x = self.coords[xname].reshape(self.shape, order="F")
        if x.ndim == 1:
            x, series = x[:, None], [None]
            arrays = [a[:, None] for a in (self.left, self.right, self.difference, self.holds_at)]
        else:
            second = self.coords[self.over[1]].reshape(self.shape, order="F")[0]
            series = [f"{self.over[1]}={v:.4g}" for v in second]
            arrays = [self.left, self.right, self.difference, self.holds_at]
        left, right, diff, holds = arrays
        for j, label in enumerate(series):
            # one grid line: one colour per series (two for a 1-D grid), left solid, right dashed
            suffix, colors = ("", ("C0", "C1")) if label is None else (f", {label}", (f"C{j % 10}",) * 2)
            top.plot(x[:, j], left[:, j], marker=".", linestyle="-", color=colors[0],
                     label=f"{self.labels[0]}{suffix}")
            top.plot(x[:, j], right[:, j], marker=".", linestyle="--", color=colors[1],
                     label=f"{self.labels[1]}{suffix}")
            bottom.plot(x[:, j], diff[:, j], marker=".", color=colors[0], label=label)
            fails = np.isfinite(diff[:, j]) & ~holds[:, j]
            bottom.plot(x[fails, j], diff[fails, j], linestyle="none", marker="o", markersize=9,
                        markerfacecolor="none", markeredgecolor="red")
        for ex in self.excluded:
            for ax in (top, bottom):
                ax.axvline(ex.coords.get(xname, ex.index), color="0.6", linewidth=1, alpha=0.6)
        bottom.axhline(0.0, color="black", linewidth=0.8)
        period = "" if self.period is None else f", period {self.period}"
        top.set_ylabel(f"{self.quantity} ({self.reduce}{period})")
        top.legend(fontsize="small")
        bottom.set_ylabel(f"{self.labels[0]} − {self.labels[1]}")
        bottom.set_xlabel(xname)
        heading = title if title is not None else (
            f"{self.labels[0]} {self.claim} {self.labels[1]}: {'holds' if self.holds else 'does not hold'} "
            f"at {int(self.holds_at.sum())} of {self.n_certified} certified points")
        if self.excluded:
            heading += f"\n{len(self.excluded)} common points excluded (not certified)"
        fig.suptitle(heading)
        if show:
            import matplotlib.pyplot as plt

            plt.show()
        return fig


# ----------------------------------------------------------------------------- compare
def compare(
    left: SolvedScenario,
    right: SolvedScenario,
    quantity: str = "sigma",
    *,
    reduce: str | Callable[[np.ndarray], float] = "mean",
    period: int | None = 0,
    claim: str = ">",
    atol: float = 0.0,
    over: str | Sequence[str] | None = None,
    labels: tuple[str, str] = ("left", "right"),
    warn: bool = True,
) -> Comparison:
    r"""Compare two solved scenarios point by point on their common grid.

    Parameters
    ----------
    left, right : SolvedScenario
        The two sides, solved over the same horizon ``t`` and the same grid of the common
        parameters.
    quantity : str
        One of :data:`QUANTITIES`: an action (``"x_s"``, ``"x_p"``, ...), ``"s"``, ``"p"``,
        ``"sigma"``, ``"q"`` (arrays over periods and players), ``"payoff"`` (the aggregate
        payoff :math:`U_i`, one per player, so ``period`` does not apply) or
        ``"probability_safe"`` (:math:`\sum_j \sigma_j q_j / \sum_j q_j`, one per period).
    reduce : {"mean", "min", "max", "sum"} or callable
        The reduction :math:`\rho` of the selected values to one number per point. A callable
        receives the array of values, shape ``(n,)`` (one period) or ``(t, n)`` (``period=None``),
        and must return a real number. ``"min"`` makes ``left > right`` a claim about the least
        safe player on the left.
    period : int or None
        The period compared (0-based, default the first); None passes every period to ``reduce``.
    claim : {">", ">=", "<", "<="}
        The claim, read as ``left <claim> right``.
    atol : float
        Non-negative margin: ``>`` needs :math:`\Delta > \mathrm{atol}`, ``>=`` needs
        :math:`\Delta \ge -\mathrm{atol}` (so numerically equal sides count as equal), and
        symmetrically for ``<`` and ``<=``.
    over : str or sequence of str, optional
        The common parameters. Default: the varying parameters, which must then be the same on
        both sides (point for point). Naming fewer makes the rest side-specific (see the module
        docstring): each common point then holds several problems per side, and the claim must
        hold for every left/right pair.
    labels : (str, str)
        Names of the sides in the table and the plot.
    warn : bool
        Warn (``UserWarning``) when common points are excluded because they did not certify.

    Returns
    -------
    Comparison
        ``.difference`` over the common grid, ``.holds``, ``.fraction``, ``.excluded``,
        ``.to_dataframe()`` and ``.plot()``.

    Raises
    ------
    TypeError
        If ``left``/``right`` are not :class:`ScenarioResult`, or an argument has the wrong type.
    ValueError
        If the grids of the common parameters differ, the horizons differ, ``over`` names a
        parameter that does not vary on both sides, or ``quantity``, ``reduce``, ``period``,
        ``claim`` or ``atol`` is not valid.

    Notes
    -----
    Grid values equal to 12 significant digits are the same grid point, so ``np.linspace`` and
    ``np.arange`` grids of the same values match.

    Examples
    --------
    >>> import numpy as np
    >>> import dynapai_sym as dp
    >>> grid = {"r": np.linspace(0.05, 0.15, 3)}
    >>> low, high = dp.solve_left_right({"a": 5.0}, {"a": 15.0}, grid, varying="r")
    >>> dp.compare(high, low, "sigma").holds, dp.compare(low, high, "sigma").holds
    (True, False)
    """
    for name, side in (("left", left), ("right", right)):
        if not isinstance(side, SolvedScenario):
            raise InvalidTypeError(f"{name} must be a ScenarioResult (from Scenario.solve), got {type(side).__name__}")
    if not isinstance(quantity, str) or quantity not in QUANTITIES:
        raise InvalidArgumentError(f"quantity must be one of {QUANTITIES}, got {quantity!r}")
    reducer, reduce_name = _check_reduce(reduce)
    if not isinstance(claim, str) or claim not in CLAIMS:
        raise InvalidArgumentError(f"claim must be one of {CLAIMS}, got {claim!r}")
    if isinstance(atol, bool) or not isinstance(atol, numbers.Real) or not np.isfinite(atol) or atol < 0:
        raise InvalidArgumentError(f"atol must be a finite number >= 0, got {atol!r}")
    for name, flag in (("warn", warn),):
        if not isinstance(flag, (bool, np.bool_)):
            raise InvalidTypeError(f"{name} must be True or False, got {flag!r}")
    if (not isinstance(labels, (tuple, list)) or len(labels) != 2 or not all(isinstance(s, str) for s in labels)
            or labels[0] == labels[1]):
        raise InvalidArgumentError(f"labels must be two different strings, got {labels!r}")
    if left.t != right.t:
        raise InvalidArgumentError(f"left and right were solved over different horizons (left t={left.t}, right "
                         f"t={right.t}); compare results of the same number of periods")
    if period is not None:
        if isinstance(period, bool) or not isinstance(period, numbers.Integral):
            raise InvalidTypeError(f"period must be an integer or None, got {period!r}")
        if not 0 <= period < left.t:
            raise InvalidArgumentError(f"period must be in 0..{left.t - 1} (the results have t={left.t}), got {period}")
        period = int(period)
    over_names = _check_over(over, left, right)

    left_groups = _groups(left, over_names)
    right_groups = _groups(right, over_names)
    _check_same_grid(left_groups, right_groups, over_names)
    keys = list(left_groups)
    pointwise = (over_names == left.varying and over_names == right.varying
                 and all(len(v) == 1 for v in left_groups.values()) and len(keys) == len(left))
    shape = left.shape if pointwise else (len(keys),)

    larger = claim in (">", ">=")  # worst case: smallest left against largest right
    left_vals, right_vals, excluded = [], [], []
    coords = ({name: np.empty(len(keys)) for name in over_names} if over_names
              else {"point": np.empty(len(keys), dtype=np.int64)})
    for g, key in enumerate(keys):
        members = (("left", left, left_groups[key]), ("right", right, right_groups[key]))
        first = left_groups[key][0]
        point_coords = ({name: float(left.points[first][name][0]) for name in over_names} if over_names
                        else {"point": int(first)})
        for name, value in point_coords.items():
            coords[name][g] = value
        reasons, values = [], {}
        for side_name, side, idx in members:
            vals = []
            for j in idx:
                res = side.results[j]
                if not (isinstance(res, SolverResult) and res.success):
                    reasons.append(f"{side_name} point {j}: {res.status}")
                    continue
                v = _reduced_value(res, quantity, period, reducer, reduce_name, side_name, j)
                if not np.isfinite(v):
                    reasons.append(f"{side_name} point {j}: {quantity} is not finite ({v})")
                    continue
                vals.append(v)
            values[side_name] = vals
        if reasons:
            excluded.append(ExcludedPoint(index=g, coords=point_coords, reason="; ".join(reasons)))
            left_vals.append(np.nan)
            right_vals.append(np.nan)
            continue
        left_vals.append(min(values["left"]) if larger else max(values["left"]))
        right_vals.append(max(values["right"]) if larger else min(values["right"]))

    out = Comparison(quantity=quantity, reduce=reduce_name, period=period, claim=claim, atol=float(atol),
                     over=over_names, labels=(str(labels[0]), str(labels[1])), shape=tuple(shape), coords=coords,
                     left=np.array(left_vals), right=np.array(right_vals), excluded=tuple(excluded))
    if excluded and warn:
        first = excluded[0]
        warnings.warn(f"{len(excluded)} of {len(keys)} common points were excluded from the comparison because "
                      f"they are not certified equilibria on both sides (first: {first.coords}: {first.reason}); "
                      f"see Comparison.excluded", PointsExcludedWarning, stacklevel=2)
    return out


# ----------------------------------------------------------------------------- helpers
def _check_reduce(reduce) -> tuple[Callable[[np.ndarray], Any], str]:
    if isinstance(reduce, str):
        if reduce not in _REDUCTIONS:
            raise InvalidArgumentError(f"reduce must be one of {tuple(_REDUCTIONS)} or a function, got {reduce!r}")
        return _REDUCTIONS[reduce], reduce
    if callable(reduce):
        return reduce, getattr(reduce, "__name__", type(reduce).__name__)
    raise InvalidTypeError(f"reduce must be one of {tuple(_REDUCTIONS)} or a function, got {type(reduce).__name__}")


def _check_over(over, left: SolvedScenario, right: SolvedScenario) -> tuple[str, ...]:
    if over is None:
        if set(left.varying) != set(right.varying):
            raise InvalidArgumentError(f"left varies {left.varying} but right varies {right.varying}: "
                                       "the grids differ; "
                             f"pass over=... to name the common parameters")
        return tuple(left.varying)
    names = (over,) if isinstance(over, str) else over
    if not isinstance(names, (Sequence, np.ndarray)) or not all(isinstance(s, str) for s in names):
        raise InvalidTypeError(f"over must be a parameter name or a sequence of names, got {over!r}")
    names = tuple(names)
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"over names a parameter twice: {names}")
    for name in names:
        for side_name, side in (("left", left), ("right", right)):
            if name not in side.varying:
                raise InvalidArgumentError(f"over names {name!r}, which {side_name} does not vary "
                                           f"(it varies {side.varying})")
    return names


def _key_value(v: float) -> float:
    return float(f"{v:.{_KEY_DIGITS}g}")


def _groups(res: SolvedScenario, over: tuple[str, ...]) -> dict[tuple, list[int]]:
    """Points of a result grouped by their values of the common parameters (first appearance order)."""
    groups: dict[tuple, list[int]] = {}
    if not res.varying and not over:  # unlabelled scenarios: compared by point index
        return {(j,): [j] for j in range(len(res))}
    for j, point in enumerate(res.points):
        key = tuple((name, tuple(_key_value(v) for v in np.atleast_1d(point[name]))) for name in over)
        groups.setdefault(key, []).append(j)
    return groups


def _format_key(key: tuple) -> str:
    if len(key) == 1 and isinstance(key[0], int):
        return f"point {key[0]}"
    parts = []
    for name, values in key:
        parts.append(f"{name}={values[0]:g}" if len(set(values)) == 1 else f"{name}={list(values)}")
    return ", ".join(parts) or "(all points)"


def _check_same_grid(left: dict, right: dict, over: tuple[str, ...]) -> None:
    if set(left) == set(right):
        return
    only_left = [k for k in left if k not in right]
    only_right = [k for k in right if k not in left]

    def show(keys):
        text = "; ".join(_format_key(k) for k in keys[:3])
        return text + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")

    what = ", ".join(over) if over else "point index"
    parts = [f"left and right must share one grid of {what}, but they differ"]
    if only_left:
        parts.append(f"only left has {show(only_left)}")
    if only_right:
        parts.append(f"only right has {show(only_right)}")
    raise InvalidArgumentError(": ".join(parts[:1]) + ": " + "; ".join(parts[1:]))


def _reduced_value(res: SolverResult, quantity: str, period: int | None, reducer, reduce_name: str,
                   side: str, j: int) -> float:
    """``quantity`` at one equilibrium, the period selected and reduced to a number."""
    if quantity == "payoff":
        values = np.asarray(res.payoffs, dtype=float)
    else:
        if quantity == "probability_safe":
            arr = np.asarray(res.probability_safe, dtype=float)
        elif quantity in ACTION_COLUMNS:
            data = res.strategies.data
            c = ACTION_COLUMNS.index(quantity)
            if c >= data.shape[2]:
                raise InvalidArgumentError(f"quantity {quantity!r} is not an action of the {side} games (point {j} has "
                                 f"the actions {ACTION_COLUMNS[:data.shape[2]]})")
            arr = data[:, :, c]
        else:
            arr = np.asarray(getattr(res, quantity), dtype=float)
        values = arr if period is None else arr[period]
    out = reducer(values)
    if isinstance(out, (bool, np.bool_)) or not isinstance(out, (numbers.Real, np.ndarray)) or np.ndim(out) != 0:
        raise InvalidTypeError(f"reduce={reduce_name} must return one real number, got {out!r}")
    return float(out)
