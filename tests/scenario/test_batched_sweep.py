"""Batched static sweeps (scenario/batched.py) give the point-by-point results."""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp


def _grid(n_r=20, n_theta=25, lo=0.01, hi=0.1, **kw):
    return dp.Scenario.from_params(n=2, r=np.linspace(lo, hi, n_r), varying="r",
                                   theta=np.linspace(0.1, 1.0, n_theta), varying2="theta", **kw)


def _assert_same(a, b, atol=1e-10):
    assert len(a.results) == len(b.results)
    for ra, rb in zip(a.results, b.results):
        assert ra.success == rb.success
        np.testing.assert_allclose(ra.strategies.data, rb.strategies.data, rtol=0, atol=atol)
        if ra.success:
            assert ra.certificate.passed and ra.kkt_residual <= 1e-8


@pytest.mark.slow
def test_500_point_static_grid_batched_equals_point_by_point():
    """The required check: 500 points (20 x 25), batched and point by point, equal to 1e-10 in
    actions with identical success flags; every success certified."""
    batched = _grid().solve()
    single = _grid().solve(batch=False)
    assert len(batched) == 500
    _assert_same(batched, single)
    assert batched.starts == single.starts
    assert batched.success.sum() > 450


def test_batched_sweep_without_warm_starts_and_one_axis():
    a = _grid(12, 1, lo=0.02, hi=0.4).solve(warm_start=False)
    b = _grid(12, 1, lo=0.02, hi=0.4).solve(warm_start=False, batch=False)
    _assert_same(a, b)
    c = dp.Scenario.from_params(n=3, r=np.linspace(0.05, 0.3, 8), varying="r").solve()
    d = dp.Scenario.from_params(n=3, r=np.linspace(0.05, 0.3, 8), varying="r").solve(batch=False)
    _assert_same(c, d)


def test_batched_sweep_with_checkpoint(tmp_path):
    path = tmp_path / "points.pkl"
    a = _grid(6, 5).solve(checkpoint=path)
    b = _grid(6, 5).solve(batch=False)
    # with a checkpoint the points are solved in chunks of 16, and a chunk's warm-start chains
    # begin inside it: a point whose neighbour lies in an earlier chunk starts cold, and reaches
    # the same equilibrium to the solver's tolerance, not to the last digits
    _assert_same(a, b, atol=1e-9)
    again = _grid(6, 5).solve(checkpoint=path)  # resumed: nothing left to solve
    _assert_same(again, a, atol=0.0)


def test_batch_does_not_apply_to_other_methods_or_horizons():
    from dynapai_sym.scenario.batched import batchable

    sc = _grid(3, 2)
    tasks = [(j, agg, sc.neighbours[j]) for j, agg in enumerate(sc.aggregators)]
    assert batchable(tasks, 1, "auto") and batchable(tasks, 1, "kkt")
    assert not batchable(tasks, 1, "best_response")
    assert not batchable(tasks, 1, "mixed")
    assert not batchable(tasks[:1], 1, "auto")


def test_batch_argument_is_checked():
    with pytest.raises(TypeError, match="batch"):
        _grid(2, 2).solve(batch="yes")


def test_a_wave_whose_batched_solve_raises_goes_point_by_point(monkeypatch):
    from dynapai_sym.scenario import batched

    def broken(*args, **kwargs):
        raise FloatingPointError("batched Newton broke")

    monkeypatch.setattr(batched, "solve_kkt_batch", broken)
    a = _grid(4, 3).solve()
    b = _grid(4, 3).solve(batch=False)
    _assert_same(a, b)
    assert a.success.all()
