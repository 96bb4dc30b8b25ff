"""The service lifecycle over the API: a seated party is not cancelled or modified, its representation shows
when it came, and the time a completion frees is bookable at once."""

from __future__ import annotations

import pytest

from assignments import coordinator, lifecycle
from assignments.models import Booking, BookingState
from assignments.services.blocks import table_block_create
from tests.assignments.test_service_lifecycle import seated_booking
from tests.factories import at

pytestmark = pytest.mark.django_db
S = BookingState


def test_a_seated_party_cannot_be_cancelled_nor_modified_over_the_api(restaurant, api_a):
    booking = seated_booking(restaurant)
    r = api_a.post(f"/api/bookings/{booking.pk}/cancel", {}, format="json")
    assert r.status_code == 400 and r.json()["error"] == "invalid_state"
    r = api_a.patch(f"/api/bookings/{booking.pk}", {"party_size": 3}, format="json")
    assert r.status_code == 400 and r.json()["error"] == "invalid_state"
    body = api_a.get(f"/api/bookings/{booking.pk}").json()
    assert (body["state"], body["status"], body["arrived_at"] is not None, body["arrived_late"]) == (
        "seated",
        "seated",
        True,
        False,
    )


def _block_all_but_m1(restaurant):
    table_block_create(
        restaurant=restaurant,
        table_labels=["M2", "M3", "T1"],
        start_at=at("17:00"),
        end_at=at("23:59"),
        reason="private party",
    )


def test_the_time_a_completion_frees_is_bookable_at_once_through_the_api(restaurant, api_a, settings):
    # a retry is not due again within the same pass (the test settings' 10 ms backoff ran out on a busy machine,
    # and five attempts within one process_booking sent the booking to review)
    settings.MAITRE = {**settings.MAITRE, "RETRY_BASE_DELAY_MS": 60_000, "RETRY_MAX_DELAY_MS": 60_000}
    _block_all_but_m1(restaurant)
    booking = seated_booking(restaurant)  # M1 19:00-20:30 (+10 buffer)

    def book_at_2000():
        r = api_a.post(
            "/api/bookings",
            {"restaurant": restaurant.slug, "party_size": 2, "start_at": at("20:00").isoformat()},
            format="json",
        )
        assert r.status_code == 201
        coordinator.process_booking(booking_id=r.json()["id"])
        return Booking.objects.get(pk=r.json()["id"])

    before = book_at_2000()
    assert before.state == S.ASSIGNMENT_PENDING  # no table: a retry later
    assert api_a.post(f"/api/bookings/{before.pk}/cancel", {}, format="json").status_code == 200

    lifecycle.booking_complete(booking=booking, now=at("19:40"))  # M1 free from 19:50

    after = book_at_2000()
    assert after.state == S.CONFIRMED
    assert api_a.get(f"/api/bookings/{after.pk}").json()["tables"] == ["M1"]
