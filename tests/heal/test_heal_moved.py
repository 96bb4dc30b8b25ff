"""A `tables.freed` event waits (its heal not run yet) while a waiting booking moves: the heal offers the freed
time to the bookings it can serve when the heal runs, by the freed window and the service day that window belongs
to then, not by the day the event was written for.

- An hours change (or a zone change) after the freeing puts the freed window and the bookings around it on
  another service day: the booking in review that overlaps the freed tables is still offered them, and woken on
  its day now.
- A booking that moved away from the freed window (to another day) is not offered them.
- A guest who moves a booking into the freed window over the API needs no heal: the change re-plans it at once,
  on its new day, where the freed tables are free.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assignments import lifecycle
from assignments.coordinator import assign_due
from assignments.models import Booking, BookingState, OutboxEvent, Restaurant
from assignments.scenario_schedule import parse_schedule
from assignments.services.heal import floor_heal_for_event
from assignments.services.schedule import restaurant_timezone_change, schedule_replace
from tests.factories import DAY, at, grant
from tests.heal.helpers import (
    _due_at_once,  # noqa: F401  (autouse: heals due at once)
    seated,
    tables_of,
    transitions,
    waiting_in_review,
)

pytestmark = pytest.mark.django_db
SAT = DAY
FRI = DAY - timedelta(days=1)
LATE_FRIDAY = {"weekly": {"friday": [{"name": "late", "start": "18:00", "end": "01:30"}]}}


def freed_event(booking) -> OutboxEvent:
    """The `tables.freed` event its cancellation wrote (its heal not run: this test's transaction never commits)."""
    lifecycle.booking_cancel(booking=booking, reason="guest called")
    return OutboxEvent.objects.filter(event_type="tables.freed").latest("id")


def offered(booking) -> bool:
    return ("request_assignment", "assignment_pending") in transitions(booking)[2:]


@pytest.fixture
def late_floor(restaurant):
    """Saturday 00:45: a party of 5 at T1, 8 at M2+M3, 2 at M1; a party of 6 waits in review at 00:45 too. The
    restaurant's dinner ends at 23:30, so all of it is on Saturday's service day."""
    five = seated(restaurant, ["T1"], party_size=5, start="00:45")
    seated(restaurant, ["M2", "M3"], party_size=8, start="00:45")
    seated(restaurant, ["M1"], party_size=2, start="00:45")
    six = waiting_in_review(restaurant, party_size=6, start="00:45")
    assert {b.service_date for b in Booking.objects.all()} == {SAT}
    return five, six


def test_freed_tables_reach_the_booking_an_hours_change_moved_onto_another_day_before_the_heal(
    restaurant, late_floor
):
    five, six = late_floor
    event = freed_event(five)
    assert event.payload["service_date"] == SAT.isoformat()

    schedule_replace(restaurant=restaurant, spec=parse_schedule(LATE_FRIDAY))  # Friday now runs to 01:30
    six.refresh_from_db()
    assert six.service_date == FRI  # with the freed window: Friday's now

    floor_heal_for_event(event_id=event.pk)

    six.refresh_from_db()
    assert six.state == BookingState.ASSIGNMENT_PENDING and offered(six)
    assign_due(restaurant_id=restaurant.pk, service_date=FRI)  # Friday's pass seats it
    six.refresh_from_db()
    assert six.state == BookingState.CONFIRMED and tables_of(six) == ["T1"]


def test_freed_tables_reach_the_booking_a_time_zone_change_moved_onto_the_day_before(restaurant):
    """In Paris, a party of 5 at T1 and one of 8 at M2+M3 at 00:15 on Sunday morning (staff's, outside dinner), a
    party of 6 waiting in review beside them: all Sunday's. The 5 cancel; before the heal the restaurant moves to
    London, where it is 23:15 on Saturday, inside dinner: Saturday's bookings now, the freed window with them."""
    Restaurant.objects.filter(pk=restaurant.pk).update(timezone="Europe/Paris")
    restaurant.refresh_from_db()
    sunday = SAT + timedelta(days=1)
    five = seated(restaurant, ["T1"], party_size=5, start="23:15")  # 23:15 London: 00:15 in Paris
    seated(restaurant, ["M2", "M3"], party_size=8, start="23:15")
    six = waiting_in_review(restaurant, party_size=6, start="23:15")
    assert six.service_date == sunday
    event = freed_event(five)
    assert event.payload["service_date"] == sunday.isoformat()

    restaurant_timezone_change(restaurant=restaurant, timezone="Europe/London")
    six.refresh_from_db()
    assert six.service_date == SAT

    floor_heal_for_event(event_id=event.pk)
    six.refresh_from_db()
    assert six.state == BookingState.ASSIGNMENT_PENDING and offered(six)
    assign_due(restaurant_id=restaurant.pk, service_date=SAT)
    six.refresh_from_db()
    assert six.state == BookingState.CONFIRMED and tables_of(six) == ["T1"]


def test_a_booking_moved_away_from_the_freed_window_is_not_offered_it(restaurant):
    """Tables freed Saturday 19:00; the 00:45 Saturday-morning booking in review moved to Friday's late service
    before the heal: the freed 19:00 tables are no use to it, and it is not offered them."""
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(restaurant, ["M2", "M3"], party_size=8, start="00:45")
    seated(restaurant, ["T1"], party_size=5, start="00:45")
    early = waiting_in_review(restaurant, party_size=6, start="00:45")
    event = freed_event(five)
    schedule_replace(restaurant=restaurant, spec=parse_schedule(LATE_FRIDAY))
    early.refresh_from_db()
    assert early.service_date == FRI

    floor_heal_for_event(event_id=event.pk)
    early.refresh_from_db()
    assert early.state == BookingState.MANUAL_REVIEW and not offered(early)


def test_a_guest_moving_a_booking_into_the_freed_window_is_re_planned_at_once_on_its_new_day(restaurant):
    """Already so before the heal reads anything: the API's change makes the booking due now on its new day."""
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    friday = waiting_in_review(restaurant, party_size=6, start="20:00")
    Booking.objects.filter(pk=friday.pk).update(
        start_at=friday.start_at - timedelta(days=1),
        end_at=friday.end_at - timedelta(days=1),
        service_date=FRI,
    )
    event = freed_event(five)  # Saturday 19:00's T1

    user = grant(get_user_model().objects.create_user("platform-heal"), restaurant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    r = client.patch(f"/api/bookings/{friday.pk}", {"start_at": at("19:00").isoformat()}, format="json")
    assert r.status_code == 202, r.content
    friday.refresh_from_db()
    assert (friday.state, friday.service_date) == (BookingState.ASSIGNMENT_PENDING, SAT)
    assert friday.due_at is not None and friday.assignment_attempts == 0

    assign_due(restaurant_id=restaurant.pk, service_date=SAT)
    friday.refresh_from_db()
    assert friday.state == BookingState.CONFIRMED and tables_of(friday) == ["T1"]
    version = friday.version
    floor_heal_for_event(event_id=event.pk)  # the heal, late, finds nothing left to offer it
    friday.refresh_from_db()
    assert friday.version == version
