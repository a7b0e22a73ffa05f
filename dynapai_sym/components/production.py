r"""Production: how inputs become safety and performance.

.. math::

    p_i = B_i\, x_{p,i}^{\beta_i}, \qquad
    s_i = A_i\, x_{s,i}^{\alpha_i}\, p_i^{-\theta_i}

:math:`\theta_i` (how performance erodes safety) is given with the risk
function, as in ``RiskFunc.winner_only(theta)``. :math:`A_i` and :math:`B_i`
are the state of the multi-period game: investment and sharing move them.
"""

from __future__ import annotations

import sympy as sp

from .._validation import all_equal, as_player_vector, check_n, n_from
from ..errors import InvalidArgumentError
from ..symbols import player_symbols
from .base import Component, updated

__all__ = ["ProdFunc"]


class ProdFunc(Component):
    r"""Cobb–Douglas production of safety and performance.

    .. math::

        p_i = B_i x_{p,i}^{\beta_i}, \quad s_i = A_i x_{s,i}^{\alpha_i} p_i^{-\theta_i}

    Parameters
    ----------
    a, alpha, b, beta : float or array_like, shape (n,)
        :math:`A_i > 0`, :math:`\alpha_i > 0`, :math:`B_i > 0`, :math:`\beta_i > 0`; a
        number is every player's value.
    n : int, optional
        Number of players; needed only when every value is a number.
    """

    __slots__ = ("n", "a", "alpha", "b", "beta")
    kind = "production"

    def __init__(self, a, alpha, b, beta, *, n: int | None = None):
        n = n_from((("a", a), ("alpha", alpha), ("b", b), ("beta", beta)), n)
        if n is None:
            raise InvalidArgumentError("ProdFunc needs the number of players: give n=..., or one of a, alpha, "
                                       "b, beta as a per-player vector")
        n = check_n(n, "number of players (length of a, alpha, b, beta)")
        self._set(
            n=n,
            a=as_player_vector(a, "a", n, positive=True),
            alpha=as_player_vector(alpha, "alpha", n, positive=True),
            b=as_player_vector(b, "b", n, positive=True),
            beta=as_player_vector(beta, "beta", n, positive=True),
        )

    def _rebuilt(self, byname):
        return ProdFunc(a=updated(self.a, "A", byname), alpha=updated(self.alpha, "alpha", byname),
                        b=updated(self.b, "B", byname), beta=updated(self.beta, "beta", byname))

    # symbols -----------------------------------------------------------------
    @property
    def A(self) -> tuple[sp.Symbol, ...]:
        """Safety productivity symbols :math:`A_i` (state)."""
        return player_symbols("A", self.n, positive=True)

    @property
    def B(self) -> tuple[sp.Symbol, ...]:
        """Performance productivity symbols :math:`B_i` (state)."""
        return player_symbols("B", self.n, positive=True)

    @property
    def alpha_symbols(self) -> tuple[sp.Symbol, ...]:
        return player_symbols("alpha", self.n, positive=True)

    @property
    def beta_symbols(self) -> tuple[sp.Symbol, ...]:
        return player_symbols("beta", self.n, positive=True)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        out: dict[sp.Symbol, float] = {}
        for syms, vals in ((self.A, self.a), (self.alpha_symbols, self.alpha),
                           (self.B, self.b), (self.beta_symbols, self.beta)):
            out.update(zip(syms, map(float, vals)))
        return out

    # expressions -------------------------------------------------------------
    def performance(self, xp) -> list[sp.Expr]:
        r""":math:`p_i = B_i x_{p,i}^{\beta_i}`."""
        return [B * x**beta for B, x, beta in zip(self.B, xp, self.beta_symbols)]

    def safety(self, xs, p, theta) -> list[sp.Expr]:
        r""":math:`s_i = A_i x_{s,i}^{\alpha_i} p_i^{-\theta_i}`."""
        return [A * x**al * pi ** (-th) for A, x, al, pi, th in zip(self.A, xs, self.alpha_symbols, p, theta)]

    def form_key(self) -> tuple:
        """Cobb–Douglas production has one form: the expressions depend only on n."""
        return ("cobb_douglas",)

    def is_symmetric(self) -> bool:
        return all(all_equal(v) for v in (self.a, self.alpha, self.b, self.beta))

    def __repr__(self) -> str:
        return (f"ProdFunc(a={self.a.tolist()}, alpha={self.alpha.tolist()}, "
                f"b={self.b.tolist()}, beta={self.beta.tolist()})")

    def to_latex(self) -> str:
        """The production equations as LaTeX."""
        return r"p_i = B_i x_{p,i}^{\beta_i}, \qquad s_i = A_i x_{s,i}^{\alpha_i} p_i^{-\theta_i}"
