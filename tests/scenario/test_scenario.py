"""Scenarios: grids of games solved together, with warm starts, failures recorded, tables and files."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import sympy as sp

import dynapai_sym as dp
from conftest import replacing_solve
from dynapai_sym import models
from dynapai_sym.scenario import FailedPoint, Scenario, ScenarioResult

BASE_COLUMNS = ["point", "player", "period", "x_s", "x_p", "s", "p", "sigma", "q", "payoff", "success",
                "status", "kkt_residual", "method", "seconds"]


def _pointwise_payoff(r=0.1, theta=0.5, d=1.0, n=2, a=10.0, b=10.0, r_inv=None):
    """The model of one grid point, built by hand (as from_params should)."""
    prod = dp.ProdFunc(a=np.full(n, a), alpha=np.full(n, 0.5), b=np.full(n, b), beta=np.full(n, 0.5))
    return dp.PayoffFunc(prod, dp.RiskFunc.winner_only(np.broadcast_to(theta, (n,)).astype(float)),
                         d=np.broadcast_to(d, (n,)).astype(float), r=np.broadcast_to(r, (n,)).astype(float),
                         r_inv=None if r_inv is None else np.full(n, r_inv),
                         csf=dp.CSF.maybe_no_win() if r_inv is not None else None)


def _no_pure_aggregator() -> dp.Aggregator:
    """Tullock contest with exponent 3: no pure-strategy equilibrium (see test_equilibrium)."""
    phi = sp.Symbol("phi")
    csf = dp.CSF.custom(lambda p: [pi**phi / sum(pj**phi for pj in p) for pi in p], params={phi: 3.0})
    prod = dp.ProdFunc([10.0, 10.0], [0.5, 0.5], [1.0, 1.0], [1.0, 1.0])
    return dp.Aggregator(dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.0, 0.0]), d=[0.0, 0.0], r=[0.1, 0.1],
                                       csf=csf))


@pytest.fixture(scope="module")
def r_sweep():
    rs = np.linspace(0.02, 0.2, 6)
    return rs, Scenario.from_params(r=rs, varying="r").solve()


# ----------------------------------------------------------------------------- grids
def test_grid_sweep_equals_point_by_point_solves(r_sweep):
    rs, res = r_sweep
    assert len(res) == len(rs) and res.shape == (len(rs),)
    assert res.success.all()
    assert res.starts[0] == "cold" and set(res.starts[1:]) == {"warm"}  # warm starts were used
    for r, point, got in zip(rs, res.points, res.results):
        np.testing.assert_array_equal(point["r"], [r, r])
        ref = dp.Aggregator(_pointwise_payoff(r=r)).solve()
        assert ref.success
        np.testing.assert_allclose(got.strategies.data, ref.strategies.data, rtol=1e-6)
        np.testing.assert_allclose(got.payoffs, ref.payoffs, rtol=1e-6)
    # the sweep is not trivially constant: x_s falls as the price rises
    xs = np.array([r.strategies.data[0, 0, 0] for r in res.results])
    assert np.all(np.diff(xs) < 0)


def test_two_parameter_grid_is_the_product_first_parameter_fastest():
    thetas, ds = np.array([0.2, 0.5, 0.8]), np.array([0.5, 2.0])
    sc = Scenario.from_params(theta=thetas, varying="theta", varying2="d", values2=ds)
    assert sc.shape == (3, 2) and len(sc) == 6
    res = sc.solve()
    assert res.success.all()
    for idx, got in enumerate(res.results):
        theta, d = thetas[idx % 3], ds[idx // 3]
        assert res.points[idx]["theta"][0] == theta and res.points[idx]["d"][1] == d
        ref = dp.Aggregator(_pointwise_payoff(theta=theta, d=d)).solve()
        np.testing.assert_allclose(got.strategies.data, ref.strategies.data, rtol=1e-6)
    df = res.to_dataframe()
    assert list(df.columns[:3]) == ["point", "theta", "d"]
    assert len(df) == 6 * 2 * 1


def test_per_player_range_and_multi_period_invest_grid():
    # rows = points, one column per player: asymmetric prices at every point
    r = np.array([[0.05, 0.1], [0.1, 0.1], [0.1, 0.15]])
    sc = Scenario.from_params(r=r, varying="r", r_inv=0.01, t=2, gammas=0.9, csf="maybe_no_win", b=1.0)
    assert sc.action_type is dp.InvestActions and sc.t == 2
    res = sc.solve(warm_start=False)
    # with unequal prices the cheaper-in-period-1 player cycles between investing to compete and
    # giving up: those points have no pure equilibrium, and the grid must say so as the point solve does
    assert res.success.any(), res.statuses
    for row, got in zip(r, res.results):
        ref = dp.Aggregator(_pointwise_payoff(r=row, b=1.0, r_inv=0.01), gammas=[0.9, 0.9]).solve(2)
        assert got.strategies.data.shape == (2, 2, 4)
        assert got.status == ref.status
        if ref.success:
            np.testing.assert_allclose(got.strategies.data, ref.strategies.data, rtol=1e-6, atol=1e-10)
    df = res.to_dataframe()
    assert {"i_s", "i_p"} <= set(df.columns) and "sh_s" not in df.columns
    np.testing.assert_array_equal(df.loc[df.point == 0, "r"].to_numpy(), [0.05, 0.05, 0.1, 0.1])


@pytest.mark.parametrize("kwargs, match", [
    (dict(varying="rr", values=[0.1, 0.2]), "varying must be one of"),
    (dict(varying="r", varying2="kappa", values2=[1.0]), "varying2 must be one of"),
    (dict(r=np.array([]), varying="r"), "empty"),
    (dict(varying="theta", values=[]), "empty"),
    (dict(r=0.1, varying="r"), "1-D range"),
    (dict(r=np.ones((3, 3)), varying="r"), "one per player"),
    (dict(r=[0.1, 0.2], varying="r", theta=[0.1, 0.2, 0.3]), "theta must be a scalar or have one entry"),
    (dict(r=[0.1, 0.2], varying="r", values=[0.3, 0.4]), "the range of r is given twice"),
    (dict(r=[0.1, 0.2], varying="r", varying2="r", values2=[1.0]), "must differ"),
    (dict(r=[0.1, 0.2], varying="r", values2=[1.0]), "values2 is given but varying2 is not"),
    (dict(varying="theta", values=[0.1], varying2="theta", values2=[0.2]), "must differ"),
    (dict(r=[0.1, 0.2], varying="r", t=2), "gammas"),
    (dict(varying="w", values=[1.0, 2.0]), "risk='multiplicative'"),
    (dict(varying="r_inv", r_inv=[-0.1, 0.1]), "r_inv must be non-negative"),
    (dict(varying="gammas", gammas=[0.5, 1.5]), "gammas must be at most 1"),
    (dict(varying="r", r=[0.1], risk="both"), "risk must be one of"),
])
def test_bad_grids_raise_value_error_before_solving(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Scenario.from_params(**kwargs)


def test_varying_risk_weights_and_gammas():
    sc = Scenario.from_params(varying="w", values=[[1.0, 1.0], [1.0, 3.0]], risk="additive")
    assert sc.aggregators[1].state.beliefs[0].risk_func.w.tolist() == [1.0, 3.0]
    sc = Scenario.from_params(varying="gammas", gammas=[0.5, 0.9], t=2)
    assert sc.aggregators[1].gammas.tolist() == [0.9, 0.9]


# ----------------------------------------------------------------------------- lists of aggregators
def test_mixed_action_types_raise_type_error():
    with pytest.raises(TypeError, match=r"aggregators\[1\] takes InvestActions"):
        Scenario([dp.Aggregator(models.readme_payoff()), models.invest_aggregator()])
    with pytest.raises(TypeError, match=r"aggregators\[0\] must be an Aggregator"):
        Scenario([models.readme_payoff()])
    with pytest.raises(TypeError, match="list of Aggregator"):
        Scenario(dp.Aggregator(models.readme_payoff()))
    with pytest.raises(ValueError, match="must not be empty"):
        Scenario([])


def test_list_scenario_with_labels_matches_readme_model():
    base = models.readme_payoff()
    rs = [0.05, 0.1]
    aggs = [dp.Aggregator(base.replace(cost_func=dp.CostFunc.fixed([r, r]))) for r in rs]
    res = Scenario(aggs, params={"r": rs}).solve()
    assert res.varying == ("r",) and res.success.all()
    ref = dp.Aggregator(base).solve()  # r = 0.1 in the README model
    np.testing.assert_allclose(res[1].strategies.data, ref.strategies.data, rtol=1e-6)
    assert res.to_dataframe()["r"].tolist() == [0.05, 0.05, 0.1, 0.1]
    with pytest.raises(ValueError, match="has 1 values; the scenario has 2 points"):
        Scenario(aggs, params={"r": [0.1]})


def test_failing_points_are_recorded_and_do_not_abort():
    good = [dp.Aggregator(models.readme_payoff(theta=th)) for th in (0.3, 0.5, 0.7)]
    aggs = [good[0], _no_pure_aggregator(), good[1], good[2]]

    def boom(original, *args, **kwargs):
        raise RuntimeError("boom")

    aggs[2] = replacing_solve(aggs[2], boom)
    res = Scenario(aggs).solve()
    assert res.success.tolist() == [True, False, False, True]
    assert res[1].status == dp.Status.NO_PURE  # did not certify: kept with its status
    assert isinstance(res[2], FailedPoint)
    assert res[2].status == "error: RuntimeError: boom" and "RuntimeError" in res[2].message
    # the point after the failure was warm-started from the nearest certified point, and is right
    assert res.starts[3] == "warm"
    ref = dp.Aggregator(models.readme_payoff(theta=0.7)).solve()
    np.testing.assert_allclose(res[3].strategies.data, ref.strategies.data, rtol=1e-6)
    df = res.to_dataframe()
    failed = df[df.point == 2]
    assert len(failed) == 2 and failed["x_s"].isna().all() and (~failed["success"]).all()
    assert failed["status"].iloc[0] == "error: RuntimeError: boom"


def test_failed_warm_start_falls_back_to_a_cold_solve():
    aggs = [dp.Aggregator(models.readme_payoff(theta=th)) for th in (0.3, 0.5)]

    def no_warm(original, t=1, init=None, options=None, method="auto"):
        if init is not None:
            raise RuntimeError("warm start refused")
        return original(t, init=init, options=options, method=method)

    aggs[1] = replacing_solve(aggs[1], no_warm)
    res = Scenario(aggs).solve()
    assert res.success.all()
    assert res.starts == ["cold", "cold after warm"]
    assert any("warm start raised RuntimeError" in note for note in res[1].notes)


def test_solve_checks_arguments_before_solving():
    sc = Scenario([dp.Aggregator(models.readme_payoff())] * 2)
    with pytest.raises(ValueError, match="gammas"):
        sc.solve(t=2)
    with pytest.raises(ValueError, match="method must be one of"):
        sc.solve(method="newton")
    with pytest.raises(ValueError, match="n_jobs"):
        sc.solve(n_jobs=0)
    with pytest.raises(TypeError, match="n_jobs"):
        sc.solve(n_jobs=1.5)
    with pytest.raises(ValueError, match="unknown solver options"):
        sc.solve(options={"iterations": 3})
    with pytest.raises(ValueError, match="init has 2 periods"):
        sc.solve(init=np.ones((2, 2, 2)))


def test_init_is_used_for_cold_points():
    sc = Scenario.from_params(r=[0.05, 0.1], varying="r")
    start = dp.Strategies(np.full((1, 2, 2), 0.7))
    res = sc.solve(init=start, warm_start=False)
    assert res.starts == ["cold", "cold"] and res.success.all()


# ----------------------------------------------------------------------------- parallel and progress
@pytest.mark.parametrize("backend", [None, "processes", "joblib"])
def test_parallel_sweep_equals_sequential(r_sweep, backend):
    rs, seq = r_sweep
    par = Scenario.from_params(r=rs, varying="r").solve(n_jobs=2, backend=backend)
    assert par.success.all()
    for a, b in zip(par.results, seq.results):
        np.testing.assert_allclose(a.strategies.data, b.strategies.data, rtol=1e-6)
    assert isinstance(par[0].strategies, dp.Strategies)


def test_parallel_grid_with_worker_processes_equals_sequential():
    """A 2-D grid in forked (or spawned) workers: chunks of whole warm-start chains, same table."""
    sc = Scenario.from_params(r=np.linspace(0.02, 0.1, 6), varying="r", theta=[0.2, 0.5, 0.9], varying2="theta")
    seq = sc.solve()
    par = sc.solve(n_jobs=2, backend="processes")
    assert par.success.all() and par.shape == seq.shape == (6, 3)
    for a, b in zip(par.results, seq.results):
        np.testing.assert_allclose(a.strategies.data, b.strategies.data, rtol=1e-6)
    assert par.starts.count("cold") < len(par)  # warm starts run inside each worker's chunk


def test_parallel_without_joblib_raises_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "joblib", None)
    sc = Scenario.from_params(r=[0.05, 0.1], varying="r")
    with pytest.raises(ImportError, match=r"dynapai_sym\[parallel\]"):
        sc.solve(n_jobs=2, backend="joblib")
    with pytest.raises(ValueError, match="backend must be one of"):
        sc.solve(n_jobs=2, backend="threads")


def test_checkpoint_of_another_sweep_is_refused(tmp_path):
    path = tmp_path / "sweep.pkl"
    Scenario.from_params(r=[0.05, 0.1], varying="r").solve(checkpoint=path)
    again = Scenario.from_params(r=[0.05, 0.1], varying="r").solve(checkpoint=path)  # same sweep: resumes
    assert again.success.all()
    with pytest.raises(ValueError, match="different sweep"):
        Scenario.from_params(r=[0.05, 0.2], varying="r").solve(checkpoint=path)  # same size, other values
    with pytest.raises(ValueError, match="different sweep"):
        Scenario.from_params(r=[0.05, 0.1], varying="r").solve(checkpoint=path, method="best_response")


def test_progress_bar_is_written(capsys):
    Scenario.from_params(r=[0.05, 0.1], varying="r").solve(progress=True)
    assert "2/2" in capsys.readouterr().err


# ----------------------------------------------------------------------------- tables and files
def test_to_dataframe_columns_and_rows(r_sweep):
    rs, res = r_sweep
    df = res.to_dataframe()
    assert list(df.columns) == ["point", "r", *BASE_COLUMNS[1:]]
    assert len(df) == len(rs) * 2 * 1  # points x players x periods
    row = df[(df.point == 3) & (df.player == 2)].iloc[0]  # players 1-based in tables
    got = res[3]
    assert row["r"] == pytest.approx(rs[3])
    assert row["x_s"] == got.strategies.data[0, 1, 0] and row["x_p"] == got.strategies.data[0, 1, 1]
    assert row["payoff"] == got.payoffs[1] and row["sigma"] == got.sigma[0, 1]
    assert row["status"] == dp.Status.CERTIFIED and bool(row["success"])


def test_save_and_load_csv_round_trip(r_sweep, tmp_path):
    _, res = r_sweep
    path = res.save(tmp_path / "sweep.csv")
    loaded = ScenarioResult.load(path)
    pd.testing.assert_frame_equal(loaded.to_dataframe(), res.to_dataframe())


def test_save_rejects_unknown_extension_and_missing_parquet_engine(r_sweep, tmp_path, monkeypatch):
    _, res = r_sweep
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        res.save(tmp_path / "sweep.xlsx")
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ImportError, match="pyarrow"):
        res.save(tmp_path / "sweep.parquet")
    assert not (tmp_path / "sweep.parquet").exists()


def test_to_xarray_has_point_player_period_dimensions():
    xr = pytest.importorskip("xarray")
    res = dp.Scenario.from_params(n=2, r=np.linspace(0.05, 0.1, 3), varying="r").solve()
    ds = res.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert ds["x_s"].dims == ("point", "player", "period")
    assert ds["x_s"].shape == (3, 2, 1)
    np.testing.assert_allclose(ds["r"].values[:, 0], np.linspace(0.05, 0.1, 3))
