"""Model components: each builds sympy expressions in the package's symbols."""

from .cost import CostFunc
from .csf import CSF
from .disaster import DisasterCost
from .dynamics import Transition
from .expression import ExprCostFunc, ExprDisasterCost, ExprProdFunc, ExprRiskFunc, PlayerExpr
from .payoff_expr import PayoffExpr
from .production import ProdFunc
from .reward import RewardFunc
from .risk import RiskFunc

__all__ = ["CSF", "CostFunc", "DisasterCost", "ExprCostFunc", "ExprDisasterCost", "ExprProdFunc", "ExprRiskFunc",
           "PayoffExpr", "PlayerExpr", "ProdFunc", "RewardFunc", "RiskFunc", "Transition"]
