"""The symbolic model: actions, one-period payoff, multi-period objective (sympy; no numbers compiled here)."""

from .actions import Actions, InvestActions, SharingActions, Strategies, action_type_for
from .horizon import MultiPeriodModel, State
from .payoff import PayoffModel
from .structure import KKTSystem, ModelStructure

__all__ = ["Actions", "InvestActions", "KKTSystem", "ModelStructure", "MultiPeriodModel", "PayoffModel",
           "SharingActions", "State", "Strategies", "action_type_for"]
