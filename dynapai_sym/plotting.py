"""Plots of equilibria and scenarios (matplotlib).

:func:`plot` draws

* a :class:`~dynapai_sym.solvers.SolverResult` or :class:`~dynapai_sym.model.Strategies`:
  one panel per action variable over time (x axis = period), one line per player, as the
  dynapai engine's ``plot``;
* a :class:`~dynapai_sym.scenario.ScenarioResult`: panels of the actions, s, p, the
  probability of a safe outcome :math:`\\sigma` and the payoff against the varying parameter
  (values of one period, the first by default), one line per player (players numbered from
  1), and, if a second parameter varies, one series per value of it, coloured by that value
  with a colour bar (players then differ by line style). Legends sit outside the panels. A
  sweep solved with ``planner=True`` also shows the planner's values as dashed lines beside the
  equilibrium's (solid), and two more panels: welfare and the probability of no disaster, Nash
  against planner.

Figures are built without pyplot (so nothing is shown and no global figure is kept) unless
``show=True``; they work with any backend, including ``Agg``.
"""

from __future__ import annotations

import numpy as np

from ._figures import new_figure
from .errors import InvalidArgumentError, InvalidTypeError
from .model import Strategies
from .scenario import ScenarioResult
from .solvers import SolverResult

__all__ = ["plot"]

_ACTION_LABELS = {
    "x_s": r"$x_s$ (safety input)",
    "x_p": r"$x_p$ (performance input)",
    "i_s": r"$i_s$ (safety investment)",
    "i_p": r"$i_p$ (performance investment)",
    "sh_s": r"$sh_s$ (safety sharing)",
    "sh_p": r"$sh_p$ (performance sharing)",
}
_QUANTITY_LABELS = {
    "s": r"$s$ (safety)",
    "p": r"$p$ (performance)",
    "sigma": r"$\sigma$ (P(safe | player wins))",
    "payoff": r"payoff $U_i$",
}
_LINESTYLES = ("-", "--", ":", "-.")


def plot(obj, title: str | None = None, logscale: bool = False, show: bool = False, *, period: int = 0):
    """Plot an equilibrium's strategies or a scenario's results.

    Parameters
    ----------
    obj : SolverResult, Strategies or ScenarioResult
        What to plot (see the module docstring).
    title : str, optional
        Title of the figure.
    logscale : bool
        Logarithmic y axes for the actions (and, for scenarios, s and p); panels without
        positive values stay linear.
    show : bool
        Also show the figure with ``matplotlib.pyplot.show``.
    period : int
        Scenarios only: which period's values to plot (default the first, 0).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``obj`` is none of the above, or a flag is not a bool.
    ValueError
        If ``period`` is outside the scenario's horizon.

    Notes
    -----
    In scenario plots, points that are not certified equilibria (failed solves, no pure
    equilibrium, not converged) are left out, and the figure says how many there are.
    """
    for name, flag in (("logscale", logscale), ("show", show)):
        if not isinstance(flag, (bool, np.bool_)):
            raise InvalidTypeError(f"{name} must be True or False, got {flag!r}")
    if title is not None and not isinstance(title, str):
        raise InvalidTypeError(f"title must be a string, got {type(title).__name__}")
    if isinstance(obj, SolverResult):
        fig = _plot_strategies(obj.strategies.data, title, logscale, show)
    elif isinstance(obj, Strategies):
        fig = _plot_strategies(obj.data, title, logscale, show)
    elif isinstance(obj, ScenarioResult):
        fig = _plot_scenario(obj, title, logscale, show, period)
    else:
        raise InvalidTypeError(f"obj must be a SolverResult, Strategies or ScenarioResult, got {type(obj).__name__}")
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return fig


def _log_if_positive(ax, values) -> None:
    values = np.asarray(values, dtype=float)
    if np.any(np.isfinite(values) & (values > 0)):
        ax.set_yscale("log")


def _plot_strategies(data: np.ndarray, title, logscale: bool, show: bool):
    from matplotlib.ticker import MaxNLocator

    T, n, k = data.shape
    names = list(_ACTION_LABELS)[:k]
    fig, axes = new_figure(k, 2 if k <= 4 else 3, show)
    periods = np.arange(T)
    for c, (ax, name) in enumerate(zip(axes, names)):
        for i in range(n):
            ax.plot(periods, data[:, i, c], marker="o", label=f"player {i + 1}")
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_title(_ACTION_LABELS[name])
        ax.set_xlabel("period")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if logscale:
            _log_if_positive(ax, data[:, :, c])
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize="small", loc="outside lower center",
               ncols=min(n, 6))  # outside the panels, so that it never covers data
    if title is not None:
        fig.suptitle(title)
    return fig


def _plot_scenario(res, title, logscale: bool, show: bool, period):
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)):
        raise InvalidTypeError(f"period must be an integer, got {period!r}")
    if not 0 <= period < res.t:
        raise InvalidArgumentError(f"period must be in 0..{res.t - 1} (the scenario has t={res.t}), got {period}")
    df = res.to_dataframe()
    df = df[df["period"] == period]
    actions = [c for c in _ACTION_LABELS if c in df.columns]
    panels = actions + list(_QUANTITY_LABELS)
    with_planner = "planner_payoff" in df.columns
    if with_planner:
        panels += list(_GAP_PANELS)
    fig, axes = new_figure(len(panels), -(-len(panels) // 2), show)

    xname = res.varying[0] if res.varying else "point"
    second = res.varying[1] if len(res.varying) > 1 else None
    m1 = res.shape[0] if second is not None else len(res)
    point = df["point"].to_numpy()
    player = df["player"].to_numpy()  # 1-based, as readers number players
    series = point // m1 if second is not None else np.zeros(len(df), dtype=int)
    n_series = int(series.max()) + 1 if len(series) else 0
    players = sorted(set(player.tolist()))
    ok = df["success"].to_numpy(dtype=bool)
    colour_of = None
    if second is not None:
        from matplotlib import colormaps
        from matplotlib.colors import Normalize

        v2 = df[second].to_numpy(dtype=float)
        norm = Normalize(float(np.nanmin(v2)), float(np.nanmax(v2)) if np.nanmax(v2) > np.nanmin(v2)
                         else float(np.nanmin(v2)) + 1.0)
        cmap = colormaps["viridis"]

        def colour_of(value):
            return cmap(norm(value))

    for ax, name in zip(axes, panels):
        if name in _GAP_PANELS:
            _plot_gap_panel(ax, df, name, xname, second)
            continue
        values = df[name].to_numpy(dtype=float).copy()
        values[~ok] = np.nan
        for j in range(n_series):
            for i in players:
                mask = (series == j) & (player == i)
                x = df.loc[mask, xname].to_numpy(dtype=float)
                y = values[mask]
                if second is None:
                    style = dict(color=f"C{(i - 1) % 10}", linestyle="-", label=f"player {i}")
                else:
                    value = df.loc[mask, second].to_numpy(dtype=float)
                    style = dict(color=colour_of(value[0]) if len(value) else "k",
                                 linestyle=_LINESTYLES[(i - 1) % len(_LINESTYLES)],
                                 label=f"player {i}, {second}={value[0]:.4g}" if len(value) else f"player {i}")
                ax.plot(x, y, marker="." if len(x) > 1 else "o", **style)
                if with_planner and second is None:
                    _plot_planner_line(ax, df, name, mask, x, i)
        ax.ticklabel_format(axis="y", useOffset=False)
        ax.set_title(_ACTION_LABELS.get(name) or _QUANTITY_LABELS[name])
        ax.set_xlabel(xname)
        if logscale and name in (*actions, "s", "p"):
            _log_if_positive(ax, values)
    if second is None:
        handles, labels = axes[0].get_legend_handles_labels()
    else:  # players by line style in the legend, the second parameter by colour on a colour bar
        from matplotlib.cm import ScalarMappable
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color="0.3", linestyle=_LINESTYLES[(i - 1) % len(_LINESTYLES)])
                   for i in players]
        labels = [f"player {i}" for i in players]
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes, location="right", shrink=0.6,
                           aspect=30)
        bar.set_label(second)
    # outside the panels, so that it never covers data
    fig.legend(handles, labels, fontsize="small", loc="outside lower center", ncols=min(len(labels), 6))
    failed = int(np.sum(~res.success))
    heading = title if title is not None else ""
    if res.t > 1:
        heading = f"{heading} (period {period})".strip()
    if failed:
        heading = f"{heading}\n{failed} of {len(res)} points not certified (not shown)".strip()
    if heading:
        fig.suptitle(heading)
    return fig


_PLANNER_NAMES = {"payoff": "planner_payoff"}
_GAP_PANELS = {
    "welfare": ("welfare_nash", "welfare_planner", r"welfare $W = \sum_i U_i$"),
    "no_disaster": ("safety_nash", "safety_planner", "P(no disaster)"),
}


def _plot_planner_line(ax, df, name: str, mask, x, i: int) -> None:
    """The planner's values of ``name`` for player ``i`` (1-based), dashed beside the equilibrium's."""
    column = _PLANNER_NAMES.get(name, f"planner_{name}")
    if column not in df.columns:
        return
    y = df.loc[mask, column].to_numpy(dtype=float).copy()
    y[~df.loc[mask, "planner_success"].to_numpy(dtype=bool)] = np.nan  # only certified optima
    ax.plot(x, y, marker="." if len(x) > 1 else "o", color=f"C{(i - 1) % 10}", linestyle="--",
            label=f"player {i}, planner")


def _plot_gap_panel(ax, df, name: str, xname: str, second) -> None:
    """Welfare or the probability of no disaster per point: equilibrium (solid) and planner (dashed)."""
    nash_col, plan_col, label = _GAP_PANELS[name]
    first = df.drop_duplicates("point")
    groups = [first] if second is None else [g for _, g in first.groupby(second, sort=True)]
    for j, g in enumerate(groups):
        x = g[xname].to_numpy(dtype=float)
        nash = g[nash_col].to_numpy(dtype=float).copy()
        nash[~g["success"].to_numpy(dtype=bool)] = np.nan
        plan = g[plan_col].to_numpy(dtype=float).copy()
        plan[~g["planner_success"].to_numpy(dtype=bool)] = np.nan
        suffix = "" if second is None else f", {second}={g[second].iloc[0]:.4g}"
        ax.plot(x, nash, marker=".", color=f"C{j % 10}", linestyle="-", label=f"Nash{suffix}")
        ax.plot(x, plan, marker=".", color=f"C{j % 10}", linestyle="--", label=f"planner{suffix}")
    ax.set_title(label)
    ax.set_xlabel(xname)
    ax.legend(fontsize="x-small")
