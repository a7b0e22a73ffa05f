r"""What coordination would buy: the welfare gap between the race and the planner.

:class:`WelfareGap` holds the Nash equilibrium, the planner's solution and the measures people
cite:

* **price of anarchy** :math:`W^{P}/W^{N}` (planner over Nash, with
  :math:`W = \sum_i w_i U_i`), defined where :math:`W^{N} > 0`; the **welfare difference**
  :math:`W^{P} - W^{N}` always;
* **safety**: the probability that no disaster happens over the horizon, and the **safety gap**
  (planner minus Nash). In one period a disaster happens when someone wins and the outcome is
  unsafe, with probability :math:`D_t = \sum_j q_j(t) (1 - \sigma_j(t))`. When the game goes on
  after a win, periods are independent and :math:`P(\text{no disaster}) = \prod_t (1 - D_t)`; when
  it ends on a win (a disaster can only come with the win that ends it),
  :math:`P(\text{no disaster}) = 1 - \sum_t P_t D_t`, and over an infinite horizon with stationary
  play :math:`1 - D/Q` (the probability that the eventual win is safe);
* each player's **payoff change** :math:`U_i^{P} - U_i^{N}`.

Both profiles are evaluated with the belief the planner uses (the first one by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["WelfareGap", "no_disaster_probability"]


def no_disaster_probability(sigma: np.ndarray, q: np.ndarray, end_on_win: bool, horizon) -> float:
    r"""Probability that no disaster happens over the horizon (module docstring).

    Parameters
    ----------
    sigma, q : ndarray (T, n)
        Per period: probability of a safe outcome if j wins, probability that j wins.
    end_on_win : bool
    horizon : int or float
        ``math.inf`` for stationary play (one row repeated for ever).

    Examples
    --------
    >>> import numpy as np
    >>> round(no_disaster_probability(np.array([[0.9, 0.9]]), np.array([[0.5, 0.5]]), False, 1), 12)
    0.9
    """
    sigma, q = np.asarray(sigma, dtype=float), np.asarray(q, dtype=float)
    D = np.sum(q * (1.0 - sigma), axis=1)  # (T,)
    if isinstance(horizon, float) and math.isinf(horizon):
        Q = float(np.sum(q[0]))
        if end_on_win:
            return 1.0 - float(D[0]) / Q if Q > 0 else 1.0
        return 1.0 if D[0] == 0 else 0.0
    if end_on_win:
        Q = np.sum(q, axis=1)
        survive = np.concatenate([[1.0], np.cumprod(1.0 - Q)[:-1]])
        return float(1.0 - np.sum(survive * D))
    return float(np.prod(1.0 - D))


@dataclass
class WelfareGap:
    r"""The Nash equilibrium against the planner's solution (module docstring).

    Attributes
    ----------
    nash : SolverResult
    planner : PlannerResult
    weights : ndarray (n,)
    welfare_nash, welfare_planner : float
        :math:`W` at each (by the planner's belief). With an unattained supremum,
        ``welfare_planner`` is the supremum's extrapolated limit.
    price_of_anarchy : float
        :math:`W^{P}/W^{N}`; NaN where :math:`W^{N} \le 0` (then read ``welfare_difference``).
    welfare_difference : float
    safety_nash, safety_planner, safety_gap : float
        Probability that no disaster happens over the horizon, and planner minus Nash.
    payoff_change : ndarray (n,)
        :math:`U_i^{P} - U_i^{N}` (planner's profile, or its best profile when the supremum is
        not attained).
    """

    nash: object
    planner: object
    weights: np.ndarray
    welfare_nash: float
    welfare_planner: float
    price_of_anarchy: float
    welfare_difference: float
    safety_nash: float
    safety_planner: float
    safety_gap: float
    payoff_change: np.ndarray

    @property
    def certified(self) -> bool:
        """Both solutions certified (a certified equilibrium and a certified optimum)."""
        return bool(self.nash.success and self.planner.success)

    def as_dict(self) -> dict[str, float]:
        """The measures as one flat dict (what sweeps add to their tables)."""
        out = {"welfare_nash": self.welfare_nash, "welfare_planner": self.welfare_planner,
               "price_of_anarchy": self.price_of_anarchy, "welfare_difference": self.welfare_difference,
               "safety_nash": self.safety_nash, "safety_planner": self.safety_planner,
               "safety_gap": self.safety_gap}
        for i, v in enumerate(self.payoff_change):
            out[f"payoff_change_{i + 1}"] = float(v)
        return out

    def __str__(self) -> str:
        poa = "n/a (Nash welfare <= 0)" if math.isnan(self.price_of_anarchy) else f"{self.price_of_anarchy:.6g}"
        lines = [
            f"WelfareGap: Nash {self.nash.status!r}, planner {self.planner.status!r}",
            f"  welfare: Nash {self.welfare_nash:.6g}, planner {self.welfare_planner:.6g} "
            f"(difference {self.welfare_difference:.6g}; price of anarchy {poa})",
            f"  probability of no disaster: Nash {self.safety_nash:.6g}, planner {self.safety_planner:.6g} "
            f"(safety gap {self.safety_gap:.6g})",
            "  payoff change per player (planner - Nash): "
            + ", ".join(f"{i + 1}: {v:+.6g}" for i, v in enumerate(self.payoff_change)),
        ]
        return "\n".join(lines)
