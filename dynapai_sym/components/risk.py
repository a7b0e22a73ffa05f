r"""Risk: the probability :math:`\sigma_j` of a safe outcome given that player j wins.

* winner only: :math:`\sigma_j = s_j / (1 + s_j)`
* multiplicative: :math:`\sigma_j = \left[\prod_k \left(\frac{s_k}{1+s_k}\right)^{w_k}\right]^{n/\sum_k w_k}`
* additive: :math:`\sigma_j = \sum_k w_k \frac{s_k}{1+s_k} \Big/ \sum_k w_k`
* custom: any expression in :math:`s_1..s_n` (and :math:`p_1..p_n`) with extra parameters.

:math:`\theta_i` (in :math:`s_i = A_i x_{s,i}^{\alpha_i} p_i^{-\theta_i}`) is held here.

Each form is a :class:`RiskForm` registered under its name (see
:mod:`dynapai_sym.components.registry`); a new built-in risk function is one more
``@register_form("risk")`` class here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import sympy as sp

from .._validation import all_equal, as_player_vector, check_n, n_from
from ..errors import InvalidArgumentError
from ..symbols import glossary, intermediate, player_symbols
from .base import (
    FormComponent,
    as_param_values,
    call_or_rebind,
    constructor_call,
    relabelling_symmetric,
    updated,
    updated_extra,
)
from .registry import Form, forms, get_form, register_form

__all__ = ["RiskFunc", "RiskForm", "safe_fraction", "safe_fraction_denominators", "safe_fraction_parts"]


def safe_fraction(s) -> list[sp.Expr]:
    r"""The winner-only safe probability :math:`s_j / (1 + s_j)` of each player, over a common denominator.

    With :math:`s_j = A_j x_{s,j}^{\alpha_j} p_j^{-\theta_j}` this is
    :math:`A_j x_{s,j}^{\alpha_j} / (A_j x_{s,j}^{\alpha_j} + p_j^{\theta_j})`: finite, with finite
    derivatives, both where a player gives up performance (:math:`p_j \to 0`, where :math:`s_j`
    itself overflows) and at :math:`x_{s,j} = 0`.
    """
    return [sp.together(si / (1 + si)) for si in s]


def safe_fraction_parts(s) -> list[tuple[sp.Expr, sp.Expr]]:
    r"""The two terms :math:`(a_j, b_j) = (A_j x_{s,j}^{\alpha_j}, p_j^{\theta_j})` of each
    :func:`safe_fraction` :math:`a_j / (a_j + b_j)`.

    The compiler writes each fraction in two pieces before differentiating
    (:func:`~dynapai_sym.compile.backends.stabilise_fractions`):

    .. math::

        \frac{a}{a + b} = \begin{cases} a/(a + b) & a \le b \\ 1/(1 + b/a) & a > b. \end{cases}

    Differentiated as written, :math:`\partial_x [a/(a + b)] = a'/(a + b) - a a'/(a + b)^2`: two
    terms that cancel where :math:`b \ll a` (a safe player), leaving a rounding error of about
    :math:`10^{-16} \alpha/x_s`: 3 at :math:`x_s = 10^{-17}`, where the true slope of a player
    out of the race is 0. Where :math:`a > b` the second piece's first derivatives are one term
    each (:math:`a' b/(a + b)^2` in effect), with :math:`b/a < 1`. Where :math:`a \le b` the form
    as written has no such cancellation, and it stays finite where :math:`b/a` would overflow
    (inputs of :math:`10^{-300}`) or be :math:`0 \cdot \infty` (at :math:`x_s = 0`, where its
    slope is :math:`a'/b`, finite when :math:`\alpha = 1`).
    """
    out = []
    for f in safe_fraction(s):
        num, den = sp.fraction(f)
        out.append((num, den - num))
    return out


def safe_fraction_denominators(s) -> list[sp.Expr]:
    r"""The denominators :math:`A_j x_{s,j}^{\alpha_j} + p_j^{\theta_j}` of :func:`safe_fraction`.

    Both terms vanish when player j gives up (:math:`x_{s,j} = x_{p,j} = 0`, :math:`\theta_j > 0`);
    the model's limit there is :math:`\sigma = 0` (``docs/model.md``, values at exact zeros).
    """
    return [a + b for a, b in safe_fraction_parts(s)]


class RiskForm(Form):
    r"""Base class of the risk forms: the math of :math:`\sigma_j`.

    A risk form writes :meth:`sigma` and :meth:`latex`, and may declare
    ``params = {"w": "w"}`` to take the per-player risk weights :math:`w_k` (then
    ``RiskFunc(name, theta, w)`` accepts ``w``, defaulting to 1, and the weight symbols are
    ``risk.w_symbols``). Register it with ``@register_form("risk")``.
    """

    __slots__ = ()
    kind = "risk"

    @classmethod
    def check_declarations(cls) -> None:
        super().check_declarations()
        if dict(cls.params) not in ({}, {"w": "w"}):
            raise InvalidArgumentError(f"{cls.__name__}.params must be {{}} or {{'w': 'w'}} (risk weights), "
                                       f"got {dict(cls.params)!r}")

    @property
    def takes_weights(self) -> bool:
        """True when the form takes the risk weights :math:`w_k`."""
        return "w" in self.params

    def sigma(self, risk: RiskFunc, s, p) -> list[sp.Expr]:  # pragma: no cover - abstract
        r"""Return :math:`[\sigma_1, \dots, \sigma_n]` for ``risk`` given safety ``s`` and performance ``p``.

        Parameters
        ----------
        risk : RiskFunc
            The component (its ``n``, ``w_symbols`` and, for user-written forms, its expressions).
        s, p : sequence of sympy expressions
            :math:`s_1..s_n` and :math:`p_1..p_n` (symbols or expressions in the actions).
        """
        raise NotImplementedError

    def latex(self, risk: RiskFunc) -> str:  # pragma: no cover - abstract
        r"""The form as LaTeX rows ``lhs = rhs``, split by ``\\``."""
        raise NotImplementedError

    def exit_denominators(self, risk: RiskFunc, s, p) -> list[sp.Expr]:
        """Denominators of :meth:`sigma` that vanish only where a player gives up (0/0 means 0 there).

        The built-in forms build on :func:`safe_fraction`; a user-written form returns none
        (its expressions are used as written).
        """
        return [] if self.user_written else safe_fraction_denominators(s)

    def stable_forms(self, risk: RiskFunc, s, p) -> list[tuple[sp.Expr, sp.Expr]]:
        """How the compiler writes the safe fractions before differentiating
        (:func:`safe_fraction_parts`); none for a user-written form (its expressions are used
        as written)."""
        return [] if self.user_written else safe_fraction_parts(s)


@register_form("risk")
class WinnerOnlyRisk(RiskForm):
    r"""Only the winner's safety matters: :math:`\sigma_j = s_j / (1 + s_j)`."""

    __slots__ = ()
    name = "winner_only"

    def sigma(self, risk, s, p):
        return safe_fraction(s)

    def latex(self, risk):
        return r"\sigma_j = \frac{s_j}{1 + s_j}"


@register_form("risk")
class MultiplicativeRisk(RiskForm):
    r"""Everyone's safety matters, as a weighted geometric mean.

    .. math:: \sigma_j = \left[\prod_k \left(\frac{s_k}{1+s_k}\right)^{w_k}\right]^{n/\sum_k w_k}
    """

    __slots__ = ()
    name = "multiplicative"
    params = {"w": "w"}

    def sigma(self, risk, s, p):
        # the outer power distributed over the factors, prod_k (s_k/(1+s_k))^(n w_k / sum w): the
        # same function, whose slopes stay finite where another player gives up (a factor is 0)
        w = risk.w_symbols
        exponent = sp.Integer(risk.n) / sp.Add(*w)
        return [sp.Mul(*[sk ** (wk * exponent) for sk, wk in zip(safe_fraction(s), w)])] * risk.n

    def latex(self, risk):
        return (r"\sigma_j = \left[\prod_k \left(\frac{s_k}{1+s_k}\right)^{w_k}\right]"
                r"^{n / \sum_k w_k}")


@register_form("risk")
class AdditiveRisk(RiskForm):
    r"""Everyone's safety matters, as a weighted mean.

    .. math:: \sigma_j = \sum_k w_k \frac{s_k}{1+s_k} \Big/ \sum_k w_k
    """

    __slots__ = ()
    name = "additive"
    params = {"w": "w"}

    def sigma(self, risk, s, p):
        w = risk.w_symbols
        total = sp.Add(*[wk * sk for sk, wk in zip(safe_fraction(s), w)]) / sp.Add(*w)
        return [total] * risk.n

    def latex(self, risk):
        return r"\sigma_j = \frac{\sum_k w_k s_k / (1 + s_k)}{\sum_k w_k}"


@register_form("risk")
class CustomRisk(RiskForm):
    r"""User-written :math:`\sigma_j` (see :meth:`RiskFunc.custom`)."""

    __slots__ = ()
    name = "custom"
    symmetric_capable = False
    user_written = True

    def sigma(self, risk, s, p):
        n = risk.n
        s_syms, p_syms = intermediate("s", n), intermediate("p", n)
        known = {sym.name: sym for sym in (*s_syms, *p_syms)}
        known.update({sym.name: sym for sym in risk._extra})
        exprs = call_or_rebind(risk._spec, (s_syms, p_syms), known, "sigma")
        if not isinstance(exprs, list) or len(exprs) != n:
            raise InvalidArgumentError(f"custom sigma must give a list of {n} expressions (one per winner)")
        mapping = dict(zip(s_syms, s)) | dict(zip(p_syms, p))
        return [sp.sympify(e).xreplace(mapping) for e in exprs]

    def latex(self, risk):
        exprs = risk.sigma(intermediate("s", risk.n), intermediate("p", risk.n))
        names = glossary(set().union(*[e.free_symbols for e in exprs]))
        return r" \\ ".join(
            rf"\sigma_{{{j + 1}}} = {sp.latex(e, symbol_names=names)}" for j, e in enumerate(exprs)
        )


class RiskFunc(FormComponent):
    r"""Probability of a safe outcome given each winner.

    Build with :meth:`winner_only`, :meth:`multiplicative`, :meth:`additive`
    or :meth:`custom`, or by name: ``RiskFunc("winner_only", theta)``.

    Parameters
    ----------
    form : str
        Name of a registered risk form (:func:`~dynapai_sym.components.registry.form_names`
        ``("risk")``); the object behind it is :attr:`form_def`, a :class:`RiskForm`.
    theta : float or array_like, shape (n,)
        :math:`\theta_i \ge 0`, the erosion of safety by performance; a number is every
        player's value.
    w : float or array_like, shape (n,), optional
        Risk weights :math:`w_k \ge 0` (default 1), for the forms that take them
        (``multiplicative``, ``additive``).
    n : int, optional
        Number of players. Without it, and with numbers only, the risk function holds one value
        for every player and takes its number of players from the :class:`PayoffFunc` it is
        given to.
    """

    __slots__ = ("n", "form", "theta", "w", "_spec", "_extra", "_form")
    kind = "risk"

    def __init__(self, form: str, theta, w=None, spec=None, extra=None, *, n: int | None = None):
        form_def = get_form("risk", form, "form")
        n = n_from((("theta", theta), ("w", w)), n)
        if n is None:  # one value for every player: the number of players comes from the PayoffFunc
            theta = as_player_vector(theta, "theta", 1, nonnegative=True)
            if w is not None:
                w = as_player_vector(w, "w", 1, nonnegative=True)
            self._set(n=None, form=form, theta=theta, w=w, _spec=spec, _extra=extra or {}, _form=form_def)
            return
        n = check_n(n, "number of players (length of theta)")
        theta = as_player_vector(theta, "theta", n, nonnegative=True)
        if form_def.takes_weights:
            w = as_player_vector(np.ones(n) if w is None else w, "w", n, nonnegative=True)
            if not np.any(w > 0):
                raise InvalidArgumentError("w (risk weights) must have at least one positive entry")
        elif w is not None:
            weighted = " or ".join(name for name, f in forms("risk").items() if f.takes_weights)
            raise InvalidArgumentError(f"w (risk weights) only applies to {weighted} risk, not {form}")
        self._set(n=n, form=form, theta=theta, w=w, _spec=spec, _extra=extra or {}, _form=form_def)

    def for_players(self, n: int) -> RiskFunc:
        """This risk function for ``n`` players (one given for every player is broadcast)."""
        if self.n is not None:
            if self.n != n:
                raise InvalidArgumentError(f"risk_func has {self.n} players (length of theta), the model has {n}")
            return self
        w = None if self.w is None else np.full(n, self.w[0])
        return type(self)(self.form, np.full(n, self.theta[0]), w, spec=self._spec, extra=self._extra, n=n)

    def _rebuilt(self, byname):
        w = None if self.w is None else updated(self.w, "w", byname)
        return type(self)(self.form, updated(self.theta, "theta", byname), w, spec=self._spec,
                          extra=updated_extra(self._extra, byname), n=self.n)

    def _players(self) -> int:
        if self.n is None:
            raise InvalidArgumentError(f"{self!r} holds one theta for every player: give it to a PayoffFunc "
                                       "(which knows the number of players) or pass n=...")
        return self.n

    @classmethod
    def winner_only(cls, theta, *, n: int | None = None) -> RiskFunc:
        r""":math:`\sigma_j = s_j / (1 + s_j)`: only the winner's safety matters."""
        return cls("winner_only", theta, n=n)

    #: name used by dynapai's Python bindings
    winner_only_risk = winner_only

    @classmethod
    def multiplicative(cls, theta, w=None, *, n: int | None = None) -> RiskFunc:
        r""":math:`\sigma_j = [\prod_k (s_k/(1+s_k))^{w_k}]^{n/\sum w}` for every j (default w = 1)."""
        return cls("multiplicative", theta, w, n=n)

    multiplicative_risk = multiplicative

    @classmethod
    def additive(cls, theta, w=None, *, n: int | None = None) -> RiskFunc:
        r""":math:`\sigma_j = \sum_k w_k s_k/(1+s_k) / \sum_k w_k` for every j (default w = 1)."""
        return cls("additive", theta, w, n=n)

    additive_risk = additive

    @classmethod
    def custom(cls, theta, sigma: Callable | list, params: Mapping | None = None, *,
               n: int | None = None) -> RiskFunc:
        r"""A user-written risk function.

        Parameters
        ----------
        theta : array_like, shape (n,)
            :math:`\theta_i`, used in :math:`s_i`.
        sigma : callable or list of sympy expressions
            Either ``sigma(s, p) -> [sigma_1, ..., sigma_n]`` taking tuples of
            sympy symbols, or the list of n expressions written in the symbols
            ``s1..sn``, ``p1..pn`` (see :func:`dynapai_sym.symbols.intermediate`)
            and the symbols of ``params``.
        params : mapping, optional
            Values of the extra parameter symbols used in ``sigma``.
        """
        return cls("custom", theta, spec=sigma, extra=as_param_values(params, "params"), n=n)

    # symbols -----------------------------------------------------------------
    @property
    def theta_symbols(self) -> tuple[sp.Symbol, ...]:
        return player_symbols("theta", self._players(), positive=True)

    @property
    def w_symbols(self) -> tuple[sp.Symbol, ...]:
        return player_symbols("w", self._players(), positive=True)

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        out = dict(zip(self.theta_symbols, map(float, self.theta)))
        if self.w is not None:
            out.update(zip(self.w_symbols, map(float, self.w)))
        out.update(self._extra)
        return out

    # expressions -------------------------------------------------------------
    def sigma(self, s, p) -> list[sp.Expr]:
        r"""Return :math:`[\sigma_1, \dots, \sigma_n]` given safety ``s`` and performance ``p``."""
        return self._form.sigma(self, s, p)

    def exit_denominators(self, s, p) -> list[sp.Expr]:
        """Denominators of :meth:`sigma` that vanish only where a player gives up (see the form)."""
        return self._form.exit_denominators(self, s, p)

    def stable_forms(self, s, p) -> list[tuple[sp.Expr, sp.Expr]]:
        """How the compiler writes the safe fractions before differentiating (see the form)."""
        return self._form.stable_forms(self, s, p)

    def form_key(self) -> tuple | None:
        return None if self.is_custom else (self._form, self.w is None)

    def is_symmetric(self) -> bool:
        ok = all_equal(self.theta)
        if self.w is not None:
            ok = ok and all_equal(self.w)
        if ok and self.is_custom:  # user-written: symmetric when relabelling the players permutes sigma alike
            n = self.n
            return relabelling_symmetric(self.sigma(intermediate("s", n), intermediate("p", n)), n, self._extra)
        return ok and self._form.symmetric_capable

    def __repr__(self) -> str:
        if self.n is None:
            extra = f", w={float(self.w[0])}" if self.w is not None else ""
            return f"{constructor_call(type(self), self.form)}theta={float(self.theta[0])}{extra})"
        extra = f", w={self.w.tolist()}" if self.w is not None else ""
        return f"{constructor_call(type(self), self.form)}theta={self.theta.tolist()}{extra})"

    def to_latex(self) -> str:
        """The risk function as LaTeX."""
        return self._form.latex(self)
