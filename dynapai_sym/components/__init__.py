"""Model components: each builds sympy expressions in the package's symbols."""

from .cost import CostFunc
from .csf import CSF
from .disaster import DisasterCost
from .dynamics import Transition
from .production import ProdFunc
from .reward import RewardFunc
from .risk import RiskFunc

__all__ = ["CSF", "CostFunc", "DisasterCost", "ProdFunc", "RewardFunc", "RiskFunc", "Transition"]
