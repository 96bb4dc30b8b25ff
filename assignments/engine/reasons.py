"""Why the engine found no plan for a booking, in one line a host understands.

Pure: the floor, the request and the occupancy at that moment in, a sentence out. The pipeline stores it
with the attempt that sends a booking to review; the review queue computes it live for a waiting booking.
"""

from __future__ import annotations

from .floor import Candidate, Floor
from .occupancy import Occupancy
from .types import Request


def hhmm(minute: int) -> str:
    """Minutes from local midnight as HH:MM (past midnight wraps)."""
    return f"{(minute // 60) % 24:02d}:{minute % 60:02d}"


def _tables(c: Candidate) -> str:
    return "+".join(c.tables)


def _free(occupancy: Occupancy, c: Candidate, start: int, end: int) -> bool:
    return all(occupancy.is_free(t, start, end) for t in c.tables)


def _count_words(n: int) -> str:
    return {1: "the only", 2: "both"}.get(n, f"all {n}")


def _sizes(values: set[int]) -> str:
    tops = [f"{v}-top" for v in sorted(values)]
    return tops[0] if len(tops) == 1 else ", ".join(tops[:-1]) + " and " + tops[-1]


def _largest(shapes: list[Candidate]) -> Candidate:
    """The shape that seats the most; among equals the fewest tables, then the first by name."""
    return min(shapes, key=lambda c: (-c.max_covers, c.size, c.tables))


def explain_no_plan(floor: Floor, request: Request, occupancy: Occupancy) -> str:
    """The specific reason no table or combination seats `request` over its window (buffer included).

    Checked in the order a host would ask: can the floor seat this party at all, can it seat it with step-free
    access, and if so, what is taken over the window. When a plan is in fact free (the floor changed since the
    booking was tried), says so and names the best-sized one.
    """
    party, start, end = request.party_size, request.start, request.end
    window = f"{hhmm(start)}-{hhmm(end)}"
    shapes = floor.candidates
    if not shapes:
        return "the floor has no active tables"

    fitting_any = [c for c in shapes if c.fits(party, False)]
    if not fitting_any:
        largest = _largest(list(shapes))
        smallest_min = min((c.min_covers for c in shapes if c.size == 1), default=1)
        if party < smallest_min:
            return f"party of {party}: every table here takes at least {smallest_min}"
        return (
            f"party of {party}: the largest table or combination here seats {largest.max_covers} "
            f"({_tables(largest)})"
        )

    fitting = [c for c in fitting_any if c.fits(party, request.accessible)]
    if request.accessible and not fitting:
        access = [c for c in shapes if c.accessible]
        if not access:
            return "needs step-free access: no table here is accessible"
        best = _largest(access)
        return f"needs step-free access: the largest accessible table or combination seats {best.max_covers} ({_tables(best)})"

    free = [c for c in fitting if _free(occupancy, c, start, end)]
    if free:
        best = min(free, key=lambda c: (c.max_covers - party, c.size, c.tables))
        return f"a plan is free now: {_tables(best)} seats {best.max_covers} over {window}"

    if request.accessible:
        acc_tables = sorted({t for c in fitting for t in c.tables})
        if len(acc_tables) <= 3:
            listed = ", ".join(acc_tables)
            noun = "table" if len(acc_tables) == 1 else "tables"
            return f"needs step-free access: {_count_words(len(acc_tables))} accessible {noun} ({listed}) taken {window}"
        return f"needs step-free access: every accessible table that seats {party} is taken {window}"

    singles = [c for c in fitting if c.size == 1]
    free_any = [c for c in shapes if _free(occupancy, c, start, end)]
    if not free_any:
        return f"every table is taken {window}"
    if singles:
        taken = f"every {_sizes({c.max_covers for c in singles})} is taken {window}"
        if any(c.size > 1 for c in fitting):
            taken += f" and no free combination seats {party}"
        other = [c for c in free_any if c.size == 1]
        if other:  # free, but not for this party: what a host may override onto
            listed = ", ".join(f"{c.tables[0]} takes {c.min_covers}-{c.max_covers}" for c in other[:3])
            taken += f" (free: {listed}{', ...' if len(other) > 3 else ''})"
        return taken
    combos_free = [c for c in free_any if c.size > 1] or free_any
    best = _largest(combos_free)
    kind = "combination" if best.size > 1 else "table"
    return f"party of {party}: the largest free {kind} at {hhmm(start)} seats {best.max_covers} ({_tables(best)})"
