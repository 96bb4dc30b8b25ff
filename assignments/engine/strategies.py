"""Assignment strategies: each proposes at most one plan, with the reason it would pick it.

The engine scores every proposal with the same weighted cost and ranks them; a strategy earns its
place when its proposal wins on some day (see the ablation in docs/benchmarks/engine.md).
"""

from __future__ import annotations

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


def _tie(o: Option) -> tuple:
    return (o.cost, o.candidate.tables)


def _nothing(ctx: StrategyContext) -> Proposal:
    return Proposal(None, "no free table or combination fits the party")


class BestFit:
    """Fewest empty seats, then fewest tables: keeps bigger tables for bigger parties."""

    name = "best_fit"
    priority = 10

    def propose(self, ctx: StrategyContext) -> Proposal:
        if not ctx.options:
            return _nothing(ctx)
        o = min(ctx.options, key=lambda o: (o.empty_seats, o.extra_tables, *_tie(o)))
        return Proposal(o, f"fewest empty seats ({o.empty_seats}) with {len(o.tables)} table(s)")


class Combination:
    """For a party no single free table can seat: the join with fewest tables, then fewest empty seats."""

    name = "combination"
    priority = 20

    def propose(self, ctx: StrategyContext) -> Proposal:
        combos = [o for o in ctx.options if o.extra_tables]
        if not combos:
            return Proposal(None, "no free combination fits the party")
        if any(not o.extra_tables for o in ctx.options):
            return Proposal(None, "a single table seats the party; tables stay unjoined")
        o = min(combos, key=lambda o: (o.extra_tables, o.empty_seats, *_tie(o)))
        return Proposal(o, f"joins {len(o.tables)} tables, the fewest that seat {ctx.request.party_size}")


class Lookahead:
    """Least expected later demand displaced: keeps tables that typical later parties will need."""

    name = "lookahead"
    priority = 30

    def propose(self, ctx: StrategyContext) -> Proposal:
        if not ctx.options:
            return _nothing(ctx)
        o = min(ctx.options, key=lambda o: (round(o.lookahead, 6), *_tie(o)))
        return Proposal(o, f"displaces the least expected later demand ({o.lookahead:.3f} covers)")


class GapFit:
    """Sits snugly in a table's timeline: least dead time left, then the tightest free stretch."""

    name = "gap_fit"
    priority = 40

    def propose(self, ctx: StrategyContext) -> Proposal:
        if not ctx.options:
            return _nothing(ctx)
        o = min(ctx.options, key=lambda o: (round(o.gap_waste, 6), o.gap_span, o.empty_seats, *_tie(o)))
        return Proposal(
            o, f"fills a {o.gap_span}-minute free stretch leaving {o.gap_waste:.2f} seat-hours unusable"
        )


class ZonePreference:
    """The guest's preferred zone, else the restaurant's favourite zone that has room."""

    name = "zone_preference"
    priority = 50

    def propose(self, ctx: StrategyContext) -> Proposal:
        if not ctx.options:
            return _nothing(ctx)
        wanted = ctx.request.preferred_zone
        if wanted is not None:
            inside = [o for o in ctx.options if o.candidate.zone == wanted]
            if not inside:
                return Proposal(None, f"nothing free in the preferred zone {wanted!r}")
            o = min(inside, key=_tie)
            return Proposal(o, f"honours the preferred zone {wanted!r}")
        best_rank = min(o.zone_rank for o in ctx.options)
        o = min((o for o in ctx.options if o.zone_rank == best_rank), key=_tie)
        return Proposal(o, f"the restaurant's most preferred zone with room ({o.candidate.zone!r})")


class LoadBalance:
    """The least occupied zone over the window: spreads the room so no section is swamped."""

    name = "load_balance"
    priority = 60

    def propose(self, ctx: StrategyContext) -> Proposal:
        if not ctx.options:
            return _nothing(ctx)
        o = min(ctx.options, key=lambda o: (round(o.zone_load, 6), *_tie(o)))
        return Proposal(o, f"zone {o.candidate.zone!r} is the least busy over the window ({o.zone_load:.0%})")


def default_strategies() -> tuple[AssignmentStrategy, ...]:
    return (BestFit(), Combination(), Lookahead(), GapFit(), ZonePreference(), LoadBalance())
