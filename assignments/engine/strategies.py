"""Assignment strategies: each proposes at most one plan, with the reason it would pick it.

Four specialists speak only when the situation they exist for arises (a zone wish, a party no
single free table seats, a tight gap to fill or a short hole to avoid, an unevenly loaded room);
two generalists (lookahead, best fit) always propose. The engine ranks the proposals with one
rule (scoring.rank_key): capacity cost first, within a tolerance; then the soft wishes; then
strategy priority, then sorted table ids. Specialists have the lower priority numbers, so when two
strategies propose the same tables the plan is credited to the specialist that asked for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .scoring import Option

if TYPE_CHECKING:
    from .engine import StrategyContext


@dataclass(frozen=True, slots=True)
class Proposal:
    option: Option | None
    reason: str


@runtime_checkable
class AssignmentStrategy(Protocol):
    name: str
    priority: int  # tie-break between equal scores: lower goes first

    def propose(self, ctx: StrategyContext) -> Proposal: ...


def _cheapest(options: Iterable[Option]) -> Option:
    return min(options, key=lambda o: (o.capacity, o.cost, o.tables))


def _nothing(ctx: StrategyContext) -> Proposal:
    return Proposal(None, "no free table or combination fits the party")


class ZonePreference:
    """The guest's preferred zone: its cheapest plan. Wins when it costs nothing else (soft wish)."""

    name = "zone_preference"
    priority = 10

    def propose(self, ctx: StrategyContext) -> Proposal:
        wanted = ctx.request.preferred_zone
        if wanted is None:
            return Proposal(None, "the guest has no zone preference")
        inside = [o for o in ctx.options if o.candidate.zone == wanted]
        if not inside:
            return Proposal(None, f"nothing free in the preferred zone {wanted!r}")
        o = _cheapest(inside)
        return Proposal(o, f"honours the preferred zone {wanted!r}")


class Combination:
    """A party no single free table seats: the cheapest join, then the one with fewest tables."""

    name = "combination"
    priority = 20

    def propose(self, ctx: StrategyContext) -> Proposal:
        combos = [o for o in ctx.options if o.extra_tables]
        if not combos:
            return Proposal(None, "no free combination fits the party")
        if any(not o.extra_tables for o in ctx.options):
            return Proposal(None, "a single table seats the party; tables stay unjoined")
        o = min(combos, key=lambda o: (o.capacity, o.extra_tables, o.empty_seats, o.tables))
        return Proposal(o, f"joins {len(o.tables)} tables to seat {ctx.request.party_size}")


class GapFit:
    """A tight gap between bookings: fill it exactly. Else, when some plans would leave a hole too
    short for anyone, the plan that wastes least."""

    name = "gap_fit"
    priority = 30

    def propose(self, ctx: StrategyContext) -> Proposal:
        if not ctx.options:
            return _nothing(ctx)
        tight = [o for o in ctx.options if o.tight]
        if tight:
            o = min(tight, key=lambda o: (o.capacity, o.gap_span, o.tables))
            return Proposal(o, f"fills a {o.gap_span}-minute gap between bookings, leaving nothing unusable")
        least = min(round(o.gap_waste, 6) for o in ctx.options)
        if least == max(round(o.gap_waste, 6) for o in ctx.options):
            return Proposal(None, "no tight gap, and every plan leaves the same dead time")
        o = min(
            (o for o in ctx.options if round(o.gap_waste, 6) == least),
            key=lambda o: (o.capacity, o.gap_span, o.tables),
        )
        return Proposal(o, f"leaves {o.gap_waste:.2f} seat-hours unusable, the least of any plan")


class LoadBalance:
    """Zones unevenly loaded over the window: the cheapest plan in the least busy zone."""

    name = "load_balance"
    priority = 40
    spread = 0.2  # zone occupancy difference below which the room counts as even

    def propose(self, ctx: StrategyContext) -> Proposal:
        if not ctx.options:
            return _nothing(ctx)
        loads = {o.candidate.zone: round(o.zone_load, 6) for o in ctx.options}
        low, high = min(loads.values()), max(loads.values())
        if high - low < self.spread:
            return Proposal(None, "the zones with room are evenly loaded")
        o = _cheapest(o for o in ctx.options if round(o.zone_load, 6) == low)
        return Proposal(o, f"zone {o.candidate.zone!r} is the least busy over the window ({o.zone_load:.0%})")


class Lookahead:
    """Least expected later demand displaced: keeps tables that typical later parties will need."""

    name = "lookahead"
    priority = 50

    def propose(self, ctx: StrategyContext) -> Proposal:
        if not ctx.options:
            return _nothing(ctx)
        o = min(ctx.options, key=lambda o: (round(o.lookahead, 6), o.capacity, o.tables))
        return Proposal(o, f"displaces the least expected later demand ({o.lookahead:.3f} covers)")


class BestFit:
    """Fewest empty seats, then fewest tables: keeps bigger tables for bigger parties."""

    name = "best_fit"
    priority = 60

    def propose(self, ctx: StrategyContext) -> Proposal:
        if not ctx.options:
            return _nothing(ctx)
        o = min(ctx.options, key=lambda o: (o.empty_seats, o.extra_tables, o.capacity, o.tables))
        return Proposal(o, f"fewest empty seats ({o.empty_seats}) with {len(o.tables)} table(s)")


def default_strategies() -> tuple[AssignmentStrategy, ...]:
    return (ZonePreference(), Combination(), GapFit(), LoadBalance(), Lookahead(), BestFit())
