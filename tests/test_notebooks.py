"""Executed notebooks show their figures: every cell that draws a plot holds an image.

nbmake runs the notebooks in the suite (they must not raise); this test executes those that
plot and checks what a reader sees: a PNG in the output of each plotting cell (a backend such as
``Agg`` chosen in a notebook would leave them empty).
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ROOT = NOTEBOOKS.parent
# a call that draws: dp.plot(...), plot_actions(...), claim.plot(), plt.subplots(...)
_DRAWS = re.compile(r"\bplot\w*\(|plt\.subplots\(")


def _draws(cell) -> bool:
    """Whether a code cell draws a figure when run (function definitions alone do not)."""
    if cell.cell_type != "code":
        return False
    tree = ast.parse(cell.source)
    run = [node for node in tree.body if not isinstance(node, (ast.FunctionDef, ast.Import, ast.ImportFrom))]
    return any(_DRAWS.search(ast.get_source_segment(cell.source, node) or "") for node in run)


def _plotting_notebooks() -> list[Path]:
    return [path for path in sorted(NOTEBOOKS.glob("*.ipynb"))
            if any(_draws(cell) for cell in nbformat.read(path, as_version=4).cells)]


def test_notebooks_choose_no_backend():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        text = path.read_text()
        assert "matplotlib.use(" not in text, f"{path.name} chooses a backend: its figures would not show"


@pytest.mark.slow
@pytest.mark.parametrize("path", _plotting_notebooks(), ids=lambda p: p.name)
def test_each_plotting_cell_of_an_executed_notebook_holds_an_image(path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    plotting = [cell for cell in nb.cells if _draws(cell)]
    assert plotting
    for cell in plotting:
        images = [out for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
        assert images, f"{path.name}: no figure shown by the cell\n{cell.source[:300]}"
