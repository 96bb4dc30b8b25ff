"""What goes into a decision and what comes out of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Request:
    """A booking to seat; [start, end) already includes the restaurant's buffer."""

    booking_id: str
    party_size: int
    start: int
    end: int
    preferred_zone: str | None = None
    accessible: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    """Tables for one booking. `score` is a cost: lower is better; `breakdown` sums to it."""

    tables: tuple[str, ...]  # sorted
    strategy: str
    score: float
    breakdown: Mapping[str, float]
    reason: str


@dataclass(frozen=True, slots=True)
class StrategyOutcome:
    strategy: str
    plan: Plan | None
    reason: str


@dataclass(frozen=True)
class Decision:
    plans: tuple[Plan, ...]  # best first, distinct table sets
    outcomes: tuple[StrategyOutcome, ...]
    candidates_evaluated: int
    # Set when plans exist but the restaurant's capacity protection sends the booking to review
    # instead (plans is then empty); the text says why, for the booking's history.
    refusal: str | None = None

    @property
    def best(self) -> Plan | None:
        return self.plans[0] if self.plans else None
