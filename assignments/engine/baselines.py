"""Two naive assigners the benchmark compares the engine against."""

from __future__ import annotations

from .floor import Floor
from .occupancy import Occupancy
from .types import Plan, Request


def _free(occupancy: Occupancy, tables: tuple[str, ...], request: Request) -> bool:
    return all(occupancy.is_free(t, request.start, request.end) for t in tables)


def first_fit(floor: Floor, request: Request, occupancy: Occupancy) -> Plan | None:
    """Single tables only, in zone priority then table id order; the first free one that fits."""
    rank = floor.zone_rank
    for t in sorted(floor.tables, key=lambda t: (rank[t.zone], t.id)):
        if not (t.min_covers <= request.party_size <= t.max_covers):
            continue
        if request.accessible and not t.accessible:
            continue
        if occupancy.is_free(t.id, request.start, request.end):
            return Plan((t.id,), "first_fit", 0.0, {}, "first free single table in zone priority order")
    return None


def smallest_fit(floor: Floor, request: Request, occupancy: Occupancy) -> Plan | None:
    """The smallest free table or combination that fits (capacity, then fewer tables, zone, ids)."""
    rank = floor.zone_rank
    shapes = sorted(
        floor.candidates_for(request.party_size, request.accessible),
        key=lambda c: (c.max_covers, c.size, rank[c.zone], c.tables),
    )
    for c in shapes:
        if _free(occupancy, c.tables, request):
            return Plan(
                c.tables, "smallest_fit", float(c.max_covers - request.party_size), {}, "smallest that fits"
            )
    return None
