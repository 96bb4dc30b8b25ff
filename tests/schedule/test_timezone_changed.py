"""The restaurant's time zone changed after bookings were made: bookings keep their UTC moment, so each one's
local time moves and may fall outside its day's hours, exactly as if the hours had changed. Confirmed bookings
stay confirmed and saving the new zone warns how many, listed and linked; the ones still waiting for a table go to
review at the pipeline's next pass, with the reason naming the hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from assignments import coordinator
from assignments.models import Booking, BookingAssignmentAttempt, BookingState, Restaurant
from assignments.selectors.outside_service import days_with_confirmed_bookings_outside_service
from assignments.services.schedule import restaurant_timezone_change
from tests.assignments.test_service_lifecycle import seated_booking
from tests.factories import DAY, DAY_SHORT, LONDON, put_at
from tests.schedule.test_closed_after_booking import _form_saved, waiting

pytestmark = pytest.mark.django_db
DINNER = [{"name": "dinner", "start": "17:00", "end": "22:00"}]
LATE = "23:00 is outside the service hours (dinner 17:00-22:00)"  # 20:00 in London is 23:00 in Istanbul


@pytest.fixture
def dinner(restaurant):
    """Dinner 17:00-22:00, in London."""
    Restaurant.objects.filter(pk=restaurant.pk).update(service_periods=DINNER)
    restaurant.refresh_from_db()
    return restaurant


@pytest.fixture
def manager(client):
    user = User.objects.create_superuser("manager", "m@example.com", "pw")
    client.force_login(user)
    return user


def _warnings(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "warning"]


def _save_zone(client, restaurant, zone: str):
    data = _form_saved(client, restaurant)
    data["timezone"] = zone
    return client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data, follow=True)


def test_saving_a_new_time_zone_warns_of_the_confirmed_and_waiting_bookings_now_outside(
    client, manager, dinner
):
    seated_booking(dinner, table="M1", start="18:00", arrived=None)  # 21:00 in Istanbul: still inside
    late = seated_booking(dinner, table="M2", start="20:00", party_size=4, arrived=None)
    held = waiting(dinner, start="20:30")
    Booking.objects.filter(pk=held.pk).update(guest_name="Barbara Liskov")
    assert days_with_confirmed_bookings_outside_service(restaurants=[dinner]) == []

    r = _save_zone(client, dinner, "Europe/Istanbul")

    dinner.refresh_from_db()
    assert dinner.timezone == "Europe/Istanbul"
    zone, day = _warnings(r)
    assert zone.startswith(
        "The time zone changed from Europe/London to Europe/Istanbul: bookings keep their moment, so every"
        " booking's local time moved 3 h later (20:00 is now 23:00). From today on, 1 confirmed booking(s) now start outside their"
        " day's hours (by day below) and 1 still waiting for a table: "
    ), zone
    assert (
        f"/admin/assignments/booking/{held.pk}/change/" in zone
        and f"Barbara Liskov 2p {DAY_SHORT} 23:30" in zone
    )
    assert day.startswith(
        "The service hours: dinner 17:00-22:00: 1 confirmed booking(s), 4 covers, start outside these hours on"
        f" {DAY_SHORT}:"
    ), day
    assert f"/admin/assignments/booking/{late.pk}/change/" in day and "4p 23:00" in day
    assert set(Booking.objects.values_list("state", flat=True)) == {
        BookingState.CONFIRMED,
        BookingState.ASSIGNMENT_PENDING,
    }  # nobody cancelled or moved

    again = client.post(
        f"/admin/assignments/restaurant/{dinner.pk}/change/", _form_saved(client, dinner), follow=True
    )
    assert again.status_code == 200 and _warnings(again) == []  # unchanged: no second warning


def test_a_waiting_booking_now_outside_goes_to_review_with_the_reason(client, manager, dinner):
    held = waiting(dinner, start="20:00")
    _save_zone(client, dinner, "Europe/Istanbul")

    outcome = coordinator.process_booking(booking_id=held.pk)

    held.refresh_from_db()
    assert held.state == BookingState.MANUAL_REVIEW
    assert (
        outcome.reason == f"{LATE}; the restaurant's time zone changed from Europe/London to Europe/Istanbul"
    )
    last = held.history.order_by("version").last()
    assert (last.transition, last.metadata["reason"]) == ("send_to_review", outcome.reason)
    attempt = BookingAssignmentAttempt.objects.get(booking=held)
    assert (attempt.strategy, attempt.reason) == ("schedule", outcome.reason)


def test_a_zone_that_keeps_every_booking_inside_says_so(client, manager, dinner):
    seated_booking(dinner, table="M2", start="20:00", arrived=None)
    r = _save_zone(client, dinner, "Europe/Lisbon")  # the same offset as London in December
    assert _warnings(r) == []
    (info,) = [str(m) for m in r.context["messages"] if "time zone" in str(m)]
    assert "Every booking from today on still starts inside its day's hours" in info


def test_the_service_refuses_an_unknown_zone_and_writes_nothing(dinner):
    version = dinner.schedule_version
    with pytest.raises(ValidationError):
        restaurant_timezone_change(restaurant=dinner, timezone="Mars/Olympus_Mons")
    dinner.refresh_from_db()
    assert (dinner.timezone, dinner.schedule_version) == ("Europe/London", version)


def test_the_service_moves_the_bookings_local_time_and_bumps_the_schedule_version(dinner):
    late = seated_booking(dinner, table="M2", start="20:00", arrived=None)
    version = dinner.schedule_version
    restaurant_timezone_change(restaurant=dinner, timezone="Europe/Istanbul")
    assert dinner.schedule_version == Restaurant.objects.get(pk=dinner.pk).schedule_version != version
    (day,) = days_with_confirmed_bookings_outside_service(restaurants=[Restaurant.objects.get(pk=dinner.pk)])
    assert (day.day, [b.pk for b in day.bookings]) == (DAY, [late.pk])


def _backing_off(restaurant, start: str) -> Booking:
    """Waiting for the pipeline, its next try ten minutes away (after a failed one)."""
    from datetime import timedelta

    from django.utils import timezone

    booking = waiting(restaurant, start=start)
    Booking.objects.filter(pk=booking.pk).update(due_at=timezone.now() + timedelta(minutes=10))
    return Booking.objects.get(pk=booking.pk)


def test_a_waiting_booking_now_outside_is_re_checked_at_once_not_at_its_next_try(client, manager, dinner):
    from assignments.coordinator import assign_due

    outside = _backing_off(dinner, "20:00")  # 23:00 in Istanbul
    inside = _backing_off(dinner, "18:00")  # 21:00 in Istanbul: keeps its turn
    _save_zone(client, dinner, "Europe/Istanbul")

    assign_due(restaurant_id=dinner.pk, service_date=DAY)  # the pass the wake-up asks for

    outside.refresh_from_db()
    assert outside.state == BookingState.MANUAL_REVIEW
    assert outside.history.order_by("version").last().metadata["reason"].startswith(LATE)
    held = Booking.objects.get(pk=inside.pk)
    assert held.state == BookingState.ASSIGNMENT_PENDING and held.due_at == inside.due_at
    assert held.assignment_attempts == 0  # no try spent on it


def test_changed_hours_re_check_the_waiting_bookings_the_same_way(client, manager, dinner):
    from assignments.coordinator import assign_due

    late = _backing_off(dinner, "21:30")
    data = _form_saved(client, dinner)
    data["service_periods"] = '[{"name": "dinner", "start": "17:00", "end": "21:00"}]'
    client.post(f"/admin/assignments/restaurant/{dinner.pk}/change/", data, follow=True)

    assign_due(restaurant_id=dinner.pk, service_date=DAY)

    late.refresh_from_db()
    assert late.state == BookingState.MANUAL_REVIEW
    assert (
        late.history.order_by("version")
        .last()
        .metadata["reason"]
        .startswith("21:30 is outside the service hours (dinner 17:00-21:00)")
    )


def test_the_warning_gives_each_shift_when_the_zones_change_their_clocks_on_different_dates(
    client, manager, dinner
):
    """London keeps summer time and Istanbul does not: a December booking moves 3 h, a July one 2 h. The warning
    gives the shift of most booked days (a tie: the soonest) and the other one with its days, not the shift of
    the day the manager happens to save on."""
    seated_booking(dinner, table="M1", start="18:00", arrived=None)  # a winter day: 3 h
    summer = seated_booking(dinner, table="M2", start="18:00", arrived=None)
    july = datetime(DAY.year + 1, 7, 3, 18, tzinfo=LONDON)  # 17:00Z
    put_at(summer, july)

    r = _save_zone(client, dinner, "Europe/Istanbul")  # 21:00 in Istanbul, summer and winter: inside dinner

    (zone,) = [str(m) for m in r.context["messages"] if "time zone changed" in str(m)]

    assert (
        "so every booking's local time moved 3 h later (20:00 is now 23:00), but 2 h later (20:00 is now 22:00) on"
        f" {july:%a %d %b %Y} (the two zones keep summer time on different dates, or one never does)."
    ) in zone, zone


def test_the_warning_says_not_at_all_between_zones_on_the_same_clock(client, manager, dinner):
    seated_booking(dinner, table="M1", start="19:00", arrived=None)

    r = _save_zone(client, dinner, "Europe/Lisbon")  # the same offset as London all year

    messages = [str(m) for m in r.context["messages"]]
    assert any(
        "every booking's local time moved not at all (the same offset from UTC on every booked day)." in m
        for m in messages
    ), messages


def test_with_no_booking_ahead_the_warning_gives_todays_shift(client, manager, dinner):
    r = _save_zone(client, dinner, "Europe/Lisbon")

    messages = [str(m) for m in r.context["messages"]]
    assert any("moved not at all today (the same offset from UTC now)." in m for m in messages), messages


def test_a_shift_that_comes_back_is_named_for_its_runs_of_days_only():
    """London to New York, a booking every Saturday for a year: 5 h earlier, except the weeks when only one of
    the two keeps summer time (March and one Saturday in November), which are named; the rest of the summer is 5 h
    again (not "4 h from 20 March on")."""
    from types import SimpleNamespace

    from assignments.admin.schedule import _zone_shift

    weekly = [datetime(2026, 12, 5, 19, tzinfo=LONDON) + timedelta(days=7 * k) for k in range(56)]
    new_york = SimpleNamespace(tzinfo=ZoneInfo("America/New_York"))

    assert _zone_shift("Europe/London", new_york, weekly, weekly[0]) == (
        "5 h earlier (20:00 is now 15:00), but 4 h earlier (20:00 is now 16:00) on Sat 20 Mar 2027 to"
        " Sat 27 Mar 2027, Sat 06 Nov 2027 (the two zones keep summer time on different dates, or one never does)"
    )
    assert _zone_shift("Europe/London", new_york, weekly[:2], weekly[0]) == "5 h earlier (20:00 is now 15:00)"
