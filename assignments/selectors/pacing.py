"""The pacing ledger of a restaurant day, built from what is seated in it (the bookings holding tables)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from assignments.engine.pacing import PacingLedger
from assignments.models import Booking, Restaurant
from assignments.selectors.schedule import pacing_ledger, restaurant_day_schedule


def day_pacing_ledger(
    *, restaurant: Restaurant, day: date, alloc_rows: Iterable[dict]
) -> PacingLedger | None:
    """None when the day's schedule sets no pacing (no query); else one query: the covers and starts of the
    bookings holding tables in `alloc_rows` (the rows occupancy_for_day read)."""
    schedule = restaurant_day_schedule(restaurant=restaurant, day=day)
    if not schedule.paces:
        return None
    ids = {r["booking_id"] for r in alloc_rows if r.get("booking_id")}
    seated = (
        list(Booking.objects.filter(pk__in=ids).values_list("pk", "start_at", "party_size")) if ids else []
    )
    return pacing_ledger(restaurant=restaurant, day=day, seated=seated)


def booking_pacing_note(*, ctx) -> str | None:
    """Why the day's pacing holds this booking back (its own seat not counted), or None: what a host reads
    before overriding it by hand. `ctx` is the booking's AssignmentContext (its occupancy names the seated)."""
    rows = [{"booking_id": int(ref[1:])} for ref in ctx.occupancy.refs() if ref.startswith("b")]
    ledger = day_pacing_ledger(restaurant=ctx.restaurant, day=ctx.day, alloc_rows=rows)
    if ledger is None:
        return None
    ledger.remove(f"b{ctx.booking.pk}")
    refusal = ledger.refusal(ctx.request.start, ctx.booking.party_size)
    return refusal.removeprefix("pacing: ") if refusal else None
