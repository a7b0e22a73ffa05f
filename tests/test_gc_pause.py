"""The cyclic garbage collector is paused during sweeps and restored afterwards."""

import gc

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym._gc import paused_gc


def test_paused_inside_restored_after_even_on_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with paused_gc():
            assert not gc.isenabled()
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_inner_pause_leaves_outer_in_charge():
    with paused_gc():
        with paused_gc():
            pass
        assert not gc.isenabled()  # the inner exit did not switch the collector back on
    assert gc.isenabled()


def test_already_disabled_collector_stays_disabled():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_sweep_runs_with_collector_paused_and_restores_it(monkeypatch):
    sc = dp.Scenario.from_params(r=np.linspace(0.05, 0.1, 3), varying="r")
    seen = []
    original = dp.Aggregator.result_of

    def spy(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(dp.Aggregator, "result_of", spy)
    res = sc.solve()
    assert res.success.all()
    assert seen and not any(seen)
    assert gc.isenabled()
