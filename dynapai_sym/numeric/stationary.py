r"""The infinite horizon with stationary play: one period whose payoff is the whole objective.

When actions do not move the state and every player repeats the same action each period,
the survival probability falls geometrically, :math:`L_t = (1 - Q)^t`, and

.. math::

    U_i = \sum_{t=0}^{\infty} \gamma_i^t (1 - Q)^t u_i = \frac{u_i}{D_i}, \qquad
    D_i = 1 - \gamma_i (1 - Q)

with :math:`Q = \sum_j q_j` when the game ends on a win and :math:`Q = 0` otherwise
(:math:`\gamma_i < 1` keeps :math:`D_i > 0`). :class:`StationaryModel` presents
:math:`U_i` as a one-period model: the compiled blocks of :math:`u_i` and :math:`Q` combined
by the quotient rule,

.. math::

    \partial U = \frac{\partial u}{D} - \frac{u\, \partial D}{D^2}, \qquad
    \partial^2 U = \frac{\partial^2 u}{D}
      - \frac{\partial u \otimes \partial D + \partial D \otimes \partial u + u\, \partial^2 D}{D^2}
      + \frac{2 u\, \partial D \otimes \partial D}{D^3},

with :math:`\partial D = \gamma_i \partial Q`. A one-period :class:`~dynapai_sym.numeric.NumericGame`
built on it is the stationary game, and every solver and certificate of the static game applies.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError

__all__ = ["StationaryModel"]


class StationaryModel:
    r"""The stationary objective :math:`U_i = u_i / (1 - \gamma_i (1 - Q))` as a one-period model.

    Parameters
    ----------
    model : CompiledModel
        The one-period model; its actions must not move the state (``ds == 0``).
    gammas : array_like, shape (n,)
        Discount factors, each in (0, 1).
    end_on_win : bool
        Whether the game ends the first time someone wins (else :math:`Q = 0` in :math:`D_i`).

    Examples
    --------
    >>> import numpy as np
    >>> from dynapai_sym import models
    >>> pf = models.basic_aggregator(2, end_on_win=True).state.beliefs[0]
    >>> sm = StationaryModel(pf.compiled, [0.5, 0.5], True)
    >>> z = np.array([1.0, 1.0, 1.0, 1.0])
    >>> u, _, Q = pf.compiled.values(z, pf.state_vector(), pf.param_vector())
    >>> bool(np.allclose(sm.payoffs(z, pf.state_vector(), pf.param_vector()), u / (1 - 0.5 * (1 - Q))))
    True
    """

    def __init__(self, model, gammas, end_on_win: bool):
        if model.ds:
            raise InvalidArgumentError("the stationary (infinite-horizon) objective needs actions that do "
                                       "not move the state")
        gammas = np.asarray(gammas, dtype=float)
        if gammas.shape != (model.n,) or np.any(gammas <= 0) or np.any(gammas >= 1):
            raise InvalidArgumentError(f"gammas must be {model.n} discount factors in (0, 1), got {gammas!r}")
        self.model = model
        self.gammas = gammas
        self.end_on_win = bool(end_on_win)
        self.n, self.k, self.m, self.ds = model.n, model.k, model.m, 0
        self.upper = model.upper
        self.structure = model.structure

    @property
    def backend(self) -> str:
        return self.model.backend

    def _denominator(self, Q: np.ndarray) -> np.ndarray:
        g = self.gammas.reshape((self.n,) + (1,) * np.ndim(Q))
        return 1.0 - g * (1.0 - Q) if self.end_on_win else 1.0 - g + 0.0 * Q

    def _g(self, extra: int, batch: int) -> np.ndarray:
        """:math:`\\gamma_i` shaped to broadcast against (n, <extra axes>, *batch)."""
        return self.gammas.reshape((self.n,) + (1,) * (extra + batch)) if self.end_on_win \
            else np.zeros((self.n,) + (1,) * (extra + batch))

    # ------------------------------------------------------------ calls
    def values(self, z, y, theta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(U, f, Q)``: the stationary objectives (n,), the (empty) next state, the win probability."""
        u, f, Q = self.model.values(z, y, theta)
        return u / self._denominator(Q), f, Q

    def payoffs(self, z, y, theta) -> np.ndarray:
        """Stationary objectives :math:`U_i` (n,)."""
        return self.values(z, y, theta)[0]

    def quantities(self, z, y, theta) -> dict[str, np.ndarray]:
        """s, p, sigma, q of the one period played every period, and the stationary objectives."""
        out = self.model.quantities(z, y, theta)
        out["payoffs"] = self.payoffs(z, y, theta)
        return out

    def _first(self, u, Q, u_v, Q_v):
        b = np.ndim(Q)
        D = self._denominator(Q)  # (n, *b)
        g = self._g(0, b)
        U = u / D
        Dv = g[:, None] * Q_v[None]  # (n, nv, *b)
        U_v = u_v / D[:, None] - (u / D**2)[:, None] * Dv
        return U, D, Dv, U_v

    def values_first(self, z, y, theta) -> tuple[np.ndarray, ...]:
        """``(U, f, Q, U_v, f_v, Q_v)`` (see :meth:`CompiledModel.values_first`)."""
        u, f, Q, u_v, f_v, Q_v = self.model.values_first(z, y, theta)
        U, _, _, U_v = self._first(u, Q, u_v, Q_v)
        return U, f, Q, U_v, f_v, Q_v

    def first(self, z, y, theta) -> tuple[np.ndarray, ...]:
        return self.values_first(z, y, theta)[3:]

    def dynamic(self, z, y, theta) -> tuple[np.ndarray, ...]:
        """``(U_v, U_vv, f_v, f_vv, Q_v, Q_vv)`` (see :meth:`CompiledModel.dynamic`)."""
        u, _, Q = self.model.values(z, y, theta)
        u_v, u_vv, f_v, f_vv, Q_v, Q_vv = self.model.dynamic(z, y, theta)
        U, D, Dv, U_v = self._first(u, Q, u_v, Q_v)
        b = np.ndim(Q)
        g = self._g(1, b)
        Dvv = g[:, None] * Q_vv[None]  # (n, nv, nv, *b)
        D2 = (D**2)[:, None, None]
        cross = u_v[:, :, None] * Dv[:, None, :] + Dv[:, :, None] * u_v[:, None, :]
        U_vv = (u_vv / D[:, None, None] - (cross + u[:, None, None] * Dvv) / D2
                + 2.0 * (u / D**3)[:, None, None] * Dv[:, :, None] * Dv[:, None, :])
        return U_v, U_vv, f_v, f_vv, Q_v, Q_vv

    def static(self, z, y, theta) -> tuple[np.ndarray, np.ndarray]:
        r"""``(g, J)``: :math:`\partial U_i/\partial a_{ic}` (n, k) and the rows
        :math:`\partial^2 U_i/\partial a_{ic}\partial z` (n, k, m)."""
        U_v, U_vv = self.dynamic(z, y, theta)[:2]
        n, k, m = self.n, self.k, self.m
        idx = np.arange(n)[:, None] * k + np.arange(k)[None, :]  # (n, k): own columns
        rows = np.arange(n)[:, None]
        g = U_v[rows, idx]  # (n, k, *b)
        J = U_vv[rows, idx][:, :, :m]  # (n, k, m, *b)
        return g, J
