"""Scenario execution: any executor, a Dask cluster, checkpoint and resume."""

from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool

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


@pytest.mark.slow
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


# ----------------------------------------------------------------------------- lost chunks and dead workers
class _LosingExecutor:
    """A thread pool whose futures fail, as a dead worker's would, for chunks holding a point in ``lose``."""

    def __init__(self, pool: cf.Executor, lose: set[int], error: BaseException):
        self.pool, self.lose, self.error = pool, lose, error
        self.submitted: list[int] = []

    def submit(self, fn, chunk, *args):
        indices = [idx for idx, _, _ in chunk]
        self.submitted.extend(indices)
        if self.lose.intersection(indices):
            fut: cf.Future = cf.Future()
            fut.set_exception(self.error)
            return fut
        return self.pool.submit(fn, chunk, *args)


@pytest.mark.parametrize("error, status", [
    (BrokenProcessPool("a child process terminated abruptly"), "error: worker lost: BrokenProcessPool"),
    (RuntimeError("boom"), "error: chunk failed: RuntimeError: boom"),
    (cf.CancelledError(), "error: chunk cancelled: CancelledError"),
])
def test_lost_chunk_is_recorded_and_retried_on_resume(tmp_path, error, status):
    path = tmp_path / "sweep.pkl"
    r = np.linspace(0.05, 0.1, 20)
    sc = dp.Scenario.from_params(n=2, r=r, varying="r")

    class Raising(dp.Aggregator):
        def solve(self, *args, **kwargs):
            raise ValueError("this point's own solve raises")

    sc.aggregators[0] = Raising(sc.aggregators[0])  # a finished, failed point: never retried
    with cf.ThreadPoolExecutor(2) as pool:
        losing = _LosingExecutor(pool, {4}, error)
        with pytest.warns(RuntimeWarning, match=r"3 of 20 points were not solved .*holds the 17 finished points"):
            res = sc.solve(executor=losing, checkpoint=path, warm_start=False)
        assert sorted(losing.submitted) == list(range(20))
        lost = [j for j, start in enumerate(res.starts) if start == "lost"]
        assert lost == [3, 4, 5]  # the chunk holding point 4
        for j in lost:
            assert isinstance(res.results[j], dp.FailedPoint)
            assert res.results[j].status.startswith(status)
            assert type(error).__name__ in res.results[j].message
        assert res.results[0].status.startswith("error: ValueError")
        assert res.success.sum() == 16

        retry = _LosingExecutor(pool, set(), error)
        again = sc.solve(executor=retry, checkpoint=path, warm_start=False)
    assert sorted(retry.submitted) == lost
    assert again.success.sum() == 19 and "lost" not in again.starts
    assert again.results[0].status.startswith("error: ValueError")
    full = dp.Scenario.from_params(n=2, r=r, varying="r").solve(warm_start=False)
    np.testing.assert_allclose(table(again)[["x_s", "x_p"]].to_numpy()[2:], table(full)[["x_s", "x_p"]].to_numpy()[2:],
                               rtol=0, atol=1e-10)


BIG = np.linspace(0.05, 0.1, 800)  # 13 chunks of 64 points, about 1 s sequentially


@pytest.fixture(scope="module")
def big_sweep():
    sc = dp.Scenario.from_params(n=2, r=BIG, varying="r")
    return sc, sc.solve(warm_start=False)


def _read_checkpoint(path) -> dict:
    import pickle

    try:
        return pickle.loads(path.read_bytes())["done"]  # written atomically (os.replace)
    except FileNotFoundError:
        return {}


def _sweep_and_kill_a_busy_worker(client, sc, path) -> tuple[dp.ScenarioResult, dict]:
    """Solve ``sc`` on ``client`` in a thread; SIGKILL a worker that is running a chunk once some are saved.

    Returns the result and the checkpoint's points just before the kill.
    """
    import os
    import signal
    import threading
    import time

    out: dict = {}

    def run():
        try:
            # point by point: chunks long enough that the worker killed is still inside one
            out["result"] = sc.solve(executor=client, checkpoint=path, warm_start=False, batch=False)
        except BaseException as exc:  # reported by the main thread
            out["error"] = exc

    pids = client.run(os.getpid)
    sweep = threading.Thread(target=run, daemon=True)
    sweep.start()
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline, "the sweep saved no chunk within 60 s"
        assert sweep.is_alive(), f"the sweep ended before a worker could be killed: {out}"
        saved = _read_checkpoint(path)
        busy = [addr for addr, keys in client.processing().items() if keys and addr in pids]
        if saved and busy:
            break
        time.sleep(0.01)
    os.kill(pids[busy[0]], signal.SIGKILL)
    sweep.join(timeout=60)
    assert not sweep.is_alive(), "the sweep did not finish within 60 s of the kill"
    if "error" in out:
        raise out["error"]
    assert len(saved) < len(sc), "the worker was killed after the sweep had finished"
    return out["result"], saved


def _chunks_interrupted(client) -> int:
    """How many times a scenario chunk was running on a worker that died (the scheduler's count)."""
    return client.run_on_scheduler(
        lambda dask_scheduler: sum(p.suspicious for name, p in dask_scheduler.task_prefixes.items()
                                   if "solve_packed" in name))


def _assert_same(res, seq, saved):
    assert len(res) == len(seq)
    for idx, (old, _) in saved.items():  # points saved before the kill are returned unchanged
        np.testing.assert_array_equal(res.results[idx].strategies.data, old.strategies.data)
        assert res.results[idx].status == old.status
    a, b = table(seq), table(res)
    cols = ["x_s", "x_p"]
    np.testing.assert_allclose(b[cols].to_numpy(), a[cols].to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(b["payoff"].to_numpy(), a["payoff"].to_numpy(), rtol=1e-10, atol=1e-10)
    assert list(b["success"]) == list(a["success"])


def _count_submitted(monkeypatch, client) -> list:
    submitted: list = []
    real = client.submit

    def counting(fn, chunk, *args, **kwargs):
        submitted.extend(idx for idx, _, _ in chunk)
        return real(fn, chunk, *args, **kwargs)

    monkeypatch.setattr(client, "submit", counting)
    return submitted


@pytest.mark.slow
def test_killing_a_dask_worker_loses_no_finished_point(tmp_path, monkeypatch, big_sweep):
    distributed = pytest.importorskip("distributed")
    sc, seq = big_sweep
    path = tmp_path / "sweep.pkl"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        res, saved = _sweep_and_kill_a_busy_worker(client, sc, path)
        assert _chunks_interrupted(client) >= 1  # the scheduler ran the dead worker's chunk again
        assert "lost" not in res.starts
        _assert_same(res, seq, saved)
        assert len(_read_checkpoint(path)) == len(sc)
        submitted = _count_submitted(monkeypatch, client)
        again = sc.solve(executor=client, checkpoint=path, warm_start=False)
    assert submitted == []  # resuming a finished sweep recomputes nothing
    _assert_same(again, seq, saved)


@pytest.mark.filterwarnings("ignore:.*points were not solved:RuntimeWarning")
@pytest.mark.slow
def test_killed_worker_chunks_are_recorded_then_retried(tmp_path, monkeypatch, big_sweep):
    distributed = pytest.importorskip("distributed")
    import dask

    sc, seq = big_sweep
    path = tmp_path / "sweep.pkl"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # the first death is fatal: KilledWorker
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        res, saved = _sweep_and_kill_a_busy_worker(client, sc, path)
        lost = [j for j, start in enumerate(res.starts) if start == "lost"]
        assert lost, "no chunk was lost"
        assert all(res.results[j].status.startswith("error: worker lost: KilledWorker") for j in lost)
        assert res.success.sum() == len(sc) - len(lost)
        checkpointed = _read_checkpoint(path)
        assert set(checkpointed) == set(range(len(sc))) - set(lost)  # every finished point, no lost one
        submitted = _count_submitted(monkeypatch, client)
        again = sc.solve(executor=client, checkpoint=path, warm_start=False)
    assert sorted(submitted) == lost  # the re-run solves exactly the lost points
    _assert_same(again, seq, saved)


def test_interrupted_sweep_cancels_pending_chunks(tmp_path, monkeypatch):
    import dynapai_sym.scenario.checkpoint as checkpoint_module

    class FirstChunkOnly:
        """Runs the first chunk at once; the others stay pending (as on a busy cluster)."""

        def __init__(self):
            self.futures: list[cf.Future] = []

        def submit(self, fn, *args):
            fut: cf.Future = cf.Future()
            if not self.futures:
                fut.set_result(fn(*args))
            self.futures.append(fut)
            return fut

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_module, "save", interrupted)
    executor = FirstChunkOnly()
    sc = dp.Scenario.from_params(n=2, r=np.linspace(0.05, 0.1, 20), varying="r")
    with pytest.raises(KeyboardInterrupt):
        sc.solve(executor=executor, checkpoint=tmp_path / "sweep.pkl")
    assert len(executor.futures) == 7
    assert all(fut.cancelled() for fut in executor.futures[1:])
