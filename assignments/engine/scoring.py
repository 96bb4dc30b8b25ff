"""Scoring: one cost per plan (lower is better) with a breakdown, weights configurable per restaurant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from .floor import Candidate


@dataclass(frozen=True)
class Weights:
    """Cost per unit of each term. The defaults are tuned for covers seated (docs/benchmarks/engine.md)."""

    empty_seat: float = 0.5  # per seat left empty at the plan's tables
    extra_table: float = 1.0  # per table beyond the first
    zone_mismatch: float = 0.2  # the guest asked for another zone (a soft wish)
    zone_priority: float = 0.0  # per rank below the restaurant's favourite zone
    gap_waste: float = 0.25  # per seat-hour of free time left too short for any later booking
    lookahead: float = 4.0  # per expected cover of later demand that loses its tables
    zone_load: float = -0.5  # per unit of the zone's occupancy over the window; negative packs busy zones

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
    breakdown: dict[str, float] | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        return self.candidate.tables

    def score(self, w: Weights) -> None:
        parts = {
            "empty_seats": w.empty_seat * self.empty_seats,
            "tables_used": w.extra_table * self.extra_tables,
            "zone_mismatch": w.zone_mismatch * self.zone_mismatch,
            "zone_priority": w.zone_priority * self.zone_rank,
            "gap_waste": w.gap_waste * self.gap_waste,
            "lookahead": w.lookahead * self.lookahead,
            "zone_load": w.zone_load * self.zone_load,
        }
        self.breakdown = {k: round(v, 6) for k, v in parts.items()}
        self.cost = round(sum(parts.values()), 6)  # rounded so float noise never decides a tie
