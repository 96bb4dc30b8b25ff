"""The assignment engine: pure Python, no Django. Dataclasses in, ranked plans out."""

from .baselines import first_fit, smallest_fit
from .demand import DemandProfile
from .engine import Engine, StrategyContext
from .floor import Candidate, Floor, TableSpec
from .occupancy import Occupancy
from .scoring import Option, Weights
from .strategies import (
    AssignmentStrategy,
    BestFit,
    Combination,
    GapFit,
    LoadBalance,
    Lookahead,
    Proposal,
    ZonePreference,
    default_strategies,
)
from .types import Decision, Plan, Request, StrategyOutcome

__all__ = [
    "AssignmentStrategy",
    "BestFit",
    "Candidate",
    "Combination",
    "Decision",
    "DemandProfile",
    "Engine",
    "Floor",
    "GapFit",
    "LoadBalance",
    "Lookahead",
    "Occupancy",
    "Option",
    "Plan",
    "Proposal",
    "Request",
    "StrategyContext",
    "StrategyOutcome",
    "TableSpec",
    "Weights",
    "ZonePreference",
    "default_strategies",
    "first_fit",
    "smallest_fit",
]
