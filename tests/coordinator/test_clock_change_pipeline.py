"""The pipeline on the nights the clocks change: a bar open 22:00-03:00 fills across the change, and every booking
ends confirmed or in review after a bounded number of tries (the API audit saw one spin on "tables taken meanwhile
by another writer" 3,750 times). Tables are never shared in real time (the exclusion constraint), and a conflict
that keeps coming back is retried with a backoff, then sent to review, never spun."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from assignments import coordinator
from assignments.models import Booking, BookingState, TableAllocation
from assignments.services.booking_requests import booking_request_create
from assignments.services.seating import conflict_delay
from tests.api.test_clock_change_nights import _next
from tests.factories import at

pytestmark = pytest.mark.django_db
S = BookingState


@pytest.mark.parametrize("month", [3, 10])
def test_a_late_bar_fills_across_the_change_and_every_booking_ends(restaurant, month):
    restaurant.service_periods = [{"name": "late", "start": "22:00", "end": "03:00"}]
    restaurant.booking_horizon_days = 400
    restaurant.save()
    night = _next(month)
    tz = restaurant.tzinfo
    first = datetime(night.year, night.month, night.day, tzinfo=tz) - timedelta(hours=1)  # 23:00 local
    starts = [
        first.astimezone(UTC) + timedelta(minutes=15 * i) for i in range(20)
    ]  # each quarter, in real time
    bookings = [
        booking_request_create(restaurant=restaurant, party_size=2, start_at=s, duration_minutes=90).booking
        for s in starts
        if s.astimezone(tz).hour >= 22 or s.astimezone(tz).hour < 3  # to the last seating, 02:45 local
    ]
    assert len(bookings) >= 12
    for _ in range(4 * restaurant.max_assignment_attempts):
        pending = Booking.objects.filter(state=S.ASSIGNMENT_PENDING)
        if not pending.exists():
            break
        pending.update(due_at=timezone.now())
        coordinator.process_booking(booking_id=pending.first().pk)
    states = dict(Booking.objects.filter(pk__in=[b.pk for b in bookings]).values_list("pk", "state"))
    assert set(states.values()) <= {S.CONFIRMED, S.MANUAL_REVIEW}, states
    assert sum(1 for s in states.values() if s == S.CONFIRMED) >= 4  # every table took at least one
    worst = max(Booking.objects.values_list("assignment_attempts", flat=True))
    assert worst <= 2 * restaurant.max_assignment_attempts + 1
    for b in Booking.objects.filter(state=S.CONFIRMED):
        (a,) = TableAllocation.objects.filter(booking=b)
        assert a.end_at - a.start_at == timedelta(minutes=90 + restaurant.buffer_minutes)  # elapsed time


def test_a_conflict_is_retried_at_once_twice_then_with_a_backoff():
    assert conflict_delay(1) == conflict_delay(2) == timedelta(0)
    assert timedelta(0) < conflict_delay(3) < conflict_delay(5) <= conflict_delay(40)


def test_a_booking_past_its_conflict_allowance_goes_to_review_saying_why(restaurant):
    booking = booking_request_create(restaurant=restaurant, party_size=2, start_at=at("19:00")).booking
    Booking.objects.filter(pk=booking.pk).update(
        assignment_attempts=coordinator.CONFLICT_CAP * restaurant.max_assignment_attempts,
        due_at=timezone.now(),
    )
    outcome = coordinator.process_booking(booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.state == S.MANUAL_REVIEW and outcome.status == coordinator.Status.MANUAL_REVIEW
    assert "taken by another writer at each of its last tries" in outcome.reason
