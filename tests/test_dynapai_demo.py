"""The ``demo.py`` script of dynapai (the Rust engine with Python bindings), run against this
package with only its import changed.

The script itself is not shipped with the package; this test reproduces its calls, as the
dynapai README describes its Python API (``ProdFunc``, ``RiskFunc.winner_only``, ``PayoffFunc``,
``Actions.from_inputs``, ``InvestActions``, ``CSF``, ``Aggregator(state, gammas, end_on_win)``,
``solve(t)``, ``res.optimum()``, ``Scenario(aggs).solve()``), flag by flag: ``--basic``,
``--invest``, ``--end-on-win``, ``--scenario`` and ``--all``.
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dynapai_sym as dp  # noqa: E402  (the script reads: import dynapai as dp)

N, T = 2, 3


def _payoff(n: int, invest: bool = False, csf=None) -> dp.PayoffFunc:
    prod_func = dp.ProdFunc(a=np.full(n, 10.0), alpha=np.full(n, 0.5), b=np.full(n, 10.0), beta=np.full(n, 0.5))
    kwargs = dict(prod_func=prod_func, risk_func=dp.RiskFunc.winner_only(np.full(n, 0.5)), d=np.full(n, 1.0),
                  r=np.full(n, 0.1))
    if invest:
        kwargs["r_inv"] = np.full(n, 0.01)
    if csf is not None:
        kwargs["csf"] = csf
    return dp.PayoffFunc(**kwargs)


def run_demo(flags: set[str]) -> dict[str, object]:
    """The script's main(): each flag solves one problem; --all solves every one."""
    everything = "--all" in flags
    out: dict[str, object] = {}
    payoff_func = _payoff(N)
    out["payoff"] = payoff_func(dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0]))
    gammas = np.full(N, 0.9)
    if everything or "--basic" in flags:
        agg = dp.Aggregator(payoff_func, gammas=gammas)
        res = agg.solve(T)
        out["basic"] = (agg, res, res.optimum())
    if everything or "--invest" in flags:
        agg = dp.Aggregator(_payoff(N, invest=True, csf=dp.CSF.maybe_no_win()), gammas=gammas)
        res = agg.solve(T)
        out["invest"] = (agg, res, res.optimum())
    if everything or "--end-on-win" in flags:
        # the script keeps the default contest here: someone always wins, so the game ends at once
        agg = dp.Aggregator(_payoff(N, invest=True), gammas=gammas, end_on_win=True)
        res = agg.solve(T)
        out["end_on_win"] = (agg, res, res.optimum())
    if everything or "--scenario" in flags:
        aggs = [dp.Aggregator(_payoff(N).replace(d=d), gammas=gammas) for d in (0.5, 1.0, 2.0)]
        res = dp.Scenario(aggs).solve(t=2)
        fig = dp.plot(res)
        out["scenario"] = (aggs, res, fig)
    return out


def test_basic():
    out = run_demo({"--basic"})
    np.testing.assert_allclose(out["payoff"], [-0.2099315, -0.2099315], rtol=1e-7)
    agg, res, optimum = out["basic"]
    assert res.success and len(optimum) == T and isinstance(optimum[0], dp.Actions)
    # basic actions and no state change: every period repeats the static equilibrium
    static = dp.Aggregator(_payoff(N)).solve()
    np.testing.assert_allclose(res.strategies.data, np.repeat(static.strategies.data, T, axis=0), rtol=1e-6)


def test_invest():
    agg, res, optimum = run_demo({"--invest"})["invest"]
    assert res.success and isinstance(optimum[0], dp.InvestActions)
    assert np.all(res.strategies.data[-1, :, 2:] == 0)  # investing in the last period is pure cost


def test_end_on_win_with_a_contest_someone_always_wins():
    with pytest.warns(dp.DynapaiWarning, match="ends after the first period"):
        agg, res, optimum = run_demo({"--end-on-win"})["end_on_win"]
    assert res.success and len(optimum) == T
    assert res.indeterminate[1:].all()
    np.testing.assert_array_equal(agg.probas(res)[:, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(res.payoffs, dp.Aggregator(_payoff(N, invest=True)).solve().payoffs, rtol=1e-9)


def test_scenario():
    aggs, res, fig = run_demo({"--scenario"})["scenario"]
    assert len(res) == 3 and res.success.all()
    assert len(fig.axes) == 6


def test_all():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dp.DynapaiWarning)
        out = run_demo({"--all"})
    assert {"basic", "invest", "end_on_win", "scenario"} <= set(out)
    assert all(out[key][1].success for key in ("basic", "invest", "end_on_win"))
