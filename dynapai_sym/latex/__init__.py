"""LaTeX of the symbolic model: expressions broken into rows, documents, Jupyter display."""

from .display import LatexDisplay
from .document import LATEX_PACKAGES, export_expr, expr_lines, plain_names, repr_latex, to_latex, write_latex

__all__ = ["LATEX_PACKAGES", "LatexDisplay", "export_expr", "expr_lines", "plain_names", "repr_latex", "to_latex",
           "write_latex"]
