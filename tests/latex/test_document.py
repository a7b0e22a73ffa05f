"""LaTeX export: explicit equations parse back to the model's expressions; documents compile."""

from __future__ import annotations

import shutil
import subprocess

import mpmath
import numpy as np
import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

import dynapai_sym as dp
from dynapai_sym import models
from dynapai_sym.latex import document as lx
from dynapai_sym.symbols import intermediate

APT_PACKAGES = "texlive-latex-base texlive-latex-recommended"


# ---------------------------------------------------------------------------- models
def _readme() -> dp.PayoffFunc:
    return models.readme_payoff()


def _no_win_linear() -> dp.PayoffFunc:
    """The README model with a contest that may have no winner and a linear reward."""
    return models.readme_payoff().replace(
        csf=dp.CSF.maybe_no_win(2.0),
        reward_func=dp.RewardFunc.linear_reward([1.0, 1.2], [0.1, 0.2], [0.05, 0.0], [0.02, 0.03]),
    )


def _three_multiplicative() -> dp.PayoffFunc:
    return models.readme_payoff(3, risk="multiplicative")


# models whose explicit equations are parsed back (the parser is slow on longer ones)
MODELS = {"readme": _readme, "no_win_linear": _no_win_linear}


def _custom_csf() -> dp.CSF:
    phi = sp.Symbol("phi", positive=True)
    return dp.CSF.custom(lambda p: [x**phi / sum(y**phi for y in p) for x in p], {phi: 1.5})


# ---------------------------------------------------------------------------- parsing back
@pytest.fixture(scope="module")
def parse_latex():
    """sympy's LaTeX parser; it needs antlr4-python3-runtime 4.11 (sympy 1.14 refuses other versions)."""
    from sympy.parsing.latex import parse_latex as parse

    try:
        parse("x")
    except ImportError as exc:  # pragma: no cover - environment problem, must be visible
        pytest.fail(f"sympy's LaTeX parser is unusable ({exc}); pip install 'antlr4-python3-runtime==4.11.*'")
    return parse


def _from_latex(parse, text: str, names: dict[sp.Symbol, str]) -> sp.Expr:
    """Parse an export written with plain names and map its symbols back to the model's."""
    back = {name.lstrip("\\"): sym for sym, name in names.items()}
    expr = parse(text.replace(r"\Big(", r"\left(").replace(r"\Big)", r"\right)"))
    subs = {s: back[s.name] for s in expr.free_symbols if s.name in back}
    if sp.Symbol("e") in expr.free_symbols:
        subs[sp.Symbol("e")] = sp.E
    unknown = expr.free_symbols - set(subs)
    assert not unknown, f"parsed symbols with no model counterpart: {unknown}"
    assert not expr.atoms(AppliedUndef), f"parsed a function call: {expr.atoms(AppliedUndef)}"
    return expr.xreplace(subs)


def _assert_same(parsed: sp.Expr, expected: sp.Expr, seed: int = 0, points: int = 5) -> None:
    """Numerically equal at random points (every symbol drawn independently in [0.2, 3]).

    Evaluated with 40-digit mpmath arithmetic, so that rounding in the two
    (differently arranged) expressions cannot hide or fake a difference.
    """
    assert parsed.free_symbols == expected.free_symbols
    rng = np.random.default_rng(seed)
    symbols = sorted(expected.free_symbols, key=lambda s: s.name)
    f_parsed = sp.lambdify(symbols, parsed, modules="mpmath")
    f_expected = sp.lambdify(symbols, expected, modules="mpmath")
    with mpmath.workdps(40):
        for _ in range(points):
            point = [mpmath.mpf(int(v)) / 1000 for v in rng.integers(200, 3000, size=len(symbols))]
            a, b = f_parsed(*point), f_expected(*point)
            assert abs(a - b) <= mpmath.mpf(10) ** -25 * (1 + abs(b)), f"{a} != {b} at {dict(zip(symbols, point))}"


def _plain(pf: dp.PayoffFunc) -> dict[sp.Symbol, str]:
    return lx.plain_names(pf.glossary())


def _foc_xs(pf: dp.PayoffFunc) -> sp.Expr:
    return pf.focs()[0, 0]


EQUATIONS = {"u1": lambda pf: pf.payoff_expr(0), "foc_xs1": _foc_xs}


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("equation", sorted(EQUATIONS))
def test_explicit_equation_parses_back(parse_latex, model, equation):
    pf = MODELS[model]()
    expr = EQUATIONS[equation](pf)
    names = _plain(pf)
    one_line = lx.export_expr(expr, names, plain=True)
    _assert_same(_from_latex(parse_latex, one_line, names), expr)


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("equation", sorted(EQUATIONS))
@pytest.mark.parametrize("width", [70.0, 15.0])
def test_rows_of_explicit_equation_parse_back(parse_latex, model, equation, width):
    """The rows the document shows, joined, are the expression (also when products are bracket-split)."""
    pf = MODELS[model]()
    expr = EQUATIONS[equation](pf)
    names = _plain(pf)
    rows = lx.expr_lines(expr, names, plain=True, width=width)
    assert len(rows) > 1
    if width < 20:
        assert any(r"\Big(" in row for row in rows)
    _assert_same(_from_latex(parse_latex, " ".join(rows), names), expr)


def _custom_risk() -> dp.PayoffFunc:
    """Risk from a user expression (geometric mean of the safeties) with its own parameter L."""
    L = sp.Symbol("L", positive=True)

    def sigma(s, p):
        g = sp.sqrt(s[0] * s[1])
        return [L * g / (1 + L * g)] * 2

    risk = dp.RiskFunc.custom(0.5, sigma, params={"L": 1.5}, n=2)
    return dp.PayoffFunc(dp.ProdFunc(a=10.0, alpha=0.5, b=10.0, beta=0.5, n=2), risk, d=1.0, r=0.1)


INTERMEDIATE_MODELS = {
    "readme": _readme,
    "no_win_linear": _no_win_linear,
    "three_multiplicative": _three_multiplicative,
    "additive_complement": lambda: models.readme_payoff(risk="additive", w=[1.0, 2.0]).replace(disaster="complement"),
    "custom_risk": _custom_risk,
    "custom_csf": lambda: models.readme_payoff().replace(csf=_custom_csf()),
    "quadratic_cost": lambda: _readme().replace(cost_func=dp.CostFunc.quadratic([0.1, 0.2], [0.05, 0.01])),
    "invest": lambda: models.invest_aggregator().state.beliefs[0],
    "d_matrix": lambda: _readme().replace(d=[[1.0, 2.0], [0.5, 1.5]]),
}


def _random_point(symbols, rng) -> dict:
    return {s: sp.Float(rng.uniform(0.3, 2.5), 30) for s in symbols}


@pytest.mark.parametrize("model", sorted(INTERMEDIATE_MODELS))
def test_conditions_in_intermediates_equal_the_model_derivatives(model):
    """Each first-order condition written in p, s, sigma, q (chain rule through the intermediates'
    own derivatives), with the intermediates substituted back, is the model's own du_i/da_i."""
    from dynapai_sym.latex.conditions import IntermediateForm

    pf = INTERMEDIATE_MODELS[model]()
    form = IntermediateForm(pf)
    focs = pf.focs()
    rng = np.random.default_rng(3)
    for i in range(pf.n):
        for c in range(pf.k):
            written = form.foc(i, c)
            assert written.free_symbols.isdisjoint(pf.structure.actions) or c < 2
            back = form.explicit(written)
            symbols = back.free_symbols | focs[i, c].free_symbols
            for _ in range(3):
                point = _random_point(symbols, rng)
                a, b = back.xreplace(point).evalf(25), focs[i, c].xreplace(point).evalf(25)
                assert abs(a - b) <= 1e-18 * (1 + abs(b)), (model, i, c, a, b)


@pytest.mark.slow
def test_jacobian_in_intermediates_equals_the_model_jacobian():
    from dynapai_sym.latex.conditions import IntermediateForm

    for pf in (_readme(),):
        form = IntermediateForm(pf)
        jac = pf.jacobian()
        rng = np.random.default_rng(4)
        for c in range(pf.k):
            for j in range(pf.n):
                for e in range(pf.k):
                    back = form.explicit(form.jacobian_entry(0, c, j, e))
                    want = jac[c, j * pf.k + e]
                    point = _random_point(back.free_symbols | want.free_symbols, rng)
                    a, b = sp.N(back.xreplace(point), 25), sp.N(want.xreplace(point), 25)
                    assert abs(a - b) <= 1e-18 * (1 + abs(b)), (c, j, e, a, b)


def test_document_writes_conditions_in_intermediates_for_a_generic_player():
    text = lx.to_latex(_readme())
    # each intermediate's derivative stated once
    assert r"\frac{\partial p_{i}}{\partial x_{p,i}} &= \frac{\beta_{i} p_{i}}{x_{p,i}}" in text
    assert r"\frac{\partial s_{i}}{\partial x_{s,i}} &= \frac{\alpha_{i} s_{i}}{x_{s,i}}" in text
    assert r"\frac{\partial s_{i}}{\partial p_{i}} &= - \frac{s_{i} \theta_{i}}{p_{i}}" in text
    assert "for player $i$ ($j$ is the other player)" in text
    # the chain rule, then the simplified condition in s, q (no raw production function)
    assert r"\sum_k \frac{\partial u_{i}}{\partial \sigma_k}" in text
    foc = [line for line in text.splitlines() if line.startswith(r"\frac{\partial u_{i}}{\partial x_{s,i}} &=")][-1]
    assert (r"\frac{\alpha_{i} q_{i} s_{i} \left(d_{i} + a^{\mathrm{win}}_{i}\right)}"
            r"{x_{s,i} \left(s_{i} + 1\right)^{2}}") in foc
    assert r"- r_{i}" in foc and "B_{" not in foc and "x_{p" not in foc
    # no shrunk rows, one title
    assert r"\resizebox" not in lx.to_latex(_readme(), document=True)
    assert lx.to_latex(_readme(), document=True).count(r"\section*") == 1
    # custom components: every player's conditions, numbered
    custom = lx.to_latex(_custom_risk())
    assert "Player 1: First-order" in custom and "Player 2: First-order" in custom
    # the Jacobian on request only
    assert "Jacobian" not in text and "Jacobian of the first-order conditions" in lx.to_latex(_readme(), jacobian=True)


def test_rows_of_hand_made_products_parse_back(parse_latex):
    """Signs and brackets of split products: negative factors, several sums, sums in powers."""
    x, y, z, w = sp.symbols("x1 y1 z1 w1", positive=True)
    exprs = [
        x * (-y - z) * (w + x**2) + y,
        -x * (y - z) / (w + 1) - (x + y) ** 2 * (z + w) + 3,
        (1 - x / (y + z)) * (1 - w / (x + y)) * (x * y + z * w - x / w),
    ]
    for expr in exprs:
        names = lx.plain_names(expr.free_symbols)
        for width in (4.0, 12.0, 70.0):
            rows = lx.expr_lines(expr, names, plain=True, width=width)
            _assert_same(_from_latex(parse_latex, " ".join(rows), names), expr)


def test_plain_names_are_distinct_and_parse_to_one_symbol(parse_latex):
    syms = [sp.Symbol(n) for n in ("v1", "xs1", "alpha1", "e1", "my_param", "A1", "A_1", "kappa", "shs2")]
    names = lx.plain_names(syms)
    assert set(names) == set(syms)
    assert len(set(names.values())) == len(syms)
    for name in names.values():
        parsed = parse_latex(name)
        assert isinstance(parsed, sp.Symbol) and parsed.name == name.lstrip("\\")


# ---------------------------------------------------------------------------- content
def test_payoff_fragment_contents():
    pf = _no_win_linear()
    text = lx.to_latex(pf)
    assert r"\documentclass" not in text
    assert r"\begin{align*}" in text
    for comp in (pf.prod_func, pf.risk_func, pf.csf, pf.reward_func, pf.disaster_cost, pf.cost_func):
        first = comp.to_latex().split("=")[0].strip()
        assert first in text
    assert r"u_i &= \sum_j \sigma_j q_j \rho_{ij}" in text
    assert r"\frac{\partial u_{i}}{\partial x_{s,i}}" in text
    assert r"a \ge 0" in text
    assert r"\toprule" in text
    # one row per parameter, one column per player
    assert "parameter & player 1 & player 2" in text
    assert r"$a^{\mathrm{win}}_{i}$ & $1$ & $1.2$ \\" in text
    assert r"$\kappa$ & \multicolumn{2}{c}{$2$ (every player)}" in text


def test_aggregator_contents():
    agg = models.basic_aggregator(end_on_win=True)
    general = lx.to_latex(agg)
    assert r"U_i &= \sum_{t=0}^{T-1} \gamma_i^{t} P_t\, u_i(t)" in general
    assert r"\prod_{\tau < t}" in general  # survival probability
    assert r"\sum_j q_j &=" in general  # explicit win probability
    assert r"A_i(t+1)" in general  # transitions
    assert r"$\gamma_{i}$ & $0.1$ & $0.9$" in general
    explicit = lx.to_latex(agg, t=2)
    assert r"\sum_{t=0}^{T-1}" in explicit and "$T = 2$" in explicit and "2-1" not in explicit
    assert r"U_{1} &= u_{1}(0) + \gamma_{1}\, P_{1}\, u_{1}(1)" in explicit
    assert r"P_{1} &= \Big(1 - \sum_j q_j(0)\Big)" in explicit
    long = lx.to_latex(agg, t=7)
    assert r"\gamma_{1}^{6}\, P_{6}\, u_{1}(6)" in long


def test_aggregator_heterogeneous_and_moving_state():
    base = models.invest_aggregator().state.beliefs[0]
    agg = dp.Aggregator([base, base.replace(d=[2.0, 2.0])], gammas=[0.9, 0.8])
    text = lx.to_latex(agg, t=2)
    assert "Beliefs of player 2: First-order" in text  # player 2's conditions under its own belief
    assert r"A_i(t+1) &= A_i(t) + i_{s,i}(t)" in text
    assert r"$A_{i}(0)$ & $10$ & $10$" in text  # moving state: its initial value
    assert r"\frac{\partial u_{i}}{\partial A_{i}}" in text  # how the state enters


def test_custom_components_export():
    csf = _custom_csf()
    assert r"\phi" in lx.to_latex(csf)
    pf = models.readme_payoff(3).replace(csf=csf)
    text = lx.to_latex(pf)
    assert r"q_{3} &=" in text  # written out for the model's three players
    assert r"$\phi$ & \multicolumn{3}{c}{$1.5$ (every player)}" in text
    p = intermediate("p", 2)
    rho = dp.RewardFunc.custom(2, [[1 + p[0] / 10, 0], [0, 1 + p[1] / 10]])
    assert r"\rho &=" in lx.to_latex(rho)
    trans = dp.Transition.custom(lambda X, A, B: {"A1": A[0] + X[0][2] * A[1]})
    assert "custom transition" in lx.to_latex(trans)


def test_repr_latex():
    pf = _readme()
    for obj in (pf, pf.prod_func, pf.csf, models.sharing_aggregator(), dp.Transition.sharing(),
                dp.RiskFunc.custom([0.5, 0.5], lambda s, p: [s[0] / (1 + s[0]), s[1] / (1 + s[1])])):
        out = lx.repr_latex(obj)
        assert out.startswith("$$") and out.endswith("$$")
        assert r"\documentclass" not in out and r"\section" not in out
    assert r"\begin{aligned}" in lx.repr_latex(dp.Transition.sharing())  # two lines
    assert "u_i =" in lx.repr_latex(pf)


def test_long_expressions_are_replaced_by_a_note(monkeypatch):
    monkeypatch.setattr(lx, "_MAX_EXPLICIT_CHARS", 100)
    text = lx.to_latex(_readme(), document=True)
    assert "too long to typeset" in text


# ---------------------------------------------------------------------------- compiling
def _pdflatex() -> str:
    exe = shutil.which("pdflatex")
    if exe is None:
        pytest.fail(f"pdflatex is not on PATH: apt-get install -y {APT_PACKAGES}")
    return exe


def _compile(tex_path, exe: str) -> None:
    proc = subprocess.run(
        [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", tex_path.name],
        cwd=tex_path.parent, capture_output=True, text=True, timeout=120,
    )
    errors = "\n".join(line for line in proc.stdout.splitlines() if line.startswith(("!", "l.")))
    assert proc.returncode == 0, f"pdflatex failed on {tex_path.name}:\n{errors or proc.stdout[-2000:]}"
    assert tex_path.with_suffix(".pdf").stat().st_size > 0
    # nothing sticks out of the text block: no overfull boxes in the log
    log = tex_path.with_suffix(".log").read_text(encoding="latin-1")
    overfull = [line for line in log.splitlines() if line.startswith("Overfull")]
    assert not overfull, f"{tex_path.name}: {overfull}"


DOCUMENTS = {
    "readme": (_readme, None),
    "no_win_linear": (_no_win_linear, None),
    "three_multiplicative": (_three_multiplicative, None),
    "custom_csf_payoff": (lambda: models.readme_payoff().replace(csf=_custom_csf()), None),
    "certification_cost": (lambda: _readme().replace(cost_func=dp.CostFunc.certification([0.1] * 2, [0.2] * 2, 2.0)),
                           None),
    "custom_csf": (_custom_csf, None),
    "sharing_transition": (lambda: dp.Transition.sharing("exp"), None),
    "basic_end_on_win_t3": (lambda: models.basic_aggregator(end_on_win=True), 3),
    "sharing_t2": (lambda: models.sharing_aggregator(end_on_win=True), 2),
    "readme_aggregator": (lambda: models.builtin("readme"), None),
    "custom_risk": (_custom_risk, None),
    "invest_t2": (lambda: models.builtin("invest"), 2),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_standalone_document_compiles(tmp_path, name):
    exe = _pdflatex()
    make, t = DOCUMENTS[name]
    path = lx.write_latex(make(), tmp_path / f"{name}.tex", t=t)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")
    _compile(path, exe)


def test_cli_invest_document_and_readme_with_jacobian_compile_cleanly(tmp_path):
    """The documents of the issue: ``dynapai-sym latex invest --t 2`` and the README model with its
    Jacobian compile with no overfull box and no shrunk row."""
    from dynapai_sym.cli import main

    exe = _pdflatex()
    invest = tmp_path / "invest.tex"
    assert main(["latex", "invest", "--t", "2", "-o", str(invest)]) == 0
    readme = lx.write_latex(_readme(), tmp_path / "readme.tex", jacobian=True)
    for path in (invest, readme):
        text = path.read_text(encoding="utf-8")
        assert r"\resizebox" not in text and text.count(r"\section*") == 1
        _compile(path, exe)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("obj", [object(), 1.0, "PayoffFunc", [1, 2], None, np.zeros(2)])
def test_non_model_objects_are_rejected(obj):
    with pytest.raises(TypeError, match="expected a model component .* PayoffFunc or an Aggregator"):
        lx.to_latex(obj)
    with pytest.raises(TypeError, match="expected a model component"):
        lx.repr_latex(obj)


def test_bad_options_are_rejected(tmp_path):
    pf = _readme()
    agg = models.basic_aggregator()
    with pytest.raises(ValueError, match="only applies to an Aggregator"):
        lx.to_latex(pf, t=2)
    for t in (0, -1, 2.5, True, "2"):
        with pytest.raises(ValueError, match="t \\(number of periods\\) must be a positive integer"):
            lx.to_latex(agg, t=t)
    with pytest.raises(TypeError, match="document must be True or False"):
        lx.to_latex(pf, document="yes")
    with pytest.raises(TypeError, match="jacobian must be True or False"):
        lx.to_latex(pf, jacobian="yes")
    with pytest.raises(ValueError, match="jacobian applies to a PayoffFunc"):
        lx.to_latex(pf.prod_func, jacobian=True)
    with pytest.raises(TypeError, match="path must be a str or path-like"):
        lx.write_latex(pf, 3)
    with pytest.raises(TypeError, match="expected a model component"):
        lx.write_latex(object(), tmp_path / "x.tex")
    assert not (tmp_path / "x.tex").exists()
    with pytest.raises(TypeError, match="sympy expression"):
        lx.export_expr("x + y")


def test_unwritable_path_names_the_path(tmp_path):
    pf = _readme()
    missing = tmp_path / "no_such_folder" / "model.tex"
    with pytest.raises(OSError, match="no_such_folder"):
        lx.write_latex(pf, missing)
    with pytest.raises(OSError, match="cannot write the LaTeX document"):
        lx.write_latex(pf, tmp_path)  # a directory
    written = lx.write_latex(pf, str(tmp_path / "model.tex"))
    assert written.read_text(encoding="utf-8").startswith(r"\documentclass")


def test_rewriting_budget_holds_when_the_first_stop_is_swallowed(monkeypatch):
    """A rewriting that drops the first out-of-time exception (as Python does for one raised inside
    a garbage-collector callback) is stopped by the next alarm, not left to run on."""
    import time

    from dynapai_sym.latex import conditions

    monkeypatch.setattr(conditions, "_TIDY_SECONDS", 0.05)
    swallowed = []

    def slow_rewrite(expr):
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 5.0:
            try:
                time.sleep(0.001)
            except conditions._OutOfTimeError:
                if swallowed:
                    raise
                swallowed.append(True)  # the first one dropped, as an unraisable exception would be
        return expr

    t0 = time.perf_counter()
    with pytest.raises(conditions._OutOfTimeError):
        conditions._within_budget(slow_rewrite, sp.Symbol("x"))
    assert swallowed and time.perf_counter() - t0 < 1.0
    assert conditions._within_budget(lambda e: e + 1, sp.Symbol("x")) == sp.Symbol("x") + 1
