"""Slopes of the safe fraction a/(a + b) stay accurate at tiny safety inputs.

Differentiated as written, d/dx_s [a/(a + b)] is two terms of size alpha/x_s that cancel where
b << a; at x_s = 1e-17 their rounding error (about 1e-16 alpha/x_s) is of order one, while the
true slope of a player out of the race (x_p = 0: the fraction is 1 for every x_s > 0) is 0. The
compiler (symengine, with common subexpressions shared: the default) differentiates 1/(1 + b/a)
where a > b instead (``components.risk.safe_fraction_parts``).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynapai_sym as dp

pytest.importorskip("symengine", reason="the accurate form is built by the symengine backend")

RISKS = {"winner_only": lambda th: dp.RiskFunc.winner_only(th),
         "multiplicative": lambda th: dp.RiskFunc.multiplicative(th),
         "additive": lambda th: dp.RiskFunc.additive(th)}


def _payoff(risk: str) -> dp.PayoffFunc:
    prod = dp.ProdFunc(a=[26.3, 35.3, 10.7], alpha=[0.87, 0.27, 0.68], b=[42.6, 38.6, 44.6],
                       beta=[0.74, 0.23, 0.80])
    return dp.PayoffFunc(prod, RISKS[risk]([0.2, 1.16, 0.8]), d=[1.3, 1.8, 4.3], r=[0.25, 0.21, 0.38])


@pytest.mark.parametrize("risk", sorted(RISKS))
@pytest.mark.parametrize("xs", [1e-20, 1e-17, 1e-14, 1e-11])
def test_a_player_out_of_the_race_has_the_slope_of_its_cost_alone(risk, xs):
    """x_p = 0 (or 1e-300): the player's own safety slope is -r exactly, however small x_s."""
    pf = _payoff(risk)
    for xp in (0.0, 1e-300):
        z = np.array([0.2, 0.48, 0.12, 0.042, xs, xp])
        g, _ = pf.compiled.static(z, pf.state_vector(), pf.param_vector())
        assert g[2, 0] == pytest.approx(-0.38, rel=1e-9, abs=1e-12), (xp, g[2, 0])


@pytest.mark.parametrize("risk", sorted(RISKS))
def test_slopes_at_tiny_safety_inputs_equal_the_exact_derivative(risk):
    """Against sympy's derivative of the model as written, evaluated with 60 digits."""
    pf = _payoff(risk)
    z = np.array([0.2, 0.48, 3e-15, 1e-9, 2e-13, 4e-11])
    g, _ = pf.compiled.static(z, pf.state_vector(), pf.param_vector())
    values = {**pf.param_values, **dict(zip(pf.structure.actions, z))}
    exact = {sym: sp.Float(repr(float(v)), 60) for sym, v in values.items()}
    for i in range(3):
        u = pf.payoff_expr(i)
        for c, x in enumerate(pf.structure.actions[2 * i: 2 * i + 2]):
            want = float(sp.diff(u, x).evalf(60, subs=exact))
            assert g[i, c] == pytest.approx(want, rel=1e-7, abs=1e-9), (i, c)
