"""The night the clocks go back (Europe/London, the last Sunday of October: 02:00 BST is 01:00 GMT again). A
service's hours are wall-clock times, and the service day a moment belongs to is read on the wall clock; so is a
booking's minute of that day when it is checked against the hours: a 01:15 booking in Saturday's late service
18:00-01:30 is inside it, whichever 01:15 it is, and a 22:45 dinner on that Sunday is inside 17:00-23:30."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from assignments.coordinator import assign_due
from assignments.models import Booking, BookingState, Restaurant
from assignments.scenario_schedule import parse_schedule
from assignments.selectors.outside_service import days_with_confirmed_bookings_outside_service
from assignments.services.schedule import schedule_replace
from tests.heal.helpers import tables_of
from tests.schedule.test_closed_after_booking import waiting

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
SAT, SUN = date(2026, 10, 24), date(2026, 10, 25)  # the clocks go back on Sunday at 02:00 BST
LATE_SATURDAY = parse_schedule(
    {"weekly": {"saturday": [{"name": "late dinner", "start": "18:00", "end": "01:30"}]}}
)


def london(day: date, hh: int, mm: int, *, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, fold=fold, tzinfo=LONDON)


def fresh(restaurant) -> Restaurant:
    return Restaurant.objects.get(pk=restaurant.pk)


def test_a_0115_booking_after_the_clocks_went_back_is_in_saturdays_late_service_and_seated(restaurant):
    late = waiting(restaurant, start="19:00")
    Booking.objects.filter(pk=late.pk).update(
        start_at=london(SUN, 1, 15, fold=1), end_at=london(SUN, 2, 15, fold=1)
    )  # 01:15 GMT, the second 01:15 of the night
    schedule_replace(restaurant=fresh(restaurant), spec=LATE_SATURDAY)  # puts it on Saturday
    late.refresh_from_db()
    assert late.service_date == SAT

    assign_due(restaurant_id=restaurant.pk, service_date=SAT)
    late.refresh_from_db()
    reason = late.history.order_by("version").last().metadata.get("reason", "")
    assert late.state == BookingState.CONFIRMED and tables_of(late), reason
    assert days_with_confirmed_bookings_outside_service(restaurants=[fresh(restaurant)], dates=[SAT]) == []


def test_a_2245_dinner_on_the_sunday_the_clocks_went_back_is_inside_the_hours_and_seated(restaurant):
    booking = waiting(restaurant, start="19:00")
    Booking.objects.filter(pk=booking.pk).update(
        start_at=london(SUN, 22, 45), end_at=london(SUN, 23, 45), service_date=SUN
    )
    assign_due(restaurant_id=restaurant.pk, service_date=SUN)
    booking.refresh_from_db()
    reason = booking.history.order_by("version").last().metadata.get("reason", "")
    assert booking.state == BookingState.CONFIRMED and tables_of(booking), reason


def test_every_slot_availability_offers_on_the_sunday_the_clocks_went_back_is_one_a_booking_may_start_at(
    restaurant,
):
    from availability.selectors import availability_for_day

    slots = availability_for_day(restaurant=fresh(restaurant), day=SUN, party_size=2)["slots"]
    starts = [datetime.fromisoformat(s["start_at"]) for s in slots]
    assert starts and starts[-1].astimezone(LONDON).strftime("%H:%M") >= "22:00"
    refused = {s.isoformat(): fresh(restaurant).start_refusal(s) for s in starts}
    assert {k: v for k, v in refused.items() if v} == {}
