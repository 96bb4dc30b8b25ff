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
