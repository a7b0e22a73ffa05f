r"""Input cost :math:`c_i`: what player i pays for its actions this period.

* linear (fixed prices): :math:`c_i = r_i \cdot a_i`, one price per action column
  and per player (``fixed_basic``, ``fixed_invest``, ``fixed_sharing``,
  ``fixed``, ``linear``). Each player pays its own prices.
* quadratic: :math:`c_i = \sum_c r_{0,ic} a_{ic} + r_{1,ic} a_{ic}^2/2` over
  :math:`x_s, x_p`.
* threshold costs (discontinuous):

  - certification: :math:`c_i = r_0 (x_{s,i}+x_{p,i})` if :math:`s_i < \bar s`,
    else :math:`r_s (x_{s,i}+x_{p,i})`;
  - penalty: :math:`c_i = r (x_{s,i}+x_{p,i}) + P\,[s_i < \bar s]`.
* custom: any expressions in the action symbols, :math:`s_i`, :math:`p_i`.

The width k of the action vector (2, 4 or 6) is fixed by the cost function:
it decides the action type a model accepts.

Each form is a :class:`CostForm` registered under its name (see
:mod:`dynapai_sym.components.registry`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import sympy as sp

from .._validation import all_equal, as_float_array, as_matrix, as_number, as_player_vector, check_n, same_length
from ..errors import InvalidArgumentError
from ..names import ACTION_SYMBOLS
from ..symbols import action_symbols, glossary, intermediate, player_symbols
from .base import FormComponent, as_param_values, call_or_rebind, relabelling_symmetric, updated, updated_extra
from .registry import Form, get_form, register_form

__all__ = ["CostFunc", "CostForm"]

S_THRESH = sp.Symbol("s_thresh", positive=True)


def _n_of(named: dict, n: int | None = None) -> int | None:
    """Number of players from the named price arrays (rows of a matrix count); None if all are numbers."""
    if n is not None:
        return check_n(n)
    lengths = [(name, int(np.shape(v)[0])) for name, v in named.items()
               if v is not None and not isinstance(v, (str, bytes)) and np.ndim(v) >= 1]
    return check_n(same_length(lengths), "number of players") if lengths else None


def _vector(value, name: str, n: int | None) -> np.ndarray:
    """One price per player; a number when ``n`` is not known yet (kept as a 1-vector)."""
    return as_player_vector(value, name, 1 if n is None else n, nonnegative=True)


class CostForm(Form):
    r"""Base class of the input cost forms: the math of :math:`c_i`.

    A cost form writes :meth:`cost` and :meth:`latex`; it reads its per-player values from
    ``cost.values`` (symbol base -> vector; the symbols are ``player_symbols(base, n)``) and
    declares ``smooth = False`` when the cost is not differentiable. Register it with
    ``@register_form("cost")``.
    """

    __slots__ = ()
    kind = "cost"
    #: False when the cost is discontinuous or not differentiable (then solved by best response)
    smooth: bool = True

    def cost(self, cost: CostFunc, X, s, p) -> list[sp.Expr]:  # pragma: no cover - abstract
        r"""Return :math:`[c_1, \dots, c_n]` for action symbols ``X`` (n x k), safety ``s``, performance ``p``."""
        raise NotImplementedError

    def latex(self, cost: CostFunc) -> str:  # pragma: no cover - abstract
        r"""The form as LaTeX rows ``lhs = rhs``, split by ``\\``."""
        raise NotImplementedError


def _value_symbols(cost: CostFunc) -> dict[str, tuple[sp.Symbol, ...]]:
    return {base: player_symbols(base, cost.n) for base in cost.values}


@register_form("cost")
class FixedCost(CostForm):
    r"""Fixed unit prices: :math:`c_i = r_i(x_s + x_p) + r^{inv}_i (i_s + i_p) + r^{sh}_i (sh_s + sh_p)`."""

    __slots__ = ()
    name = "fixed"
    params = {"r": "r", "r_inv": "rinv", "r_share": "rshare"}

    def cost(self, cost, X, s, p):
        sym = _value_symbols(cost)
        out = []
        for i in range(cost.n):
            c = sym["r"][i] * (X[i][0] + X[i][1])
            if "rinv" in sym:
                c += sym["rinv"][i] * (X[i][2] + X[i][3])
            if "rshare" in sym:
                c += sym["rshare"][i] * (X[i][4] + X[i][5])
            out.append(c)
        return out

    def latex(self, cost):
        terms = [r"r_i (x_{s,i} + x_{p,i})"]
        if cost.k >= 4:
            terms.append(r"r^{\mathrm{inv}}_i (i_{s,i} + i_{p,i})")
        if cost.k == 6:
            terms.append(r"r^{\mathrm{sh}}_i (\mathit{sh}_{s,i} + \mathit{sh}_{p,i})")
        return "c_i = " + " + ".join(terms)


@register_form("cost")
class LinearCost(CostForm):
    r"""One price per action column: :math:`c_i = \sum_c r_{ic} a_{ic}`."""

    __slots__ = ()
    name = "linear"

    def cost(self, cost, X, s, p):
        sym = _value_symbols(cost)
        return [sp.Add(*[sym[f"r_{c}"][i] * X[i][j] for j, c in enumerate(ACTION_SYMBOLS[:cost.k])])
                for i in range(cost.n)]

    def latex(self, cost):
        return r"c_i = \sum_c r^{c}_i a_{c,i}"


@register_form("cost")
class QuadraticCost(CostForm):
    r"""Quadratic in the inputs: :math:`c_i = \sum_{c \in \{s, p\}} r_{0,ic} x_{c,i} + r_{1,ic} x_{c,i}^2 / 2`."""

    __slots__ = ()
    name = "quadratic"

    def cost(self, cost, X, s, p):
        sym = _value_symbols(cost)
        return [sp.Add(*[sym[f"r0_{c}"][i] * X[i][j] + sym[f"r1_{c}"][i] * X[i][j] ** 2 / 2
                         for j, c in enumerate(("xs", "xp"))]) for i in range(cost.n)]

    def latex(self, cost):
        return r"c_i = \sum_{c \in \{s,p\}} \left(r^{x_c}_{0,i} x_{c,i} + r^{x_c}_{1,i} x_{c,i}^2 / 2\right)"


@register_form("cost")
class CertificationCost(CostForm):
    r"""Price :math:`r_0` below the safety threshold :math:`\bar s`, :math:`r_s` at or above (discontinuous)."""

    __slots__ = ()
    name = "certification"
    params = {"r0": "r0_xs", "rs": "r_xs"}
    smooth = False

    def cost(self, cost, X, s, p):
        sym = _value_symbols(cost)
        return [sp.Piecewise((sym["r0_xs"][i] * (X[i][0] + X[i][1]), s[i] < S_THRESH),
                             (sym["r_xs"][i] * (X[i][0] + X[i][1]), True)) for i in range(cost.n)]

    def latex(self, cost):
        return (r"c_i = \begin{cases} r_{0,i}(x_{s,i}+x_{p,i}) & s_i < \bar s \\ "
                r"r_{s,i}(x_{s,i}+x_{p,i}) & s_i \ge \bar s \end{cases}")


@register_form("cost")
class PenaltyCost(CostForm):
    r"""Unit price plus a fixed penalty below the safety threshold: :math:`r_i(x_s + x_p) + P_i [s_i < \bar s]`."""

    __slots__ = ()
    name = "penalty"
    params = {"r": "r", "penalty": "P"}
    smooth = False

    def cost(self, cost, X, s, p):
        sym = _value_symbols(cost)
        return [sym["r"][i] * (X[i][0] + X[i][1])
                + sp.Piecewise((sym["P"][i], s[i] < S_THRESH), (0, True)) for i in range(cost.n)]

    def latex(self, cost):
        return r"c_i = r_i (x_{s,i} + x_{p,i}) + P_i \mathbf{1}[s_i < \bar s]"


@register_form("cost")
class CustomCost(CostForm):
    r"""User-written :math:`c_i` (see :meth:`CostFunc.custom`)."""

    __slots__ = ()
    name = "custom"
    symmetric_capable = False
    user_written = True

    def cost(self, cost, X, s, p):
        n, k = cost.n, cost.k
        X_syms = action_symbols(n, k)
        s_syms, p_syms = intermediate("s", n), intermediate("p", n)
        known = {x.name: x for row in X_syms for x in row}
        known |= {x.name: x for x in (*s_syms, *p_syms)} | {x.name: x for x in cost._extra}
        exprs = call_or_rebind(cost._spec, (X_syms, s_syms, p_syms), known, "cost")
        if not isinstance(exprs, list) or len(exprs) != n:
            raise InvalidArgumentError(f"custom cost must give a list of {n} expressions (one per player)")
        mapping = dict(zip(s_syms, s)) | dict(zip(p_syms, p))
        mapping |= {X_syms[i][j]: X[i][j] for i in range(n) for j in range(k)}
        return [sp.sympify(e).xreplace(mapping) for e in exprs]

    def latex(self, cost):
        X = action_symbols(cost.n, cost.k)
        exprs = cost.cost(X, intermediate("s", cost.n), intermediate("p", cost.n))
        names = glossary(set().union(*[e.free_symbols for e in exprs]))
        return r" \\ ".join(rf"c_{{{i + 1}}} = {sp.latex(e, symbol_names=names)}"
                            for i, e in enumerate(exprs))


@register_form("cost")
class CustomNonsmoothCost(CustomCost):
    r"""User-written :math:`c_i` that is not differentiable (``CostFunc.custom(..., smooth=False)``)."""

    __slots__ = ()
    name = "custom_nonsmooth"
    smooth = False


class CostFunc(FormComponent):
    r"""Input cost. Build with the class methods below.

    Parameters
    ----------
    n, k : int
        Number of players and actions per player (2, 4 or 6).
    form : str
        Name of a registered cost form (:func:`~dynapai_sym.components.registry.form_names`
        ``("cost")``); the object behind it is :attr:`form_def`, a :class:`CostForm`.
    values : dict
        Per-player values by symbol base (``{"r": array of n}`` gives :math:`r_1..r_n`).
    """

    __slots__ = ("n", "k", "form", "values", "_spec", "_extra", "_form")
    kind = "cost"

    def __init__(self, n: int, k: int, form: str, values: dict[str, np.ndarray],
                 spec=None, extra=None):
        form_def = get_form("cost", form, "form")
        if k not in (2, 4, 6):
            raise InvalidArgumentError(f"k (actions per player) must be 2, 4 or 6, got {k!r}")
        self._set(n=n, k=k, form=form, values=values, _spec=spec, _extra=extra or {}, _form=form_def)

    # constructors ----------------------------------------------------------------
    def for_players(self, n: int) -> CostFunc:
        """This cost for ``n`` players (prices given as numbers are every player's)."""
        if self.n is not None:
            if self.n != n:
                lengths = ", ".join(self.values) or "n"
                raise InvalidArgumentError(f"the prices ({lengths}) are for {self.n} players, the model has {n}")
            return self
        values = {base: np.full(n, float(v[0])) for base, v in self.values.items()}
        return type(self)(n, self.k, self.form, values, spec=self._spec, extra=self._extra)

    @classmethod
    def fixed(cls, r, r_inv=None, r_share=None, *, n: int | None = None) -> CostFunc:
        r"""Fixed unit prices: :math:`c_i = r_i(x_s + x_p) + r^{inv}_i (i_s + i_p) + r^{sh}_i (sh_s + sh_p)`.

        The action type follows from what is given: ``r`` alone → ``Actions``
        (k = 2); with ``r_inv`` → ``InvestActions`` (k = 4); with ``r_share``
        → ``SharingActions`` (k = 6, ``r_inv`` then required).
        """
        n = _n_of({"r": r, "r_inv": r_inv, "r_share": r_share}, n)
        vals = {"r": _vector(r, "r", n)}
        k = 2
        if r_share is not None and r_inv is None:
            raise InvalidArgumentError("r_inv is required when r_share is given (sharing actions include investment)")
        if r_inv is not None:
            vals["rinv"] = _vector(r_inv, "r_inv", n)
            k = 4
        if r_share is not None:
            vals["rshare"] = _vector(r_share, "r_share", n)
            k = 6
        return cls(n, k, "fixed", vals)

    @classmethod
    def fixed_basic(cls, r, *, n: int | None = None) -> CostFunc:
        r""":math:`c_i = r_i (x_{s,i} + x_{p,i})` for ``Actions``."""
        return cls.fixed(r, n=n)

    @classmethod
    def fixed_invest(cls, r, r_inv, *, n: int | None = None) -> CostFunc:
        r""":math:`c_i = r_i (x_s + x_p) + r^{inv}_i (i_s + i_p)` for ``InvestActions``."""
        return cls.fixed(r, r_inv, n=n)

    @classmethod
    def fixed_sharing(cls, r, r_inv, r_share=None, *, n: int | None = None) -> CostFunc:
        r"""Fixed prices for ``SharingActions``; ``r_share`` defaults to 0."""
        return cls.fixed(r, r_inv, 0.0 if r_share is None else r_share, n=n)

    @classmethod
    def linear(cls, prices) -> CostFunc:
        r"""General fixed prices: an (n, k) matrix, :math:`c_i = \sum_c r_{ic} a_{ic}`.

        Separate prices for safety and performance (``rs``, ``rp``) are the
        k = 2 case: ``CostFunc.linear(np.column_stack([rs, rp]))``.
        """
        arr = as_float_array(prices, "prices")
        if arr.ndim != 2:
            raise InvalidArgumentError(f"prices must be an (n, k) matrix, got {prices!r}")
        n, k = arr.shape
        if k not in (2, 4, 6):
            raise InvalidArgumentError(f"prices must have 2, 4 or 6 columns (one per action), got {k}")
        mat = as_matrix(arr, "prices", (n, k), nonnegative=True)
        return cls(n, k, "linear", {f"r_{c}": mat[:, j] for j, c in enumerate(ACTION_SYMBOLS[:k])})

    @classmethod
    def separate(cls, rs, rp, *, n: int | None = None) -> CostFunc:
        r""":math:`c_i = r^s_i x_{s,i} + r^p_i x_{p,i}` (the static model's two prices)."""
        n = _n_of({"rs": rs, "rp": rp}, n)
        rs, rp = _vector(rs, "rs", n), _vector(rp, "rp", n)
        if n is None:
            return cls(None, 2, "linear", {"r_xs": rs, "r_xp": rp})
        return cls.linear(np.column_stack([rs, rp]))

    @classmethod
    def quadratic(cls, r0, r1, *, n: int | None = None) -> CostFunc:
        r""":math:`c_i = \sum_{c \in \{s, p\}} r_{0,ic} x_{c,i} + r_{1,ic} x_{c,i}^2 / 2`.

        ``r0`` and ``r1`` are per-player vectors (same for both inputs) or (n, 2) matrices.
        """
        n = _n_of({"r0": r0, "r1": r1}, n)
        vals = {}
        for name, v in (("r0", r0), ("r1", r1)):
            if np.ndim(v) == 2 and not isinstance(v, (str, bytes)):
                mat = as_matrix(v, name, (n, 2), nonnegative=True)
            else:
                vec = _vector(v, name, n)
                mat = np.column_stack([vec, vec])
            vals[f"{name}_xs"], vals[f"{name}_xp"] = mat[:, 0], mat[:, 1]
        return cls(n, 2, "quadratic", vals)

    @classmethod
    def certification(cls, r0, rs, s_thresh: float, *, n: int | None = None) -> CostFunc:
        r"""Certification cost: price :math:`r_0` below the safety threshold :math:`\bar s`, :math:`r_s` at or above.

        Discontinuous: models with it are solved by iterated best response.
        """
        n = _n_of({"r0": r0, "rs": rs}, n)
        vals = {"r0_xs": _vector(r0, "r0", n), "r_xs": _vector(rs, "rs", n)}
        thresh = {S_THRESH: _positive(s_thresh, "s_thresh")}
        return cls(n, 2, "certification", vals, extra=thresh)

    @classmethod
    def penalty(cls, r, penalty, s_thresh: float, *, n: int | None = None) -> CostFunc:
        r"""Penalty cost: :math:`r_i(x_s + x_p)` plus a fixed penalty :math:`P_i` when :math:`s_i < \bar s`.

        Discontinuous: models with it are solved by iterated best response.
        """
        n = _n_of({"r": r, "penalty": penalty}, n)
        vals = {"r": _vector(r, "r", n), "P": _vector(penalty, "penalty", n)}
        return cls(n, 2, "penalty", vals, extra={S_THRESH: _positive(s_thresh, "s_thresh")})

    @classmethod
    def custom(cls, n: int, k: int, cost: Callable | list, params: Mapping | None = None,
               smooth: bool = True) -> CostFunc:
        r"""A user-written cost.

        ``cost(X, s, p) -> [c_1..c_n]`` with ``X`` the (n, k) tuple of action
        symbols (see :func:`dynapai_sym.symbols.action_symbols`), or the list of
        n expressions in those symbols, ``s1..sn``, ``p1..pn`` and ``params``.
        Set ``smooth=False`` if the cost is not differentiable.
        """
        from .._validation import check_n

        obj = cls(check_n(n), k, "custom" if smooth else "custom_nonsmooth", {}, spec=cost,
                  extra=as_param_values(params, "params"))
        return obj

    def _rebuilt(self, byname):
        values = {base: as_player_vector(updated(v, base, byname), base, self.n, nonnegative=True)
                  for base, v in self.values.items()}
        return type(self)(self.n, self.k, self.form, values, spec=self._spec, extra=updated_extra(self._extra, byname))

    # properties ----------------------------------------------------------------
    @property
    def smooth(self) -> bool:
        """False for threshold (discontinuous) costs."""
        return self._form.smooth

    @property
    def param_values(self) -> dict[sp.Symbol, float]:
        if self.n is None:
            raise InvalidArgumentError(f"{self!r} holds one price for every player: give it to a PayoffFunc "
                                       "(which knows the number of players) or pass n=...")
        out: dict[sp.Symbol, float] = {}
        for base, vals in self.values.items():
            out.update(zip(player_symbols(base, self.n), map(float, vals)))
        out.update(self._extra)
        return out

    def cost(self, X, s, p) -> list[sp.Expr]:
        r"""Return :math:`[c_1, \dots, c_n]` for action symbols ``X`` (n x k), safety ``s``, performance ``p``."""
        return self._form.cost(self, X, s, p)

    def form_key(self) -> tuple | None:
        return None if self.is_custom else (self._form, tuple(sorted(self.values)))

    def is_symmetric(self) -> bool:
        if self.is_custom:  # user-written: symmetric when relabelling the players permutes the costs alike
            n = self.n
            costs = self.cost(action_symbols(n, self.k), intermediate("s", n), intermediate("p", n))
            return relabelling_symmetric(costs, n, self._extra)
        if not self._form.symmetric_capable:
            return False
        return all(all_equal(v) for v in self.values.values())

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={float(v[0]) if self.n is None else v.tolist()}" for k, v in self.values.items())
        return f"CostFunc.{self.form}({vals})"

    def to_latex(self) -> str:
        """The cost function as LaTeX."""
        return self._form.latex(self)


def _positive(value, name: str) -> float:
    val = as_number(value, name)
    if val <= 0:
        raise InvalidArgumentError(f"{name} must be positive and finite, got {value!r}")
    return val
