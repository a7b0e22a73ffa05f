"""Scenario results in files: CSV, Parquet and NetCDF round trips, exactly; clear errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import dynapai_sym as dp
from dynapai_sym.scenario import FailedPoint, ScenarioResult

EXTENSIONS = (".csv", ".parquet", ".pq", ".nc")


@pytest.fixture(scope="module")
def sweep() -> ScenarioResult:
    return dp.Scenario.from_params(n=2, r=np.linspace(0.01, 0.1, 4), varying="r").solve()


@pytest.fixture(scope="module")
def grid() -> ScenarioResult:
    return dp.Scenario.from_params(n=2, r=np.linspace(0.05, 0.15, 3), varying="r",
                                   theta=np.array([0.25, 0.5]), varying2="theta").solve()


@pytest.fixture(scope="module")
def uneven() -> ScenarioResult:
    """Points of 2 and 3 players (holes in the xarray form) and one point that raised."""
    two = dp.Scenario.from_params(n=2, r=[0.1, 0.2], varying="r").aggregators
    three = dp.Scenario.from_params(n=3, r=[0.1], varying="r").aggregators
    res = dp.Scenario(two + three, params={"r": [0.1, 0.2, 0.1]}).solve()
    res.results[1] = FailedPoint(status="error: ValueError: boom", message="traceback", method="auto",
                                 n=2, k=2, t=1)
    return res


def _needs(ext: str) -> None:
    if ext in (".parquet", ".pq"):
        pytest.importorskip("pyarrow")
    if ext == ".nc":
        pytest.importorskip("xarray")
        pytest.importorskip("h5netcdf")


@pytest.mark.parametrize("ext", EXTENSIONS)
@pytest.mark.parametrize("which", ["sweep", "grid", "uneven"])
def test_round_trip_is_exact(which, ext, request, tmp_path):
    _needs(ext)
    res = request.getfixturevalue(which)
    table = res.to_dataframe()
    path = res.save(tmp_path / f"result{ext}")
    assert path.exists()
    loaded = ScenarioResult.load(path, as_table=True)
    # same columns, dtypes, row order; floats bit for bit (check_exact), strings and bools intact
    pd.testing.assert_frame_equal(loaded, table, check_exact=True)
    assert loaded["success"].dtype == bool
    assert set(loaded["status"]) == set(table["status"])
    # by default a ScenarioResult comes back, with the same table
    result = ScenarioResult.load(path)
    assert isinstance(result, ScenarioResult)
    pd.testing.assert_frame_equal(result.to_dataframe(), table, check_exact=True)
    assert result.shape == res.shape and result.varying == res.varying and result.t == res.t
    np.testing.assert_array_equal(result.success, res.success)


def test_loaded_result_plots_compares_and_differentiates(grid, sweep, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    loaded = ScenarioResult.load(grid.save(tmp_path / "grid.csv"))
    fig = dp.plot(loaded)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(),
                               [res.strategies.data[0, 0, 0] for res in grid.results[:3]])
    again = ScenarioResult.load(grid.save(tmp_path / "grid2.csv"))
    same = dp.compare(loaded, again, "sigma", claim=">=")
    np.testing.assert_array_equal(same.left, same.right)
    assert same.holds
    # without the games no derivatives; with the scenario attached, the same as the original's
    with pytest.raises(ValueError, match="re-solve|scenario"):
        loaded.sensitivity("r")
    scenario = dp.Scenario.from_params(n=2, r=np.linspace(0.01, 0.1, 4), varying="r")
    attached = ScenarioResult.load(sweep.save(tmp_path / "sweep.csv"), scenario=scenario)
    got, want = attached.sensitivity("r")[1], sweep.sensitivity("r")[1]
    np.testing.assert_allclose(got["actions"], want["actions"], rtol=1e-8)
    with pytest.raises(ValueError, match="scenario has 3 points"):
        ScenarioResult.load(sweep.save(tmp_path / "s3.csv"),
                            scenario=dp.Scenario.from_params(n=2, r=[0.1, 0.2, 0.3], varying="r"))


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_load_as_xarray_equals_to_xarray(grid, ext, tmp_path):
    _needs(ext)
    xr = pytest.importorskip("xarray")
    ds = ScenarioResult.load(grid.save(tmp_path / f"grid{ext}"), as_xarray=True)
    xr.testing.assert_identical(ds, grid.to_xarray())
    assert ds["x_s"].dims == ("point", "player", "period")
    np.testing.assert_array_equal(ds["theta"].values[:, 0], grid.values("theta")[:, 0])


def test_netcdf_stores_strings_and_booleans_natively(uneven, tmp_path):
    """The .nc file holds typed strings/bools, readable by any NetCDF tool (no pickled objects)."""
    pytest.importorskip("h5netcdf")
    xr = pytest.importorskip("xarray")
    path = uneven.save(tmp_path / "uneven.nc")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds["success"].dtype == bool
        assert ds["x_s"].dtype == np.float64
        statuses = set(np.asarray(ds["status"].values).ravel().tolist())
    assert {"error: ValueError: boom", dp.Status.CERTIFIED} <= statuses


def test_unknown_extension_raises_naming_path(sweep, tmp_path):
    for bad in ("result.xlsx", "result", "result.nc4"):
        with pytest.raises(ValueError, match=r"path must end in \.csv.*\.nc.*" + bad.replace(".", r"\.")):
            sweep.save(tmp_path / bad)
        with pytest.raises(ValueError, match="path must end in"):
            ScenarioResult.load(tmp_path / bad)
        assert not (tmp_path / bad).exists()


def test_missing_netcdf_library_names_the_pip_command(sweep, tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "h5netcdf" else real(name, *a))
    with pytest.raises(ImportError, match=r"h5netcdf.*pip install \"dynapai_sym\[io\]\""):
        sweep.save(tmp_path / "sweep.nc")
    assert not (tmp_path / "sweep.nc").exists()
    with pytest.raises(ImportError, match="h5netcdf"):
        ScenarioResult.load(tmp_path / "sweep.nc")


def test_load_rejects_foreign_netcdf_and_bad_flag(sweep, tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    path = tmp_path / "foreign.nc"
    xr.Dataset({"v": ("x", np.arange(3.0))}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ValueError, match="not written by ScenarioResult.save"):
        ScenarioResult.load(path)
    with pytest.raises(FileNotFoundError, match="missing.nc"):
        ScenarioResult.load(tmp_path / "missing.nc")
    with pytest.raises(TypeError, match="as_xarray"):
        ScenarioResult.load(sweep.save(tmp_path / "s.csv"), as_xarray="yes")


def test_results_module_is_the_home_of_scenario_result():
    from dynapai_sym import scenario
    from dynapai_sym.scenario import results

    assert scenario.ScenarioResult is results.ScenarioResult is dp.ScenarioResult
    assert dp.ScenarioResult.__module__ == "dynapai_sym.scenario.results"
