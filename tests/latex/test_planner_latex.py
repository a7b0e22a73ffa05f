"""The planner's conditions and the infinite-horizon objective in the LaTeX export."""

from __future__ import annotations

import numpy as np
import sympy as sp

from dynapai_sym import models


def test_planner_focs_add_every_players_slope():
    pf = models.basic_aggregator(3, end_on_win=True).state.beliefs[0]
    F = pf.planner_focs()
    assert F.shape == (3, 2)
    x = pf.action_symbols
    for j in range(3):
        for c in range(2):
            assert sp.simplify(F[j, c] - sum(sp.diff(u, x[j][c]) for u in pf.payoff_expr())) == 0
    # numerically: the planner's condition at a profile equals finite differences of sum_i u_i
    subs = dict(pf.param_values)
    point = np.array([0.4, 0.3, 0.5, 0.2, 0.6, 0.7])
    subs.update(dict(zip(pf.structure.actions, point)))
    eps = 1e-6
    for idx in range(6):
        up, down = point.copy(), point.copy()
        up[idx] += eps
        down[idx] -= eps
        fd = (pf(up.reshape(3, 2)).sum() - pf(down.reshape(3, 2)).sum()) / (2 * eps)
        assert abs(float(F[idx // 2, idx % 2].subs(subs)) - fd) < 1e-8
    weighted = pf.planner_focs(weights=[2.0, 1.0, 1.0])
    assert sp.simplify(weighted[0, 0] - F[0, 0] - sp.diff(pf.payoff_expr(0), x[0][0])) == 0
    assert pf.planner_jacobian().shape == (6, 6)
    assert len(pf.planner_kkt().conditions()) == 6


def test_latex_has_planner_and_stationary_sections():
    agg = models.basic_aggregator(2, end_on_win=True)
    tex = agg.to_latex()
    assert "Planner's first-order (KKT) conditions" in tex
    assert r"\frac{\partial W}{\partial x_{s,1}}" in tex
    assert "Infinite horizon (stationary play)" in tex
    assert r"\frac{u_i}{1 - \gamma_i \big(1 - \sum_j q_j\big)}" in tex
    section = tex[tex.index("Infinite horizon"):]
    assert "U_{1} &=" in section and r"\gamma_{1}" in section
    # investment moves the state: no stationary section
    assert "Infinite horizon" not in models.invest_aggregator(2).to_latex()
    pf = models.readme_payoff()
    assert "Planner's first-order (KKT) conditions" in pf.to_latex()
