"""Floors and bookings for the floor-heal tests: confirmed bookings at given tables, bookings waiting in review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from assignments import lifecycle
from assignments.models import Booking, BookingStateHistory, Restaurant, TableAllocation
from assignments.services.seating import booking_send_to_review
from tests.factories import RestaurantFactory, TableFactory, ZoneFactory, make_booking


@pytest.fixture(autouse=True)
def _due_at_once(settings):
    """Heals make their bookings due at once (no debounce); autouse in the modules that import it."""
    settings.MAITRE = {**settings.MAITRE, "FLOOR_HEAL_DEBOUNCE_MS": 0}


def seated(
    restaurant: Restaurant, tables: list[str], *, party_size: int = 2, start: str = "19:00"
) -> Booking:
    """Confirmed at exactly `tables`, in one transaction (as the pipeline leaves it)."""
    booking = make_booking(restaurant, party_size=party_size, start=start)
    with transaction.atomic():
        lifecycle.booking_request_assignment(booking=booking)
        by_label = {t.label: t for t in restaurant.tables.all()}
        from assignments.services.allocations import allocations_create

        allocations_create(
            tables=[by_label[t] for t in tables],
            start_at=booking.start_at,
            end_at=booking.end_at + timedelta(minutes=restaurant.buffer_minutes),
            booking=booking,
        )
        lifecycle.booking_confirm(booking=booking, tables=tables, strategy="test")
    return Booking.objects.get(pk=booking.pk)


def waiting_in_review(restaurant: Restaurant, *, party_size: int, start: str = "19:30") -> Booking:
    """In manual review after its attempts, in one transaction (a worker never sees it due)."""
    booking = make_booking(restaurant, party_size=party_size, start=start)
    with transaction.atomic():
        lifecycle.booking_request_assignment(booking=booking)
        booking_send_to_review(booking=booking, reason="no free plan after 5 attempt(s)", attempt_no=5)
    return Booking.objects.get(pk=booking.pk)


def tables_of(booking: Booking) -> list[str]:
    return sorted(TableAllocation.objects.filter(booking=booking).values_list("table__label", flat=True))


def transitions(booking: Booking) -> list[tuple[str, str]]:
    return list(
        BookingStateHistory.objects.filter(booking=booking)
        .order_by("version")
        .values_list("transition", "to_state")
    )


def wide_floor(two_tops: int = 20) -> Restaurant:
    """`two_tops` lone 2-tops S01.. and one 8-top B1: freeing 2-tops never seats a party of 8."""
    r = RestaurantFactory()
    zone = ZoneFactory(restaurant=r, key="room", name="Room")
    for n in range(1, two_tops + 1):
        TableFactory(zone=zone, label=f"S{n:02d}", max_covers=2)
    TableFactory(zone=zone, label="B1", min_covers=5, max_covers=8)
    return r
