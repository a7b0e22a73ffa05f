"""The command line: demo and latex."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dynapai_sym.cli import main


def test_demo_basic_runs_only_what_is_asked_and_prints_its_parameters(capsys):
    assert main(["demo", "--basic", "--t", "2"]) == 0
    out = capsys.readouterr().out
    assert "Payoff from actions" not in out  # the README example only with --readme or --all
    assert out.count("Solving for optimal") == 1 and "2 time steps" in out
    assert out.count("certified equilibrium") == 1
    assert out.lower().count("compil") == 1  # said once, not on every solve
    # the parameters: one row per parameter, one column per player (1-based)
    assert "player 1" in out and "player 2" in out
    lines = out.splitlines()
    assert any(line.split()[:3] == ["alpha", "0.5", "0.5"] for line in lines if line.strip())
    assert any(line.split()[:3] == ["gamma", "0.1", "0.9"] for line in lines if line.strip())


def test_demo_readme_static_says_one_time_step(capsys):
    assert main(["demo", "--readme"]) == 0
    out = capsys.readouterr().out
    assert "Payoff from actions x_s = 1, x_p = 2: [-0.2099315 -0.2099315]" in out
    assert "with 2 players and 1 time step." in out and "time steps" not in out
    assert "certified equilibrium" in out
    assert "seed" not in out.lower() and "original" not in out.lower()


def test_demo_help_has_no_internal_jargon(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = capsys.readouterr().out.lower()
    assert "seed" not in text and "original engine" not in text
    for flag in ("--basic", "--invest", "--end-on-win", "--scenario", "--all", "--readme"):
        assert flag in text


def test_latex_writes_a_document_that_compiles(tmp_path):
    path = tmp_path / "invest.tex"
    assert main(["latex", "invest", "--t", "2", "--output", str(path)]) == 0
    text = path.read_text()
    assert r"\documentclass" in text and r"\gamma" in text
    assert shutil.which("pdflatex"), "pdflatex is needed (texlive-latex-base, texlive-latex-recommended)"
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", path.name],
                          cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout.decode(errors="replace")[-2000:]


def test_cli_errors_exit_non_zero(tmp_path, capsys):
    assert main(["latex", "no-such-model"]) == 2
    assert "unknown built-in model" in capsys.readouterr().err
    assert main(["latex", "readme", "--output", str(tmp_path / "missing" / "x.tex")]) == 1
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--n", "0"])
    assert exc.value.code != 0
