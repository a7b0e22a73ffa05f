"""Families of problems: sweeps over parameters, their results tables and files, left/right comparisons."""

from .comparison import Comparison, ExcludedPoint, compare
from .left_right import solve_left_right
from .results import ScenarioResult
from .scenario import VARYING_PARAMS, FailedPoint, Scenario

__all__ = ["Comparison", "ExcludedPoint", "FailedPoint", "Scenario", "ScenarioResult", "VARYING_PARAMS", "compare",
           "solve_left_right"]
