r"""The one-period payoff function users build and evaluate.

:class:`PayoffFunc` is the symbolic :class:`~dynapai_sym.model.PayoffModel` with numbers: its
compiled functions (built once per model structure, parameter values as call arguments) and
its LaTeX display.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._validation import as_float_array
from ..compile import compile_model
from ..errors import InvalidArgumentError, InvalidTypeError
from ..latex import LatexDisplay
from ..model import Actions, PayoffModel
from ..model.planner import PlannerConditions

__all__ = ["PayoffFunc"]


class PayoffFunc(PlannerConditions, PayoffModel, LatexDisplay):
    r"""One-period payoff of every player: the model, its derived conditions, and its numbers.

    .. math::

        u_i = \sum_j \sigma_j q_j \rho_{ij} - \sum_j (1 - \sigma_j) q_j d_{ij} - c_i

    Parameters
    ----------
    prod_func : ProdFunc
        Production of safety and performance.
    risk_func : RiskFunc
        Probability of a safe outcome given each winner (holds :math:`\theta`).
    d : array_like, shape (n,) or (n, n), or DisasterCost
        Disaster cost :math:`d_i` or :math:`d_{ij}`.
    cost_func : CostFunc, optional
        Input cost; its width k fixes the action type. Give either this or ``r``.
    csf : CSF, optional
        Contest success function (default Tullock :math:`p_j / \sum p`).
    reward_func : RewardFunc, optional
        Reward matrix (default: the winner gets 1).
    r, r_inv, r_share : array_like, optional
        Fixed unit prices, as in dynapai's Python bindings
        (``CostFunc.fixed(r, r_inv, r_share)``).
    disaster : {"per_winner", "complement"}
        Form of the disaster term: ``"per_winner"`` (default) charges :math:`d_{ij}` when j
        wins and the outcome is a disaster; ``"complement"`` charges :math:`d_i` whenever
        nobody wins safely, as the older implementations did. (``"seed"`` is an older name
        of ``"per_winner"``, still accepted with a warning.)
    share_map : {"fraction", "exp"}
        How the sharing choice enters the transition (SharingActions only).
    transition : Transition, optional
        State transition; default follows the action type (none, invest, sharing).
    payoff : PayoffExpr, optional
        The payoff written whole, replacing the form above
        (:class:`~dynapai_sym.components.payoff_expr.PayoffExpr`; see ``docs/model_files.md``).

    Examples
    --------
    The README's example (two players, A = B = 10, alpha = beta = theta = 0.5):

    >>> from dynapai_sym import Actions, ProdFunc, RiskFunc
    >>> pf = PayoffFunc(ProdFunc(a=[10., 10.], alpha=[.5, .5], b=[10., 10.], beta=[.5, .5]),
    ...                 RiskFunc.winner_only([.5, .5]), d=[1., 1.], r=[.1, .1])
    >>> pf(Actions.from_inputs([1., 1.], [2., 2.]))
    array([-0.2099315, -0.2099315])
    >>> pf.focs().shape  # du_i/da_ic, derived symbolically: one row per player
    (2, 2)
    >>> pf.planner_focs().shape  # dW/da_jc with W = u_1 + u_2: the planner's conditions
    (2, 2)
    """

    # ------------------------------------------------------------------ numbers
    @property
    def compiled(self):
        """The compiled numeric model (shared by every model of the same structure)."""
        return compile_model(self.structure)

    def _check_actions(self, actions) -> np.ndarray:
        if isinstance(actions, Actions):
            if type(actions) is not self.action_type:
                raise InvalidTypeError(f"this payoff function takes {self.action_type.__name__} "
                                f"(k={self.k}), got {type(actions).__name__}")
            data = actions.data
        else:
            data = as_float_array(actions, "actions")
            if data.shape != (self.n, self.k):
                raise InvalidArgumentError(f"actions must have shape ({self.n}, {self.k}), got {data.shape}")
        if data.shape[0] != self.n:
            raise InvalidArgumentError(f"actions are for {data.shape[0]} players, the model has {self.n}")
        return data

    def __call__(self, actions) -> np.ndarray:
        """Payoff vector :math:`(u_1, \\dots, u_n)` at the given actions."""
        data = self._check_actions(actions)
        return self.compiled.payoffs(data.reshape(-1), self.state_vector(), self.param_vector())

    u = __call__

    def u_i(self, i: int, actions) -> float:
        """Payoff of player ``i`` (0-based)."""
        return float(self(actions)[self._player(i)])

    def quantities(self, actions) -> dict[str, np.ndarray]:
        """Numeric s, p, sigma, q and payoffs at the given actions."""
        data = self._check_actions(actions)
        return self.compiled.quantities(data.reshape(-1), self.state_vector(), self.param_vector())

    @staticmethod
    def expand_from(prod_func_list, risk_func_list, d_list, csf_list=None, reward_func_list=None,
                    r_list=None, r_inv_list=None, r_share_list=None, cost_func_list=None,
                    disaster: str = "per_winner", share_map: str = "fraction") -> list[PayoffFunc]:
        """Every combination of the given lists of components (lists of length 1 broadcast).

        As in dynapai's Python bindings: the result has one payoff function per
        element of the Cartesian product of the lists.
        """
        lists = dict(
            prod_func=list(prod_func_list), risk_func=list(risk_func_list), d=list(d_list),
            csf=list(csf_list) if csf_list is not None else [None],
            reward_func=list(reward_func_list) if reward_func_list is not None else [None],
            r=list(r_list) if r_list is not None else [None],
            r_inv=list(r_inv_list) if r_inv_list is not None else [None],
            r_share=list(r_share_list) if r_share_list is not None else [None],
            cost_func=list(cost_func_list) if cost_func_list is not None else [None],
        )
        for name, values in lists.items():
            if not values:
                raise InvalidArgumentError(f"{name}_list must not be empty")
        keys = list(lists)
        return [PayoffFunc(**dict(zip(keys, combo)), disaster=disaster, share_map=share_map)
                for combo in itertools.product(*lists.values())]
