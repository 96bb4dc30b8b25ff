"""Scoring: one cost per plan (lower is better) with a breakdown, weights configurable per restaurant.

The cost has two parts, and the breakdown names every term of both (it sums to the cost):

- **capacity** (`empty_seats`, `tables_used`, `gap_waste`, `lookahead`): what the plan costs later
  guests, in the same currency (roughly: covers that may not find a table later). Covers are what
  we are measured on, so this part decides.
- **soft** (`zone_mismatch`, `zone_priority`, `zone_load`): wishes that cost no covers by
  themselves: the guest's preferred zone, the restaurant's favourite zone, an evenly loaded room.

Plans are ranked lexicographically (see `rank_key`): the plans whose capacity cost is within
`Weights.tolerance` of the cheapest are "free choices"; among those the soft cost decides (so a
preferred zone is honoured when it costs nothing else), then capacity, then the proposing
strategy's priority, then the sorted table ids. Plans outside the band follow by total cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from .floor import Candidate

CAPACITY_TERMS = ("empty_seats", "tables_used", "gap_waste", "lookahead")
SOFT_TERMS = ("zone_mismatch", "zone_priority", "zone_load")


@dataclass(frozen=True)
class Weights:
    """Cost per unit of each term. The defaults are tuned for covers seated (docs/benchmarks/engine.md)."""

    empty_seat: float = 0.5  # per seat left empty at the plan's tables
    extra_table: float = 1.0  # per table beyond the first
    zone_mismatch: float = 1.0  # soft: the guest asked for another zone
    zone_priority: float = 0.0  # soft: per rank below the restaurant's favourite zone
    gap_waste: float = 1.0  # per seat-hour of free time left too short for any later booking
    lookahead: float = 2.0  # per expected cover of later demand that loses its tables
    zone_load: float = 0.5  # soft: per unit of the zone's occupancy over the window (positive spreads)
    tolerance: float = 0.5  # capacity-cost slack within which the soft terms decide
    # Capacity protection (opt-in; 0 = off, today's behaviour): at the peak, when at least this share
    # of the floor's seats is taken over the booking's window, send to review a booking whose best
    # plan would cost more expected later covers than `protection_margin` x its own party size.
    protection_load: float = 0.0
    protection_margin: float = 1.0  # expected later covers lost per cover seated above which we refuse
    protection_peak: float = 0.8  # demand intensity (DemandProfile, 0-1) from which a start is the peak
    # How protection estimates the later covers a plan costs: 0 = its capacity cost (the ranking's
    # currency); n >= 1 = played forward, n rollouts of `protection_arrivals` x tables later requests
    # drawn from the demand prior, seated smallest-fit first with and without the plan.
    protection_samples: float = 0.0
    protection_arrivals: float = 0.5
    # Look-ahead rollouts (rollout.py; 0 samples = off): the engine's best `rollout_plans` plans and
    # smallest-fit's plan are each played against the same `rollout_samples` sequences of later
    # requests drawn from the demand prior (`rollout_arrivals` x tables of them, overlapping the
    # window); the plan leaving room for the most covers goes first.
    # The day's reference layout (reference.py; 0 = off): when the caller passes the plan smallest-fit
    # would give in arrival order, it goes first if its capacity cost is within `reference_margin` of
    # the cheapest plan and it honours the guest's zone wish as well as the engine's own best plan.
    follow_reference: float = 1.0
    reference_margin: float = 0.5
    rollout_samples: float = 0.0
    rollout_arrivals: float = 1.0
    rollout_plans: float = 2.0

    @property
    def protects(self) -> bool:
        return self.protection_load > 0

    @property
    def follows_reference(self) -> bool:
        return self.follow_reference > 0

    @property
    def rolls_out(self) -> bool:
        return self.rollout_samples >= 1

    @classmethod
    def from_mapping(cls, data: Mapping[str, float] | None) -> Weights:
        """Per-restaurant config; unknown keys are an error so a typo never silently falls back."""
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown weight(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**{k: float(v) for k, v in data.items()})

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class Option:
    """A free candidate for one request, with the raw features every strategy and the score read."""

    candidate: Candidate
    empty_seats: int
    extra_tables: int
    zone_mismatch: int
    zone_rank: int
    gap_waste: float  # seat-hours
    gap_span: int  # minutes of the free stretches the plan sits in (smaller = tighter fit)
    lookahead: float
    zone_load: float
    cost: float = 0.0
    capacity: float = 0.0
    soft: float = 0.0
    breakdown: dict[str, float] | None = None
    tight: bool = False  # sits in a free stretch bounded by bookings, with no unusable leftover

    @property
    def tables(self) -> tuple[str, ...]:
        return self.candidate.tables

    def score(self, w: Weights) -> None:
        parts = {
            "empty_seats": w.empty_seat * self.empty_seats,
            "tables_used": w.extra_table * self.extra_tables,
            "gap_waste": w.gap_waste * self.gap_waste,
            "lookahead": w.lookahead * self.lookahead,
            "zone_mismatch": w.zone_mismatch * self.zone_mismatch,
            "zone_priority": w.zone_priority * self.zone_rank,
            "zone_load": w.zone_load * self.zone_load,
        }
        self.breakdown = {k: round(v, 6) for k, v in parts.items()}
        # rounded so float noise never decides a tie
        self.capacity = round(sum(self.breakdown[k] for k in CAPACITY_TERMS), 6)
        self.soft = round(sum(self.breakdown[k] for k in SOFT_TERMS), 6)
        self.cost = round(self.capacity + self.soft, 6)


def static_cost(
    w: Weights, *, empty_seats: int, extra_tables: int, zone_mismatch: int, zone_rank: int
) -> float:
    """The plan terms that depend neither on time nor on the order bookings arrive in (Option.score's
    empty_seats, tables_used, zone_mismatch and zone_priority): the plan cost a whole-day plan can use."""
    return (
        w.empty_seat * empty_seats
        + w.extra_table * extra_tables
        + w.zone_mismatch * zone_mismatch
        + w.zone_priority * zone_rank
    )


def rank_key(o: Option, best_capacity: float, tolerance: float, priority: int) -> tuple[object, ...]:
    """Sort key: free choices (capacity within `tolerance` of the best) first, by soft cost."""
    if o.capacity <= best_capacity + tolerance + 1e-9:
        return (0, o.soft, o.capacity, priority, o.tables)
    return (1, o.cost, 0.0, priority, o.tables)
