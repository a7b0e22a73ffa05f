"""Sweeps of any model (Scenario.from_payoff), PayoffFunc.replace/with_values, and defaults that
match the README model."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynapai_sym as dp
from dynapai_sym import models


def _custom_risk_payoff() -> dp.PayoffFunc:
    """Risk given by a user expression with its own parameter L (geometric-mean safety)."""
    L = sp.Symbol("L", positive=True)

    def sigma(s, p):
        g = sp.sqrt(s[0] * s[1])
        return [L * g / (1 + L * g)] * 2

    risk = dp.RiskFunc.custom(0.5, sigma, params={"L": 1.0}, n=2)
    return dp.PayoffFunc(dp.ProdFunc(a=10.0, alpha=0.5, b=10.0, beta=0.5, n=2), risk, d=1.0, r=0.1)


def test_from_payoff_points_equal_models_built_by_hand():
    base = models.readme_payoff()
    sc = dp.Scenario.from_payoff(base, r=[0.05, 0.1], theta=[0.25, 0.5, 0.75])
    assert sc.shape == (2, 3) and sc.varying == ("r", "theta")
    res = sc.solve()
    assert res.success.all()
    acts = dp.Actions.from_inputs([1.0, 0.5], [2.0, 1.5])
    for point, agg in zip(sc.points, sc.aggregators):
        by_hand = models.readme_payoff(theta=point["theta"][0], r=point["r"][0])
        np.testing.assert_array_equal(agg.state.beliefs[0](acts), by_hand(acts))
    # the README point (r = 0.1, theta = 0.5) is the README model's own equilibrium
    own = dp.Aggregator(base).solve()
    np.testing.assert_allclose(res[3].strategies.data, own.strategies.data, rtol=1e-9)


def test_from_payoff_sweeps_a_custom_component_parameter_and_a_single_symbol():
    pf = _custom_risk_payoff()
    res = dp.Scenario.from_payoff(pf, L=[1.5, 2.0, 3.0]).solve()
    assert res.varying == ("L",) and len(res) == 3
    assert all(r.success for r in res)
    # more effective safety (larger L) gives a higher probability of a safe outcome
    sigmas = [r.sigma[0, 0] for r in res]
    assert sigmas[0] < sigmas[1] < sigmas[2]
    one = dp.Scenario.from_payoff(pf, r1=[0.05, 0.2])
    assert [agg.state.beliefs[0].cost_func.values["r"].tolist() for agg in one.aggregators] == [[0.05, 0.1],
                                                                                                 [0.2, 0.1]]


def test_from_payoff_takes_an_aggregator_and_varies_gammas_or_per_player_rows():
    agg = models.invest_aggregator(2, end_on_win=True)
    sc = dp.Scenario.from_payoff(agg, t=2, r_inv=[[0.01, 0.02], [0.02, 0.01]])
    assert all(a.end_on_win for a in sc.aggregators)
    assert sc.aggregators[0].state.beliefs[0].cost_func.values["rinv"].tolist() == [0.01, 0.02]
    g = dp.Scenario.from_payoff(agg, t=2, gammas=[0.5, 0.9])
    assert [a.gammas.tolist() for a in g.aggregators] == [[0.5, 0.5], [0.9, 0.9]]


def test_from_payoff_errors_name_the_argument():
    pf = models.readme_payoff()
    with pytest.raises(ValueError, match="no parameter 'rho'"):
        dp.Scenario.from_payoff(pf, rho=[1.0, 2.0])
    with pytest.raises(ValueError, match="one or two ranges"):
        dp.Scenario.from_payoff(pf)
    with pytest.raises(ValueError, match="r is varying"):
        dp.Scenario.from_payoff(pf, r=0.1)
    with pytest.raises(TypeError, match="^r must hold numbers"):
        dp.Scenario.from_payoff(pf, r=["0.1", 0.2])
    with pytest.raises(TypeError, match="model must be"):
        dp.Scenario.from_payoff("readme", r=[0.1])
    with pytest.raises(ValueError, match="theta must be non-negative"):
        dp.Scenario.from_payoff(pf, theta=[0.5, -1.0])


def test_replace_accepts_every_constructor_argument():
    pf = models.invest_aggregator().state.beliefs[0]
    cheaper = pf.replace(r=0.05)
    assert cheaper.cost_func.values["r"].tolist() == [0.05, 0.05]
    assert cheaper.cost_func.values["rinv"].tolist() == [0.01, 0.01]  # kept
    assert pf.replace(r_inv=[0.02, 0.03]).cost_func.values["rinv"].tolist() == [0.02, 0.03]
    assert pf.replace(d=2.0).d.tolist() == [2.0, 2.0]
    assert pf.replace(disaster="complement").disaster == "complement"
    sharing = models.sharing_aggregator().state.beliefs[0]
    assert sharing.replace(share_map="exp").share_map == "exp"
    assert sharing.replace(r_share=0.0).cost_func.values["rshare"].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="unknown arguments"):
        pf.replace(rr=0.1)
    with pytest.raises(ValueError, match="not both"):
        pf.replace(r=0.1, cost_func=dp.CostFunc.fixed(0.1))


def test_with_values_changes_only_what_is_named():
    pf = models.readme_payoff()
    moved = pf.with_values(a=[12.0, 8.0], d=2.0)
    assert moved.prod_func.a.tolist() == [12.0, 8.0] and moved.d.tolist() == [2.0, 2.0]
    assert moved.prod_func.b.tolist() == [10.0, 10.0] and moved.risk_func.theta.tolist() == [0.5, 0.5]
    assert not moved.is_symmetric() and pf.is_symmetric()
    with pytest.raises(ValueError, match="2 entries"):
        pf.with_values(a=[1.0, 2.0, 3.0])


def test_from_params_defaults_are_the_readme_model():
    sc = dp.Scenario.from_params(r=[0.1], varying="r")
    acts = dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0])
    np.testing.assert_array_equal(sc.aggregators[0].state.beliefs[0](acts), models.readme_payoff()(acts))


def test_model_zoo_constructors_take_every_parameter():
    agg = models.invest_aggregator(3, a=[10.0, 11.0, 12.0], alpha=0.4, b=2.0, beta=0.6, theta=0.3, d=1.5,
                                   r=0.2, r_inv=0.02, gammas=0.8, scale=2.0)
    pf = agg.state.beliefs[0]
    assert pf.prod_func.a.tolist() == [10.0, 11.0, 12.0] and pf.prod_func.alpha.tolist() == [0.4] * 3
    assert pf.prod_func.b.tolist() == [2.0] * 3 and pf.risk_func.theta.tolist() == [0.3] * 3
    assert pf.d.tolist() == [1.5] * 3 and pf.cost_func.values["rinv"].tolist() == [0.02] * 3
    assert pf.csf.scale == 2.0 and agg.gammas.tolist() == [0.8] * 3
    basic = models.basic_aggregator(2, r=0.2, risk="multiplicative", w=[1.0, 2.0])
    assert basic.state.beliefs[0].risk_func.w.tolist() == [1.0, 2.0]
    assert models.readme_payoff(csf="maybe_no_win", scale=0.5).csf.scale == 0.5
    share = models.sharing_aggregator(2, r_share=0.01, a=[10.0, 12.0])
    assert share.state.beliefs[0].cost_func.values["rshare"].tolist() == [0.01, 0.01]
    with pytest.raises(ValueError, match="risk must be"):
        models.readme_payoff(risk="cubic")
