"""Comparative statics by the implicit function theorem, against finite differences of re-solves."""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym import models


def resolve_difference(make, value, h):
    lo, hi = make(value - h), make(value + h)
    a, b = lo.solve(), hi.solve()
    assert a.success and b.success
    return (b.strategies.data - a.strategies.data) / (2 * h), (b.payoffs - a.payoffs) / (2 * h), \
        (b.sigma - a.sigma) / (2 * h)


@pytest.mark.parametrize("param, value", [("r", 0.1), ("theta", 0.5), ("d", 1.0), ("a", 10.0)])
def test_static_sensitivity_matches_resolves(param, value):
    def make(v):
        kw = dict(a=10.0, theta=0.5, d=1.0, r=0.1) | {param: v}
        prod = dp.ProdFunc([kw["a"]] * 2, [0.5, 0.5], [10.0, 10.0], [0.5, 0.5])
        pf = dp.PayoffFunc(prod, dp.RiskFunc.winner_only([kw["theta"]] * 2), d=[kw["d"]] * 2, r=[kw["r"]] * 2)
        return dp.Aggregator(pf)

    agg = make(value)
    res = agg.solve()
    sens = agg.sensitivity(res, param)
    dx, dpay, dsig = resolve_difference(make, value, 1e-4 * max(1.0, value))
    np.testing.assert_allclose(sens["actions"], dx, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(sens["payoffs"], dpay, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(sens["sigma"], dsig, rtol=1e-4, atol=1e-6)
    assert "implicit function theorem" in sens["method"]


def test_multi_period_sensitivity_keeps_corners_fixed():
    def make(v):
        agg = models.invest_aggregator(2)
        pf = agg.state.beliefs[0]
        return dp.Aggregator(pf.replace(risk_func=dp.RiskFunc.winner_only([v, v])), gammas=agg.gammas)

    agg = make(0.5)
    res = agg.solve(3)
    sens = agg.sensitivity(res, "theta")
    assert np.all(sens["actions"][-1, :, 2:] == 0.0)  # last-period investment stays exactly 0
    dx, _, _ = resolve_difference(lambda v: _T3(make(v)), 0.5, 1e-4)
    np.testing.assert_allclose(sens["actions"], dx, rtol=1e-3, atol=1e-5)


class _T3:
    def __init__(self, agg):
        self.agg = agg

    def solve(self):
        return self.agg.solve(3)


def test_sensitivity_rejects_unknown_parameters_and_failures():
    agg = dp.Aggregator(models.readme_payoff())
    res = agg.solve()
    with pytest.raises(ValueError, match="unknown parameter"):
        agg.sensitivity(res, "nonsense")
    res.success = False
    with pytest.raises(ValueError, match="certified"):
        agg.sensitivity(res, "r")


def test_scenario_sensitivity_matches_differences_along_the_grid():
    r = np.linspace(0.0899, 0.0901, 3)
    res = dp.Scenario.from_params(n=2, r=r, varying="r").solve()
    sens = res.sensitivity("r")
    assert len(sens) == 3 and all(s is not None for s in sens)
    xs = np.array([p.strategies.data[0, 0, 0] for p in res.results])
    slope = (xs[2] - xs[0]) / (r[2] - r[0])
    assert sens[1]["actions"][0, 0, 0] == pytest.approx(slope, rel=1e-5)


def test_sensitivity_in_a_written_components_parameter_matches_differences_along_the_grid():
    """A parameter the user introduced (``params={"k": ...}``, one value per player: k1, k2) is
    differentiated like a built-in one: every player's value moves together."""
    k = np.linspace(1.4999, 1.5001, 3)
    production = {"s": "A * x_s**alpha * p**(-theta) * k", "p": "B * x_p**beta"}
    res = dp.Scenario.from_params(n=2, production=production, params={"k": k}, varying="k").solve()
    sens = res.sensitivity("k")
    assert all(s is not None for s in sens)
    slope = (res[2].strategies.data - res[0].strategies.data) / (k[2] - k[0])
    np.testing.assert_allclose(sens[1]["actions"], slope, rtol=1e-5, atol=1e-8)
    assert np.abs(sens[1]["actions"]).max() > 1e-3  # k matters: the comparison is not between zeros
