"""Sweeps with the planner's columns, and their plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym.errors import InvalidArgumentError, InvalidTypeError


@pytest.fixture(scope="module")
def sweep():
    return dp.Scenario.from_params(n=2, r=np.linspace(0.05, 0.15, 3), varying="r",
                                   csf="maybe_no_win").solve(planner=True)


def test_planner_columns_match_point_by_point_solves(sweep):
    df = sweep.to_dataframe()
    for col in ("planner_x_s", "planner_x_p", "planner_payoff", "planner_status", "price_of_anarchy",
                "safety_gap", "welfare_nash", "welfare_planner", "payoff_change"):
        assert col in df.columns
    assert df["planner_success"].all()
    for j, agg in enumerate(sweep.aggregators):
        gap = agg.welfare_gap()
        rows = df[df["point"] == j]
        assert rows["welfare_planner"].iloc[0] == pytest.approx(gap.welfare_planner, rel=1e-9)
        assert rows["price_of_anarchy"].iloc[0] == pytest.approx(gap.price_of_anarchy, rel=1e-9, nan_ok=True)
        assert rows["safety_gap"].iloc[0] == pytest.approx(gap.safety_gap, rel=1e-9, abs=1e-12)
        assert rows["welfare_planner"].iloc[0] >= rows["welfare_nash"].iloc[0]
        assert np.allclose(np.sort(rows["planner_payoff"].to_numpy()), np.sort(gap.planner.payoffs), rtol=1e-9)
    # the sum of planner payoffs is the planner's welfare (weights 1)
    sums = df.groupby("point")["planner_payoff"].sum().to_numpy()
    assert np.allclose(sums, df.groupby("point")["welfare_planner"].first().to_numpy())


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".nc"])
def test_planner_table_saves_and_loads(sweep, tmp_path, ext):
    path = sweep.save(tmp_path / f"sweep{ext}")
    back = dp.ScenarioResult.load(path, as_table=True)
    df = sweep.to_dataframe()
    assert list(back.columns) == list(df.columns)
    assert np.allclose(back["safety_gap"].to_numpy(), df["safety_gap"].to_numpy())
    assert (back["planner_status"] == df["planner_status"]).all()


def test_plot_draws_nash_and_planner_side_by_side(sweep):
    fig = dp.plot(sweep)
    titles = [ax.get_title() for ax in fig.axes]
    assert "P(no disaster)" in titles and any("welfare" in t for t in titles)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "player 0, planner" in labels or "player 1, planner" in labels
    gap_ax = fig.axes[titles.index("P(no disaster)")]
    nash, plan = gap_ax.get_lines()[:2]
    assert np.all(plan.get_ydata() > nash.get_ydata())  # the planner is safer at every r here


def test_bad_planner_arguments_of_a_sweep():
    sc = dp.Scenario.from_params(n=2, r=np.linspace(0.05, 0.15, 2), varying="r", csf="maybe_no_win")
    with pytest.raises(InvalidTypeError, match="planner"):
        sc.solve(planner="yes")
    with pytest.raises(InvalidArgumentError, match="weights"):
        sc.solve(planner=True, weights=[1.0, -1.0])
