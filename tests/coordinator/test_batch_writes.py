"""A batch's writes, made cheap: its retries by one UPDATE per (attempt, due time), its attempt rows by COPY on
PostgreSQL, and both exactly as the row-by-row writes left them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from assignments import coordinator, flags
from assignments.coordinator import Status
from assignments.models import AttemptResult, Booking, BookingAssignmentAttempt, BookingState
from assignments.services.pipeline import booking_submit_for_assignment
from assignments.services.seating import backoff_ms
from tests.factories import make_booking


def _submitted(restaurant, **kwargs) -> Booking:
    booking = make_booking(restaurant, **kwargs)
    booking_submit_for_assignment(booking=booking)
    return booking


@pytest.mark.django_db
def test_a_batch_writes_each_retry_its_own_attempt_and_due_time_and_every_attempt_row(restaurant, settings):
    settings.MAITRE = {**settings.MAITRE, "RETRY_BASE_DELAY_MS": 60_000, "RETRY_MAX_DELAY_MS": 600_000}
    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
    seven = _submitted(restaurant, party_size=7)
    assert coordinator.process_booking(booking_id=seven.pk).status == Status.CONFIRMED  # M2+M3
    fresh = _submitted(restaurant, party_size=7)
    again = _submitted(restaurant, party_size=7)
    Booking.objects.filter(pk=again.pk).update(assignment_attempts=2)
    before = timezone.now()

    outcomes = coordinator.assign_due(restaurant_id=restaurant.pk, service_date=fresh.service_date)

    assert sorted((o.booking_id, o.status, o.delay_ms) for o in outcomes) == [
        (fresh.pk, Status.RETRY_SCHEDULED, backoff_ms(1)),
        (again.pk, Status.RETRY_SCHEDULED, backoff_ms(3)),
    ]
    for booking, attempts, delay in ((fresh, 1, backoff_ms(1)), (again, 3, backoff_ms(3))):
        row = Booking.objects.get(pk=booking.pk)
        assert row.state == BookingState.ASSIGNMENT_PENDING and row.assignment_attempts == attempts
        waited = (row.due_at - before).total_seconds() * 1000
        assert delay <= waited < delay + 5_000
        rows = BookingAssignmentAttempt.objects.filter(booking=booking)
        assert rows and {r.attempt_no for r in rows} == {attempts}
        assert all(r.result == AttemptResult.NO_PLAN and r.reason and r.created_at >= before for r in rows)
    written = BookingAssignmentAttempt.objects.filter(booking=seven, result=AttemptResult.SUCCESS)
    assert written and all(w.metadata["tables"] == ["M2", "M3"] for w in written)
    assert all(isinstance(w.metadata["score"], float) for w in written)
