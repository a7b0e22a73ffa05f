r"""The planner's columns of a sweep: what coordination would buy at every point.

``Scenario.solve(..., planner=True)`` solves, after the Nash equilibria, the planner's problem
at every point (:meth:`Aggregator.solve_planner`, started from that point's equilibrium) and
the welfare gap (:class:`~dynapai_sym.game.welfare.WelfareGap`). The table of
:meth:`ScenarioResult.to_dataframe` then has, besides the Nash columns:

* ``planner_<column>`` for every action column, ``planner_s``, ``planner_p``,
  ``planner_sigma``, ``planner_q``, ``planner_payoff`` (the player's :math:`U_i` at the
  planner's profile), ``planner_success``, ``planner_status``;
* per point: ``welfare_nash``, ``welfare_planner``, ``price_of_anarchy``,
  ``welfare_difference``, ``safety_nash``, ``safety_planner``, ``safety_gap``; per player
  ``payoff_change`` (planner minus Nash).

Points whose Nash solve raised, and any planner solve that raises, leave NaN there.
"""

from __future__ import annotations

import numpy as np

from ..names import ACTION_COLUMNS
from ..solvers import SolverResult

__all__ = ["solve_planners", "planner_columns", "GAP_COLUMNS"]

#: Per-point measures added to the table.
GAP_COLUMNS = ("welfare_nash", "welfare_planner", "price_of_anarchy", "welfare_difference",
               "safety_nash", "safety_planner", "safety_gap")


def solve_planners(aggregators: list, results: list, t: int, weights, options) -> tuple[list, list]:
    """The planner's result and the welfare gap at every point (None where they cannot be had)."""
    planners, gaps = [], []
    for agg, nash in zip(aggregators, results):
        init = nash if isinstance(nash, SolverResult) else None
        try:
            plan = agg.solve_planner(t, weights=weights, init=init, options=options)
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            planners.append(None)
            gaps.append(None)
            continue
        planners.append(plan)
        gaps.append(agg.gap_of(nash, plan) if isinstance(nash, SolverResult) else None)
    return planners, gaps


def planner_columns(columns: dict, planners: list, gaps: list, rows: list[tuple[int, int, int]],
                    k_max: int) -> None:
    """Add the planner's columns (module docstring) to ``columns``, one value per table row.

    ``rows`` holds each table row's (point, player, period).
    """
    action_cols = list(ACTION_COLUMNS[:k_max])
    names = [f"planner_{c}" for c in action_cols] + ["planner_s", "planner_p", "planner_sigma", "planner_q",
                                                     "planner_payoff", "planner_success", "planner_status",
                                                     *GAP_COLUMNS, "payoff_change"]
    for name in names:
        columns[name] = []
    for j, i, tt in rows:
        plan, gap = planners[j], gaps[j]
        for c, col in enumerate(action_cols):
            ok = plan is not None and c < plan.strategies.data.shape[2]
            columns[f"planner_{col}"].append(float(plan.strategies.data[tt, i, c]) if ok else np.nan)
        for key in ("s", "p", "sigma", "q"):
            columns[f"planner_{key}"].append(float(getattr(plan, key)[tt, i]) if plan is not None else np.nan)
        columns["planner_payoff"].append(float(plan.payoffs[i]) if plan is not None else np.nan)
        columns["planner_success"].append(bool(plan.success) if plan is not None else False)
        columns["planner_status"].append(str(plan.status) if plan is not None else "error")
        for key in GAP_COLUMNS:
            columns[key].append(float(getattr(gap, key)) if gap is not None else np.nan)
        columns["payoff_change"].append(float(gap.payoff_change[i]) if gap is not None else np.nan)
