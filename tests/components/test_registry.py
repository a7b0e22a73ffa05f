"""The registry of component forms: built-in forms, errors, and the recipe for adding one."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

import dynapai_sym as dp
from dynapai_sym import models
from dynapai_sym.components.cost import S_THRESH, CostForm
from dynapai_sym.components.csf import KAPPA, ContestForm
from dynapai_sym.components.dynamics import TransitionForm
from dynapai_sym.components.registry import (
    Form,
    form_names,
    forms,
    get_form,
    register_form,
    unregister_form,
)
from dynapai_sym.components.risk import RiskForm
from dynapai_sym.errors import InvalidArgumentError, InvalidTypeError
from dynapai_sym.names import PARAMETER_GROUPS
from dynapai_sym.symbols import action_symbols, intermediate, player_symbols

BUILTIN = {
    "risk": ("winner_only", "multiplicative", "additive", "custom"),
    "contest": ("default", "maybe_no_win", "custom"),
    "cost": ("fixed", "linear", "quadratic", "certification", "penalty", "custom", "custom_nonsmooth"),
    "transition": ("none", "invest", "sharing", "custom"),
}


# ----------------------------------------------------------------------------- the registry
def test_registry_lists_the_builtin_forms():
    for kind, names in BUILTIN.items():
        assert form_names(kind) == names
        for name in names:
            form = get_form(kind, name)
            assert isinstance(form, Form) and form.kind == kind and form.name == name
            assert form.user_written == name.startswith("custom")
            assert form.symmetric_capable == (not form.user_written)
    assert list(forms("risk")) == list(BUILTIN["risk"])
    assert get_form("risk", "multiplicative").takes_weights and not get_form("risk", "winner_only").takes_weights
    assert get_form("contest", "default").always_someone_wins
    assert not get_form("contest", "maybe_no_win").always_someone_wins
    assert [get_form("cost", n).smooth for n in BUILTIN["cost"]] == [True, True, True, False, False, True, False]
    assert get_form("transition", "sharing").shares and not get_form("transition", "invest").shares


def test_unknown_names_give_a_clear_error_naming_the_argument():
    with pytest.raises(InvalidArgumentError, match=r"form must be one of \('winner_only', 'multiplicative', "
                                                   r"'additive', 'custom'\).*got 'bogus'"):
        get_form("risk", "bogus")
    with pytest.raises(InvalidArgumentError, match=r"form must be one of .*'winner_only'.*got 'bogus'"):
        dp.RiskFunc("bogus", [0.5, 0.5])
    with pytest.raises(ValueError, match=r"form must be one of .*'maybe_no_win'.*got 'tullock'"):
        dp.CSF("tullock")
    with pytest.raises(ValueError, match=r"form must be one of .*'fixed'.*got 'free'"):
        dp.CostFunc(2, 2, "free", {})
    with pytest.raises(ValueError, match=r"form must be one of .*'sharing'.*got 'grow'"):
        dp.Transition("grow")
    with pytest.raises(InvalidArgumentError, match=r"kind must be one of .*'risk'.*got 'prod'"):
        form_names("prod")
    with pytest.raises(InvalidArgumentError, match=r"risk must be one of \('winner_only', 'multiplicative', "
                                                   r"'additive'\), got 'custom'"):
        dp.Scenario.from_params(risk="custom", varying="r", r=[0.1])
    with pytest.raises(InvalidArgumentError, match="name must be one of"):
        unregister_form("risk", "bogus")


def test_registering_checks_the_class():
    with pytest.raises(InvalidArgumentError, match="already registered"):
        @register_form("risk")
        class Again(RiskForm):
            name = "winner_only"
    with pytest.raises(InvalidTypeError, match="Form subclass"):
        register_form("risk")(object)
    with pytest.raises(InvalidArgumentError, match="needs a contest form"):
        @register_form("contest")
        class WrongKind(RiskForm):
            name = "wrong_kind"
    with pytest.raises(InvalidArgumentError, match="identifier"):
        @register_form("risk")
        class Nameless(RiskForm):
            pass
    with pytest.raises(InvalidArgumentError, match="params"):
        @register_form("risk")
        class Unknown(RiskForm):
            name = "unknown_params"
            params = {"lam": "lam"}
    assert form_names("risk") == BUILTIN["risk"]


def test_components_dispatch_through_their_form():
    risk = dp.RiskFunc.multiplicative([0.5, 0.5])
    assert risk.form == "multiplicative" and risk.form_def is get_form("risk", "multiplicative")
    assert not risk.is_custom and dp.RiskFunc.custom([0.5, 0.5], [sp.Integer(1)] * 2).is_custom
    assert dp.CSF.maybe_no_win().form_def is get_form("contest", "maybe_no_win")
    assert dp.CostFunc.custom(2, 2, lambda X, s, p: [0, 0], smooth=False).form_def.name == "custom_nonsmooth"
    assert dp.Transition.sharing("exp").form_def is get_form("transition", "sharing")
    assert dp.Transition.custom({}).is_custom and not dp.Transition.none().is_custom
    assert dp.RewardFunc.custom(2, [[1, 0], [0, 1]]).is_custom and dp.RewardFunc(2).form_key() == ("win_only",)
    assert dp.RiskFunc.custom([0.5, 0.5], [sp.Integer(1)] * 2).form_key() is None


def test_form_parameters_agree_with_parameter_groups():
    declared = {}
    for kind in BUILTIN:
        for form in forms(kind).values():
            for name, base in form.params.items():
                if name in PARAMETER_GROUPS:
                    assert PARAMETER_GROUPS[name] == base, (kind, form.name, name)
                declared[name] = base
    # the groups that forms add are declared by a form
    for name in ("w", "kappa", "r", "r_inv", "r_share"):
        assert declared[name] == PARAMETER_GROUPS[name]

    # and the declared bases are those of the component's parameter symbols
    def bases(comp):
        return {re.sub(r"\d+$", "", s.name) for s in comp.param_values}

    cases = [
        (dp.RiskFunc.multiplicative([0.5, 0.5]), {"theta"}),
        (dp.RiskFunc.additive([0.5, 0.5]), {"theta"}),
        (dp.RiskFunc.winner_only([0.5, 0.5]), {"theta"}),
        (dp.CSF.maybe_no_win(2.0), set()),
        (dp.CSF.default(), set()),
        (dp.CostFunc.fixed_sharing([0.1, 0.1], [0.1, 0.1], [0.1, 0.1]), set()),
        (dp.CostFunc.certification([0.1, 0.1], [0.1, 0.1], 1.0), {"s_thresh"}),
        (dp.CostFunc.penalty([0.1, 0.1], [0.1, 0.1], 1.0), {"s_thresh"}),
    ]
    for comp, own in cases:
        assert bases(comp) == own | set(comp.form_def.params.values()), comp


# ----------------------------------------------------------------------------- unchanged expressions
def test_builtin_forms_build_the_same_expressions_as_before():
    """The expressions the forms build, written out as the package built them before the registry."""
    n = 3
    s, p = intermediate("s", n), intermediate("p", n)
    w = player_symbols("w", n, positive=True)
    safe = [sp.together(si / (1 + si)) for si in s]
    theta = [0.5] * n
    assert dp.RiskFunc.winner_only(theta).sigma(s, p) == safe
    prod = sp.Mul(*[sk**wk for sk, wk in zip(safe, w)])
    before = prod ** (sp.Integer(n) / sp.Add(*w))  # the outer power is now distributed over the factors
    now = dp.RiskFunc.multiplicative(theta).sigma(s, p)
    assert now == [sp.Mul(*[sk ** (wk * sp.Integer(n) / sp.Add(*w)) for sk, wk in zip(safe, w)])] * n
    rng = np.random.default_rng(0)
    for _ in range(5):
        point = dict(zip((*s, *p, *w), rng.uniform(0.1, 3.0, 3 * n)))
        assert float(now[0].subs(point)) == pytest.approx(float(before.subs(point)), rel=1e-12)
    total = sp.Add(*[wk * sk for sk, wk in zip(safe, w)]) / sp.Add(*w)
    assert dp.RiskFunc.additive(theta, [1, 2, 3]).sigma(s, p) == [total] * n

    assert dp.CSF.default().q(p) == [pj / sp.Add(*p) for pj in p]
    assert dp.CSF.maybe_no_win(2.0).q(p) == [KAPPA * pj / (1 + KAPPA * sp.Add(*p)) for pj in p]

    X = action_symbols(n, 6)
    v = np.full(n, 0.1)
    r, ri, rs = (player_symbols(b, n) for b in ("r", "rinv", "rshare"))
    assert dp.CostFunc.fixed(v, v, v).cost(X, s, p) == [
        r[i] * (X[i][0] + X[i][1]) + ri[i] * (X[i][2] + X[i][3]) + rs[i] * (X[i][4] + X[i][5]) for i in range(n)]
    lin = [player_symbols(f"r_{c}", n) for c in ("xs", "xp", "is", "ip")]
    assert dp.CostFunc.linear(np.ones((n, 4))).cost(X, s, p) == [
        sp.Add(*[lin[j][i] * X[i][j] for j in range(4)]) for i in range(n)]
    r0 = [player_symbols(f"r0_{c}", n) for c in ("xs", "xp")]
    r1 = [player_symbols(f"r1_{c}", n) for c in ("xs", "xp")]
    assert dp.CostFunc.quadratic(v, v).cost(X, s, p) == [
        sp.Add(*[r0[j][i] * X[i][j] + r1[j][i] * X[i][j] ** 2 / 2 for j in range(2)]) for i in range(n)]
    r0s, rxs, pen = (player_symbols(b, n) for b in ("r0_xs", "r_xs", "P"))
    assert dp.CostFunc.certification(v, v, 1.0).cost(X, s, p) == [
        sp.Piecewise((r0s[i] * (X[i][0] + X[i][1]), s[i] < S_THRESH), (rxs[i] * (X[i][0] + X[i][1]), True))
        for i in range(n)]
    assert dp.CostFunc.penalty(v, v, 1.0).cost(X, s, p) == [
        r[i] * (X[i][0] + X[i][1]) + sp.Piecewise((pen[i], s[i] < S_THRESH), (0, True)) for i in range(n)]

    A, B = player_symbols("A", n, positive=True), player_symbols("B", n, positive=True)
    assert dp.Transition.none().next_state(X, n) == {}
    invest = {A[i]: A[i] + X[i][2] for i in range(n)} | {B[i]: B[i] + X[i][3] for i in range(n)}
    assert dp.Transition.invest().next_state(X, n) == invest
    for share_map, g in (("fraction", lambda sh: sh), ("exp", lambda sh: 1 - sp.exp(-sh))):
        expected = dict(invest)
        for i in range(n):
            expected[A[i]] += sp.Add(*[g(X[j][4]) * sp.Max(0, A[j] - A[i]) for j in range(n) if j != i])
            expected[B[i]] += sp.Add(*[g(X[j][5]) * sp.Max(0, B[j] - B[i]) for j in range(n) if j != i])
        assert dp.Transition.sharing(share_map).next_state(X, n) == expected

    # and the whole payoff of the README model
    pf = models.readme_payoff(2)
    xs = [x[0] for x in pf.action_symbols]
    xp = [x[1] for x in pf.action_symbols]
    pp = [Bi * x**be for Bi, x, be in zip(pf.prod_func.B, xp, pf.prod_func.beta_symbols)]
    ss = [Ai * x**al * pi ** (-th) for Ai, x, al, pi, th in
          zip(pf.prod_func.A, xs, pf.prod_func.alpha_symbols, pp, pf.risk_func.theta_symbols)]
    sig = [sp.together(si / (1 + si)) for si in ss]
    q = [pj / sp.Add(*pp) for pj in pp]
    d, win, r2 = player_symbols("d", 2), player_symbols("winA", 2), player_symbols("r", 2)
    u0 = (sp.Add(*[sig[j] * q[j] * (win[0] if j == 0 else 0) for j in range(2)])
          - sp.Add(*[(1 - sig[j]) * q[j] * d[0] for j in range(2)]) - r2[0] * (xs[0] + xp[0]))
    assert pf.payoff_expr(0) == u0


def test_reprs_and_latex_of_builtin_forms_are_unchanged():
    assert repr(dp.RiskFunc.additive([0.5, 0.5], [1.0, 2.0])) == "RiskFunc.additive(theta=[0.5, 0.5], w=[1.0, 2.0])"
    assert repr(dp.RiskFunc("winner_only", [0.5, 0.5])) == "RiskFunc.winner_only(theta=[0.5, 0.5])"
    assert repr(dp.CSF.maybe_no_win(2.0)) == "CSF.maybe_no_win(scale=2.0)"
    assert repr(dp.CSF.default()) == "CSF.default()"
    assert repr(dp.Transition.sharing("exp")) == "Transition.sharing(share_map='exp')"
    assert repr(dp.Transition.invest()) == "Transition.invest()"
    assert repr(dp.CostFunc.fixed([0.1, 0.2])) == "CostFunc.fixed(r=[0.1, 0.2])"
    assert dp.RiskFunc.winner_only([0.5, 0.5]).to_latex() == r"\sigma_j = \frac{s_j}{1 + s_j}"
    assert dp.CSF.default().to_latex() == r"q_j = \frac{p_j}{\sum_k p_k}"
    assert dp.Transition.none().to_latex() == r"A_i(t+1) = A_i(t), \qquad B_i(t+1) = B_i(t)"


# ----------------------------------------------------------------------------- the recipe
class ToyRisk(RiskForm):
    r"""A toy risk function: :math:`\sigma_j = s_j^2 / (1 + s_j^2)`."""

    name = "toy"

    def sigma(self, risk, s, p):
        return [sp.together(sj**2 / (1 + sj**2)) for sj in s]

    def latex(self, risk):
        return r"\sigma_j = \frac{s_j^2}{1 + s_j^2}"


class ToyWeightedRisk(RiskForm):
    r"""A weighted toy: :math:`\sigma_j = \sum_k w_k s_k^2/(1+s_k^2) / \sum_k w_k`."""

    name = "toy_weighted"
    params = {"w": "w"}

    def sigma(self, risk, s, p):
        w = risk.w_symbols
        return [sp.Add(*[wk * sk**2 / (1 + sk**2) for sk, wk in zip(s, w)]) / sp.Add(*w)] * risk.n

    def latex(self, risk):
        return r"\sigma_j = \frac{\sum_k w_k s_k^2 / (1 + s_k^2)}{\sum_k w_k}"


@pytest.fixture
def toy_forms():
    register_form("risk")(ToyRisk)
    register_form("risk")(ToyWeightedRisk)
    yield
    unregister_form("risk", "toy")
    unregister_form("risk", "toy_weighted")
    assert form_names("risk") == BUILTIN["risk"]


def _hand_toy(xs, xp, A, alpha, B, beta, theta, d, r):
    p = B * xp**beta
    s = A * xs**alpha * p ** (-theta)
    sigma = s**2 / (1 + s**2)
    q = p / p.sum()
    return np.array([sigma[i] * q[i] - np.sum((1 - sigma) * q) * d[i] - r[i] * (xs[i] + xp[i])
                     for i in range(len(xs))])


def test_recipe_a_new_risk_form_is_one_registered_class(toy_forms):
    A, alpha, B, beta = np.array([2.0, 3.0]), np.array([0.5, 0.6]), np.array([2.0, 1.5]), np.array([0.5, 0.4])
    theta, d, r = np.array([0.3, 0.2]), np.array([1.0, 0.8]), np.array([0.1, 0.15])
    risk = dp.RiskFunc("toy", theta)
    assert risk.form == "toy" and repr(risk) == "RiskFunc('toy', theta=[0.3, 0.2])"
    assert risk.is_symmetric() is False  # theta differs
    pf = dp.PayoffFunc(prod_func=dp.ProdFunc(a=A, alpha=alpha, b=B, beta=beta), risk_func=risk, d=d, r=r)

    # the payoff is the hand-written formula
    rng = np.random.default_rng(0)
    for _ in range(5):
        xs, xp = rng.uniform(0.1, 3, 2), rng.uniform(0.1, 3, 2)
        expected = _hand_toy(xs, xp, A, alpha, B, beta, theta, d, r)
        np.testing.assert_allclose(pf(dp.Actions.from_inputs(xs, xp)), expected, rtol=1e-12)

    # and so are the first-order conditions
    xs_s, xp_s = sp.symbols("xs1:3", positive=True), sp.symbols("xp1:3", positive=True)
    pp = [B[i] * xp_s[i] ** beta[i] for i in range(2)]
    ss = [A[i] * xs_s[i] ** alpha[i] * pp[i] ** (-theta[i]) for i in range(2)]
    sig = [si**2 / (1 + si**2) for si in ss]
    q = [pj / sp.Add(*pp) for pj in pp]
    hand = [sig[i] * q[i] - sp.Add(*[(1 - sig[j]) * q[j] for j in range(2)]) * d[i] - r[i] * (xs_s[i] + xp_s[i])
            for i in range(2)]
    focs = pf.focs()
    X = pf.action_symbols
    point = {xs_s[0]: 0.7, xs_s[1]: 1.3, xp_s[0]: 0.4, xp_s[1]: 2.2}
    at = {X[i][c]: point[(xs_s, xp_s)[c][i]] for i in range(2) for c in range(2)} | pf.param_values
    for i in range(2):
        for c, var in enumerate((xs_s[i], xp_s[i])):
            expected = float(sp.diff(hand[i], var).subs(point))
            assert float(focs[i, c].subs(at)) == pytest.approx(expected, rel=1e-10)

    # the model solves to a certified equilibrium
    res = dp.Aggregator(pf).solve()
    assert res.success
    eq = res.strategies.data[0]  # interior: the hand-written first-order conditions vanish there
    assert np.all(eq > 1e-3)
    at_eq = {xs_s[i]: eq[i, 0] for i in range(2)} | {xp_s[i]: eq[i, 1] for i in range(2)}
    for i in range(2):
        for var in (xs_s[i], xp_s[i]):
            assert abs(float(sp.diff(hand[i], var).subs(at_eq))) < 1e-8

    # the LaTeX document shows the form's equation
    assert r"\frac{s_j^2}{1 + s_j^2}" in pf.to_latex()

    # a scenario builds it by name
    sc = dp.Scenario.from_params(risk="toy", varying="r", r=[0.05, 0.1])
    assert sc.shape == (2,)
    assert all(agg.state.beliefs[0].risk_func.form == "toy" for agg in sc.aggregators)
    assert sc.solve().success.all()


def test_a_new_risk_form_can_take_the_risk_weights(toy_forms):
    risk = dp.RiskFunc("toy_weighted", [0.5, 0.5], [1.0, 3.0])
    assert risk.w.tolist() == [1.0, 3.0] and risk.form_def.takes_weights
    assert dp.RiskFunc("toy_weighted", [0.5, 0.5]).w.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="only applies to multiplicative or additive or toy_weighted risk, not toy"):
        dp.RiskFunc("toy", [0.5, 0.5], w=[1.0, 1.0])
    sc = dp.Scenario.from_params(risk="toy_weighted", varying="w", values=[[1.0, 1.0], [1.0, 3.0]])
    assert sc.aggregators[1].state.beliefs[0].risk_func.w.tolist() == [1.0, 3.0]
    with pytest.raises(ValueError, match="risk='multiplicative' or risk='additive' or risk='toy_weighted'"):
        dp.Scenario.from_params(risk="toy", varying="w", values=[[1.0, 1.0]])


def test_replacing_a_form_does_not_reuse_the_old_compiled_structure():
    class First(RiskForm):
        name = "toy_replaced"

        def sigma(self, risk, s, p):
            return [sp.together(sj / (1 + sj)) for sj in s]

        def latex(self, risk):
            return r"\sigma_j = \frac{s_j}{1 + s_j}"

    class Second(First):
        def sigma(self, risk, s, p):
            return [sp.together(sj**2 / (1 + sj**2)) for sj in s]

    acts = dp.Actions.from_inputs([1.0, 2.0], [0.5, 1.0])
    try:
        register_form("risk")(First)
        first = dp.PayoffFunc(models.readme_payoff().prod_func, dp.RiskFunc("toy_replaced", [0.5, 0.5]),
                              d=[1.0, 1.0], r=[0.1, 0.1])
        register_form("risk", replace=True)(Second)
        second = dp.PayoffFunc(models.readme_payoff().prod_func, dp.RiskFunc("toy_replaced", [0.5, 0.5]),
                               d=[1.0, 1.0], r=[0.1, 0.1])
    finally:
        unregister_form("risk", "toy_replaced")
    np.testing.assert_allclose(first(acts), models.readme_payoff()(acts), rtol=1e-12)
    assert not np.allclose(second(acts), first(acts))
    assert first.risk_func.form_def == First() and second.risk_func.form_def == Second()


@pytest.mark.parametrize("kind, base", [("risk", RiskForm), ("contest", ContestForm), ("cost", CostForm),
                                        ("transition", TransitionForm)])
def test_every_registered_form_is_of_its_kinds_base_class(kind, base):
    assert all(isinstance(form, base) for form in forms(kind).values())
