"""dynapai_sym: symbolic models of races to build a risky technology.

Components build sympy expressions; the payoff and its first-order conditions
are derived symbolically, compiled once per model structure, and solved for
certified Nash equilibria.

The names below are loaded on first use (``dp.PayoffFunc`` imports the model layers
then), so that ``import dynapai_sym.solvers`` alone does not load sympy. The layers and
their order are described in ``docs/architecture.md``.
"""

from __future__ import annotations

import importlib

#: public name -> the subpackage or module that defines it
_EXPORTS = {
    "Actions": "model", "InvestActions": "model", "SharingActions": "model", "Strategies": "model",
    "State": "model",
    "CSF": "components", "CostFunc": "components", "DisasterCost": "components", "ProdFunc": "components",
    "RewardFunc": "components", "RiskFunc": "components", "Transition": "components",
    "PayoffFunc": "game", "Aggregator": "game", "solve": "game", "WelfareGap": "game",
    "PlannerResult": "solvers",
    "SolverOptions": "solvers", "SolverResult": "solvers", "Status": "solvers",
    "repr_latex": "latex", "to_latex": "latex", "write_latex": "latex",
    "Scenario": "scenario", "ScenarioResult": "scenario", "FailedPoint": "scenario",
    "Comparison": "scenario", "compare": "scenario", "solve_left_right": "scenario",
    "plot": "plotting",
    "DynapaiError": "errors", "DynapaiWarning": "errors",
    "load_model": "modelfile", "save_model": "modelfile", "ModelSpec": "modelfile", "PayoffExpr": "components",
}
#: subpackages and modules reachable as attributes (``dp.models``, ``dp.solvers``, ...)
_MODULES = ("cli", "compile", "components", "errors", "game", "latex", "model", "modelfile", "models", "names",
            "numeric", "plotting", "scenario", "solvers", "symbols")

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_MODULES))
