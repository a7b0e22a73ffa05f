"""Numeric solvers (numpy/scipy only): KKT root-finding, best response, mixed strategies, certification."""

from .certify import Certificate, certify
from .methods import METHODS, SolverMethod, get_method, register_method
from .nash import solve_game
from .options import SolverOptions
from .planner import PlannerResult
from .result import SolverResult, Status

__all__ = ["METHODS", "Certificate", "PlannerResult", "SolverMethod", "SolverOptions", "SolverResult", "Status",
           "certify",
           "get_method", "register_method", "solve_game"]
