r"""The multi-period model, symbolically: beliefs, discounting, survival, the aggregate objective.

.. math::

    U_i = \sum_{t=0}^{T-1} \gamma_i^t P_t\, u_i(t)

with the first period undiscounted, :math:`P_t = 1`, or with ``end_on_win``
:math:`P_t = \prod_{\tau < t} (1 - \sum_j q_j(\tau))`, the probability that
nobody has won before t. Between periods the state (A, B) moves by the
model's transition. With heterogeneous beliefs player i evaluates its payoff
with its own payoff function, and every belief's state moves with the same
actions. The numeric path never builds :math:`U_i` as one expression; it chains
one-period blocks (:mod:`dynapai_sym.numeric.chain`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from .._frozen import Frozen
from .._validation import as_player_vector, as_positive_int
from ..errors import InvalidArgumentError, InvalidTypeError
from ..layout import ActionLayout
from ..symbols import period_symbol, player_symbols
from .payoff import PayoffModel

__all__ = ["State", "MultiPeriodModel"]


class State(Frozen):
    """Players' beliefs about the payoff function.

    Use :meth:`common_beliefs` (one payoff function for all) or
    :meth:`het_beliefs` (player i evaluates with ``payoffs[i]``).
    """

    def __init__(self, beliefs: Sequence[PayoffModel], common: bool):
        beliefs = list(beliefs)
        for j, b in enumerate(beliefs):
            if not isinstance(b, PayoffModel):
                raise InvalidTypeError(f"beliefs[{j}] must be a PayoffFunc, got {type(b).__name__}")
        first = beliefs[0]
        for j, b in enumerate(beliefs[1:], start=1):
            if b.n != first.n or b.k != first.k:
                raise InvalidArgumentError(f"beliefs[{j}] has n={b.n}, k={b.k}; "
                                           f"beliefs[0] has n={first.n}, k={first.k}")
            if b.transition.upper_bounds(b.k) != first.transition.upper_bounds(first.k):
                raise InvalidArgumentError("all beliefs must bound actions alike (same share_map)")
        if not common and len(beliefs) != first.n:
            raise InvalidArgumentError(f"heterogeneous beliefs need one payoff function per player ({first.n}), "
                             f"got {len(beliefs)}")
        self._set(beliefs=tuple(beliefs), common=common)

    @classmethod
    def common_beliefs(cls, payoff: PayoffModel) -> State:
        """Every player evaluates with the same payoff function."""
        return cls([payoff], True)

    @classmethod
    def het_beliefs(cls, payoffs: Sequence[PayoffModel]) -> State:
        """Player i evaluates its payoff with ``payoffs[i]``."""
        if isinstance(payoffs, PayoffModel) or not isinstance(payoffs, Sequence):
            raise InvalidTypeError("het_beliefs needs a list of PayoffFunc, one per player")
        return cls(payoffs, False)

    @property
    def n(self) -> int:
        return self.beliefs[0].n

    @property
    def k(self) -> int:
        return self.beliefs[0].k

    def belief_of(self, i: int) -> PayoffModel:
        return self.beliefs[0] if self.common else self.beliefs[i]

    def __repr__(self) -> str:
        kind = "common_beliefs" if self.common else "het_beliefs"
        return f"State.{kind}({self.beliefs if not self.common else self.beliefs[0]!r})"


class MultiPeriodModel(Frozen):
    """Multi-period objective of every player, symbolically: beliefs, discount factors, survival.

    The constructor is :class:`~dynapai_sym.game.Aggregator`'s (its docstring lists the
    arguments); the aggregator adds the numbers and the solver.
    """

    def __init__(self, state, gammas=None, end_on_win: bool = False):
        if isinstance(state, MultiPeriodModel):  # dynapai allowed wrapping an aggregator
            gammas = state.gammas if gammas is None else gammas
            end_on_win = state.end_on_win or end_on_win
            state = state.state
        if isinstance(state, PayoffModel):
            state = State.common_beliefs(state)
        elif isinstance(state, (list, tuple)):
            state = State.het_beliefs(list(state))
        elif not isinstance(state, State):
            raise InvalidTypeError(f"state must be a PayoffFunc, a State or a list of PayoffFunc, "
                            f"got {type(state).__name__}")
        if gammas is not None:
            gammas = as_player_vector(gammas, "gammas", state.n, positive=True, upper=1.0)
            gammas.setflags(write=False)
        if not isinstance(end_on_win, (bool, np.bool_)):
            raise InvalidTypeError(f"end_on_win must be True or False, got {end_on_win!r}")
        self._set(state=state, n=state.n, k=state.k, gammas=gammas, end_on_win=bool(end_on_win))

    @property
    def action_type(self):
        return self.state.beliefs[0].action_type

    def state0(self) -> np.ndarray:
        """The state (A_i, B_i) at t = 0 by each belief: (n, 2), or (n_beliefs, n, 2)."""
        out = []
        for pf in (self.state.beliefs if not self.state.common else self.state.beliefs[:1]):
            out.append(np.column_stack([pf.prod_func.a, pf.prod_func.b]))
        return out[0] if self.state.common else np.stack(out)

    # ------------------------------------------------------------ symbolic view
    def objective_expr(self, t: int) -> list:
        r"""The aggregate objectives :math:`U_i` over ``t`` periods as sympy expressions.

        For reading and typesetting small horizons (the numeric path never
        builds these). Actions of period :math:`\tau` are ``xs1_t0``-style
        symbols (:math:`x_{s,1}(0)`); discount factors are the symbols
        ``gamma1..gamma_n``; states are substituted through the transition.
        """
        t = as_positive_int(t, "t (number of periods)")
        if t > 6:
            raise InvalidArgumentError(f"objective_expr is for display and small horizons (t <= 6), got t={t}")
        gammas = player_symbols("gamma", self.n, positive=True)
        out = []
        for i in range(self.n):
            pf = self.state.belief_of(i)
            actions = pf.structure.actions
            state = {s: s for s in pf.structure.states}
            survive = sp.Integer(1)
            total = sp.Integer(0)
            for tau in range(t):
                subs = {a: period_symbol(a, tau) for a in actions} | state
                total += gammas[i] ** tau * survive * pf.payoff_expr(i).xreplace(subs)
                if self.end_on_win:
                    survive = survive * (1 - pf.win_probability.xreplace(subs))
                state = {s: f.xreplace(subs) for s, f in zip(pf.structure.states, pf.structure.next_state)}
            out.append(total)
        return out

    def focs_expr(self, t: int) -> list:
        r"""First-order conditions :math:`\partial U_i / \partial a_{i,c}(\tau)` for small ``t`` (list per player)."""
        objectives = self.objective_expr(t)
        out = []
        for i, U in enumerate(objectives):
            pf = self.state.belief_of(i)
            own = pf.structure.actions[ActionLayout(t, self.n, self.k).own_slice(i)]
            out.append([sp.diff(U, period_symbol(a, tau)) for tau in range(t) for a in own])
        return out

    def __repr__(self) -> str:
        g = None if self.gammas is None else self.gammas.tolist()
        return f"Aggregator({self.state!r}, gammas={g}, end_on_win={self.end_on_win})"
