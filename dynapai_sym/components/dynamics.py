r"""State transitions between periods: how actions move :math:`A_i` and :math:`B_i`.

* none (basic actions): the state does not move.
* invest: :math:`A_i(t+1) = A_i(t) + i_{s,i}(t)`, :math:`B_i(t+1) = B_i(t) + i_{p,i}(t)`.
* sharing:

  .. math::

     A_i(t+1) = A_i(t) + i_{s,i}(t) + \sum_{j \ne i} g(\mathit{sh}_{s,j}(t))\, \max(0, A_j(t) - A_i(t))

  and the same for :math:`B` with :math:`i_p`, :math:`\mathit{sh}_p`, with
  :math:`g(\mathit{sh}) = \mathit{sh}` (``share_map="fraction"``, the share is a
  fraction in [0, 1]) or :math:`g(\mathit{sh}) = 1 - e^{-\mathit{sh}}`
  (``share_map="exp"``, the reference engine's unbounded choice).

  Derivative convention at the kink of :math:`\max(0, x)`: the derivative at
  :math:`x = 0` is taken as 1/2 (the mean of the one-sided derivatives, sympy's
  ``Heaviside(0)``), and the second derivative is taken as 0 everywhere. At
  exactly symmetric states the share then has no first-order effect.
* custom: any expressions for the next :math:`A_i, B_i` in the current state
  and the actions.

Each form is a :class:`TransitionForm` registered under its name (see
:mod:`dynapai_sym.components.registry`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp

from ..errors import InvalidArgumentError
from ..symbols import action_symbols, player_symbols
from .base import FormComponent, as_param_values, call_or_rebind, constructor_call, updated_extra
from .registry import Form, get_form, register_form

__all__ = ["Transition", "TransitionForm"]


class TransitionForm(Form):
    r"""Base class of the transition forms: how actions move the state :math:`A_i, B_i`.

    A transition form writes :meth:`next_state` and :meth:`latex`; set ``shares = True``
    when it reads the transition's ``share_map`` (then its repr shows it). Register it with
    ``@register_form("transition")``.
    """

    __slots__ = ()
    kind = "transition"
    #: True when the form uses the transition's ``share_map``
    shares: bool = False

    def next_state(self, transition: Transition, X, n: int) -> dict[sp.Symbol, sp.Expr]:  # pragma: no cover
        """Return ``{state symbol: next value}`` for the moving state symbols (others stay constant)."""
        raise NotImplementedError

    def latex(self, transition: Transition) -> str:  # pragma: no cover - abstract
        r"""The form as LaTeX rows ``lhs = rhs``, split by ``\\``."""
        raise NotImplementedError


@register_form("transition")
class NoTransition(TransitionForm):
    r"""The state does not move: :math:`A_i(t+1) = A_i(t)`, :math:`B_i(t+1) = B_i(t)`."""

    __slots__ = ()
    name = "none"

    def next_state(self, transition, X, n):
        return {}

    def latex(self, transition):
        return r"A_i(t+1) = A_i(t), \qquad B_i(t+1) = B_i(t)"


@register_form("transition")
class InvestTransition(TransitionForm):
    r"""Investment: :math:`A_i(t+1) = A_i(t) + i_{s,i}(t)`, :math:`B_i(t+1) = B_i(t) + i_{p,i}(t)`."""

    __slots__ = ()
    name = "invest"

    def next_state(self, transition, X, n):
        A, B = player_symbols("A", n, positive=True), player_symbols("B", n, positive=True)
        k = len(X[0])
        if k < 4:
            raise InvalidArgumentError(f"the {self.name} transition needs InvestActions or SharingActions, got k={k}")
        out = {}
        for i in range(n):
            out[A[i]] = A[i] + X[i][2]
            out[B[i]] = B[i] + X[i][3]
        return out

    def latex(self, transition):
        return r"A_i(t+1) = A_i(t) + i_{s,i}(t), \qquad B_i(t+1) = B_i(t) + i_{p,i}(t)"


@register_form("transition")
class SharingTransition(InvestTransition):
    r"""Investment plus catch-up spill-overs from shared technology.

    .. math::

       A_i(t+1) = A_i(t) + i_{s,i}(t) + \sum_{j \ne i} g(\mathit{sh}_{s,j}(t))\, \max(0, A_j(t) - A_i(t))

    and the same for :math:`B`, with :math:`g` set by the transition's ``share_map``.
    """

    __slots__ = ()
    name = "sharing"
    shares = True

    def next_state(self, transition, X, n):
        out = super().next_state(transition, X, n)
        A, B = player_symbols("A", n, positive=True), player_symbols("B", n, positive=True)
        k = len(X[0])
        if k < 6:
            raise InvalidArgumentError(f"the sharing transition needs SharingActions (k=6), got k={k}")
        g = (lambda sh: sh) if transition.share_map == "fraction" else (lambda sh: 1 - sp.exp(-sh))
        for i in range(n):
            out[A[i]] += sp.Add(*[g(X[j][4]) * sp.Max(0, A[j] - A[i]) for j in range(n) if j != i])
            out[B[i]] += sp.Add(*[g(X[j][5]) * sp.Max(0, B[j] - B[i]) for j in range(n) if j != i])
        return out

    def latex(self, transition):
        g = (r"\mathit{sh}_{%s,j}(t)" if transition.share_map == "fraction"
             else r"\left(1 - e^{-\mathit{sh}_{%s,j}(t)}\right)")
        return (r"A_i(t+1) = A_i(t) + i_{s,i}(t) + \sum_{j \ne i} " + g % "s"
                + r" \max\{0, A_j(t) - A_i(t)\} \\ "
                r"B_i(t+1) = B_i(t) + i_{p,i}(t) + \sum_{j \ne i} " + g % "p"
                + r" \max\{0, B_j(t) - B_i(t)\}")


@register_form("transition")
class CustomTransition(TransitionForm):
    r"""User-written next state (see :meth:`Transition.custom`)."""

    __slots__ = ()
    name = "custom"
    symmetric_capable = False
    user_written = True

    def next_state(self, transition, X, n):
        A, B = player_symbols("A", n, positive=True), player_symbols("B", n, positive=True)
        k = len(X[0])
        X_syms = action_symbols(n, k)
        known = {s.name: s for s in (*A, *B)} | {x.name: x for row in X_syms for x in row}
        known |= {s.name: s for s in transition._extra}
        spec = transition._spec
        result = spec(X_syms, A, B) if callable(spec) else dict(spec)
        out = {}
        mapping = {X_syms[i][j]: X[i][j] for i in range(n) for j in range(k)}
        for key, expr in result.items():
            name = key.name if isinstance(key, sp.Symbol) else str(key)
            if name not in known or known[name] not in (*A, *B):
                raise InvalidArgumentError(f"custom transition keys must be state symbols A1..A{n}, B1..B{n}; "
                                           f"got {key!r}")
            out[known[name]] = call_or_rebind(expr, (), known, "next_state").xreplace(mapping)
        return out

    def latex(self, transition):
        return r"\text{custom transition}"


class Transition(FormComponent):
    """State transition rule. Build with :meth:`none`, :meth:`invest`, :meth:`sharing`, :meth:`custom`.

    Parameters
    ----------
    form : str
        Name of a registered transition form (:func:`~dynapai_sym.components.registry.form_names`
        ``("transition")``).
    share_map : {"fraction", "exp"}
        How a share becomes a catch-up fraction (the ``sharing`` form).
    """

    __slots__ = ("form", "share_map", "_spec", "_extra", "_form")
    kind = "transition"

    def __init__(self, form: str, share_map: str = "fraction", spec=None, extra=None):
        form_def = get_form("transition", form, "form")
        if share_map not in ("fraction", "exp"):
            raise InvalidArgumentError(f"share_map must be 'fraction' or 'exp', got {share_map!r}")
        self._set(form=form, share_map=share_map, _spec=spec, _extra=extra or {}, _form=form_def)

    @classmethod
    def none(cls) -> Transition:
        """The state does not move."""
        return cls("none")

    @classmethod
    def invest(cls) -> Transition:
        r""":math:`A' = A + i_s`, :math:`B' = B + i_p`."""
        return cls("invest")

    @classmethod
    def sharing(cls, share_map: str = "fraction") -> Transition:
        """Investment plus catch-up spill-overs from shared technology."""
        return cls("sharing", share_map)

    @classmethod
    def custom(cls, next_state: Callable | Mapping, params: Mapping | None = None) -> Transition:
        r"""A user-written transition.

        ``next_state(X, A, B) -> {"A1": expr, ...}`` (or the mapping itself)
        gives the next value of any of the state symbols ``A1..An``,
        ``B1..Bn`` in the current state, the action symbols ``X`` and the
        symbols of ``params``; state symbols not given stay constant.
        """
        return cls("custom", spec=next_state, extra=as_param_values(params, "params"))

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        return dict(self._extra)

    def _rebuilt(self, byname):
        return type(self)(self.form, self.share_map, spec=self._spec, extra=updated_extra(self._extra, byname))

    def upper_bounds(self, k: int) -> tuple[float, ...]:
        """Upper bound of each action column (shares are fractions when ``share_map='fraction'``)."""
        inf = float("inf")
        if k == 6 and self.share_map == "fraction":
            return (inf, inf, inf, inf, 1.0, 1.0)
        return (inf,) * k

    def next_state(self, X, n: int) -> dict[sp.Symbol, sp.Expr]:
        """Return ``{state symbol: next value}`` for the moving state symbols."""
        return self._form.next_state(self, X, n)

    def form_key(self) -> tuple | None:
        return None if self.is_custom else (self._form, self.share_map)

    def is_symmetric(self) -> bool:
        """True when the form treats every player alike."""
        return self._form.symmetric_capable

    def __repr__(self) -> str:
        head = constructor_call(type(self), self.form)
        if self._form.shares:
            return f"{head}share_map={self.share_map!r})"
        return head.rstrip(", ") + ")"

    def to_latex(self) -> str:
        """The transition equations as LaTeX."""
        return self._form.latex(self)
