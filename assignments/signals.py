"""Signals a lower layer sends so that a higher one can react without being imported by it.

`tables_freed`: some of a restaurant day's table time became free (a cancellation, a booking completed
early or marked no-show, a table block removed, a booking moved). Sent on commit of the write that freed it.
Keyword arguments: ``restaurant_id`` (int), ``service_date`` (datetime.date, the restaurant's local
day), ``reason`` (str, one of "cancelled", "completed", "no_show", "block_removed", "moved"; also
"released", "table_in_service", "optimized"); optional: ``cause`` (str, for people: "cancellation of
#123") and ``booking_ids`` (the bookings whose tables they were). `assignments.services.freed` sends it once
per restaurant day per transaction; `assignments.services.heal` receives it.
"""

from __future__ import annotations

from django.dispatch import Signal

tables_freed = Signal()
