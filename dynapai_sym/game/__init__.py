"""What users build and solve: the payoff function, the multi-period aggregator, ``solve``."""

from ..model import State
from .aggregator import Aggregator, solve
from .payoff_func import PayoffFunc
from .welfare import WelfareGap

__all__ = ["Aggregator", "PayoffFunc", "State", "WelfareGap", "solve"]
