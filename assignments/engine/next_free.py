"""When does a plan for a party free up? Pure: the engine, an occupancy and minutes in, a minute and a plan out.

A table only becomes free when something on it ends, so the first minute a plan fits is either the earliest
minute asked about, the end of an interval already on the floor, or the opening of a later service period:
those are the only minutes worth asking the engine about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .engine import Engine
from .occupancy import Occupancy
from .types import Plan, Request


def next_free_start(
    engine: Engine,
    occupancy: Occupancy,
    *,
    party_size: int,
    length: int,
    earliest: int,
    latest: int,
    preferred_zone: str | None = None,
    accessible: bool = False,
    openings: Iterable[int] = (),
    may_start: Callable[[int], bool] | None = None,
    booking_id: str = "walk-in",
) -> tuple[int, Plan] | None:
    """The first minute in [earliest, latest] at which the engine has a plan free for `length` minutes (the
    turn plus the buffer), with the plan; None when there is none. `may_start` says whether a party may start
    at a minute (inside a service period); `openings` are the minutes later periods open."""
    minutes = {earliest}
    minutes.update(m for m in openings if earliest < m <= latest)
    for table in engine.floor.table_ids:
        minutes.update(end for _start, end, _ref in occupancy.intervals(table) if earliest < end <= latest)
    for minute in sorted(minutes):
        if may_start is not None and not may_start(minute):
            continue
        request = Request(booking_id, party_size, minute, minute + length, preferred_zone, accessible)
        decision = engine.decide(request, occupancy)
        if decision.plans:
            return minute, decision.plans[0]
    return None
