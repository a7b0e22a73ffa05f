"""The numeric game (numpy only): periods chained through time, one flat vector of actions."""

from .chain import BeliefChain
from .game import Belief, NumericGame, StaticBatch

__all__ = ["Belief", "BeliefChain", "NumericGame", "StaticBatch"]
