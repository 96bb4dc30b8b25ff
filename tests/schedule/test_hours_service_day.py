"""An hours change that makes a day run past midnight (or stop doing so) puts each booking on the service day its
start belongs to now, in the same transaction, as a time zone change does: Friday's new late service 18:00-01:30
takes a 00:45 Saturday-morning booking onto Friday (Friday's pipeline pass seats it, Friday's timeline and
availability show it), and removing that service gives it back to Saturday (outside Saturday's hours: listed to
call). Through the admin's restaurant page and through schedule_replace alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from assignments.coordinator import assign_due
from assignments.models import Booking, BookingState, Restaurant, WeeklyService
from assignments.scenario_schedule import parse_schedule
from assignments.selectors.outside_service import days_with_confirmed_bookings_outside_service
from assignments.selectors.timeline import restaurant_day_timeline
from assignments.services.schedule import schedule_replace
from assignments.signals import restaurant_hours_changed
from availability.selectors import availability_for_day
from availability.versions import version_get
from tests.factories import DAY
from tests.heal.helpers import tables_of
from tests.schedule.test_closed_after_booking import _form_saved, waiting

pytestmark = pytest.mark.django_db
SAT = DAY  # a Saturday
FRI = DAY - timedelta(days=1)


@pytest.fixture
def manager(client, restaurant):
    client.force_login(User.objects.create_superuser("manager", "m@example.com", "pw"))


def _save(client, restaurant, data):
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data, follow=True)
    assert r.status_code == 200 and not r.context.get("errors"), r.context.get("errors")
    return r


def late_friday(client, restaurant):
    """Friday's dinner now runs 18:00-01:30, typed on the restaurant page."""
    data = _form_saved(client, restaurant)
    data.update(
        {
            "weeklyservices-TOTAL_FORMS": "1",
            "weeklyservices-0-weekday": str(FRI.weekday()),
            "weeklyservices-0-name": "late dinner",
            "weeklyservices-0-start": "18:00",
            "weeklyservices-0-end": "01:30",
        }
    )
    return _save(client, restaurant, data)


def no_late_friday(client, restaurant):
    data = _form_saved(client, restaurant)
    data["weeklyservices-0-DELETE"] = "on"
    return _save(client, restaurant, data)


def fresh(restaurant) -> Restaurant:
    return Restaurant.objects.get(pk=restaurant.pk)


def waiting_ids(restaurant, day) -> set[int]:
    timeline = restaurant_day_timeline(restaurant=fresh(restaurant), day=day)
    return {w.booking.pk for w in timeline.waiting}


def booked_ids(restaurant, day) -> set[int]:
    """The bookings drawn on the day's table rows inside the day's visible range."""
    layout = restaurant_day_timeline(restaurant=fresh(restaurant), day=day).layout
    return {int(b.ref[1:]) for b in layout.bars if b.kind == "booking"}


def slot_starts(restaurant, day) -> list[str]:
    answer = availability_for_day(restaurant=fresh(restaurant), day=day, party_size=2)
    return [s["start_at"][11:16] for s in answer["slots"]]


def test_a_late_service_added_and_removed_in_the_admin_moves_a_0045_booking_between_the_days(
    client, manager, restaurant, django_capture_on_commit_callbacks
):
    late = waiting(restaurant, start="00:45")  # Saturday 00:45: outside Saturday's dinner, on Saturday
    evening = waiting(restaurant, start="19:00")  # Saturday evening: stays on Saturday
    assert (late.service_date, evening.service_date) == (SAT, SAT)
    told = []
    restaurant_hours_changed.connect(
        lambda sender, **kw: told.append(kw), dispatch_uid="test-told", weak=False
    )
    versions = {d: version_get(restaurant_id=restaurant.pk, day=d) for d in (FRI, SAT)}
    try:
        with django_capture_on_commit_callbacks(execute=True):
            late_friday(client, restaurant)
    finally:
        restaurant_hours_changed.disconnect(dispatch_uid="test-told")

    days = dict(Booking.objects.values_list("pk", "service_date"))
    assert (days[late.pk], days[evening.pk]) == (FRI, SAT)
    assert {FRI, SAT} <= set(told[0]["days"])  # availability heard of both days
    assert all(version_get(restaurant_id=restaurant.pk, day=d) > v for d, v in versions.items())
    assert late.pk in waiting_ids(restaurant, FRI) and late.pk not in waiting_ids(restaurant, SAT)
    assert "00:45" in slot_starts(restaurant, FRI) and "00:45" not in slot_starts(restaurant, SAT)

    assign_due(restaurant_id=restaurant.pk, service_date=SAT)  # Saturday's pass: not the late booking
    late.refresh_from_db()
    assert (late.state, late.assignment_attempts) == (BookingState.ASSIGNMENT_PENDING, 0)
    assign_due(
        restaurant_id=restaurant.pk, service_date=FRI
    )  # Friday's pass seats it, inside the late service
    late.refresh_from_db()
    assert late.state == BookingState.CONFIRMED and tables_of(late)
    assert late.pk in booked_ids(restaurant, FRI) and late.pk not in booked_ids(restaurant, SAT)
    assert days_with_confirmed_bookings_outside_service(restaurants=[fresh(restaurant)]) == []

    r = no_late_friday(client, restaurant)
    assert not WeeklyService.objects.exists()
    late.refresh_from_db()
    assert late.service_date == SAT and late.state == BookingState.CONFIRMED  # nobody is moved or cancelled
    (outside,) = days_with_confirmed_bookings_outside_service(restaurants=[fresh(restaurant)])
    assert (outside.day, [b.pk for b in outside.bookings]) == (SAT, [late.pk])
    warnings = [str(m) for m in r.context["messages"] if m.level_tag == "warning"]
    assert any(f"/admin/assignments/booking/{late.pk}/change/" in w for w in warnings), warnings
    assert "00:45" not in slot_starts(restaurant, FRI)


def test_schedule_replace_moves_the_booking_and_the_waiting_one_outside_the_hours_goes_to_review(restaurant):
    late = waiting(restaurant, start="00:45")
    friday = {"weekday": "friday", "services": [{"name": "late", "start": "18:00", "end": "01:30"}]}
    spec = parse_schedule({"weekly": {friday["weekday"]: friday["services"]}})

    schedule_replace(restaurant=restaurant, spec=spec)
    late.refresh_from_db()
    assert late.service_date == FRI

    schedule_replace(restaurant=restaurant, spec=parse_schedule({"weekly": {}}))
    late.refresh_from_db()
    assert late.service_date == SAT
    assign_due(
        restaurant_id=restaurant.pk, service_date=SAT
    )  # outside Saturday's hours now: review, naming them
    late.refresh_from_db()
    reason = late.history.order_by("version").last().metadata["reason"]
    assert late.state == BookingState.MANUAL_REVIEW and reason.startswith(
        "00:45 is outside the service hours"
    )
