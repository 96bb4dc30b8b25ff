"""A modification over the API that sends a confirmed booking to review gives its tables back (they used to leak)."""

from __future__ import annotations

import pytest

from assignments import coordinator
from assignments.models import Booking, BookingState, TableAllocation
from tests.factories import at

pytestmark = pytest.mark.django_db


def test_a_modification_that_goes_to_review_releases_its_tables(api_a, restaurant):
    created = api_a.post(
        "/api/bookings",
        {"restaurant": restaurant.slug, "party_size": 2, "start_at": at("19:00").isoformat()},
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    coordinator.process_booking(booking_id=pk)
    assert Booking.objects.get(pk=pk).state == BookingState.CONFIRMED
    assert TableAllocation.objects.filter(booking_id=pk).exists()

    r = api_a.patch(f"/api/bookings/{pk}", {"party_size": 100}, format="json")
    assert r.status_code == 202
    coordinator.process_booking(booking_id=pk)
    booking = Booking.objects.get(pk=pk)
    assert booking.state == BookingState.MANUAL_REVIEW
    assert not TableAllocation.objects.filter(booking_id=pk).exists()
    assert api_a.get(f"/api/bookings/{pk}").json()["tables"] == []


def test_a_change_racing_a_cancel_never_writes_to_the_cancelled_booking(api_a, restaurant):
    """The API audit: a PATCH that read the booking before a cancel committed answered 202 with state cancelled and
    wrote the new party size (and a booking.modified event after booking.cancelled). The state is now checked on
    the locked row."""
    from assignments import lifecycle
    from assignments.models import BookingStateHistory, OutboxEvent
    from assignments.services.booking_requests import booking_request_modify
    from assignments.services.errors import BookingStateRefused
    from tests.admin.conftest import confirmed_at

    booking = confirmed_at(restaurant, ["M1"], start="19:00")
    stale = Booking.objects.get(pk=booking.pk)  # what the PATCH read: confirmed
    lifecycle.booking_cancel(booking=Booking.objects.get(pk=booking.pk), reason="guest called")
    history = BookingStateHistory.objects.filter(booking=booking).count()
    events = OutboxEvent.objects.count()

    with pytest.raises(BookingStateRefused, match="cancelled booking cannot be modified"):
        booking_request_modify(booking=stale, party_size=6)

    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.party_size) == (BookingState.CANCELLED, booking.party_size)
    assert BookingStateHistory.objects.filter(booking=booking).count() == history
    assert OutboxEvent.objects.count() == events
    r = api_a.patch(f"/api/bookings/{booking.pk}", {"party_size": 6}, format="json")
    assert r.status_code == 400 and r.json()["error"] == "invalid_state"
    assert Booking.objects.get(pk=booking.pk).party_size == booking.party_size
