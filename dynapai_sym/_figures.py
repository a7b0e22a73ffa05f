"""Figures for plots of results (matplotlib, imported only when a figure is made)."""

from __future__ import annotations

__all__ = ["new_figure"]


def new_figure(n_panels: int, ncols: int, show: bool, width: float = 4.0, height: float = 3.2):
    """A constrained-layout figure with ``n_panels`` axes on a grid of ``ncols`` columns.

    ``show=True`` makes a pyplot figure (shown by Jupyter or ``plt.show``); otherwise a
    plain :class:`matplotlib.figure.Figure` that never opens a window.

    Returns
    -------
    (Figure, list of Axes)
    """
    nrows = -(-n_panels // ncols)
    size = (width * ncols + 1.5, height * nrows)
    if show:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size, layout="constrained")
    else:
        fig = _display_figure_class()(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        fig.delaxes(ax)
    return fig, list(axes[:n_panels])


def _display_figure_class():
    """A :class:`matplotlib.figure.Figure` that Jupyter shows as a PNG when it is a cell's result.

    Figures made without pyplot are not registered with Jupyter's inline backend, so a plain
    Figure returned by a cell would show as text; this one renders itself (``_repr_png_``).
    """
    global _DisplayFigure
    if _DisplayFigure is None:
        from matplotlib.figure import Figure

        class DisplayFigure(Figure):
            def _repr_png_(self) -> bytes:
                import io

                buffer = io.BytesIO()
                self.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
                return buffer.getvalue()

        _DisplayFigure = DisplayFigure
    return _DisplayFigure


_DisplayFigure = None
