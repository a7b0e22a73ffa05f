"""Numeric solvers (numpy/scipy only): KKT root-finding, best response, mixed strategies, certification."""

from .certify import Certificate, certify
from .nash import solve_game
from .options import SolverOptions
from .result import SolverResult, Status

__all__ = ["Certificate", "SolverOptions", "SolverResult", "Status", "certify", "solve_game"]
