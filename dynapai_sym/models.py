"""A zoo of ready-made models, shared by tests, notebooks, docs and the command line.

Every function returns a fresh object; the numbers are those of the dynapai
engine's demo unless stated.
"""

from __future__ import annotations

import numpy as np

from .components import CSF, CostFunc, ProdFunc, RiskFunc
from .errors import InvalidArgumentError
from .game import Aggregator, PayoffFunc

__all__ = ["readme_payoff", "basic_aggregator", "invest_aggregator", "sharing_aggregator",
           "readme_sharing_aggregator",
           "BUILTIN", "builtin"]


def readme_payoff(n: int = 2, theta: float = 0.5, risk: str = "winner_only") -> PayoffFunc:
    """The dynapai README's example: A = B = 10, alpha = beta = 0.5, d = 1, r = 0.1."""
    prod = ProdFunc(a=np.full(n, 10.0), alpha=np.full(n, 0.5), b=np.full(n, 10.0), beta=np.full(n, 0.5))
    risk_func = getattr(RiskFunc, risk)(np.full(n, theta))
    return PayoffFunc(prod_func=prod, risk_func=risk_func, d=np.full(n, 1.0), r=np.full(n, 0.1))


def _demo_prod(n: int) -> ProdFunc:
    return ProdFunc(a=np.full(n, 10.0), alpha=np.full(n, 0.5), b=np.full(n, 1.0), beta=np.full(n, 0.5))


def demo_gammas(n: int) -> np.ndarray:
    """Discount factors of dynapai's demo: evenly spaced from 0.1 to 0.9."""
    return np.linspace(0.1, 0.9, n)


def basic_aggregator(n: int = 2, end_on_win: bool = False) -> Aggregator:
    """Basic actions (x_s, x_p); with end_on_win the contest may have no winner."""
    csf = CSF.maybe_no_win() if end_on_win else CSF.default()
    pf = PayoffFunc(prod_func=_demo_prod(n), risk_func=RiskFunc.winner_only(np.full(n, 0.5)),
                    csf=csf, d=np.full(n, 1.0), r=np.full(n, 0.1))
    return Aggregator(pf, gammas=demo_gammas(n), end_on_win=end_on_win)


def invest_aggregator(n: int = 2, end_on_win: bool = False) -> Aggregator:
    """Investment in productivity (dynapai's demo's invest problem)."""
    pf = PayoffFunc(prod_func=_demo_prod(n), risk_func=RiskFunc.winner_only(np.full(n, 0.5)),
                    csf=CSF.maybe_no_win(), d=np.full(n, 1.0), r=np.full(n, 0.1),
                    r_inv=np.full(n, 0.01))
    return Aggregator(pf, gammas=demo_gammas(n), end_on_win=end_on_win)


def sharing_aggregator(n: int = 2, end_on_win: bool = False, share_map: str = "fraction",
                       gammas=None) -> Aggregator:
    """Investment and technology sharing, with a small sharing cost.

    Players start with unequal safety technology (A = 10, 11, ...), so sharing matters.
    ``gammas`` defaults to 0.9 for every player.
    """
    cost = CostFunc.fixed_sharing(np.full(n, 0.1), np.full(n, 0.01), np.full(n, 0.001))
    a = 10.0 + np.arange(n, dtype=float)  # unequal starting technology, so sharing matters
    prod = ProdFunc(a=a, alpha=np.full(n, 0.5), b=np.full(n, 1.0), beta=np.full(n, 0.5))
    pf = PayoffFunc(prod_func=prod, risk_func=RiskFunc.winner_only(np.full(n, 0.5)),
                    csf=CSF.maybe_no_win(), d=np.full(n, 1.0), cost_func=cost, share_map=share_map)
    gammas = np.full(n, 0.9) if gammas is None else gammas
    return Aggregator(pf, gammas=gammas, end_on_win=end_on_win)


def readme_sharing_aggregator(n: int = 2, end_on_win: bool = False, share_map: str = "fraction",
                              gammas=None) -> Aggregator:
    """The dynapai README's technology with investment and sharing.

    Every player starts with A = B = 10 (alpha = beta = 0.5), winner-only risk with theta = 0.5,
    d = 1 and input price r = 0.1, as in :func:`readme_payoff`; investment costs 0.01 per unit and
    sharing 0.001 per unit share; a contest may have no winner (``CSF.maybe_no_win``).
    ``gammas`` defaults to 0.9 for every player. Players start level, so a share only matters
    once someone has invested ahead of the others.
    """
    cost = CostFunc.fixed_sharing(np.full(n, 0.1), np.full(n, 0.01), np.full(n, 0.001))
    prod = ProdFunc(a=np.full(n, 10.0), alpha=np.full(n, 0.5), b=np.full(n, 10.0), beta=np.full(n, 0.5))
    pf = PayoffFunc(prod_func=prod, risk_func=RiskFunc.winner_only(np.full(n, 0.5)),
                    csf=CSF.maybe_no_win(), d=np.full(n, 1.0), cost_func=cost, share_map=share_map)
    gammas = np.full(n, 0.9) if gammas is None else gammas
    return Aggregator(pf, gammas=gammas, end_on_win=end_on_win)


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
