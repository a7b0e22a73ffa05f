"""A grid's models built on first use, and its parameter table (scenario/points.py)."""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym import models
from dynapai_sym.scenario.points import PointModels, grid_table


def _assert_table_matches_models(sc):
    """Every point's row of the table holds what its own model (built now) holds."""
    pm = sc.aggregators
    assert isinstance(pm, PointModels) and pm.table is not None
    tb = pm.table
    for j in range(len(pm)):
        agg = pm[j]
        pf = agg.state.beliefs[0]
        np.testing.assert_array_equal(tb.theta[j], pf.param_vector())
        np.testing.assert_array_equal(tb.y0[j], pf.state_vector())
        game = agg.game(1)
        np.testing.assert_array_equal(tb.gammas[j], game.gammas)
        assert bool(tb.symmetric[j]) == game.symmetric


@pytest.mark.parametrize("kwargs", [
    dict(r=np.linspace(0.05, 0.2, 4), varying="r", theta=np.linspace(0.2, 0.9, 3), varying2="theta"),
    # the states A, B of an investment model, and discount factors
    dict(r_inv=0.02, a=np.linspace(5, 15, 3), varying="a", b=np.linspace(2, 9, 4), varying2="b", gammas=0.9),
    dict(r_inv=0.02, r=np.linspace(0.05, 0.2, 3), varying="r", gammas=np.linspace(0.8, 0.95, 4), varying2="gammas"),
    # per-player ranges: some points symmetric, others not
    dict(r=np.array([[0.1, 0.1], [0.1, 0.2], [0.2, 0.2]]), varying="r",
         d=np.array([[1.0, 1.0], [1.0, 2.0]]), varying2="d"),
    dict(risk="multiplicative", w=np.linspace(0.2, 1.0, 3), varying="w", alpha=np.linspace(0.3, 0.7, 3),
         varying2="alpha"),
    dict(n=3, beta=np.linspace(0.3, 0.7, 5), varying="beta"),
])
def test_table_rows_equal_each_points_own_model(kwargs):
    kwargs = {"n": 2} | kwargs
    sc = dp.Scenario.from_params(**kwargs)
    m1, m2 = sc.shape if len(sc.shape) == 2 else (sc.shape[0], 1)
    assert len(sc.aggregators.built()) == m1 + m2 - 1  # only the points along the axes (all on one axis)
    _assert_table_matches_models(sc)


def test_from_payoff_grid_has_a_table_also_with_a_group_and_one_of_its_symbols():
    pf = models.readme_payoff()
    _assert_table_matches_models(dp.Scenario.from_payoff(pf, r=np.linspace(0.05, 0.2, 4), theta=[0.25, 0.5, 0.75]))
    # r moves r1 and r2, then r1 is set again: r1 moves along the second axis only, r2 along the first
    both = dp.Scenario.from_payoff(pf, r=np.linspace(0.05, 0.2, 3), r1=[0.1, 0.3])
    _assert_table_matches_models(both)
    assert both.aggregators[4].state.beliefs[0].cost_func.values["r"].tolist() == [0.3, 0.125]


def test_no_table_when_an_entry_moves_along_both_axes_or_the_structure_differs():
    pf = models.readme_payoff()
    agg = dp.Aggregator
    # a 2 x 2 grid whose point (0, 1) moves r, which the first axis moves too
    built = {0: agg(pf.with_values(r=0.1)), 1: agg(pf.with_values(r=0.2)), 2: agg(pf.with_values(r=0.3))}
    assert grid_table(built, 2, 2) is None
    other = pf.replace(risk_func=dp.RiskFunc.multiplicative(theta=0.5, n=2))
    assert grid_table({0: agg(pf), 1: agg(other)}, 2, 1) is None
    assert grid_table({0: agg(pf), 1: agg(pf.with_values(r=0.2))}, 2, 1) is not None


def test_bad_value_on_an_axis_is_reported_when_the_grid_is_made():
    with pytest.raises(ValueError, match=r"grid point 2 \(r=-0\.1, theta=0\.5\)"):
        dp.Scenario.from_params(r=[0.1, 0.2, -0.1], varying="r", theta=[0.5, 0.6], varying2="theta")
    with pytest.raises(ValueError, match=r"grid point 3 \(r=0\.1, theta=-1\)"):
        dp.Scenario.from_params(r=[0.1, 0.2, 0.3], varying="r", theta=[0.5, -1.0], varying2="theta")


def test_batched_sweep_builds_no_model_and_equals_the_built_one():
    grid = dict(r=np.linspace(0.02, 0.15, 9), varying="r", theta=np.linspace(0.2, 1.0, 7), varying2="theta")
    fast = dp.Scenario.from_params(**grid)
    res = fast.solve()
    assert len(fast.aggregators.built()) == 9 + 7 - 1  # solved from the table
    eager = dp.Scenario.from_params(**grid)
    for j in range(len(eager.aggregators)):  # every model built: the points go through their own games
        eager.aggregators[j] = eager.aggregators[j]
    ref = eager.solve()
    assert res.success.all()
    for a, b in zip(res.results, ref.results):
        np.testing.assert_array_equal(a.strategies.data, b.strategies.data)
        np.testing.assert_array_equal(a.payoffs, b.payoffs)
        assert a.status == b.status and a.symmetric == b.symmetric and a.evaluations == b.evaluations
    assert res.to_dataframe().equals(ref.to_dataframe().assign(seconds=res.to_dataframe()["seconds"]))


def test_point_models_behave_as_a_list():
    sc = dp.Scenario.from_params(r=np.linspace(0.05, 0.2, 4), varying="r", theta=[0.3, 0.6], varying2="theta")
    pm = sc.aggregators
    assert len(pm) == 8 and pm[-1] is pm[7] and len(pm[2:5]) == 3
    assert len(pm + pm[:1]) == 9 and len(pm[:1] + pm) == 9
    assert all(isinstance(a, dp.Aggregator) for a in pm)
    with pytest.raises(IndexError):
        pm[8]
    with pytest.raises(TypeError, match="must be an Aggregator"):
        pm[0] = "model"


def test_scenario_pickles_with_its_models_and_solves_alike():
    import pickle

    sc = dp.Scenario.from_params(r=np.linspace(0.05, 0.2, 3), varying="r", theta=[0.3, 0.6], varying2="theta")
    again = pickle.loads(pickle.dumps(sc))
    assert len(again.aggregators.built()) == 6 and again.aggregators.table is not None
    a, b = sc.solve(), again.solve()
    for ra, rb in zip(a.results, b.results):
        np.testing.assert_array_equal(ra.strategies.data, rb.strategies.data)


def test_batched_quantities_failing_leaves_each_point_its_own_numbers(monkeypatch):
    """When the batch cannot evaluate the quantities, each result evaluates its own: with its own
    parameters, not those of the grid's first point."""
    from dynapai_sym.numeric import StaticBatch

    def failing(self, X, idx=None):
        raise FloatingPointError("no batch quantities")

    grid = dict(r=np.linspace(0.05, 0.2, 4), varying="r", theta=[0.3, 0.6], varying2="theta")
    monkeypatch.setattr(StaticBatch, "quantities", failing)
    res = dp.Scenario.from_params(**grid).solve()
    monkeypatch.undo()
    ref = dp.Scenario.from_params(**grid).solve()
    for a, b in zip(res.results, ref.results):
        np.testing.assert_allclose(a.payoffs, b.payoffs, rtol=1e-12)
        np.testing.assert_allclose(a.sigma, b.sigma, rtol=1e-12)
