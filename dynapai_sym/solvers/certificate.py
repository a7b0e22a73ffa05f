"""What a certificate says: :class:`Certificate`, :class:`Deviation`, and the thresholds of the
checks that :mod:`.certify` (one profile at a time) and :mod:`.certify_static` (many one-period
profiles at once) share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Certificate", "Deviation"]

# ---- local conditions (steps 1, 2) and the report
NEAR_BOUND = 1e-9  # a variable this close above its lower bound may sit on a singular corner
HESSIAN_FINITE = 1e12  # second derivatives beyond this count as not finite (singular x^alpha at 0)
EIGEN_TOL = 1e-7  # second order holds when the largest eigenvalue <= this x max(1, max |H|)
INDETERMINATE_SLOPE = 1e-12  # a variable with no column of the KKT Jacobian above this moves nothing
SYMMETRY_RTOL, SYMMETRY_ATOL = 1e-6, 1e-9  # every player plays player 0's schedule (np.allclose)

# ---- the probe's decisions
FAR = 0.25  # a candidate farther than this (relative, per column scale) is far; nearer ones are
#               the coordinate steps' business
GIVEN_UP = 1e-6  # a player whose x_s, x_p are all <= this x the largest x_s, x_p played has given up
SCALE_OFFSET = 1e-6  # added to |x| in the scales of relative distances (defined for zero actions)
POLISH_MARGIN = 0.02  # candidates within 2% of |U| (or of the drop-out loss) below U are polished
MARGIN_FLOOR = 1e-9  # the base of the polishing margin is at least this
UNDEFINED_DROP_LOSS = 1.0  # loss assumed for dropping out when its payoff is not finite
UPHILL_POINTS = (0.25, 0.5, 0.75)  # points on the segment back to the profile checked for a rise


@dataclass
class Deviation:
    """A profitable deviation: player, its schedule (T, k), and the payoff gain."""

    player: int
    schedule: np.ndarray
    gain: float


@dataclass
class Certificate:
    """Result of :func:`certify`."""

    kkt_residual: float
    kkt_ok: bool
    second_order_ok: bool
    max_eigenvalues: np.ndarray
    gains: np.ndarray
    deviations: list[Deviation] = field(default_factory=list)
    symmetric: bool | None = None
    indeterminate: np.ndarray | None = None
    checked_global: bool = True
    # players with an input held at a floor just above zero while their payoff still rises
    # steeply towards zero (a singular limit, never attained: no best response exists)
    unattained: tuple[int, ...] = ()

    @property
    def passed(self) -> bool:
        return self.kkt_ok and self.second_order_ok and not self.deviations and not self.unattained

    @property
    def best_deviation(self) -> Deviation | None:
        return max(self.deviations, key=lambda d: d.gain) if self.deviations else None

    def describe(self) -> str:
        if self.passed:
            return "certified equilibrium"
        parts = []
        if self.unattained:
            players = [int(i) + 1 for i in self.unattained]
            parts.append(f"the payoff of player(s) {players} still rises towards an input "
                         "of 0 held at a floor (a singular limit never attained: no best response)")
        if not self.kkt_ok and np.isnan(self.kkt_residual):
            parts.append("payoffs or first-order conditions not defined at the profile")
        elif not self.kkt_ok:
            parts.append(f"KKT residual {self.kkt_residual:.2e} too large")
        if not self.second_order_ok:
            bad = np.flatnonzero(self.max_eigenvalues > 0)
            parts.append(f"not a local maximum for player(s) {(bad + 1).tolist()}")
        if self.deviations:
            d = self.best_deviation
            parts.append(f"player {d.player + 1} gains {d.gain:.3g} by deviating")
        return "; ".join(parts)
