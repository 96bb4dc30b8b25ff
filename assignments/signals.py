"""Signals a lower layer sends so that a higher one can react without being imported by it.

`tables_freed`: some of a restaurant day's table time became free (a cancellation, a booking completed
early or marked no-show, a table block removed, a booking moved). Sent on commit of the write that freed it.
Keyword arguments: ``restaurant_id`` (int), ``service_date`` (datetime.date, the restaurant's local
day), ``reason`` (str, one of "cancelled", "completed", "no_show", "block_removed", "moved"; also
"released", "table_in_service", "optimized"); optional: ``cause`` (str, for people: "cancellation of
#123"), ``booking_ids`` (the bookings whose tables they were), ``event_id`` (the `tables.freed` outbox
event written in the freeing transaction: the heal it calls for is run once, here or relayed) and ``windows``
(the freed spans of table time, (start, end) each; None: anywhere in the day).
`assignments.services.freed` sends it once per restaurant day per transaction; `assignments.services.heal`
receives it.

`allocations_changed`: a restaurant's allocations or holds changed over [start_at, end_at) (taken, released,
moved, swept). Sent on commit of the write; availability subscribes to refresh its snapshots and tell its
subscribers. Keyword arguments: ``restaurant_id`` (int), ``start_at``, ``end_at`` (aware datetimes).
A receiver runs after the writer's commit, so it must not raise.

`restaurant_timezone_changed`: the restaurant's time zone changed (services.schedule.restaurant_timezone_change),
sent on its commit; availability forgets the zone it remembered. Keyword argument: ``restaurant_id`` (int). Must
not raise.

`restaurant_hours_changed`: the restaurant's hours changed (services.schedule.schedule_change_follow), sent on its
commit; availability bumps the versions of those days and tells its subscribers. Keyword arguments:
``restaurant_id`` (int), ``days`` (the service days whose hours changed or whose bookings moved, sorted). Must not
raise.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.dispatch import Signal

tables_freed = Signal()
allocations_changed = Signal()
restaurant_timezone_changed = Signal()
restaurant_hours_changed = Signal()


def allocations_changed_on_commit(*, restaurant_id: int, start_at: datetime, end_at: datetime) -> None:
    """Send `allocations_changed` once the current transaction commits (at once outside one)."""
    transaction.on_commit(
        lambda: allocations_changed.send(
            sender=None, restaurant_id=restaurant_id, start_at=start_at, end_at=end_at
        )
    )
