"""The console's buttons follow the state machine; a guest's contact is changed through its one service; a block's
window from wall-clock times."""

from __future__ import annotations

from datetime import time

import pytest
from django_fsm import can_proceed

from assignments.models import Booking, BookingState, BookingStateHistory, OutboxEvent
from assignments.selectors.review import booking_actions
from assignments.services.blocks import block_window
from assignments.services.bookings import booking_update_contact
from tests.factories import DAY, at, make_booking

# What each state offered before the console asked django-fsm: the answer must not change.
OFFERED = {
    BookingState.PENDING: {"retry", "cancel"},
    BookingState.ASSIGNMENT_PENDING: {"assign", "retry", "cancel"},
    BookingState.MANUAL_REVIEW: {"assign", "retry", "cancel"},
    BookingState.CONFIRMED: {"cancel"},
    BookingState.CANCELLED: set(),
    BookingState.SEATED: set(),  # a party at the table is completed, never cancelled
    BookingState.COMPLETED: set(),
    BookingState.NO_SHOW: set(),
}
# The host's actions, by state (no-show only once the booking has started).
SERVED = {BookingState.CONFIRMED: {"seat", "no_show"}, BookingState.SEATED: {"complete"}}


@pytest.mark.parametrize("state", list(BookingState))
def test_the_console_offers_what_the_state_machine_allows(state):
    booking = Booking(state=state)
    actions = booking_actions(booking=booking)
    offered = {name for name in ("assign", "retry", "cancel") if getattr(actions, name)}
    assert offered == OFFERED[state]
    assert actions.assign == can_proceed(booking.confirm)
    assert actions.cancel == can_proceed(booking.cancel)
    started = Booking(state=state, start_at=at("19:00"))
    served = booking_actions(booking=started, now=at("19:20"))
    assert {n for n in ("seat", "complete", "no_show") if getattr(served, n)} == SERVED.get(state, set())
    assert not booking_actions(booking=started, now=at("18:59")).no_show


@pytest.mark.django_db
def test_a_contact_change_writes_only_those_fields_and_no_history(restaurant):
    booking = make_booking(restaurant)
    Booking.objects.filter(pk=booking.pk).update(state=BookingState.CONFIRMED, version=5)  # moved meanwhile
    history, events = BookingStateHistory.objects.count(), OutboxEvent.objects.count()
    booking_update_contact(booking=booking, guest_email="ada@example.com", notes="window seat")
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.guest_email, fresh.notes) == ("ada@example.com", "window seat")
    assert (fresh.state, fresh.version) == (BookingState.CONFIRMED, 5)  # the stale copy wrote no state back
    assert (BookingStateHistory.objects.count(), OutboxEvent.objects.count()) == (history, events)
    with pytest.raises(ValueError):
        booking_update_contact(booking=booking, party_size=9)


@pytest.mark.django_db
def test_a_block_ending_at_or_before_its_start_runs_past_midnight(restaurant):
    start, end = block_window(restaurant=restaurant, day=DAY, start=time(22), end=time(2))
    assert (end - start).total_seconds() == 4 * 3600
    assert start.tzinfo is not None and start.astimezone(restaurant.tzinfo).hour == 22
    start, end = block_window(restaurant=restaurant, day=DAY, start=time(18), end=time(23))
    assert (end - start).total_seconds() == 5 * 3600
