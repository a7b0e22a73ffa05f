"""Plots of strategies and scenarios render with the Agg backend and show the right data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dynapai_sym as dp  # noqa: E402
from conftest import replacing_solve  # noqa: E402
from dynapai_sym import models  # noqa: E402
from dynapai_sym.plotting import plot  # noqa: E402
from dynapai_sym.scenario import Scenario  # noqa: E402


def _suptitle(fig) -> str:
    text = fig.get_suptitle() if hasattr(fig, "get_suptitle") else fig._suptitle.get_text()  # matplotlib < 3.8
    return text or ""


def _is_png(path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def basic_t3():
    res = models.basic_aggregator(2).solve(3)
    assert res.success
    return res


@pytest.fixture(scope="module")
def r_sweep():
    return Scenario.from_params(r=np.linspace(0.02, 0.2, 5), varying="r", theta=[0.2, 0.6]).solve()


def test_solver_result_plot_has_one_panel_per_action_and_one_line_per_player(basic_t3, tmp_path):
    fig = plot(basic_t3, title="basic, T=3")
    assert len(fig.axes) == 2
    data = basic_t3.strategies.data
    for c, ax in enumerate(fig.axes):
        assert len(ax.lines) == 2
        for i, line in enumerate(ax.lines):
            np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2])
            np.testing.assert_allclose(line.get_ydata(), data[:, i, c])
    assert _suptitle(fig) == "basic, T=3"
    # the legend sits outside the panels, so it covers no data; players are numbered from 1
    assert all(ax.get_legend() is None for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["player 1", "player 2"]
    path = tmp_path / "strategies.png"
    fig.savefig(path)
    assert _is_png(path)
    assert plt.get_fignums() == []  # nothing left in pyplot's state when show=False


def test_strategies_plot_with_investment_and_logscale(tmp_path):
    res = models.invest_aggregator(3).solve(2)
    fig = plot(res.strategies, logscale=True)
    assert len(fig.axes) == 4
    assert all(len(ax.lines) == 3 for ax in fig.axes)
    assert fig.axes[0].get_yscale() == "log"
    fig.savefig(tmp_path / "invest.png")
    assert _is_png(tmp_path / "invest.png")


def test_scenario_plot_panels_lines_and_data(r_sweep, tmp_path):
    fig = plot(r_sweep, title="price sweep")
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 6
    for key in ("x_s", "x_p", "$s$", "$p$", "sigma", "payoff"):
        assert any(key in t for t in titles), key
    assert all(len(ax.lines) == 2 for ax in fig.axes)  # one per player
    assert fig.axes[0].get_xlabel() == "r"
    df = r_sweep.to_dataframe()
    for i, line in enumerate(fig.axes[0].lines):  # x_s of player i (0-based) against r
        assert line.get_label() == f"player {i + 1}"  # players read 1-based
        rows = df[df.player == i + 1]
        np.testing.assert_allclose(line.get_xdata(), rows["r"])
        np.testing.assert_allclose(line.get_ydata(), rows["x_s"])
    payoff_line = fig.axes[5].lines[1]
    np.testing.assert_allclose(payoff_line.get_ydata(), [res.payoffs[1] for res in r_sweep.results])
    fig.savefig(tmp_path / "scenario.png")
    assert _is_png(tmp_path / "scenario.png")


def test_two_parameter_scenario_has_one_series_per_second_value():
    res = Scenario.from_params(theta=[0.2, 0.5, 0.8], varying="theta", varying2="d", values2=[0.5, 1.0, 2.0]).solve()
    fig = plot(res, logscale=True)
    assert len(fig.axes) == 7  # six panels and the colour bar
    assert all(len(ax.lines) == 2 * 3 for ax in fig.axes[:6])
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert "player 1, d=0.5" in labels and "player 2, d=2" in labels
    # the second parameter is read off a colour bar, not a legend entry per series
    colourbars = [ax for ax in fig.axes[6:] if ax.get_ylabel() == "d"]
    assert len(colourbars) == 1
    assert all(ax.get_legend() is None for ax in fig.axes)
    legend_labels = [text.get_text() for text in fig.legends[0].get_texts()]
    assert legend_labels == ["player 1", "player 2"]
    assert fig.axes[0].get_yscale() == "log" and fig.axes[4].get_yscale() == "linear"  # sigma stays linear


def test_points_that_did_not_certify_are_left_out_and_counted():
    aggs = [dp.Aggregator(models.readme_payoff(theta=th)) for th in (0.3, 0.5, 0.7)]

    def boom(original, *args, **kwargs):
        raise RuntimeError("boom")

    aggs[1] = replacing_solve(aggs[1], boom)
    res = Scenario(aggs, params={"theta": [0.3, 0.5, 0.7]}).solve()
    fig = plot(res)
    y = fig.axes[0].lines[0].get_ydata()
    assert np.isnan(y[1]) and np.all(np.isfinite(y[[0, 2]]))
    assert "1 of 3 points not certified" in _suptitle(fig)


def test_multi_period_scenario_plots_the_chosen_period():
    res = Scenario.from_params(r=[0.05, 0.1], varying="r", t=2, gammas=0.9).solve()
    df = res.to_dataframe()
    fig = plot(res, period=1)
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), df[(df.period == 1) & (df.player == 1)]["x_p"])
    assert "period 1" in _suptitle(fig)
    with pytest.raises(ValueError, match="period must be in 0..1"):
        plot(res, period=2)


def test_bad_arguments_raise(basic_t3):
    with pytest.raises(TypeError, match="obj must be"):
        plot([1, 2, 3])
    with pytest.raises(TypeError, match="logscale"):
        plot(basic_t3, logscale="yes")
    with pytest.raises(TypeError, match="title"):
        plot(basic_t3, title=3)
