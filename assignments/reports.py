"""Read-side queries shared by commands, the API and reports."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db.models import Count, Sum

from assignments.models import Booking, BookingState, BookingStateHistory, Restaurant
from assignments.stats import percentile


def pipeline_summary(*, restaurant: Restaurant) -> dict:
    """Bookings by state, covers requested and seated, wins per strategy, and booking-to-confirmed latency
    (from the last request for assignment to the confirm, per the history)."""
    bookings = Booking.objects.filter(restaurant=restaurant)
    by_state = dict(bookings.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    covers = bookings.aggregate(total=Sum("party_size"))["total"] or 0
    seated = bookings.filter(state=BookingState.CONFIRMED).aggregate(total=Sum("party_size"))["total"] or 0
    wins = Counter(
        bookings.filter(state=BookingState.CONFIRMED).values_list("assignment_strategy", flat=True)
    )
    requested: dict[int, datetime] = {}
    latencies_ms: list[float] = []
    rows = (
        BookingStateHistory.objects.filter(
            booking__restaurant=restaurant,
            to_state__in=[BookingState.ASSIGNMENT_PENDING, BookingState.CONFIRMED],
        )
        .order_by("booking_id", "version")
        .values_list("booking_id", "to_state", "created_at")
    )
    for booking_id, to_state, created_at in rows:
        if to_state == BookingState.ASSIGNMENT_PENDING:
            requested[booking_id] = created_at
        elif booking_id in requested:
            latencies_ms.append((created_at - requested.pop(booking_id)).total_seconds() * 1000)
    return {
        "bookings": bookings.count(),
        "by_state": {s: by_state.get(s, 0) for s in BookingState.values},
        "covers_requested": covers,
        "covers_seated": seated,
        "seated_ratio": round(seated / covers, 4) if covers else 0.0,
        "wins_per_strategy": dict(sorted(wins.items(), key=lambda kv: (-kv[1], kv[0]))),
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p99_ms": round(percentile(latencies_ms, 99), 2),
    }
