"""Model files: the README model as a file, round trips over every example, broken files, the command line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

import dynapai_sym as dp
from dynapai_sym import cli, models
from dynapai_sym.compile import compile_model
from dynapai_sym.modelfile import ModelSpec, dumps, read_spec

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.toml"))
README = Path(__file__).resolve().parents[2] / "examples" / "readme.toml"

BASE = """
players = 2
actions = "basic"

[parameters]
A = 10
alpha = 0.5
B = 10
beta = 0.5
theta = 0.5
d = 1
r = 0.1

[components]
risk = "winner_only"
"""


def test_there_are_the_four_examples():
    assert {p.stem for p in EXAMPLES} >= {"readme", "invest_end_on_win", "sharing", "custom"}


def test_the_readme_model_file_gives_the_python_api_equilibrium():
    agg = dp.load_model(README)
    res = agg.solve()
    ref = dp.Aggregator(models.readme_payoff()).solve()
    assert res.success and ref.success
    np.testing.assert_allclose(res.strategies.data, ref.strategies.data, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.payoffs, ref.payoffs, rtol=0, atol=1e-10)
    assert agg.state.beliefs[0].structure == models.readme_payoff().structure
    # the file's sweep is a Scenario over r, whose last point is the README model
    assert agg.sweep is not None and agg.sweep.varying == ("r",) and len(agg.sweep) == 10
    np.testing.assert_allclose(agg.sweep.aggregators[-1].state.beliefs[0].param_vector(),
                               models.readme_payoff().param_vector())


def test_written_risk_and_production_in_a_file_equal_the_builtins_with_one_compile():
    written = BASE.replace('risk = "winner_only"', 'risk = { sigma = "s / (1 + s)" }\n'
                           'production = { s = "A * x_s**alpha * p**(-theta)", p = "B * x_p**beta" }')
    compile_model.cache_clear()
    ref = dp.load_model(BASE).solve()
    res = dp.load_model(written).solve()
    np.testing.assert_allclose(res.strategies.data, ref.strategies.data, rtol=0, atol=1e-10)
    assert compile_model.cache_info().misses == 1


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_load_save_load_gives_an_identical_model(path, tmp_path):
    first = dp.load_model(path)
    saved = dp.save_model(first, tmp_path / path.name)
    second = dp.load_model(saved)
    assert second.model_spec == first.model_spec
    assert dumps(second.model_spec) == dumps(first.model_spec)
    pf1, pf2 = first.state.beliefs[0], second.state.beliefs[0]
    assert pf1.structure == pf2.structure
    np.testing.assert_array_equal(pf1.param_vector(), pf2.param_vector())
    np.testing.assert_array_equal(pf1.state_vector(), pf2.state_vector())
    assert (first.gammas is None and second.gammas is None) or np.array_equal(first.gammas, second.gammas)
    assert first.end_on_win == second.end_on_win and first.model_spec.t == second.model_spec.t


def test_a_model_built_in_python_saves_to_a_file_that_loads_the_same_model(tmp_path):
    prod = dp.ProdFunc.expression(s="A * x_s**alpha / (1 + g * p)", p="B * x_p**beta",
                                  params=dict(A=[4.0, 6.0], alpha=0.6, B=3.0, beta=0.4, g=0.2))
    pf = dp.PayoffFunc(prod, dp.RiskFunc.expression("s / (1 + s)", theta=[0.3, 0.6]), d=[1.0, 1.5], r=[0.1, 0.2])
    agg = dp.Aggregator(pf)
    again = dp.load_model(dp.save_model(agg, tmp_path / "m.toml"))
    assert again.state.beliefs[0].structure == pf.structure
    assert again.state.beliefs[0].param_values == pf.param_values


def test_a_file_sweep_over_a_new_parameter_is_a_scenario(tmp_path):
    agg = dp.load_model(EXAMPLES[[p.stem for p in EXAMPLES].index("custom")])
    sc = agg.sweep
    assert sc.varying == ("k",) and len(sc) == 7
    assert len({id(a.state.beliefs[0].structure) for a in sc.aggregators}) == 1
    assert all(a.state.beliefs[0].is_symmetric() for a in sc.aggregators)
    res = sc.solve()
    assert np.all(res.success)
    assert "k" in res.to_dataframe().columns
    assert "k_{1}" in dp.to_latex(agg)


BROKEN = {
    "not toml": ("players = = 2", "not valid TOML"),
    "players missing": (BASE.replace("players = 2", ""), "players: missing"),
    "one player": (BASE.replace("players = 2", "players = 1"), "players: expected at least 2"),
    "players text": (BASE.replace("players = 2", 'players = "two"'), "players: expected a number"),
    "actions": (BASE.replace('"basic"', '"fancy"'), "actions: expected one of"),
    "unknown top key": (BASE + "\n[extra]\nx = 1\n", "extra: unknown key"),
    "parameter list length": (BASE.replace("A = 10", "A = [10, 10, 10]"),
                              "parameters.A: expected a number or a list of 2"),
    "parameter text": (BASE.replace("A = 10", 'A = "ten"'), "parameters.A: expected a number"),
    "parameter name": (BASE.replace("A = 10", "A = 10\nx_s = 1"), "parameters.x_s"),
    "unused parameter": (BASE.replace("A = 10", "A = 10\nalhpa = 0.5"), "parameters.alhpa: not used"),
    "missing parameter": (BASE.replace("theta = 0.5\n", ""), "missing theta"),
    "written risk without theta": (BASE.replace("theta = 0.5\n", "").replace('risk = "winner_only"',
                                                                           'risk = { sigma = "s / (1 + s)" }'),
                                   "missing theta (the built-in production"),
    "unknown risk": (BASE.replace('"winner_only"', '"safe"'), "components.risk: expected one of"),
    "risk missing sigma": (BASE.replace('risk = "winner_only"', "risk = { s = \"s\" }"),
                           "components.risk.s: unknown key"),
    "expression attribute": (BASE.replace('risk = "winner_only"', 'risk = { sigma = "s.__class__" }'),
                             "components.risk.sigma: attribute access"),
    "expression unknown": (BASE.replace('risk = "winner_only"', 'risk = { sigma = "s / (1 + q)" }'),
                           "components.risk.sigma: unknown name 'q'; known names"),
    "expression call": (BASE.replace('risk = "winner_only"', 'risk = { sigma = "open(\'f\')" }'),
                        "components.risk.sigma: calling 'open'"),
    "expression tower": (BASE.replace('risk = "winner_only"', 'risk = { sigma = "s**9**9**9" }'),
                         "components.risk.sigma: the power"),
    "expression not a string": (BASE.replace('risk = "winner_only"', "risk = { sigma = 1 }"),
                                "components.risk.sigma: expected an expression as a string"),
    "csf": (BASE + 'csf = "lottery"\n', "components.csf: expected one of"),
    "horizon t": (BASE + "\n[horizon]\nt = 0\n", "horizon.t: expected a positive whole number"),
    "horizon without gammas": (BASE + "\n[horizon]\nt = 3\n", "horizon: gammas"),
    "gamma above one": (BASE + "\n[horizon]\nt = 2\ngammas = 1.5\n", "horizon.gammas"),
    "end_on_win text": (BASE + '\n[horizon]\nend_on_win = "yes"\n', "horizon.end_on_win: expected true or false"),
    "sweep unknown": (BASE + "\n[sweep]\nq = { start = 0, stop = 1, num = 3 }\n", "sweep.q: not a parameter"),
    "sweep num": (BASE + "\n[sweep]\nr = { start = 0.1, stop = 0.2, num = 0 }\n", "sweep.r.num"),
    "sweep missing": (BASE + "\n[sweep]\nr = { start = 0.1 }\n", "sweep.r: missing stop, num"),
    "sweep three": (BASE + "\n[sweep]\nr = { values = [0.1] }\nd = { values = [1] }\ntheta = { values = [0.5] }\n",
                    "sweep: at most two"),
    "sweep bad point": (BASE + "\n[sweep]\nA = { start = -1, stop = 1, num = 3 }\n", "sweep point 0"),
}


def test_there_are_enough_broken_files():
    assert len(BROKEN) >= 15


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_are_refused_with_the_file_and_key(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text, expected = BROKEN[name]
    path = tmp_path / "broken.toml"
    path.write_text(text)
    t0 = time.perf_counter()
    with pytest.raises(dp.DynapaiError) as info:
        dp.load_model(path)
    assert time.perf_counter() - t0 < 5.0
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert cli.main(["check", str(path)]) == 2


def test_a_canary_in_a_model_file_creates_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / "canary"
    text = BASE.replace('risk = "winner_only"', f'risk = {{ sigma = "__import__(\'os\').system(\'touch {canary}\')" }}')
    with pytest.raises(dp.DynapaiError, match="calling attribute access"):
        dp.load_model(text)
    assert not canary.exists()
    assert not any(tmp_path.iterdir())


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(dp.DynapaiError, match="cannot read the model file"):
        dp.load_model(tmp_path / "nope.toml")


def test_spec_checks_happen_from_dicts_too():
    with pytest.raises(ValueError, match="model: players"):
        ModelSpec.from_dict({"players": 0})


# ---------------------------------------------------------------------------- command line
def test_cli_solve_prints_the_table_with_players_from_one_and_writes_files(tmp_path, capsys):
    out = tmp_path / "res.csv"
    tex = tmp_path / "model.tex"
    code = cli.main(["solve", str(README), "--sweep", "r=0.05:0.1:3", "-o", str(out), "--latex", str(tex)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "certified equilibrium" in captured.out
    lines = [line.split() for line in captured.out.splitlines() if "certified" in line]
    assert len(lines) == 6 and {row[2] for row in lines} == {"1", "2"}
    assert out.exists() and tex.exists()
    table = dp.ScenarioResult.load(out, as_table=True)
    assert sorted(set(table["r"])) == pytest.approx([0.05, 0.075, 0.1])


def test_cli_solve_exit_status_is_one_when_a_point_is_not_certified(tmp_path, capsys):
    # a Tullock contest steeper than p^2 (beta = 3) with no disaster: the symmetric first-order
    # point is beaten by dropping out, and no pure equilibrium exists (see tests/game/test_solve_static.py)
    path = tmp_path / "no_pure.toml"
    path.write_text(BASE.replace("beta = 0.5", "beta = 3").replace("B = 10", "B = 1")
                    .replace("theta = 0.5", "theta = 0").replace("d = 1", "d = 0"))
    code = cli.main(["solve", str(path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "no pure equilibrium found" in captured.out
    assert "1 of 1 points are not certified" in captured.err


def test_cli_errors_are_one_line_with_exit_status_two(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE.replace('risk = "winner_only"', 'risk = { sigma = "s.__class__" }'))
    for argv in (["solve", str(bad)], ["check", str(bad)], ["solve", str(tmp_path / "missing.toml")],
                 ["solve", str(README), "--sweep", "r=0.1"], ["solve", str(README), "--sweep", "q=0:1:3"],
                 ["solve", str(README), "-o", str(tmp_path / "out.xlsx")]):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("dynapai-sym ") and err.count("\n") == 1, err
        assert "Traceback" not in err


def test_cli_check_prints_the_equations(capsys):
    assert cli.main(["check", str(EXAMPLES[[p.stem for p in EXAMPLES].index("custom")])]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "sigma_1 = " in out and "u_2 = " in out and "k1 = 2" in out


def test_read_spec_takes_text_and_reports_it_as_model_text():
    spec = read_spec(BASE)
    assert spec.players == 2 and spec.source == "model text"
    assert os.fspath(README).endswith("readme.toml")


def test_a_path_with_an_equals_sign_is_read_as_a_path(tmp_path):
    path = tmp_path / "r=0.1.toml"
    path.write_text(BASE)
    assert dp.load_model(str(path)).model_spec.source == str(path)
    assert dp.load_model('players = 2\n' + BASE.split("\n", 3)[3]).model_spec.source == "model text"


def test_models_a_file_cannot_say_are_refused_by_save_model(tmp_path):
    matrix = models.readme_payoff().replace(d=np.array([[1.0, 0.5], [0.5, 1.0]]))
    with pytest.raises(dp.DynapaiError, match="matrix of disaster costs"):
        dp.save_model(matrix, tmp_path / "m.toml")
    het = dp.Aggregator([models.readme_payoff(), models.readme_payoff(theta=0.25)])
    with pytest.raises(dp.DynapaiError, match="heterogeneous beliefs"):
        dp.save_model(het, tmp_path / "m.toml")
    with pytest.raises(TypeError, match="obj must be an Aggregator"):
        dp.save_model("readme", tmp_path / "m.toml")
    assert not (tmp_path / "m.toml").exists()


def test_the_built_in_invest_model_saved_and_loaded_is_the_same_model(tmp_path):
    agg = models.invest_aggregator(end_on_win=True)
    again = dp.load_model(dp.save_model(agg, tmp_path / "invest.toml"))
    pf, pf2 = agg.state.beliefs[0], again.state.beliefs[0]
    assert pf2.structure == pf.structure and pf2.param_values == pf.param_values
    assert np.array_equal(again.gammas, agg.gammas) and again.end_on_win


def test_cli_two_sweeps_make_a_grid(tmp_path, capsys):
    out = tmp_path / "grid.csv"
    assert cli.main(["solve", str(README), "--sweep", "r=0.05:0.1:2", "--sweep", "d=0.5:1:3", "-o", str(out)]) == 0
    table = dp.ScenarioResult.load(out, as_table=True)
    assert table["point"].nunique() == 6
    assert sorted(set(zip(table["r"], table["d"]))) == pytest.approx(
        sorted((r, d) for r in (0.05, 0.1) for d in (0.5, 0.75, 1.0)))
    assert "3 points" not in capsys.readouterr().out
