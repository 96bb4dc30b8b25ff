"""The floor's self-healing is visible to staff: the review queue lists the bookings seated automatically after
tables freed up, and the booking's page and history say so."""

from __future__ import annotations

import pytest

from assignments import lifecycle
from assignments.coordinator import assign_due
from assignments.models import BookingState
from tests.factories import DAY, FloorFactory
from tests.heal.helpers import seated, waiting_in_review


@pytest.fixture(autouse=True)
def _due_at_once(settings):
    settings.MAITRE = {**settings.MAITRE, "FLOOR_HEAL_DEBOUNCE_MS": 0}


def _heal_one(restaurant, django_capture_on_commit_callbacks):
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="19:30")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_cancel(booking=five)
    assign_due(restaurant_id=restaurant.pk, service_date=DAY)
    six.refresh_from_db()
    assert six.state == BookingState.CONFIRMED
    return five, six


def test_the_queue_lists_bookings_seated_after_tables_freed_up(
    restaurant, viewer_client, django_capture_on_commit_callbacks
):
    five, six = _heal_one(restaurant, django_capture_on_commit_callbacks)
    page = viewer_client.get("/admin/assignments/reviewbooking/").content.decode()
    assert "1 seated automatically after tables freed up" in page
    assert f"#{six.pk}</a> · 6p 19:30 at T1 — seated automatically after tables freed up at " in page
    assert f"(cancellation of #{five.pk})" in page


def test_the_queue_shows_only_the_restaurants_the_user_may_see(
    restaurant, viewer_client, django_capture_on_commit_callbacks
):
    other = FloorFactory.small()
    _heal_one(other, django_capture_on_commit_callbacks)
    page = viewer_client.get("/admin/assignments/reviewbooking/").content.decode()
    assert "seated automatically" not in page


def test_the_booking_page_says_it_was_seated_automatically(
    restaurant, viewer_client, django_capture_on_commit_callbacks
):
    five, six = _heal_one(restaurant, django_capture_on_commit_callbacks)
    page = viewer_client.get(f"/admin/assignments/booking/{six.pk}/change/").content.decode()
    assert 'id="maitre-healed">Seated automatically after tables freed up at ' in page
    assert (
        '<strong class="maitre-healed">seated automatically after tables freed up at ' in page
    )  # the history row
    assert "floor healed: tables freed up at " in page and f"cancellation of #{five.pk}" in page


def test_a_booking_seated_by_hand_has_no_healed_note(restaurant, viewer_client):
    booking = seated(restaurant, ["T1"], party_size=5)
    page = viewer_client.get(f"/admin/assignments/booking/{booking.pk}/change/").content.decode()
    assert 'id="maitre-healed"' not in page


def test_the_queue_has_no_healed_panel_when_nothing_healed(restaurant, viewer_client):
    waiting_in_review(restaurant, party_size=6)
    page = viewer_client.get("/admin/assignments/reviewbooking/").content.decode()
    assert "maitre-healed-recent" not in page
