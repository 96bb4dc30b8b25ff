"""The heal of a `tables.freed` event reads who the freed time can serve from the event: an event written before
events named their windows (no `windows`, no `whole_day`) serves its own service day as it always did, and freed
windows never reach a booking of another restaurant, however well its time overlaps."""

from __future__ import annotations

import pytest

from assignments import lifecycle
from assignments.models import BookingState, OutboxEvent
from assignments.services.heal import floor_heal_for_event
from tests.factories import FloorFactory
from tests.heal.helpers import (
    _due_at_once,  # noqa: F401  (autouse: heals due at once)
    seated,
    waiting_in_review,
)

pytestmark = pytest.mark.django_db


def freed_event(booking) -> OutboxEvent:
    lifecycle.booking_cancel(booking=booking, reason="guest called")
    return OutboxEvent.objects.filter(event_type="tables.freed").latest("id")


def test_an_event_written_before_events_named_windows_heals_its_whole_day(restaurant):
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="21:00")  # not in the freed window, same day
    event = freed_event(five)
    old = {k: v for k, v in event.payload.items() if k not in ("windows", "whole_day")}
    OutboxEvent.objects.filter(pk=event.pk).update(payload=old)

    floor_heal_for_event(event_id=event.pk)

    six.refresh_from_db()
    assert six.state == BookingState.ASSIGNMENT_PENDING


def test_freed_windows_do_not_reach_a_booking_of_another_restaurant(restaurant):
    other = FloorFactory.small()
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(other, ["T1"], party_size=5, start="19:00")
    seated(other, ["M2", "M3"], party_size=8, start="19:00")
    theirs = waiting_in_review(other, party_size=6, start="19:00")  # the very same window, elsewhere
    event = freed_event(five)
    assert event.payload["windows"]

    floor_heal_for_event(event_id=event.pk)

    theirs.refresh_from_db()
    assert theirs.state == BookingState.MANUAL_REVIEW
