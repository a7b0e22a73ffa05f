"""A chunk's results packed in columns for the trip back from a worker process."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym.scenario import transport
from dynapai_sym.scenario.runs import FailedPoint
from dynapai_sym.scenario.transport import PackedOutputs
from dynapai_sym.solvers.result import Optimum


def _assert_same(a, b, where="result"):
    """Field-by-field equality of two results (arrays exactly, NaN equal to NaN)."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.shape == b.shape and a.dtype == b.dtype, where
        assert np.array_equal(a, b, equal_nan=True), where
        assert a.flags.writeable == b.flags.writeable, where
    elif isinstance(a, (dp.Strategies, dp.Actions)):
        np.testing.assert_array_equal(a.data, b.data)
        if isinstance(a, dp.Strategies):
            assert a.action_type is b.action_type
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for j, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{j}]")
    elif hasattr(a, "__dataclass_fields__"):
        for name in a.__dataclass_fields__:
            _assert_same(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


@pytest.fixture(scope="module")
def outputs():
    """Triples as a chunk returns them: static and two-period results, a failed point, a
    non-certified result (its deviation and notes set)."""
    static = dp.Scenario.from_params(r=np.linspace(0.05, 0.1, 5), varying="r").solve()
    invest = dp.Scenario.from_params(r=[0.1, 0.12], varying="r", r_inv=0.05, t=2, gammas=0.9).solve()
    failed = FailedPoint(status="error: ValueError: x", message="Traceback", method="auto", n=2, k=2, t=1,
                         notes=["a note"])
    out = [(j, r, "warm" if j else "cold") for j, r in enumerate(static.results)]
    out += [(10 + j, r, "cold") for j, r in enumerate(invest.results)]
    out.append((20, failed, "cold"))
    return out


def test_round_trip_gives_equal_results(outputs):
    back = pickle.loads(pickle.dumps(PackedOutputs(outputs))).outputs
    assert len(back) == len(outputs)
    for (i, a, s), (j, b, t) in zip(outputs, back):
        assert (i, s) == (j, t)
        _assert_same(a, b, f"point {i}")
        if isinstance(a, dp.SolverResult):
            assert isinstance(b.optimum, Optimum) and b.optimum() is b.optimum
            assert b.strategies.data.shape == a.strategies.data.shape


def test_one_kind_of_result_travels_in_columns(outputs):
    static = [o for o in outputs if o[0] < 10]
    _, args = PackedOutputs(static).__reduce__()
    count, columns = args
    assert count == len(static)
    kind, cls, fields = columns[1]
    assert (kind, cls) == ("object", dp.SolverResult)
    assert fields["payoffs"][0] == "array" and fields["payoffs"][1].shape == (len(static), 2)
    assert fields["certificate"][0] == "object"
    # a column with more than one type is pickled as a list, and still comes back equal
    assert transport._encode([1.0, "a"])[0] == "list"


def test_read_only_arrays_stay_read_only():
    a = np.arange(3.0)
    a.setflags(write=False)
    assert transport._encode([a, a.copy()])[0] == "list"  # one read-only, one writeable: not stacked
    b = a.copy()
    b.setflags(write=False)
    back = transport._decode(transport._encode([a, b]), 2)
    assert all(not v.flags.writeable for v in back)
    np.testing.assert_array_equal(back[1], b)


def test_empty_chunk():
    assert pickle.loads(pickle.dumps(PackedOutputs([]))).outputs == []


def test_worker_processes_return_the_sequential_results():
    """Forked workers inherit the points and send packed results: the same table as one process."""
    sc = dp.Scenario.from_params(r=np.linspace(0.02, 0.1, 8), varying="r", theta=[0.3, 0.8], varying2="theta")
    seq = sc.solve()
    par = sc.solve(n_jobs=2, backend="processes")
    assert par.success.all() and len(par) == len(seq)
    for a, b in zip(seq.results, par.results):
        np.testing.assert_allclose(b.strategies.data, a.strategies.data, rtol=1e-8, atol=1e-12)
        assert b.certificate.kkt_ok and b.status == a.status
    from dynapai_sym.scenario import executors
    assert executors._FORKED == {}  # the inherited points are let go after the sweep
