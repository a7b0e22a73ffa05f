r"""The one-period payoff, composed from components.

.. math::

    u_i = \sum_j \sigma_j q_j \rho_{ij} - \sum_j (1 - \sigma_j) q_j d_{ij} - c_i

(``disaster="per_winner"``, the default: a disaster can only follow a win). ``disaster="complement"`` gives the older
implementations' form :math:`u_i = \sum_j \sigma_j q_j \rho_{ij} - (1 - \sum_j
\sigma_j q_j) d_i - c_i`, which also counts "nobody won this period" as a
disaster; the two agree whenever :math:`\sum_j q_j = 1` (the default contest).

Derived objects (sympy, for reading and typesetting): :meth:`PayoffFunc.payoff_expr`,
:meth:`PayoffFunc.focs` (:math:`\partial u_i / \partial a_i`),
:meth:`PayoffFunc.kkt` (with the bounds :math:`a \ge 0`), :meth:`PayoffFunc.jacobian`.
Numbers come from compiled functions (:mod:`dynapai_sym.compile`), built once per
model structure; parameter values are call arguments.
"""

from __future__ import annotations

import itertools
import warnings
from functools import cached_property, lru_cache

import numpy as np
import sympy as sp

from .._frozen import Frozen
from ..components import CSF, CostFunc, DisasterCost, PayoffExpr, ProdFunc, RewardFunc, RiskFunc, Transition
from ..components.base import exit_guards
from ..errors import InvalidArgumentError, InvalidTypeError
from ..names import PARAMETER_GROUPS
from ..symbols import action_symbols, glossary, player_symbols, sort_symbols
from .actions import action_type_for
from .structure import KKTSystem, ModelStructure

__all__ = ["PayoffModel"]

#: per model form: its structure and the structure's symbols (see PayoffFunc.structure)
_STRUCTURES: dict[tuple, tuple[ModelStructure, frozenset]] = {}


DISASTER_FORMS = ("per_winner", "complement")
_DISASTER_ALIASES = {"seed": "per_winner"}  # the first name of "per_winner", still accepted


def _disaster_form(disaster) -> str:
    """The disaster term's form by name (``"seed"`` is an older name of ``"per_winner"``)."""
    if not isinstance(disaster, str):
        raise InvalidTypeError(f"disaster must be one of {list(DISASTER_FORMS)}, got {disaster!r}")
    if disaster in _DISASTER_ALIASES:
        warnings.warn(f"disaster={disaster!r} is an older name; use disaster="
                      f"{_DISASTER_ALIASES[disaster]!r}", DeprecationWarning, stacklevel=4)
        return _DISASTER_ALIASES[disaster]
    if disaster not in DISASTER_FORMS:
        raise InvalidArgumentError(f"disaster must be one of {list(DISASTER_FORMS)}, got {disaster!r}")
    return disaster


def _component_values(comp) -> dict:
    """``comp.param_values``, remembered on the component (read only; components are immutable,
    and the points of a sweep share theirs)."""
    cached = getattr(comp, "_values", None)
    if cached is None:
        cached = comp.param_values
        object.__setattr__(comp, "_values", cached)
    return cached


def _component_symmetric(comp) -> bool:
    """``comp.is_symmetric()``, remembered on the component (components are immutable, and the
    points of a sweep share theirs)."""
    cached = getattr(comp, "_symmetric", None)
    if cached is None:
        cached = bool(comp.is_symmetric())
        object.__setattr__(comp, "_symmetric", cached)
    return cached


class PayoffModel(Frozen):
    r"""The symbolic one-period model: components composed into :math:`u_i`, and what is derived from it.

    .. math::

        u_i = \sum_j \sigma_j q_j \rho_{ij} - \sum_j (1 - \sigma_j) q_j d_{ij} - c_i

    Expressions, first-order and KKT conditions, the Jacobian and the
    :class:`~dynapai_sym.model.ModelStructure` the compiler reads; no numbers are compiled
    here. Users build :class:`~dynapai_sym.game.PayoffFunc` (the same constructor), which
    adds evaluation and LaTeX display.
    """

    #: the payoff written whole (:class:`~dynapai_sym.components.PayoffExpr`), or None for the form above
    payoff_form: PayoffExpr | None = None

    def __init__(
        self,
        prod_func: ProdFunc,
        risk_func: RiskFunc,
        d,
        cost_func: CostFunc | None = None,
        csf: CSF | None = None,
        reward_func: RewardFunc | None = None,
        r=None,
        r_inv=None,
        r_share=None,
        disaster: str = "per_winner",
        share_map: str = "fraction",
        transition: Transition | None = None,
        payoff: PayoffExpr | None = None,
    ):
        if not isinstance(prod_func, ProdFunc):
            raise InvalidTypeError(f"prod_func must be a ProdFunc, got {type(prod_func).__name__}")
        if not isinstance(risk_func, RiskFunc):
            raise InvalidTypeError(f"risk_func must be a RiskFunc, got {type(risk_func).__name__}")
        n = prod_func.n
        if risk_func.n is None:  # one theta for every player
            risk_func = risk_func.for_players(n)
        if risk_func.n != n:
            raise InvalidArgumentError(f"risk_func has {risk_func.n} players but prod_func has {n}")
        csf = CSF.default() if csf is None else csf
        if not isinstance(csf, CSF):
            raise InvalidTypeError(f"csf must be a CSF, got {type(csf).__name__}")
        reward_func = _default_reward(n) if reward_func is None else reward_func
        if not isinstance(reward_func, RewardFunc):
            raise InvalidTypeError(f"reward_func must be a RewardFunc, got {type(reward_func).__name__}")
        if reward_func.n != n:
            raise InvalidArgumentError(f"reward_func has {reward_func.n} players but prod_func has {n}")
        disaster_cost = d if isinstance(d, DisasterCost) else DisasterCost(d, n)
        if disaster_cost.n != n:
            raise InvalidArgumentError(f"d must have {n} entries (or be {n}x{n}), got {disaster_cost.n}")
        if cost_func is None:
            if r is None:
                raise InvalidArgumentError("give either cost_func or r (fixed unit prices)")
            cost_func = CostFunc.fixed(r, r_inv, r_share, n=n)
        elif r is not None or r_inv is not None or r_share is not None:
            raise InvalidArgumentError("give either cost_func or r/r_inv/r_share, not both")
        if not isinstance(cost_func, CostFunc):
            raise InvalidTypeError(f"cost_func must be a CostFunc, got {type(cost_func).__name__}")
        if cost_func.n is None:  # prices given as numbers: every player's
            cost_func = cost_func.for_players(n)
        if cost_func.n != n:
            raise InvalidArgumentError(f"cost_func has {cost_func.n} players but prod_func has {n}")
        disaster = _disaster_form(disaster)
        if disaster == "complement" and disaster_cost.is_matrix:
            raise InvalidArgumentError("disaster='complement' needs d as a vector (one cost per player), not a matrix")
        k = cost_func.k
        if transition is None:
            transition = (Transition.none() if k == 2 else Transition.invest() if k == 4
                          else Transition.sharing(share_map))
        elif not isinstance(transition, Transition):
            raise InvalidTypeError(f"transition must be a Transition, got {type(transition).__name__}")
        elif share_map != "fraction" and transition.share_map != share_map:
            raise InvalidArgumentError("give share_map either to PayoffFunc or to the Transition, not both")
        if payoff is not None:
            if not isinstance(payoff, PayoffExpr):
                raise InvalidTypeError(f"payoff must be a PayoffExpr (the payoff written whole), "
                                       f"got {type(payoff).__name__}")
            if payoff.n != n:
                raise InvalidArgumentError(f"payoff has {payoff.n} players but prod_func has {n}")
        self._set(n=n, k=k, prod_func=prod_func, risk_func=risk_func, csf=csf, reward_func=reward_func,
                  disaster_cost=disaster_cost, cost_func=cost_func, transition=transition, disaster=disaster,
                  action_type=action_type_for(k), payoff_form=payoff)
        # build once now, so that a bad custom component fails at construction
        self.structure  # noqa: B018

    # ------------------------------------------------------------------ symbols
    @property
    def share_map(self) -> str:
        return self.transition.share_map

    @property
    def d(self) -> np.ndarray:
        return self.disaster_cost.d

    @property
    def components(self) -> tuple:
        out = (self.prod_func, self.risk_func, self.csf, self.reward_func, self.disaster_cost,
               self.cost_func, self.transition)
        return out if self.payoff_form is None else (*out, self.payoff_form)

    @property
    def action_symbols(self) -> tuple[tuple[sp.Symbol, ...], ...]:
        """The (n, k) action symbols."""
        return action_symbols(self.n, self.k)

    @cached_property
    def param_values(self) -> dict[sp.Symbol, float]:
        """Value of every parameter symbol (including the state A, B)."""
        out: dict[sp.Symbol, float] = {}
        for comp in self.components:
            values = _component_values(comp)
            if out.keys() & values.keys():
                for sym, val in values.items():
                    if sym in out and out[sym] != val:
                        raise InvalidArgumentError(f"parameter {sym} is given two values by different components")
            out.update(values)
        return out

    @cached_property
    def intermediates(self) -> dict[str, list]:
        r"""The model's quantities as expressions in actions and parameters.

        Keys: ``p``, ``s``, ``sigma``, ``q``, ``rho`` (n x n), ``d`` (n x n), ``c``.
        """
        X = self.action_symbols
        xs, xp = [row[0] for row in X], [row[1] for row in X]
        p = self.prod_func.performance(xp)
        s = self.prod_func.safety(xs, p, self.risk_func.theta_symbols)
        return {
            "p": p,
            "s": s,
            "sigma": self.risk_func.sigma(s, p),
            "q": self.csf.q(p),
            "rho": self.reward_func.rho(p),
            "d": self.disaster_cost.matrix(s, p),
            "c": self.cost_func.cost(X, s, p),
        }

    def payoff_expr(self, i: int | None = None):
        r"""Return :math:`u_i` as a sympy expression (all players as a list if ``i`` is None)."""
        exprs = self._payoffs
        if i is None:
            return list(exprs)
        return exprs[self._player(i)]

    @cached_property
    def _payoffs(self) -> tuple[sp.Expr, ...]:
        m = self.intermediates
        n = self.n
        sigma, q, rho, dmat, c = m["sigma"], m["q"], m["rho"], m["d"], m["c"]
        if self.payoff_form is not None:
            return tuple(self.payoff_form.payoffs(m))
        out = []
        for i in range(n):
            reward = sp.Add(*[sigma[j] * q[j] * rho[i][j] for j in range(n)])
            if self.disaster == "per_winner":
                loss = sp.Add(*[(1 - sigma[j]) * q[j] * dmat[i][j] for j in range(n)])
            else:
                loss = (1 - sp.Add(*[sigma[j] * q[j] for j in range(n)])) * dmat[i][i]
            out.append(reward - loss - c[i])
        return tuple(out)

    def _player(self, i) -> int:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise InvalidTypeError(f"i (player index) must be an integer, got {i!r}")
        if not 0 <= i < self.n:
            raise InvalidArgumentError(f"i (player index) must be in 0..{self.n - 1}, got {i}")
        return int(i)

    @cached_property
    def win_probability(self) -> sp.Expr:
        r""":math:`\sum_j q_j`, the probability that someone wins this period."""
        return sp.together(sp.Add(*self.intermediates["q"]))

    @cached_property
    def next_state(self) -> dict[sp.Symbol, sp.Expr]:
        """Next-period value of each moving state symbol."""
        return self.transition.next_state(self.action_symbols, self.n)

    @property
    def state_symbols(self) -> tuple[sp.Symbol, ...]:
        """All state symbols (A_i, B_i), moving or not."""
        return (*player_symbols("A", self.n, positive=True), *player_symbols("B", self.n, positive=True))

    @cached_property
    def structure(self) -> ModelStructure:
        """The model with parameters as symbols: the key of the compile cache.

        Built models of the same form (components of the same kinds, no custom
        expressions) share one structure, so building many calibrations (a sweep) does not
        rebuild the expressions.
        """
        key = self.form_key()
        if key is not None and key in _STRUCTURES:
            cached, symbols = _STRUCTURES[key]
            if self.param_values.keys() == symbols:
                return cached
        structure = self._build_structure()
        if key is not None:
            if len(_STRUCTURES) > 256:
                _STRUCTURES.clear()
            _STRUCTURES[key] = (structure, frozenset(structure.params) | frozenset(structure.states))
        return structure

    def form_key(self) -> tuple | None:
        """What decides the expressions (not the values); None when a component is user-written."""
        keys = tuple(comp.form_key() for comp in self.components)
        if any(key is None for key in keys):
            return None
        return (self.n, self.k, self.disaster, *keys)

    def _build_structure(self) -> ModelStructure:
        actions = tuple(itertools.chain.from_iterable(self.action_symbols))
        moving = tuple(s for s in self.state_symbols if s in self.next_state and self.next_state[s] != s)
        payoffs = self._payoffs
        free = set()
        for e in (*payoffs, *self.next_state.values(), self.win_probability):
            free |= e.free_symbols
        unknown = free - set(actions) - set(self.param_values)
        if unknown:
            names = ", ".join(sorted(s.name for s in unknown))
            raise InvalidArgumentError(f"the model uses symbols with no value: {names} "
                             "(give them in a component's params)")
        params = sort_symbols(set(self.param_values) - set(moving))
        upper = self.transition.upper_bounds(self.k)
        # compiled functions take the limits at exact exits (0/0 -> 0): see zero_guard
        m = self.intermediates
        dens = (*self.risk_func.exit_denominators(m["s"], m["p"]), *self.csf.exit_denominators(m["p"]))
        fractions = tuple(self.risk_func.stable_forms(m["s"], m["p"]))
        return ModelStructure(
            n=self.n, k=self.k, actions=actions, states=moving, params=params,
            payoffs=payoffs, next_state=tuple(self.next_state[s] for s in moving),
            win_probability=self.win_probability, upper=upper,
            smooth=self.cost_func.smooth,
            quantities=tuple((key, tuple(m[key])) for key in ("s", "p", "sigma", "q")),
            exit_guards=exit_guards(dens, actions),
            stable_forms=fractions,
            kinked=any(e.has(sp.Max, sp.Min, sp.Abs) for e in (*payoffs, *self.next_state.values())),
        )

    def param_vector(self) -> np.ndarray:
        """Values of :attr:`ModelStructure.params`, in order (read-only)."""
        return self._vectors[0]

    def state_vector(self) -> np.ndarray:
        """Values of the moving state symbols at t = 0 (read-only)."""
        return self._vectors[1]

    @cached_property
    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        pv = self.param_values
        params = np.array([pv[s] for s in self.structure.params], dtype=float)
        states = np.array([pv[s] for s in self.structure.states], dtype=float)
        params.setflags(write=False)
        states.setflags(write=False)
        return params, states

    # ------------------------------------------------------------------ derived
    def focs(self) -> sp.Matrix:
        r"""First-order conditions: the (n, k) matrix :math:`\partial u_i / \partial a_{i,c}`."""
        X = self.action_symbols
        u = self._payoffs
        return sp.Matrix(self.n, self.k, lambda i, c: sp.diff(u[i], X[i][c]))

    def kkt(self) -> KKTSystem:
        """The KKT system of the one-period game with the bounds on actions."""
        X = self.action_symbols
        focs = self.focs()
        upper = self.transition.upper_bounds(self.k)
        variables = tuple(X[i][c] for i in range(self.n) for c in range(self.k))
        grads = tuple(focs[i, c] for i in range(self.n) for c in range(self.k))
        return KKTSystem(variables, grads, (0.0,) * len(variables), upper * self.n)

    def jacobian(self) -> sp.Matrix:
        r"""Jacobian of the stacked first-order conditions with respect to all actions: (nk, nk)."""
        focs = self.focs()
        flat = [focs[i, c] for i in range(self.n) for c in range(self.k)]
        variables = [x for row in self.action_symbols for x in row]
        return sp.Matrix(flat).jacobian(variables)

    def glossary(self) -> dict[sp.Symbol, str]:
        """Typeset names of every symbol in the model."""
        syms = set(self.param_values) | set(self.structure.actions)
        return glossary(syms)

    def is_symmetric(self) -> bool:
        """True when permuting players leaves the model unchanged (computed once: models are immutable)."""
        cached = self.__dict__.get("_symmetric")
        if cached is None:
            cached = all(_component_symmetric(c) for c in self.components)
            self.__dict__["_symmetric"] = cached
        return cached

    def replace(self, **changes) -> PayoffModel:
        """A copy with some constructor arguments replaced.

        Accepts every argument of the constructor: components (``prod_func``, ``risk_func``,
        ``csf``, ``reward_func``, ``cost_func``, ``transition``), ``d``, ``disaster``,
        ``share_map``, and the fixed prices ``r``, ``r_inv``, ``r_share`` (numbers or one per
        player; the prices not given keep their values, e.g. ``pf.replace(r=0.2)`` on an
        investment model keeps ``r_inv``).
        """
        kw = dict(prod_func=self.prod_func, risk_func=self.risk_func, d=self.disaster_cost,
                  cost_func=self.cost_func, csf=self.csf, reward_func=self.reward_func,
                  disaster=self.disaster, transition=self.transition, payoff=self.payoff_form)
        allowed = set(kw) | {"r", "r_inv", "r_share", "share_map"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidArgumentError(f"unknown arguments: {sorted(unknown)}; expected some of {sorted(allowed)}")
        prices = {name: changes.pop(name) for name in ("r", "r_inv", "r_share") if name in changes}
        if prices:
            if "cost_func" in changes:
                raise InvalidArgumentError("give either cost_func or r/r_inv/r_share, not both")
            current = self.cost_func.values if self.cost_func.form == "fixed" else {}
            for name, base in (("r", "r"), ("r_inv", "rinv"), ("r_share", "rshare")):
                if name not in prices and base in current:
                    prices[name] = current[base]
            kw.pop("cost_func")
            kw.update(prices)
        if "share_map" in changes:
            share_map = changes.pop("share_map")
            if "transition" not in changes and not self.transition.is_custom:
                kw["transition"] = None
            kw["share_map"] = share_map
        kw.update(changes)
        return type(self)(**kw)

    def parameter_symbols(self, name: str) -> tuple[sp.Symbol, ...]:
        """The parameter symbols a name stands for.

        A group name moves every player's value (``"r"``, ``"theta"``, ``"a"``, ...: the keys of
        :data:`dynapai_sym.names.PARAMETER_GROUPS`) and gives one symbol per player; any other
        name is one symbol's own name (``"r1"``, ``"kappa"``, a custom component's parameter).

        Raises
        ------
        ValueError
            If the model has no such parameter; the message lists those it has.
        """
        if not isinstance(name, str):
            raise InvalidTypeError(f"parameter names must be strings, got {name!r}")
        byname = {sym.name: sym for sym in self.param_values}
        base = PARAMETER_GROUPS.get(name)
        if base is not None:
            syms = tuple(byname[f"{base}{i + 1}"] for i in range(self.n) if f"{base}{i + 1}" in byname)
            if len(syms) == self.n:
                return syms
        if name in byname:
            return (byname[name],)
        groups = sorted(g for g, b in PARAMETER_GROUPS.items() if f"{b}1" in byname)
        raise InvalidArgumentError(f"this model has no parameter {name!r}; it has the groups {groups} and the "
                                   f"parameters {sorted(byname)}")

    def with_values(self, **values) -> PayoffModel:
        """A copy with some parameter values changed, by name (see :meth:`parameter_symbols`).

        Each value is a number (every player's, for a group) or one value per player.

        Examples
        --------
        >>> from dynapai_sym import models
        >>> pf = models.readme_payoff().with_values(r=0.2, theta=[0.5, 0.25])
        >>> pf.cost_func.values["r"].tolist(), pf.risk_func.theta.tolist()
        ([0.2, 0.2], [0.5, 0.25])
        """
        from .._validation import as_float_array

        assigned: dict[str, float] = {}
        for name, value in values.items():
            syms = self.parameter_symbols(name)
            arr = as_float_array(value, name)
            if arr.ndim == 0:
                arr = np.full(len(syms), float(arr))
            if arr.shape != (len(syms),):
                raise InvalidArgumentError(f"{name} must be a number or have {len(syms)} entries, "
                                           f"got shape {arr.shape}")
            assigned.update({sym.name: float(v) for sym, v in zip(syms, arr)})
        changes = {}
        for field in ("prod_func", "risk_func", "csf", "reward_func", "cost_func", "transition"):
            comp = getattr(self, field)
            new = comp.with_values(assigned)
            if new is not comp:
                changes[field] = new
        new_d = self.disaster_cost.with_values(assigned)
        if new_d is not self.disaster_cost:
            changes["d"] = new_d
        return self.replace(**changes) if changes else self

    def __repr__(self) -> str:
        parts = [repr(self.prod_func), repr(self.risk_func), repr(self.csf), repr(self.reward_func),
                 repr(self.disaster_cost), repr(self.cost_func)]
        if self.transition.form not in ("none",):
            parts.append(repr(self.transition))
        if self.disaster != "per_winner":
            parts.append(f"disaster={self.disaster!r}")
        if self.payoff_form is not None:
            parts.append(f"payoff={self.payoff_form!r}")
        return "PayoffFunc(\n  " + ",\n  ".join(parts) + "\n)"


@lru_cache(maxsize=32)
def _default_reward(n: int) -> RewardFunc:
    """The default reward of n players (``RewardFunc(n)``), built once: components are immutable."""
    return RewardFunc(n)
