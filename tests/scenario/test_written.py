"""Scenario.from_params with components written as expressions and their own parameters."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import dynapai_sym as dp
from dynapai_sym.compile import compile_model

WRITTEN = dict(production={"s": "A * x_s**alpha * p**(-theta)", "p": "B * x_p**beta"}, risk={"sigma": "s / (1 + s)"})


def test_written_builtins_sweep_like_the_builtins():
    r = np.linspace(0.05, 0.1, 3)
    written = dp.Scenario.from_params(r=r, varying="r", theta=0.5, **WRITTEN).solve()
    builtin = dp.Scenario.from_params(r=r, varying="r", theta=0.5).solve()
    assert np.all(written.success) and np.all(builtin.success)
    for a, b in zip(written, builtin):
        np.testing.assert_allclose(a.strategies.data, b.strategies.data, rtol=0, atol=1e-10)


def test_a_new_parameter_varies_and_shares_one_structure():
    compile_model.cache_clear()
    sc = dp.Scenario.from_params(risk={"sigma": "s**2 / (k + s**2)"}, params={"k": np.linspace(1, 4, 4), "h": 0.1},
                                 varying="k", theta=0.5, disaster={"d": "d * (1 + h * x_p)"})
    assert sc.varying == ("k",) and len(sc) == 4
    assert len({id(a.state.beliefs[0].structure) for a in sc.aggregators}) == 1
    assert all(a.state.beliefs[0].is_symmetric() for a in sc.aggregators)
    res = sc.solve()
    assert np.all(res.success)
    assert compile_model.cache_info().misses == 1
    assert list(res.to_dataframe()["k"].unique()) == pytest.approx([1.0, 2.0, 3.0, 4.0])
    k1 = sp.Symbol("k1", real=True)
    assert [a.state.beliefs[0].param_values[k1] for a in sc.aggregators] == pytest.approx([1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("kwargs,match", [
    (dict(risk={"sigma": "s / (1 + s)"}, params={"k": 1.0}), "params: k not used"),
    (dict(risk={"sigma": "s / (k + s)"}), "unknown name 'k'"),
    (dict(risk={"sig": "s"}), "risk must be a mapping with the keys sigma"),
    (dict(params={"alpha": 1.0}, risk={"sigma": "s"}), "built-in parameter"),
    (dict(risk={"sigma": "s.real"}), "attribute access"),
    (dict(risk={"sigma": "s"}, varying="w", w=[1.0, 2.0]), "w \\(risk weights\\) can only vary"),
])
def test_bad_written_scenarios_are_refused(kwargs, match):
    kwargs = {"r": [0.1, 0.2], "varying": "r", **kwargs}
    if kwargs["varying"] != "r":
        kwargs.pop("r")
        kwargs["r"] = 0.1
    with pytest.raises(dp.DynapaiError, match=match):
        dp.Scenario.from_params(**kwargs)
