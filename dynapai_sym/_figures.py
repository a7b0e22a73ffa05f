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
        from matplotlib.figure import Figure

        fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        fig.delaxes(ax)
    return fig, list(axes[:n_panels])
