r"""Contest success: the probability :math:`q_j` that player j wins this period.

* default (Tullock): :math:`q_j = p_j / \sum_k p_k`
* maybe no win: :math:`q_j = \kappa p_j / (1 + \kappa \sum_l p_l)`; then
  :math:`1 - \sum_j q_j` is the probability that nobody wins this period.
* custom: any expression in :math:`p_1..p_n` with extra parameters (e.g. a
  Tullock contest with an exponent, :math:`q_j = p_j^\phi / \sum_k p_k^\phi`).

Each form is a :class:`ContestForm` registered under its name (see
:mod:`dynapai_sym.components.registry`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp

from .._validation import as_number
from ..errors import InvalidArgumentError
from ..symbols import glossary, intermediate
from .base import (
    FormComponent,
    as_param_values,
    call_or_rebind,
    constructor_call,
    relabelling_symmetric,
    updated_extra,
)
from .registry import Form, get_form, register_form

__all__ = ["CSF", "ContestForm"]

KAPPA = sp.Symbol("kappa", positive=True)


class ContestForm(Form):
    r"""Base class of the contest forms: the math of :math:`q_j`.

    A contest form writes :meth:`q` and :meth:`latex`; it may declare
    ``params = {"kappa": "kappa"}`` to take the scale :math:`\kappa` (``CSF(name, scale)``),
    and ``always_someone_wins = True`` when :math:`\sum_j q_j = 1` identically. Register it
    with ``@register_form("contest")``.
    """

    __slots__ = ()
    kind = "contest"
    #: True when :math:`\sum_j q_j = 1` identically
    always_someone_wins: bool = False

    @classmethod
    def check_declarations(cls) -> None:
        super().check_declarations()
        if dict(cls.params) not in ({}, {"kappa": "kappa"}):
            raise InvalidArgumentError(f"{cls.__name__}.params must be {{}} or {{'kappa': 'kappa'}} (the scale), "
                                       f"got {dict(cls.params)!r}")

    @property
    def takes_scale(self) -> bool:
        r"""True when the form takes the scale :math:`\kappa`."""
        return "kappa" in self.params

    def q(self, csf: CSF, p) -> list[sp.Expr]:  # pragma: no cover - abstract
        r"""Return :math:`[q_1, \dots, q_n]` for performances ``p`` (n = ``len(p)``)."""
        raise NotImplementedError

    def latex(self, csf: CSF) -> str:  # pragma: no cover - abstract
        r"""The form as LaTeX rows ``lhs = rhs``, split by ``\\``."""
        raise NotImplementedError

    def exit_denominators(self, csf: CSF, p) -> list[sp.Expr]:
        """Denominators of :meth:`q` that vanish only where every player gives up (0/0 means 0 there)."""
        return []


@register_form("contest")
class TullockContest(ContestForm):
    r"""Tullock contest, someone always wins: :math:`q_j = p_j / \sum_k p_k`."""

    __slots__ = ()
    name = "default"
    always_someone_wins = True

    def q(self, csf, p):
        total = sp.Add(*p)
        return [pj / total for pj in p]

    def exit_denominators(self, csf, p):
        return [sp.Add(*p)]  # everybody gives up: q = 0 (the older implementations' convention)

    def latex(self, csf):
        return r"q_j = \frac{p_j}{\sum_k p_k}"


@register_form("contest")
class MaybeNoWinContest(ContestForm):
    r"""Nobody may win: :math:`q_j = \kappa p_j / (1 + \kappa \sum_l p_l)`."""

    __slots__ = ()
    name = "maybe_no_win"
    params = {"kappa": "kappa"}

    def q(self, csf, p):
        total = sp.Add(*p)
        return [KAPPA * pj / (1 + KAPPA * total) for pj in p]

    def latex(self, csf):
        return r"q_j = \frac{\kappa p_j}{1 + \kappa \sum_l p_l}"


@register_form("contest")
class CustomContest(ContestForm):
    r"""User-written :math:`q_j` (see :meth:`CSF.custom`)."""

    __slots__ = ()
    name = "custom"
    symmetric_capable = False
    user_written = True

    def q(self, csf, p):
        n = len(p)
        p_syms = intermediate("p", n)
        known = {sym.name: sym for sym in p_syms} | {sym.name: sym for sym in csf._extra}
        exprs = call_or_rebind(csf._spec, (p_syms,), known, "q")
        if not isinstance(exprs, list) or len(exprs) != n:
            raise InvalidArgumentError(f"custom q must give a list of {n} expressions (one per player)")
        mapping = dict(zip(p_syms, p))
        return [sp.sympify(e).xreplace(mapping) for e in exprs]

    def latex(self, csf, n: int | None = None):
        n = n or csf._n
        if n is None:  # a function of the performances: its expressions depend on n
            return r"q_j = q_j(p_1, \dots, p_n) \quad \text{(user-written; explicit for a given } n)"
        exprs = csf.q(intermediate("p", n))
        names = glossary(set().union(*[e.free_symbols for e in exprs]))
        return r" \\ ".join(
            rf"q_{{{j + 1}}} = {sp.latex(e, symbol_names=names)}" for j, e in enumerate(exprs)
        )


class CSF(FormComponent):
    r"""Contest success function. Build with :meth:`default`, :meth:`maybe_no_win` or :meth:`custom`.

    Parameters
    ----------
    form : str
        Name of a registered contest form (:func:`~dynapai_sym.components.registry.form_names`
        ``("contest")``), default ``"default"`` (Tullock).
    scale : float, optional
        :math:`\kappa > 0`, for the forms that take it (``maybe_no_win``).
    """

    __slots__ = ("form", "scale", "_spec", "_extra", "_n", "_form")
    kind = "contest"

    def __init__(self, form: str = "default", scale: float | None = None, spec=None, extra=None,
                 n: int | None = None):
        form_def = get_form("contest", form, "form")
        if form_def.takes_scale:
            scale = as_number(scale, "scale")
            if scale <= 0:
                raise InvalidArgumentError(f"scale must be positive and finite, got {scale!r}")
        self._set(form=form, scale=scale, _spec=spec, _extra=extra or {}, _n=n, _form=form_def)

    @classmethod
    def default(cls) -> CSF:
        r"""Tullock contest :math:`q_j = p_j / \sum_k p_k` (someone always wins)."""
        return cls("default")

    @classmethod
    def maybe_no_win(cls, scale: float = 1.0) -> CSF:
        r""":math:`q_j = \kappa p_j / (1 + \kappa \sum_l p_l)`, with :math:`\kappa` = ``scale``."""
        return cls("maybe_no_win", scale)

    @classmethod
    def custom(cls, q: Callable | list, params: Mapping | None = None) -> CSF:
        r"""A user-written contest.

        Parameters
        ----------
        q : callable or list of sympy expressions
            ``q(p) -> [q_1, ..., q_n]`` taking the tuple of performance symbols,
            or n expressions in the symbols ``p1..pn``. The sum may be below 1
            (nobody wins with the remaining probability).
        params : mapping, optional
            Values of the extra parameter symbols used.
        """
        n = len(q) if isinstance(q, (list, tuple)) else None
        return cls("custom", spec=q, extra=as_param_values(params, "params"), n=n)

    def _rebuilt(self, byname):
        scale = byname.get(KAPPA.name, self.scale) if self._form.takes_scale else self.scale
        return type(self)(self.form, scale, spec=self._spec, extra=updated_extra(self._extra, byname), n=self._n)

    @property
    def always_someone_wins(self) -> bool:
        """True when :math:`\\sum_j q_j = 1` identically (the default contest)."""
        return self._form.always_someone_wins

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        if self._form.takes_scale:
            return {KAPPA: float(self.scale)} | dict(self._extra)
        return dict(self._extra)

    def q(self, p) -> list[sp.Expr]:
        r"""Return :math:`[q_1, \dots, q_n]` for performances ``p``."""
        return self._form.q(self, p)

    def exit_denominators(self, p) -> list[sp.Expr]:
        """Denominators of :meth:`q` that vanish only where every player gives up (see the form)."""
        return self._form.exit_denominators(self, p)

    def form_key(self) -> tuple | None:
        return None if self.is_custom else (self._form,)

    def is_symmetric(self) -> bool:
        """True when the form treats every player alike (a user-written contest: when relabelling the
        players permutes its q alike; known only when it was given for a number of players)."""
        if self.is_custom and self._n is not None:
            return relabelling_symmetric(self.q(intermediate("p", self._n)), self._n, self._extra)
        return self._form.symmetric_capable

    def __repr__(self) -> str:
        head = constructor_call(type(self), self.form)
        if self._form.takes_scale:
            return f"{head}scale={self.scale})"
        return head.rstrip(", ") + ")"

    def to_latex(self, n: int | None = None) -> str:
        """The contest success function as LaTeX (a custom contest written out for ``n`` players,
        or for as many as its expressions have; a function of ``p`` is shown in general form)."""
        if self.is_custom:
            return self._form.latex(self, n)
        return self._form.latex(self)
