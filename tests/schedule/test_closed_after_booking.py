"""A day closed after bookings were made: the pipeline sends the ones it has not seated yet to review with the
reason, and the confirmed ones stay confirmed (nobody is cancelled silently) but are put in front of staff: the
review queue lists them and saving the closed day in the admin warns with the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from assignments import coordinator, lifecycle
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    ScheduleException,
    TableAllocation,
)
from assignments.selectors.outside_service import days_with_confirmed_bookings_outside_service
from assignments.selectors.review import review_reasons
from tests.assignments.test_service_lifecycle import seated_booking
from tests.factories import DAY, DAY_LONG, make_booking
from tests.schedule.test_schedule_admin import _form

pytestmark = pytest.mark.django_db
CLOSED = f"closed on {DAY_LONG} (burst pipe)"


def waiting(restaurant, start="19:00", **kw) -> Booking:
    """A booking the pipeline has not decided yet (assignment_pending, due now)."""
    booking = make_booking(restaurant, start=start, **kw)
    lifecycle.booking_request_assignment(booking=booking)
    return booking


def close_day(restaurant, day=DAY, note="burst pipe"):
    return ScheduleException.objects.create(restaurant=restaurant, date=day, closed=True, note=note)


def test_a_waiting_booking_on_a_day_closed_since_goes_to_review_with_the_reason(restaurant):
    booking = waiting(restaurant)
    close_day(restaurant)
    outcome = coordinator.process_booking(booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.state == BookingState.MANUAL_REVIEW
    assert outcome.reason == CLOSED
    assert not TableAllocation.objects.filter(booking=booking).exists()
    last = booking.history.order_by("version").last()
    assert (last.transition, last.metadata["reason"]) == ("send_to_review", CLOSED)
    attempt = BookingAssignmentAttempt.objects.get(booking=booking)
    assert (attempt.strategy, attempt.reason) == ("schedule", CLOSED)


def test_the_next_day_still_open_is_seated_as_before(restaurant):
    close_day(restaurant)
    booking = waiting(restaurant)
    # a booking for Sunday, made the same way
    sunday = make_booking(restaurant, start="19:00")
    Booking.objects.filter(pk=sunday.pk).update(
        start_at=sunday.start_at + timedelta(days=1),
        end_at=sunday.end_at + timedelta(days=1),
        service_date=DAY + timedelta(days=1),
    )
    sunday.refresh_from_db()
    lifecycle.booking_request_assignment(booking=sunday)
    coordinator.process_booking(booking_id=booking.pk)
    coordinator.process_booking(booking_id=sunday.pk)
    states = dict(Booking.objects.filter(pk__in=[booking.pk, sunday.pk]).values_list("pk", "state"))
    assert states == {booking.pk: BookingState.MANUAL_REVIEW, sunday.pk: BookingState.CONFIRMED}


def test_a_booking_already_in_review_gives_the_closed_day_as_its_reason(restaurant):
    booking = waiting(restaurant)
    lifecycle.booking_send_to_review(booking=booking, reason="every 2-top is taken")
    close_day(restaurant)
    booking = Booking.objects.select_related("restaurant").get(pk=booking.pk)
    assert review_reasons(bookings=[booking]) == {booking.pk: CLOSED}


def test_confirmed_bookings_stay_confirmed_and_are_listed(restaurant):
    kept = seated_booking(restaurant, arrived=None)  # confirmed on M1 19:00
    other = seated_booking(restaurant, table="M2", start="20:00", party_size=4, arrived=None)
    gone = seated_booking(restaurant, table="M3", start="19:00", arrived=None)
    lifecycle.booking_cancel(booking=gone, reason="guest")
    assert (
        days_with_confirmed_bookings_outside_service(restaurants=[restaurant]) == []
    )  # open: nothing to list
    close_day(restaurant)
    restaurant.refresh_from_db()
    (day,) = days_with_confirmed_bookings_outside_service(restaurants=[restaurant])
    assert (day.day, day.reason, [b.pk for b in day.bookings], day.covers) == (
        DAY,
        CLOSED,
        [kept.pk, other.pk],
        6,
    )
    assert Booking.objects.get(pk=kept.pk).state == BookingState.CONFIRMED


def test_the_listing_looks_as_many_days_ahead_as_the_setting_says(restaurant, settings):
    """MAITRE_SCHEDULE_LOOK_AHEAD_DAYS (60 by default; the suite's settings widen it, as the test day may be up
    to 251 days ahead): a closed day beyond it is not listed, one inside it is."""
    from django.utils import timezone

    seated_booking(restaurant, arrived=None)
    close_day(restaurant)
    restaurant.refresh_from_db()
    ahead = (DAY - timezone.now().date()).days  # 7 to 251
    settings.MAITRE = {**settings.MAITRE, "SCHEDULE_LOOK_AHEAD_DAYS": ahead - 3}
    assert days_with_confirmed_bookings_outside_service(restaurants=[restaurant]) == []
    settings.MAITRE = {**settings.MAITRE, "SCHEDULE_LOOK_AHEAD_DAYS": ahead + 1}
    assert [d.day for d in days_with_confirmed_bookings_outside_service(restaurants=[restaurant])] == [DAY]


def test_the_look_ahead_is_sixty_days_unless_set():
    from assignments.conf import MaitreSettings
    from config.settings import base

    assert MaitreSettings().SCHEDULE_LOOK_AHEAD_DAYS == base.MAITRE["SCHEDULE_LOOK_AHEAD_DAYS"] == 60


@pytest.fixture
def manager(client, restaurant):
    user = User.objects.create_superuser("manager", "m@example.com", "pw")
    client.force_login(user)
    return user


def test_the_review_queue_lists_days_with_confirmed_bookings_outside_service(client, manager, restaurant):
    booking = seated_booking(restaurant, arrived=None)
    page = client.get("/admin/assignments/reviewbooking/").content.decode()
    assert 'id="maitre-closed-days"' not in page
    close_day(restaurant)
    page = client.get("/admin/assignments/reviewbooking/").content.decode()
    assert 'id="maitre-closed-days"' in page
    assert f"Closed on {DAY_LONG} (burst pipe)" in page and "1 booking, 2 covers" in page
    assert f"/admin/assignments/booking/{booking.pk}/change/" in page and "2p 19:00" in page


def test_closing_a_day_in_the_admin_warns_with_its_confirmed_bookings(client, manager, restaurant):
    booking = seated_booking(restaurant, arrived=None)
    data = _form(client, restaurant)
    data.update(
        {
            "scheduleexceptions-TOTAL_FORMS": "1",
            "scheduleexceptions-0-date": DAY.isoformat(),
            "scheduleexceptions-0-closed": "on",
            "scheduleexceptions-0-note": "burst pipe",
            "scheduleexceptions-0-name": "",
            "_continue": "Save and continue",
        }
    )
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data, follow=True)
    assert r.status_code == 200
    warnings = [str(m) for m in r.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"Closed on {DAY_LONG} (burst pipe): 1 confirmed booking(s), 2 covers")
    assert f"/admin/assignments/booking/{booking.pk}/change/" in warnings[0]
    assert "Nothing was cancelled" in warnings[0]
    assert Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED
    # saving again without touching the closed day does not repeat the warning
    again = client.post(
        f"/admin/assignments/restaurant/{restaurant.pk}/change/", _form_saved(client, restaurant)
    )
    assert again.status_code == 302
    page = client.get(again["Location"])
    assert not [m for m in page.context["messages"] if m.level_tag == "warning"]


def test_closing_a_weekday_in_the_weekly_schedule_warns_too(client, manager, restaurant):
    seated_booking(restaurant, arrived=None)  # Saturday
    data = _form(client, restaurant)
    data.update(
        {
            "weeklyservices-TOTAL_FORMS": "1",
            "weeklyservices-0-weekday": str(DAY.weekday()),
            "weeklyservices-0-closed": "on",
            "weeklyservices-0-name": "",
            "_continue": "Save and continue",
        }
    )
    r = client.post(f"/admin/assignments/restaurant/{restaurant.pk}/change/", data, follow=True)
    warnings = [str(m) for m in r.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1 and warnings[0].startswith("Closed on Saturdays: 1 confirmed booking(s)"), (
        warnings
    )


def _form_saved(client, restaurant) -> dict[str, str]:
    data = _form(client, restaurant)
    data["_continue"] = "Save and continue"
    return data
