"""Bad input fails early with a clear message naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym import models

PROD = dict(a=[10.0, 10.0], alpha=[0.5, 0.5], b=[10.0, 10.0], beta=[0.5, 0.5])


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(PROD, a=[10.0, 10.0, 10.0]), ValueError, "same length"),
        (dict(PROD, a=[10.0, -1.0]), ValueError, "a must be positive"),
        (dict(PROD, beta=[0.5, np.nan]), ValueError, "beta must be finite"),
        (dict(PROD, alpha="0.5"), TypeError, "alpha must be a number"),
        (dict(a=[10.0], alpha=[0.5], b=[10.0], beta=[0.5]), ValueError, "at least 2"),
    ],
)
def test_prod_func_rejects(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        dp.ProdFunc(**kwargs)


def test_payoff_func_rejects_mismatches():
    prod = dp.ProdFunc(**PROD)
    risk = dp.RiskFunc.winner_only([0.5, 0.5])
    with pytest.raises(ValueError, match="d must have 2 entries|one entry per player"):
        dp.PayoffFunc(prod, risk, d=[1.0, 1.0, 1.0], r=[0.1, 0.1])
    with pytest.raises(ValueError, match="risk_func has 3 players"):
        dp.PayoffFunc(prod, dp.RiskFunc.winner_only([0.5] * 3), d=[1.0, 1.0], r=[0.1, 0.1])
    with pytest.raises(ValueError, match="cost_func or r"):
        dp.PayoffFunc(prod, risk, d=[1.0, 1.0])
    with pytest.raises(ValueError, match="disaster must be"):
        dp.PayoffFunc(prod, risk, d=[1.0, 1.0], r=[0.1, 0.1], disaster="other")
    with pytest.raises(ValueError, match="complement"):
        dp.PayoffFunc(prod, risk, d=np.ones((2, 2)), r=[0.1, 0.1], disaster="complement")
    with pytest.raises(TypeError, match="risk_func must be a RiskFunc"):
        dp.PayoffFunc(prod, "winner_only", d=[1.0, 1.0], r=[0.1, 0.1])
    with pytest.raises(ValueError, match="d must be non-negative"):
        dp.PayoffFunc(prod, risk, d=[1.0, -1.0], r=[0.1, 0.1])
    with pytest.raises(ValueError, match="r must be non-negative"):
        dp.PayoffFunc(prod, risk, d=[1.0, 1.0], r=[0.1, -0.1])


def test_action_type_must_match_the_cost_function():
    pf = models.readme_payoff()
    with pytest.raises(TypeError, match="takes Actions"):
        pf(dp.InvestActions(np.ones((2, 4))))
    with pytest.raises(ValueError, match="shape"):
        pf(np.ones((3, 2)))
    with pytest.raises(ValueError, match="non-negative"):
        dp.Actions.from_inputs([1.0, -1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="player index"):
        pf.u_i(5, dp.Actions.from_inputs([1.0, 1.0], [1.0, 1.0]))


def test_components_reject_bad_values():
    with pytest.raises(ValueError, match="scale must be positive"):
        dp.CSF.maybe_no_win(-1.0)
    with pytest.raises(ValueError, match="theta must be non-negative"):
        dp.RiskFunc.winner_only([0.5, -0.5])
    with pytest.raises(ValueError, match="w .risk weights. only applies"):
        dp.RiskFunc("winner_only", [0.5, 0.5], w=[1.0, 1.0])
    with pytest.raises(ValueError, match="prices must have 2, 4 or 6 columns"):
        dp.CostFunc.linear(np.ones((2, 3)))
    with pytest.raises(ValueError, match="r_inv is required"):
        dp.CostFunc.fixed([0.1, 0.1], r_share=[0.0, 0.0])
    with pytest.raises(ValueError, match="at least 2"):
        dp.RewardFunc(1)
    with pytest.raises(ValueError, match="s_thresh must be positive"):
        dp.CostFunc.certification([0.1, 0.1], [0.1, 0.1], s_thresh=-1)


def test_custom_component_with_unknown_symbol_is_rejected():
    import sympy as sp

    mystery = sp.Symbol("mystery")
    csf = dp.CSF.custom(lambda p: [pi * mystery / sum(p) for pi in p])
    with pytest.raises(ValueError, match="mystery"):
        dp.PayoffFunc(dp.ProdFunc(**PROD), dp.RiskFunc.winner_only([0.5, 0.5]), d=[1.0, 1.0],
                      r=[0.1, 0.1], csf=csf)
    with pytest.raises(TypeError):
        dp.CSF.custom(lambda p: [p[0], p[1]], params={"phi": "two"})


def test_solver_options_and_solve_arguments():
    agg = dp.Aggregator(models.readme_payoff())
    with pytest.raises(ValueError, match="unknown solver options"):
        agg.solve(options={"iterations": 5})
    with pytest.raises(ValueError, match="tol must be positive"):
        dp.SolverOptions(tol=-1.0)
    with pytest.raises(ValueError, match="method must be"):
        agg.solve(method="newton")
    with pytest.raises(ValueError, match="t .number of periods. must be at least 1"):
        agg.solve(0)
    with pytest.raises(ValueError, match="gammas"):
        agg.solve(3)
    with pytest.raises(ValueError, match="gammas must be at most 1"):
        dp.Aggregator(models.readme_payoff(), gammas=[0.9, 1.5])
    with pytest.raises(ValueError, match="gammas must have one entry per player"):
        dp.Aggregator(models.readme_payoff(), gammas=[0.9, 0.9, 0.9])


@pytest.mark.parametrize("value", [10**400, [10.0, 10**400], float("inf")])
def test_numbers_beyond_the_floats_are_refused_by_name(value):
    """An integer too large for a float (or an infinite one) is not finite: the error names ``a``."""
    with pytest.raises(ValueError, match="a must be finite"):
        dp.ProdFunc(a=value, alpha=0.5, b=10.0, beta=0.5) if np.ndim(value) else \
            dp.ProdFunc(a=[value, value], alpha=[0.5, 0.5], b=[10.0, 10.0], beta=[0.5, 0.5])


@pytest.mark.parametrize("build, expected", [
    (lambda: dp.ProdFunc(a=[10.0, 10.0], alpha=[0.5], b=[10.0, 10.0], beta=[0.5, 0.5]), ValueError),
    (lambda: dp.RiskFunc("no_such_form", [0.5, 0.5]), ValueError),
    (lambda: dp.Aggregator(models.readme_payoff()).solve(t=0), ValueError),
    (lambda: dp.Aggregator(models.readme_payoff()).solve(method=1), TypeError),
    (lambda: dp.Scenario.from_params(n=2, r=[0.1, 0.2], varying="nope"), ValueError),
    (lambda: dp.Aggregator("not a model"), TypeError),
])
def test_errors_raised_on_purpose_are_package_errors(build, expected):
    """One type to catch them all (DynapaiError), and still the built-in type a caller expects."""
    with pytest.raises(dp.DynapaiError) as info:
        build()
    assert isinstance(info.value, expected)


def test_package_warnings_share_one_class():
    from dynapai_sym.errors import PointsExcludedWarning, PointsNotSolvedWarning

    assert issubclass(PointsExcludedWarning, dp.DynapaiWarning)
    assert issubclass(PointsNotSolvedWarning, dp.DynapaiWarning) and issubclass(PointsNotSolvedWarning, RuntimeWarning)


# ----------------------------------------------------------------------------- numbers and names
README_U = np.array([-0.2099315, -0.2099315])


def test_scalars_broadcast_wherever_a_per_player_vector_is_accepted():
    acts = dp.Actions.from_inputs([1.0, 1.0], [2.0, 2.0])
    # every value a number: ProdFunc takes n, the rest learn it from the PayoffFunc
    pf = dp.PayoffFunc(dp.ProdFunc(a=10.0, alpha=0.5, b=10.0, beta=0.5, n=2), dp.RiskFunc.winner_only(0.5),
                       d=1.0, r=0.1)
    np.testing.assert_allclose(pf(acts), README_U, rtol=1e-7)
    assert pf.risk_func.n == 2 and pf.cost_func.n == 2
    # a scalar r among vectors (the case that failed before)
    pf2 = dp.PayoffFunc(dp.ProdFunc(**PROD), dp.RiskFunc.winner_only([0.5, 0.5]), d=[1.0, 1.0], r=0.1)
    np.testing.assert_allclose(pf2(acts), README_U, rtol=1e-7)
    # cost constructors with numbers only
    pf3 = dp.PayoffFunc(dp.ProdFunc(**PROD), dp.RiskFunc.winner_only(0.5), d=1.0,
                        cost_func=dp.CostFunc.fixed_basic(0.1))
    np.testing.assert_allclose(pf3(acts), README_U, rtol=1e-7)
    inv = dp.PayoffFunc(dp.ProdFunc(**PROD), dp.RiskFunc.multiplicative(0.5, w=1.0), d=1.0,
                        cost_func=dp.CostFunc.fixed_invest(0.1, 0.01))
    assert inv.k == 4 and inv.cost_func.values["rinv"].tolist() == [0.01, 0.01]
    assert dp.CostFunc.quadratic(0.1, 0.2, n=3).n == 3
    assert dp.RiskFunc.additive(0.5, n=3).theta.tolist() == [0.5] * 3
    assert dp.RewardFunc(2, win_a=1.0, lose_a=0.1).lose_a.tolist() == [0.1, 0.1]
    agg = dp.Aggregator(pf.replace(cost_func=dp.CostFunc.fixed(0.1, 0.01)), gammas=0.9)
    assert agg.gammas.tolist() == [0.9, 0.9]
    # a scalar risk function used on its own says where the number of players comes from
    with pytest.raises(ValueError, match="give it to a PayoffFunc"):
        _ = dp.RiskFunc.winner_only(0.5).theta_symbols
    with pytest.raises(ValueError, match="give n="):
        dp.ProdFunc(a=10.0, alpha=0.5, b=10.0, beta=0.5)


@pytest.mark.parametrize("build, name", [
    (lambda: dp.ProdFunc(a=["10", 10.0], alpha=0.5, b=10.0, beta=0.5), "a"),
    (lambda: dp.RiskFunc.winner_only(["0.5", 0.5]), "theta"),
    (lambda: dp.RiskFunc.multiplicative([0.5, 0.5], w=[1.0, "1"]), "w"),
    (lambda: dp.PayoffFunc(dp.ProdFunc(**PROD), dp.RiskFunc.winner_only(0.5), d=["1.0", 1.0], r=0.1), "d"),
    (lambda: dp.PayoffFunc(dp.ProdFunc(**PROD), dp.RiskFunc.winner_only(0.5), d=1.0, r=[0.1, "0.1"]), "r"),
    (lambda: dp.PayoffFunc(dp.ProdFunc(**PROD), dp.RiskFunc.winner_only(0.5), d=1.0, r=0.1, r_inv="0.01"), "r_inv"),
    (lambda: dp.DisasterCost([["1", 1.0], [1.0, 1.0]]), "d"),
    (lambda: dp.RewardFunc(2, win_a=["1", 1.0]), "win_a"),
    (lambda: dp.CSF.maybe_no_win("1"), "scale"),
    (lambda: dp.Actions.from_inputs(["1", 1.0], [1.0, 1.0]), "xs"),
    (lambda: dp.Actions([[1.0, True], [1.0, 1.0]]), "data"),
    (lambda: dp.Aggregator(models.readme_payoff(), gammas=["0.9", 0.9]), "gammas"),
    (lambda: dp.Scenario.from_params(theta=[["0.5", 0.5]], varying="theta"), "theta"),
    (lambda: dp.Scenario.from_params(r=[0.1, 0.2], varying="r", d=["1", 1.0]), "d"),
])
def test_text_and_other_non_numbers_are_refused_naming_the_argument(build, name):
    with pytest.raises(TypeError, match=rf"^{name}\b"):
        build()


def test_errors_name_what_the_user_passed():
    prod, risk = dp.ProdFunc(**PROD), dp.RiskFunc.winner_only([0.5, 0.5])
    with pytest.raises(ValueError, match=r"^r must have one entry per player \(2\), got 3"):
        dp.PayoffFunc(prod, risk, d=1.0, r=[0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match=r"^r_inv must have one entry per player \(2\), got 3"):
        dp.PayoffFunc(prod, risk, d=1.0, r=0.1, r_inv=[0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match=r"^xp must be non-negative"):
        dp.Actions.from_inputs([1.0, 1.0], [1.0, -2.0])
    with pytest.raises(ValueError, match=r"^inv_s must be non-negative"):
        dp.Actions.from_inputs([1.0, 1.0], [1.0, 2.0], [-1.0, 0.0], [0.0, 0.0])
