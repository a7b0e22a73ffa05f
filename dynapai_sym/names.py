"""The package's name tables: action columns and parameter names, in one place.

Action columns (per player, per period), in storage order; an action type of width
``k`` uses the first ``k``:

========  =======  =============================================
column    symbol   meaning
========  =======  =============================================
``x_s``   ``xs``   input to safety :math:`x_{s,i}`
``x_p``   ``xp``   input to performance :math:`x_{p,i}`
``i_s``   ``is``   investment in safety productivity :math:`i_{s,i}`
``i_p``   ``ip``   investment in performance productivity :math:`i_{p,i}`
``sh_s``  ``shs``  share of the safety lead given away :math:`sh_{s,i}`
``sh_p``  ``shp``  share of the performance lead given away :math:`sh_{p,i}`
========  =======  =============================================

The *column* names label tables, plots and comparisons; the *symbol* names are the
bases of the sympy symbols (``xs1`` is :math:`x_{s,1}`).
"""

from __future__ import annotations

__all__ = ["ACTION_COLUMNS", "ACTION_SYMBOLS", "PARAMETER_GROUPS", "QUANTITY_COLUMNS", "VARYING_PARAMS"]

#: Action column names in tables, plots and comparisons.
ACTION_COLUMNS: tuple[str, ...] = ("x_s", "x_p", "i_s", "i_p", "sh_s", "sh_p")

#: Bases of the action symbols, column by column (``xs`` + player label: ``xs1``).
ACTION_SYMBOLS: tuple[str, ...] = ("xs", "xp", "is", "ip", "shs", "shp")

#: Per-player quantities reported with every equilibrium.
QUANTITY_COLUMNS: tuple[str, ...] = ("s", "p", "sigma", "q")

#: User-facing parameter names and the symbol base each moves for every player together
#: (``"a"`` moves ``A1, ..., An``); read by sensitivities and sweeps.
PARAMETER_GROUPS: dict[str, str] = {
    "a": "A", "b": "B", "alpha": "alpha", "beta": "beta", "theta": "theta", "d": "d", "r": "r",
    "r_inv": "rinv", "r_share": "rshare", "w": "w", "win_a": "winA", "kappa": "kappa",
}

#: Parameters that ``Scenario.from_params`` builds models from and can vary.
VARYING_PARAMS: tuple[str, ...] = ("a", "alpha", "b", "beta", "theta", "d", "r", "r_inv", "r_share", "w", "gammas")
