"""The command line: demo and latex."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dynapai_sym.cli import main


def test_demo_basic_prints_certified_equilibria(capsys):
    assert main(["demo", "--basic", "--t", "2"]) == 0
    out = capsys.readouterr().out
    assert "Payoff from actions: [-0.2099315 -0.2099315]" in out
    assert out.count("certified equilibrium") >= 2
    assert "Solved in" in out


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
