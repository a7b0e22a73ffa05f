"""Scenario execution: any executor, a Dask cluster, checkpoint and resume."""

from __future__ import annotations

import concurrent.futures as cf

import numpy as np
import pytest

import dynapai_sym as dp

R = np.linspace(0.05, 0.1, 6)


def table(res):
    return res.to_dataframe().drop(columns=["seconds"]).reset_index(drop=True)


def test_thread_executor_equals_sequential():
    sc = dp.Scenario.from_params(n=2, r=R, varying="r")
    seq = sc.solve()
    with cf.ThreadPoolExecutor(2) as pool:
        par = sc.solve(executor=pool)
    a, b = table(seq), table(par)
    np.testing.assert_allclose(a[["x_s", "x_p", "payoff"]].to_numpy(), b[["x_s", "x_p", "payoff"]].to_numpy(),
                               rtol=1e-6)
    assert list(a["success"]) == list(b["success"])


def test_dask_local_cluster_equals_sequential():
    distributed = pytest.importorskip("distributed")  # the `parallel` extra; installed by CI
    sc = dp.Scenario.from_params(n=2, r=R, varying="r")
    seq = sc.solve()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        par = sc.solve(backend="dask")
        again = sc.solve(executor=client)
    for other in (par, again):
        np.testing.assert_allclose(table(seq)[["x_s", "x_p", "payoff"]].to_numpy(),
                                   table(other)[["x_s", "x_p", "payoff"]].to_numpy(), rtol=1e-6)


def test_dask_backend_without_client_says_how_to_start_one():
    pytest.importorskip("distributed")
    sc = dp.Scenario.from_params(n=2, r=R[:2], varying="r")
    with pytest.raises(ValueError, match="running client"):
        sc.solve(backend="dask")
    with pytest.raises(ValueError, match="backend must be"):
        sc.solve(backend="ray")


def test_checkpoint_resumes_without_recomputing(tmp_path, monkeypatch):
    path = tmp_path / "sweep.pkl"
    r = np.linspace(0.05, 0.1, 20)
    sc = dp.Scenario.from_params(n=2, r=r, varying="r")
    # interrupt the sweep after the first chunk of points
    calls = {"n": 0}
    real = dp.Aggregator.solve

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 16:
            raise KeyboardInterrupt("killed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(dp.Aggregator, "solve", flaky)
    with pytest.raises(KeyboardInterrupt):
        sc.solve(checkpoint=path, warm_start=False)
    assert path.exists()
    monkeypatch.setattr(dp.Aggregator, "solve", real)
    # resume: only the unfinished points are solved
    counted = {"n": 0}

    def counting(self, *args, **kwargs):
        counted["n"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(dp.Aggregator, "solve", counting)
    res = sc.solve(checkpoint=path, warm_start=False)
    assert counted["n"] == 4
    assert res.success.all() and len(res) == 20
    full = dp.Scenario.from_params(n=2, r=r, varying="r").solve(warm_start=False)
    np.testing.assert_allclose(table(res)[["x_s", "x_p"]].to_numpy(), table(full)[["x_s", "x_p"]].to_numpy(),
                               rtol=1e-8)
    with pytest.raises(ValueError, match="is for 20 points"):
        dp.Scenario.from_params(n=2, r=r[:5], varying="r").solve(checkpoint=path)
