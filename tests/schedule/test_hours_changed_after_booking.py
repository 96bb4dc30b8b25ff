"""A day's hours changed after bookings were made (special hours, or the weekly hours), the day staying open:
the same path as a closed day (test_closed_after_booking). Bookings the pipeline has not seated yet and now
outside the hours go to review with a reason naming the new hours; confirmed ones stay confirmed and are listed
above the review queue; saving the change warns with how many. Bookings still inside the hours are untouched."""

from __future__ import annotations

from datetime import time

import pytest
from django.contrib.auth.models import User

from assignments import coordinator, lifecycle
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    ScheduleException,
    TableAllocation,
    WeeklyService,
)
from assignments.selectors.outside_service import days_with_confirmed_bookings_outside_service
from assignments.selectors.review import review_reasons
from tests.assignments.test_service_lifecycle import seated_booking
from tests.factories import DAY, DAY_LONG, DAY_SHORT
from tests.schedule.test_closed_after_booking import _form_saved, waiting

pytestmark = pytest.mark.django_db
SPECIAL = "21:30 is outside the service hours (dinner 17:00-21:00); special hours that day: private party"
WEEKLY = "21:30 is after the last seating of dinner (21:00); the hours of Saturdays changed"


def special_hours(restaurant, day=DAY, end=time(21, 0)):
    """Dinner ends at 21:00 that day (it ran to 23:30 when the bookings were made)."""
    return ScheduleException.objects.create(
        restaurant=restaurant, date=day, name="dinner", start=time(17, 0), end=end, note="private party"
    )


def saturday_last_seating(restaurant, last=time(21, 0)):
    return WeeklyService.objects.create(
        restaurant=restaurant,
        weekday=DAY.weekday(),
        name="dinner",
        start=time(17, 0),
        end=time(23, 0),
        last_seating=last,
    )


@pytest.mark.parametrize("change, reason", [(special_hours, SPECIAL), (saturday_last_seating, WEEKLY)])
def test_a_waiting_booking_now_outside_the_hours_goes_to_review_naming_them(restaurant, change, reason):
    late = waiting(restaurant, start="21:30")
    early = waiting(restaurant, start="19:00")
    change(restaurant)

    outcome = coordinator.process_booking(booking_id=late.pk)
    coordinator.process_booking(booking_id=early.pk)

    late.refresh_from_db()
    assert late.state == BookingState.MANUAL_REVIEW and outcome.reason == reason
    assert not TableAllocation.objects.filter(booking=late).exists()
    last = late.history.order_by("version").last()
    assert (last.transition, last.metadata["reason"]) == ("send_to_review", reason)
    attempt = BookingAssignmentAttempt.objects.get(booking=late)
    assert (attempt.strategy, attempt.reason) == ("schedule", reason)
    assert Booking.objects.get(pk=early.pk).state == BookingState.CONFIRMED  # inside the new hours: seated


def test_a_booking_already_in_review_gives_the_new_hours_as_its_reason(restaurant):
    booking = waiting(restaurant, start="21:30")
    lifecycle.booking_send_to_review(booking=booking, reason="every 2-top is taken")
    special_hours(restaurant)
    booking = Booking.objects.select_related("restaurant").get(pk=booking.pk)
    assert review_reasons(bookings=[booking]) == {booking.pk: SPECIAL}


def test_confirmed_bookings_outside_the_new_hours_stay_confirmed_and_are_listed(restaurant):
    inside = seated_booking(restaurant, arrived=None)  # confirmed on M1 19:00
    late = seated_booking(restaurant, table="M2", start="21:30", party_size=4, arrived=None)
    later = seated_booking(restaurant, table="M3", start="22:00", arrived=None)
    assert days_with_confirmed_bookings_outside_service(restaurants=[restaurant]) == []
    special_hours(restaurant)
    restaurant.refresh_from_db()

    (day,) = days_with_confirmed_bookings_outside_service(restaurants=[restaurant])

    assert (day.day, day.closed, [b.pk for b in day.bookings], day.covers) == (
        DAY,
        False,
        [late.pk, later.pk],
        6,
    )
    assert day.heading == f"special hours on {DAY_LONG} (private party): dinner 17:00-21:00"
    states = set(
        Booking.objects.filter(pk__in=[inside.pk, late.pk, later.pk]).values_list("state", flat=True)
    )
    assert states == {BookingState.CONFIRMED}


def test_hours_that_still_cover_every_booking_list_nothing(restaurant):
    seated_booking(restaurant, table="M2", start="21:30", arrived=None)
    special_hours(restaurant, end=time(23, 0))
    restaurant.refresh_from_db()
    assert days_with_confirmed_bookings_outside_service(restaurants=[restaurant]) == []


@pytest.fixture
def manager(client, restaurant):
    user = User.objects.create_superuser("manager", "m@example.com", "pw")
    client.force_login(user)
    return user


def test_the_review_queue_lists_them_above_its_rows(client, manager, restaurant):
    seated_booking(restaurant, arrived=None)
    late = seated_booking(restaurant, table="M2", start="21:30", arrived=None)
    saturday_last_seating(restaurant)
    page = client.get("/admin/assignments/reviewbooking/").content.decode()
    assert 'id="maitre-closed-days"' in page and "call the guests to move or cancel them" in page
    assert f"{DAY_SHORT}: the hours of Saturdays: dinner 17:00-23:00, last seating 21:00" in page
    assert "1 booking, 2 covers" in page and f"/admin/assignments/booking/{late.pk}/change/" in page
    assert "2p 21:30" in page and "2p 19:00" not in page


def _warnings(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "warning"]


def test_saving_special_hours_warns_how_many_confirmed_bookings_fall_outside(client, manager, restaurant):
    seated_booking(restaurant, arrived=None)
    late = seated_booking(restaurant, table="M2", start="21:30", party_size=4, arrived=None)
    later = seated_booking(restaurant, table="M3", start="22:00", arrived=None)
    data = _form_saved(client, restaurant)
    data.update(
        {
            "scheduleexceptions-TOTAL_FORMS": "1",
            "scheduleexceptions-0-date": DAY.isoformat(),
            "scheduleexceptions-0-name": "dinner",
            "scheduleexceptions-0-start": "17:00",
            "scheduleexceptions-0-end": "21:00",
            "scheduleexceptions-0-note": "private party",
        }
    )
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data, follow=True)

    (warning,) = _warnings(r)
    assert warning.startswith(
        f"Special hours on {DAY_LONG} (private party): dinner 17:00-21:00: 2 confirmed booking(s), 6 covers, "
        f"start outside these hours on {DAY_SHORT}:"
    ), warning
    assert f"/admin/assignments/booking/{late.pk}/change/" in warning
    assert f"/admin/assignments/booking/{later.pk}/change/" in warning and "Nothing was cancelled" in warning
    assert set(Booking.objects.values_list("state", flat=True)) == {BookingState.CONFIRMED}

    again = client.post(
        f"/admin/assignments/restaurant/{restaurant.pk}/change/", _form_saved(client, restaurant), follow=True
    )
    assert again.status_code == 200 and _warnings(again) == []  # untouched: no second warning


def test_changing_the_weekly_hours_warns_and_hours_that_fit_do_not(client, manager, restaurant):
    seated_booking(restaurant, table="M2", start="21:30", arrived=None)  # a Saturday
    data = _form_saved(client, restaurant)
    data.update(
        {
            "weeklyservices-TOTAL_FORMS": "1",
            "weeklyservices-0-weekday": str(DAY.weekday()),
            "weeklyservices-0-name": "dinner",
            "weeklyservices-0-start": "17:00",
            "weeklyservices-0-end": "23:00",
        }
    )
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data, follow=True)
    assert _warnings(r) == []  # 21:30 is still inside

    data = _form_saved(client, restaurant)
    data["weeklyservices-0-last_seating"] = "21:00"
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data, follow=True)
    (warning,) = _warnings(r)
    assert warning.startswith(
        "The hours of Saturdays: dinner 17:00-23:00, last seating 21:00: 1 confirmed booking(s), 2 covers, "
        f"start outside these hours on {DAY_SHORT}:"
    ), warning


def test_removing_special_hours_that_kept_a_booking_inside_warns(client, manager, restaurant):
    """Special hours later than the week's, removed: the day falls back to the weekly hours."""
    saturday_last_seating(restaurant)
    special_hours(restaurant, end=time(23, 30))
    seated_booking(restaurant, table="M2", start="21:30", arrived=None)
    data = _form_saved(client, restaurant)
    data["scheduleexceptions-0-DELETE"] = "on"
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data, follow=True)
    assert not ScheduleException.objects.exists()
    (warning,) = _warnings(r)
    assert warning.startswith("The hours of Saturdays: dinner 17:00-23:00, last seating 21:00: 1 confirmed")


def test_changing_the_default_service_periods_warns_too(client, manager, restaurant):
    """A weekday without weekly rows runs the restaurant's default periods: changing them re-checks its days."""
    seated_booking(restaurant, table="M2", start="21:30", arrived=None)
    data = _form_saved(client, restaurant)
    data["service_periods"] = '[{"name": "dinner", "start": "17:00", "end": "21:00"}]'
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data, follow=True)
    restaurant.refresh_from_db()
    assert restaurant.service_periods == [{"name": "dinner", "start": "17:00", "end": "21:00"}]
    (warning,) = _warnings(r)
    assert warning.startswith(
        "The service hours: dinner 17:00-21:00: 1 confirmed booking(s), 2 covers, start outside these hours on "
        f"{DAY_SHORT}:"
    ), warning


@pytest.mark.parametrize("change", [special_hours, saturday_last_seating])
def test_freed_tables_are_not_offered_to_a_booking_outside_the_new_hours(restaurant, settings, change):
    """A booking in review because its start is now outside the hours waits for a call, not for a table: a heal
    that day (staff cancelling the other bookings outside, say) leaves it in review, with no bounce through the
    pipeline back to review (history rows, a `booking.manual_review` event and an ops e-mail each time); a
    booking inside the hours is still offered the tables."""
    from assignments.services.heal import floor_heal

    settings.MAITRE = {**settings.MAITRE, "FLOOR_HEAL_DEBOUNCE_MS": 0}
    late = waiting(restaurant, start="21:30")
    inside = lifecycle.booking_send_to_review(booking=waiting(restaurant, start="19:00"), reason="no table")
    change(restaurant)
    coordinator.process_booking(booking_id=late.pk)
    late.refresh_from_db()
    assert late.state == BookingState.MANUAL_REVIEW
    history = late.history.count()

    result = floor_heal(restaurant_id=restaurant.pk, service_date=DAY, reason="cancelled")

    assert result.offered == [inside.pk]
    late.refresh_from_db()
    assert late.state == BookingState.MANUAL_REVIEW and late.history.count() == history
