"""Small helpers shared by the availability tests."""

from __future__ import annotations

from django.db import transaction

from assignments import lifecycle
from assignments.models import Booking, Table
from assignments.services.allocations import allocations_create
from tests.factories import make_booking


def seat(restaurant, labels: list[str], *, party_size: int = 2, start: str = "19:00") -> Booking:
    """A confirmed booking on `labels`, committed the way the coordinator does it (allocations + confirm in
    one transaction)."""
    booking = make_booking(restaurant, party_size=party_size, start=start)
    lifecycle.booking_request_assignment(booking=booking)
    start_at, end_at = restaurant.occupied_window(booking.start_at, booking.end_at)
    with transaction.atomic():
        allocations_create(
            tables=list(Table.objects.filter(restaurant=restaurant, label__in=labels)),
            start_at=start_at,
            end_at=end_at,
            booking=booking,
        )
        lifecycle.booking_confirm(booking=booking, tables=labels, strategy="test")
    return booking


def slot(answer: dict, hhmm: str) -> dict | None:
    for s in answer["slots"]:
        if s["start_at"][11:16] == hhmm:
            return s
    return None


def plan_tables(snapshot: dict | None) -> set[str]:
    return {t for plan in (snapshot or {}).get("plans", []) for t in plan}
