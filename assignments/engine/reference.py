"""The day's reference layout: where a plain, consistent rule would have seated each booking so far.

Smallest-fit (the smallest free table or join that seats the party, the guest's zone breaking ties
between equal shapes) replayed over the day's requests in arrival order, on a floor of its own. It
never reads a booking still to come: the layout for a request holds only the requests that arrived
before it, each where the rule put it, and the rule's answer for the request itself.

Why the engine looks at it (issue 15, docs/benchmarks/engine.md): most of the engine's choices are
between plans that cost about the same. Broken one way here and another way there, they leave the
floor in a shape no single rule would have produced, and later parties find the holes in it. Broken
toward one consistent layout, the engine's floor stays close to a floor that rule packs well, and it
still departs from it whenever its own ranking sees a plan clearly cheaper (more than
`Weights.reference_margin` in capacity cost), the reference plan is taken, or it goes against the
guest's zone wish. Measured on held-out days: more covers, and fewer days below the simple assigners.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .floor import Candidate, Floor
from .occupancy import Occupancy
from .types import Request


class ReferenceLayout:
    """Smallest-fit in arrival order, on its own occupancy. Feed it every request of the day, in order."""

    __slots__ = ("floor", "occupancy", "_shapes")

    def __init__(self, floor: Floor):
        self.floor = floor
        self.occupancy = Occupancy(floor)
        self._shapes: dict[tuple[int, bool, str | None], tuple[Candidate, ...]] = {}

    def _ordered(self, request: Request) -> tuple[Candidate, ...]:
        key = (request.party_size, request.accessible, request.preferred_zone)
        got = self._shapes.get(key)
        if got is None:
            rank = self.floor.zone_rank
            wanted = request.preferred_zone
            got = self._shapes[key] = tuple(
                sorted(
                    self.floor.candidates_for(request.party_size, request.accessible),
                    key=lambda c: (c.max_covers, c.size, c.zone != wanted, rank[c.zone], c.tables),
                )
            )
        return got

    def plan(self, request: Request) -> tuple[str, ...]:
        """The tables the rule would seat `request` on now (`()`: it would turn it away). Writes nothing;
        this is what `Engine.decide` takes as `reference`."""
        is_free = self.occupancy.is_free
        start, end = request.start, request.end
        free: dict[str, bool] = {}  # shapes share tables: ask the occupancy once per table
        for c in self._ordered(request):
            for t in c.tables:
                ok = free.get(t)
                if ok is None:
                    ok = free[t] = is_free(t, start, end)
                if not ok:
                    break
            else:
                return c.tables
        return ()

    def add(self, request: Request) -> tuple[str, ...]:
        """Seat `request` where the rule puts it, and return the tables (`()`: it turned it away)."""
        tables = self.plan(request)
        self.place(request, tables)
        return tables

    def place(self, request: Request, tables: tuple[str, ...]) -> None:
        """Seat `request` on `tables`, its `plan` asked just before (`()`: nothing to seat)."""
        if tables:
            self.occupancy.add(tables, request.start, request.end, request.booking_id)


class DayReference:
    """A day's reference layout and the plan it gave each request, kept between decisions.

    `sync` takes the day's requests in arrival order as they stand now: when the ones it has already
    seen are still their first part, unchanged, it feeds only the new ones; when any changed (a
    cancellation, a modification, a new floor), it starts over. Either way the plans are those a
    replay of the whole list from scratch gives.
    """

    __slots__ = ("floor", "layout", "fed", "plans")

    def __init__(self, floor: Floor):
        self.floor = floor
        self.layout = ReferenceLayout(floor)
        self.fed: list[Request] = []
        self.plans: dict[str, tuple[str, ...]] = {}

    def sync(self, requests: Sequence[Request]) -> DayReference:
        """Bring the layout up to `requests`; returns the layout to use (self, or a fresh one)."""
        n = len(self.fed)
        if len(requests) < n or list(requests[:n]) != self.fed:
            return DayReference(self.floor).sync(requests)
        layout = self.layout
        for r in requests[n:]:
            tables = layout.plan(r)
            layout.place(r, tables)
            self.plans[r.booking_id] = tables
            self.fed.append(r)
        return self


def reference_plans(
    floor: Floor, requests: Sequence[Request], wanted: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """The reference plan of each request whose booking id is in `wanted`, replaying `requests` (the day's
    requests in arrival order, the wanted ones among them) from scratch."""
    plans = DayReference(floor).sync(requests).plans
    return {b: plans[b] for b in wanted if b in plans}
