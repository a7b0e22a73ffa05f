"""Left/right comparisons: claims that hold one way and fail the other, grids, exclusions, output."""

from __future__ import annotations

import copy
import dataclasses
import doctest

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dynapai_sym as dp  # noqa: E402
from dynapai_sym.scenario import (
    FailedPoint,  # noqa: E402
    comparison,  # noqa: E402
)

R = np.linspace(0.05, 0.15, 5)


@pytest.fixture(scope="module")
def sides():
    """A = 5 (less productive safety research) and A = 15, over one grid of prices."""
    return dp.solve_left_right({"a": 5.0}, {"a": 15.0}, {"r": R, "n": 2}, varying="r")


@pytest.fixture(scope="module")
def grid_sides():
    common = {"r": np.linspace(0.05, 0.15, 3), "theta": np.array([0.25, 1.0])}
    return dp.solve_left_right({"a": 5.0}, {"a": 15.0}, common, varying="r", varying2="theta")


def _sigma_mean(res, j):
    return float(res[j].sigma[0].mean())


def test_claim_holds_one_way_and_fails_swapped(sides):
    low, high = sides
    assert low.success.all() and high.success.all()
    cmp = dp.compare(high, low, "sigma")
    assert cmp.holds and cmp.fraction == 1.0 and cmp.n_certified == len(R)
    expected = np.array([_sigma_mean(high, j) - _sigma_mean(low, j) for j in range(len(R))])
    np.testing.assert_allclose(cmp.difference, expected, rtol=0, atol=1e-15)
    assert cmp.difference.shape == (len(R),) and np.all(cmp.difference > 0.05)

    swapped = dp.compare(low, high, "sigma")
    assert not swapped.holds and swapped.fraction == 0.0
    np.testing.assert_array_equal(swapped.difference, -cmp.difference)
    # the same comparison read the other way round holds
    assert dp.compare(low, high, "sigma", claim="<").holds
    assert dp.compare(low, high, "sigma", claim="<=").holds


def test_equal_sides_and_atol(sides):
    low, _ = sides
    same = dp.compare(low, low, "sigma")
    assert not same.holds and np.all(same.difference == 0)  # never strictly greater than itself
    assert dp.compare(low, low, "sigma", claim=">=").holds
    # a margin larger than the gap makes a true claim fail
    _, high = sides
    gap = float(dp.compare(high, low, "sigma").difference.min())
    assert dp.compare(high, low, "sigma", atol=0.5 * gap).holds
    assert not dp.compare(high, low, "sigma", atol=2 * gap).holds


def test_quantities_reductions_and_period(sides):
    low, high = sides
    # more productive safety research: less spent on safety inputs (x_s), more safety (s)
    assert dp.compare(high, low, "s").holds
    assert dp.compare(high, low, "x_s", claim="<").holds
    payoff = dp.compare(high, low, "payoff", reduce="min")
    np.testing.assert_allclose(payoff.left, [min(res.payoffs) for res in high.results], rtol=0, atol=0)
    ps = dp.compare(high, low, "probability_safe", period=None)
    np.testing.assert_allclose(ps.right, [res.probability_safe.mean() for res in low.results], rtol=0, atol=1e-15)
    first_player = dp.compare(high, low, "p", reduce=lambda v: v[0])
    np.testing.assert_allclose(first_player.left, [res.p[0, 0] for res in high.results], rtol=0, atol=0)
    assert first_player.reduce == "<lambda>"


def test_two_dimensional_common_grid_keeps_its_shape(grid_sides):
    low, high = grid_sides
    cmp = dp.compare(high, low, "sigma")
    assert cmp.shape == (3, 2) and cmp.difference.shape == (3, 2)
    # point (i, j) of the grid is point j * m1 + i of the scenario (first varying parameter fastest)
    assert cmp.difference[2, 1] == pytest.approx(_sigma_mean(high, 5) - _sigma_mean(low, 5), abs=1e-15)
    table = cmp.to_dataframe()
    assert list(table.columns) == ["r", "theta", "left", "right", "difference", "certified", "holds", "reason"]
    np.testing.assert_array_equal(table["theta"], [0.25, 0.25, 0.25, 1.0, 1.0, 1.0])
    assert cmp.holds and not dp.compare(low, high, "sigma").holds


def test_uncertified_points_are_excluded_and_reported(sides):
    low, high = sides
    broken = copy.copy(low)
    broken.results = list(low.results)
    # point 1 did not certify, and its numbers would refute the claim if they were compared
    broken.results[1] = dataclasses.replace(low.results[1], success=False, status=dp.Status.NOT_CONVERGED,
                                            sigma=np.full_like(low.results[1].sigma, 0.999))
    broken.results[3] = FailedPoint(status="error: RuntimeError: solver blew up", message="", method="auto",
                                    n=2, k=2, t=1)
    with pytest.warns(UserWarning, match="2 of 5 common points were excluded"):
        cmp = dp.compare(high, broken, "sigma")
    assert cmp.holds and cmp.n_certified == 3 and cmp.fraction == 1.0
    np.testing.assert_array_equal(cmp.certified, [True, False, True, False, True])
    assert np.isnan(cmp.difference[[1, 3]]).all() and not cmp.holds_at[[1, 3]].any()
    assert [ex.index for ex in cmp.excluded] == [1, 3]
    assert cmp.excluded[0].coords == {"r": pytest.approx(R[1])}
    assert "right point 1: not converged" in cmp.excluded[0].reason
    assert "solver blew up" in cmp.excluded[1].reason
    assert "2 excluded" in repr(cmp)
    assert cmp.to_dataframe()["reason"].tolist()[1].startswith("right point 1")
    # had point 1 been compared, the claim would fail there
    forced = copy.copy(broken)
    forced.results = list(broken.results)
    forced.results[1] = dataclasses.replace(broken.results[1], success=True)
    forced.results[3] = low.results[3]
    assert not dp.compare(high, forced, "sigma").holds

    nothing = copy.copy(low)
    nothing.results = [dataclasses.replace(r, success=False, status="not converged") for r in low.results]
    empty = dp.compare(high, nothing, "sigma", warn=False)
    assert not empty.holds and np.isnan(empty.fraction) and len(empty.excluded) == len(R)


def test_grids_that_differ_raise(sides, grid_sides):
    low, _ = sides
    shifted = dp.Scenario.from_params(n=2, a=15.0, r=R + 0.001, varying="r").solve()
    with pytest.raises(ValueError, match=r"share one grid of r.*only left has r=0\.05.*only right has r=0\.051"):
        dp.compare(low, shifted)
    shorter = dp.Scenario.from_params(n=2, a=15.0, r=R[:3], varying="r").solve()
    with pytest.raises(ValueError, match=r"only left has r=0\.125"):
        dp.compare(low, shorter)
    with pytest.raises(ValueError, match="left varies .*'r',.* but right varies .*theta"):
        dp.compare(low, grid_sides[1])
    by_theta = dp.Scenario.from_params(n=2, theta=np.array([0.25, 1.0]), varying="theta").solve()
    with pytest.raises(ValueError, match="over names 'theta', which left does not vary"):
        dp.compare(low, by_theta, over="theta")
    longer = dp.Scenario.from_params(n=2, a=15.0, r=R, varying="r", t=2, gammas=0.9).solve()
    with pytest.raises(ValueError, match="different horizons"):
        dp.compare(low, longer)


def test_side_specific_ranges_compare_every_pair():
    """AIIncentives.jl style: A <= 10 on the left, A >= 10 on the right, over a common grid of theta."""
    theta = np.array([0.25, 0.5])
    low = dp.Scenario.from_params(n=2, a=np.array([2.0, 6.0, 10.0]), varying="a", theta=theta,
                                  varying2="theta").solve()
    high = dp.Scenario.from_params(n=2, a=np.array([10.0, 30.0]), varying="a", theta=theta, varying2="theta").solve()
    # A = 10 is solved on both sides: equal up to rounding, which atol absorbs
    cmp = dp.compare(low, high, "sigma", claim="<=", over="theta", atol=1e-9)
    assert cmp.shape == (2,) and cmp.holds
    assert np.all(np.abs(cmp.difference) < 1e-9)
    sig_low = np.array([_sigma_mean(low, j) for j in range(len(low))]).reshape((3, 2), order="F")
    sig_high = np.array([_sigma_mean(high, j) for j in range(len(high))]).reshape((2, 2), order="F")
    np.testing.assert_allclose(cmp.difference, sig_low.max(axis=0) - sig_high.min(axis=0), rtol=0, atol=1e-15)
    # A = 10 is on both sides, so the strict claim fails at every theta ...
    assert dp.compare(low, high, "sigma", claim="<", over="theta", atol=1e-9).fraction == 0.0
    # ... and holds once the shared value is left out of one side
    below = dp.Scenario.from_params(n=2, a=np.array([2.0, 6.0]), varying="a", theta=theta, varying2="theta").solve()
    assert dp.compare(below, high, "sigma", claim="<", over="theta").holds


def test_bad_arguments_name_the_parameter(sides):
    low, high = sides
    cases = [
        (dict(left=low.results), TypeError, "left must be a ScenarioResult"),
        (dict(quantity="safety"), ValueError, "quantity must be one of"),
        (dict(quantity="i_s"), ValueError, "'i_s' is not an action of the left games"),
        (dict(reduce="median"), ValueError, "reduce must be one of"),
        (dict(reduce=lambda v: v), TypeError, "must return one real number"),
        (dict(claim="=>"), ValueError, "claim must be one of"),
        (dict(atol=-1.0), ValueError, "atol must be a finite number >= 0"),
        (dict(period=1), ValueError, r"period must be in 0\.\.0"),
        (dict(period=0.0), TypeError, "period must be an integer"),
        (dict(over=3), TypeError, "over must be a parameter name"),
        (dict(labels=("x", "x")), ValueError, "labels must be two different strings"),
    ]
    for kwargs, error, message in cases:
        args = dict(left=high, right=low) | kwargs
        with pytest.raises(error, match=message):
            dp.compare(**args)
    with pytest.raises(ValueError, match=r"left and common both set \['a'\]"):
        dp.solve_left_right({"a": 5.0}, {"a": 15.0}, {"a": 1.0, "r": R}, varying="r")
    with pytest.raises(ValueError, match="right sets .varying2.: the grid is common"):
        dp.solve_left_right({}, {"varying2": "a"}, {"r": R}, varying="r")
    with pytest.raises(ValueError, match=r"right: grid point 0 .*a must be positive"):
        dp.solve_left_right({"a": 5.0}, {"a": -1.0}, {"r": R}, varying="r")


def test_table_plot_and_method(sides, grid_sides, tmp_path):
    low, high = sides
    cmp = low.compare(high, "sigma", claim="<", labels=("A=5", "A=15"))
    table = cmp.to_dataframe()
    assert list(table.columns) == ["r", "A=5", "A=15", "difference", "certified", "holds", "reason"]
    np.testing.assert_array_equal(table["r"], R)
    assert table["holds"].all() and (table["reason"] == "").all()
    fig = cmp.plot()
    assert "holds at 5 of 5" in fig._suptitle.get_text()
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    fig.savefig(tmp_path / "compare.png")
    fig2 = dp.compare(*reversed(grid_sides), "sigma").plot(title="A=15 vs A=5")
    assert len(fig2.axes[0].lines) == 4 and fig2._suptitle.get_text() == "A=15 vs A=5"
    with pytest.raises(TypeError, match="show must be True or False"):
        cmp.plot(show="no")


def test_module_examples_run():
    failures, tried = doctest.testmod(comparison, optionflags=doctest.ELLIPSIS)
    assert tried >= 3 and failures == 0


def test_unlabelled_scenarios_compare_by_point_index():
    base = dp.Scenario.from_params(n=2, r=[0.05, 0.1], varying="r").aggregators
    safer = dp.Scenario.from_params(n=2, a=15.0, r=[0.05, 0.1], varying="r").aggregators
    low, high = dp.Scenario(base).solve(), dp.Scenario(safer).solve()
    cmp = dp.compare(high, low)
    assert cmp.over == () and cmp.holds and not dp.compare(low, high).holds
    assert cmp.to_dataframe()["point"].tolist() == [0, 1]
    with pytest.raises(ValueError, match="grid of point index.*only left has point 2"):
        dp.compare(dp.Scenario(safer + safer[:1]).solve(), low)
