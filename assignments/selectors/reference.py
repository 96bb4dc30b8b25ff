"""The day's reference layout for the pipeline (assignments/engine/reference.py): the plan smallest-fit gives
each booking of the day, replayed in arrival order, which the engine follows when it costs next to nothing.

One query per batch: the day's bookings that were asked for (every state but cancelled), in the order the
pipeline takes them (arrival, then id). A process keeps each day's layout and extends it with the bookings
that came since; a cancellation or a modification makes it start over. The plans are those a replay of the
whole day from scratch gives, so every worker process agrees, and the benchmark replay seats the same.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date

from django.db.models import F

from assignments.caches import caches_register
from assignments.engine import Floor, Request
from assignments.engine.reference import DayReference
from assignments.models import Booking, BookingState, Restaurant

_DAYS: OrderedDict[tuple[int, date, tuple[object, ...]], DayReference] = OrderedDict()
_DAYS_SIZE = 64
_lock = threading.Lock()
caches_register(_DAYS.clear, name="assignments.selectors.reference._DAYS")


def day_reference_plans(
    *, restaurant: Restaurant, day: date, floor: Floor, booking_ids: Iterable[int]
) -> dict[int, tuple[str, ...]]:
    """The reference plan (table labels; `()` when the layout has no room) of each of `booking_ids`."""
    rows = (
        Booking.objects.filter(restaurant=restaurant, service_date=day)
        .exclude(state=BookingState.CANCELLED)
        .order_by(F("arrival").asc(nulls_last=True), "id")
        .values_list("id", "party_size", "start_at", "end_at", "preferred_zone__key", "needs_accessible")
    )
    # context.request_for's arithmetic, without building a model per booking (the day may hold hundreds)
    midnight, buffer = restaurant.local_midnight(day), restaurant.buffer_minutes
    requests = [
        Request(
            str(pk),
            party,
            int((start - midnight).total_seconds() // 60),
            int((end - midnight).total_seconds() // 60) + buffer,
            zone,
            accessible,
        )
        for pk, party, start, end, zone, accessible in rows
    ]
    key = (restaurant.pk, day, floor.fingerprint)
    with _lock:  # one batch per restaurant day holds the day's lock; this guards the dict and the layouts
        current = (_DAYS.get(key) or DayReference(floor)).sync(requests)
        _DAYS[key] = current
        _DAYS.move_to_end(key)
        while len(_DAYS) > _DAYS_SIZE:
            _DAYS.popitem(last=False)
    plans = current.plans
    return {pk: plans[str(pk)] for pk in booking_ids if str(pk) in plans}
