"""A zoo of ready-made models, shared by tests, notebooks, docs and the command line.

Every function returns a fresh object and takes every parameter of its model as a keyword
(a number is every player's value; a sequence gives one value per player). The defaults are
those of the README's example (:func:`readme_payoff`) or of dynapai's demo script, as each
docstring says.
"""

from __future__ import annotations

import numpy as np

from .components import CSF, CostFunc, ProdFunc, RiskFunc
from .errors import InvalidArgumentError, InvalidTypeError
from .game import Aggregator, PayoffFunc

__all__ = ["readme_payoff", "basic_aggregator", "invest_aggregator", "sharing_aggregator",
           "readme_sharing_aggregator", "demo_gammas",
           "BUILTIN", "builtin"]


def _risk(risk: str, theta, w, n: int) -> RiskFunc:
    if not isinstance(risk, str) or risk not in ("winner_only", "multiplicative", "additive"):
        raise InvalidArgumentError(f"risk must be 'winner_only', 'multiplicative' or 'additive', got {risk!r}")
    if risk == "winner_only":
        if w is not None:
            raise InvalidArgumentError("w (risk weights) only applies to multiplicative or additive risk")
        return RiskFunc.winner_only(theta, n=n)
    return getattr(RiskFunc, risk)(theta, w, n=n)


def _contest(csf, scale) -> CSF:
    if isinstance(csf, CSF):
        if scale is not None:
            raise InvalidArgumentError("scale applies to csf='maybe_no_win' only, not to a CSF object")
        return csf
    if csf == "default":
        if scale is not None:
            raise InvalidArgumentError("scale applies to csf='maybe_no_win' only")
        return CSF.default()
    if csf == "maybe_no_win":
        return CSF.maybe_no_win(1.0 if scale is None else scale)
    raise InvalidTypeError(f"csf must be 'default', 'maybe_no_win' or a CSF, got {csf!r}")


def _payoff(n, a, alpha, b, beta, theta, d, cost, risk, w, csf, scale, share_map="fraction") -> PayoffFunc:
    prod = ProdFunc(a=a, alpha=alpha, b=b, beta=beta, n=n)
    return PayoffFunc(prod_func=prod, risk_func=_risk(risk, theta, w, n), csf=_contest(csf, scale), d=d,
                      cost_func=cost, share_map=share_map)


def readme_payoff(n: int = 2, theta=0.5, risk: str = "winner_only", *, a=10.0, alpha=0.5, b=10.0, beta=0.5,
                  d=1.0, r=0.1, w=None, csf="default", scale=None) -> PayoffFunc:
    """The README's example: A = B = 10, alpha = beta = theta = 0.5, d = 1, r = 0.1.

    Every parameter can be changed: ``a``, ``alpha``, ``b``, ``beta``, ``theta``, ``d``, ``r``,
    ``risk`` (``"winner_only"``, ``"multiplicative"``, ``"additive"``, with weights ``w``), and
    the contest ``csf`` (``"default"``, ``"maybe_no_win"`` with ``scale``, or a CSF).
    """
    return _payoff(n, a, alpha, b, beta, theta, d, CostFunc.fixed(r, n=n), risk, w, csf, scale)


def demo_gammas(n: int) -> np.ndarray:
    """Discount factors of dynapai's demo: evenly spaced from 0.1 to 0.9."""
    return np.linspace(0.1, 0.9, n)


def basic_aggregator(n: int = 2, end_on_win: bool = False, *, a=10.0, alpha=0.5, b=1.0, beta=0.5, theta=0.5,
                     d=1.0, r=0.1, gammas=None, risk: str = "winner_only", w=None, csf=None,
                     scale=None) -> Aggregator:
    """Basic actions (x_s, x_p), dynapai's demo numbers (B = 1, gammas from 0.1 to 0.9).

    ``csf`` defaults to the Tullock contest, or to ``"maybe_no_win"`` with ``end_on_win``
    (so that the game can last more than one period).
    """
    csf = ("maybe_no_win" if end_on_win else "default") if csf is None else csf
    pf = _payoff(n, a, alpha, b, beta, theta, d, CostFunc.fixed(r, n=n), risk, w, csf, scale)
    return Aggregator(pf, gammas=demo_gammas(n) if gammas is None else gammas, end_on_win=end_on_win)


def invest_aggregator(n: int = 2, end_on_win: bool = False, *, a=10.0, alpha=0.5, b=1.0, beta=0.5, theta=0.5,
                      d=1.0, r=0.1, r_inv=0.01, gammas=None, risk: str = "winner_only", w=None,
                      csf="maybe_no_win", scale=None) -> Aggregator:
    """Investment in productivity (dynapai demo's invest problem: B = 1, r_inv = 0.01)."""
    pf = _payoff(n, a, alpha, b, beta, theta, d, CostFunc.fixed(r, r_inv, n=n), risk, w, csf, scale)
    return Aggregator(pf, gammas=demo_gammas(n) if gammas is None else gammas, end_on_win=end_on_win)


def sharing_aggregator(n: int = 2, end_on_win: bool = False, share_map: str = "fraction", gammas=None, *,
                       a=None, alpha=0.5, b=1.0, beta=0.5, theta=0.5, d=1.0, r=0.1, r_inv=0.01,
                       r_share=0.001, risk: str = "winner_only", w=None, csf="maybe_no_win",
                       scale=None) -> Aggregator:
    """Investment and technology sharing, with a small sharing cost.

    Players start with unequal safety technology (``a`` defaults to 10, 11, ...), so sharing
    matters. ``gammas`` defaults to 0.9 for every player.
    """
    a = 10.0 + np.arange(n, dtype=float) if a is None else a
    cost = CostFunc.fixed_sharing(r, r_inv, r_share, n=n)
    pf = _payoff(n, a, alpha, b, beta, theta, d, cost, risk, w, csf, scale, share_map)
    return Aggregator(pf, gammas=np.full(n, 0.9) if gammas is None else gammas, end_on_win=end_on_win)


def readme_sharing_aggregator(n: int = 2, end_on_win: bool = False, share_map: str = "fraction", gammas=None, *,
                              a=10.0, alpha=0.5, b=10.0, beta=0.5, theta=0.5, d=1.0, r=0.1, r_inv=0.01,
                              r_share=0.001, risk: str = "winner_only", w=None, csf="maybe_no_win",
                              scale=None) -> Aggregator:
    """The README's technology with investment and sharing.

    Every player starts with A = B = 10 (alpha = beta = 0.5), winner-only risk with theta = 0.5,
    d = 1 and input price r = 0.1, as in :func:`readme_payoff`; investment costs 0.01 per unit and
    sharing 0.001 per unit share; a contest may have no winner (``CSF.maybe_no_win``).
    ``gammas`` defaults to 0.9 for every player. Players start level, so a share only matters
    once someone has invested ahead of the others.
    """
    cost = CostFunc.fixed_sharing(r, r_inv, r_share, n=n)
    pf = _payoff(n, a, alpha, b, beta, theta, d, cost, risk, w, csf, scale, share_map)
    return Aggregator(pf, gammas=np.full(n, 0.9) if gammas is None else gammas, end_on_win=end_on_win)


BUILTIN = {
    "readme": lambda n=2: Aggregator(readme_payoff(n)),
    "basic": basic_aggregator,
    "invest": invest_aggregator,
    "sharing": sharing_aggregator,
    "readme_sharing": readme_sharing_aggregator,
}


def builtin(name: str, n: int = 2) -> Aggregator:
    """A built-in model by name (one of :data:`BUILTIN`)."""
    if name not in BUILTIN:
        raise InvalidArgumentError(f"unknown built-in model {name!r}; choose one of {sorted(BUILTIN)}")
    return BUILTIN[name](n)
