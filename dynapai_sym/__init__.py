"""dynapai_sym: symbolic models of races to build a risky technology.

Components build sympy expressions; the payoff and its first-order conditions
are derived symbolically, compiled once per model structure, and solved for
certified Nash equilibria.
"""

from .actions import Actions, InvestActions, SharingActions, Strategies
from .aggregator import Aggregator, State, solve
from .comparison import Comparison, compare, solve_left_right
from .components import CSF, CostFunc, DisasterCost, ProdFunc, RewardFunc, RiskFunc, Transition
from .latex import repr_latex, to_latex, write_latex
from .payoff import PayoffFunc
from .plotting import plot
from .scenario import FailedPoint, Scenario, ScenarioResult
from .solvers import SolverOptions, SolverResult, Status

__all__ = [
    "Actions", "Aggregator", "CSF", "Comparison", "CostFunc", "DisasterCost", "FailedPoint", "InvestActions",
    "PayoffFunc", "ProdFunc", "RewardFunc", "RiskFunc", "Scenario", "ScenarioResult", "SharingActions",
    "SolverOptions", "SolverResult", "State", "Status", "Strategies", "Transition", "compare", "plot", "repr_latex",
    "solve", "solve_left_right", "to_latex", "write_latex",
]
__version__ = "0.1.0"
