"""The results record of every solver."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..names import ACTION_COLUMNS

__all__ = ["Optimum", "SolverResult", "Status"]


class Status:
    """Status strings of :class:`SolverResult`."""

    CERTIFIED = "certified equilibrium"
    NO_PURE = "no pure equilibrium found"
    NOT_CONVERGED = "not converged"
    MIXED = "mixed-strategy approximation"


class Optimum(list):
    """List of per-period actions; calling it returns itself (``res.optimum()`` also works)."""

    def __call__(self):
        return self


@dataclass
class SolverResult:
    r"""What a solver found, with its certificate.

    Attributes
    ----------
    optimum : list of Actions
        One per period (``res.optimum`` or, as in dynapai's Python bindings, ``res.optimum()``).
    strategies : Strategies
        The same profile as a (T, n, k) array.
    success : bool
        True only for a certified pure-strategy equilibrium.
    status : str
        ``"certified equilibrium"``, ``"no pure equilibrium found"``, ``"not converged"``,
        or ``"mixed-strategy approximation"``, with details in :attr:`message`.
    payoffs : ndarray (n,)
        :math:`U_i` at the profile.
    s, p, sigma, q : ndarray (T, n)
        Safety, performance, probability of a safe outcome if i wins, probability that i wins.
    kkt_residual : float
        :math:`\|x - \Pi(x + G(x))\|_\infty` of the scaled conditions (NaN for non-smooth models).
    iterations : int
    method : str
    """

    optimum: list
    strategies: object
    success: bool
    status: str
    message: str
    payoffs: np.ndarray
    s: np.ndarray
    p: np.ndarray
    sigma: np.ndarray
    q: np.ndarray
    kkt_residual: float
    iterations: int
    method: str
    seconds: float = 0.0
    evaluations: int = 0
    backend: str = "sympy"
    certificate: object = None
    symmetric: bool | None = None
    indeterminate: np.ndarray | None = None
    deviation: object = None
    samples: np.ndarray | None = None  # mixed strategies: sampled profiles (S, T, n, k)
    exploitability: np.ndarray | None = None  # mixed strategies: best-response gain per player
    notes: list[str] = field(default_factory=list)

    @property
    def probability_safe(self) -> np.ndarray:
        r"""P(safe | someone wins) per period: :math:`\sum_j \sigma_j q_j / \sum_j q_j`, shape (T,)."""
        return np.sum(self.sigma * self.q, axis=1) / np.sum(self.q, axis=1)

    def __str__(self) -> str:
        lines = [f"SolverResult: {self.status} ({self.method}, {self.iterations} iterations, "
                 f"{self.seconds * 1e3:.2f} ms)"]
        if self.message and self.message != self.status:
            lines.append(f"  {self.message}")
        data = self.strategies.data
        T, n, k = data.shape
        cols = list(ACTION_COLUMNS[:k])
        header = "  t  player " + "".join(f"{c:>12}" for c in cols) + f"{'s':>12}{'p':>12}{'sigma':>10}"
        lines.append(header)
        for t in range(T):
            for i in range(n):
                row = "".join(f"{v:12.5g}" for v in data[t, i])
                lines.append(f"{t:3d}  {i + 1:6d} {row}{self.s[t, i]:12.5g}{self.p[t, i]:12.5g}"
                             f"{self.sigma[t, i]:10.4f}")
        lines.append("  payoffs: " + np.array2string(self.payoffs, precision=6))
        lines.append(f"  KKT residual: {self.kkt_residual:.2e}")
        if self.indeterminate is not None and np.any(self.indeterminate):
            lines.append(f"  indeterminate entries (any value is optimal): {int(np.sum(self.indeterminate))}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"SolverResult(success={self.success}, status={self.status!r}, method={self.method!r}, "
                f"kkt_residual={self.kkt_residual:.2e})")
