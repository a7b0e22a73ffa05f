"""LaTeX output shared by the model classes (payoff functions and aggregators)."""

from __future__ import annotations

from .document import repr_latex, to_latex, write_latex

__all__ = ["LatexDisplay"]


class LatexDisplay:
    """Adds ``to_latex``, ``write_latex`` and Jupyter's ``_repr_latex_`` (see :mod:`dynapai_sym.latex`)."""

    def to_latex(self, document: bool = False, t: int | None = None, jacobian: bool = False) -> str:
        """The equations as LaTeX (``document=True``: standalone ``.tex``); see :func:`dynapai_sym.to_latex`."""
        return to_latex(self, document=document, t=t, jacobian=jacobian)

    def write_latex(self, path, t: int | None = None, jacobian: bool = False):
        """Write the standalone LaTeX document of the model to ``path``."""
        return write_latex(self, path, t=t, jacobian=jacobian)

    def _repr_latex_(self) -> str:
        return repr_latex(self)
