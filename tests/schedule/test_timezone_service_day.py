"""After a time zone change each booking from today on is on the service day its start belongs to now: 23:30 in
London is 00:30 the next day in Paris. Its old day's pipeline pass no longer claims it, its new day's does, and a
booking the change put outside the hours goes to review with the reason naming the zone change (not "the hours
changed"). Availability uses the new zone at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assignments import coordinator
from assignments.coordinator import assign_due
from assignments.models import Booking, BookingState, Restaurant
from assignments.selectors.outside_service import days_with_confirmed_bookings_outside_service
from assignments.selectors.review import review_reasons
from assignments.services.schedule import restaurant_timezone_change, schedule_touch
from availability.versions import restaurant_tz
from tests.assignments.test_service_lifecycle import seated_booking
from tests.factories import DAY
from tests.schedule.test_closed_after_booking import waiting
from tests.schedule.threads import batch_held_after_claim, in_thread

pytestmark = pytest.mark.django_db
NEXT = DAY + timedelta(days=1)
MOVED = "the restaurant's time zone changed from Europe/London to Europe/Paris"


@pytest.fixture
def till_midnight(restaurant):
    """Dinner 17:00 to midnight, in London: a 23:30 booking is inside it, on its own day."""
    Restaurant.objects.filter(pk=restaurant.pk).update(
        service_periods=[{"name": "dinner", "start": "17:00", "end": "00:00"}]
    )
    restaurant.refresh_from_db()
    return restaurant


def test_a_2330_booking_moves_to_the_next_day_and_only_that_days_pass_decides_it(till_midnight):
    late = seated_booking(till_midnight, table="M2", start="23:30", arrived=None)
    held = waiting(till_midnight, start="23:30")
    early = waiting(till_midnight, start="19:00")  # 20:00 in Paris: the same day, inside dinner
    assert {b.service_date for b in Booking.objects.all()} == {DAY}

    restaurant_timezone_change(restaurant=till_midnight, timezone="Europe/Paris")

    days = dict(Booking.objects.values_list("pk", "service_date"))
    assert (days[late.pk], days[held.pk], days[early.pk]) == (NEXT, NEXT, DAY)
    (outside,) = days_with_confirmed_bookings_outside_service(restaurants=[till_midnight])
    assert (outside.day, [b.pk for b in outside.bookings]) == (NEXT, [late.pk])

    assign_due(restaurant_id=till_midnight.pk, service_date=DAY)  # the old day's pass: not the moved one's
    held.refresh_from_db()
    assert held.state == BookingState.ASSIGNMENT_PENDING and held.assignment_attempts == 0
    assert Booking.objects.get(pk=early.pk).state == BookingState.CONFIRMED

    assign_due(restaurant_id=till_midnight.pk, service_date=NEXT)
    held.refresh_from_db()
    reason = held.history.order_by("version").last().metadata["reason"]
    assert held.state == BookingState.MANUAL_REVIEW
    assert reason == f"00:30 is outside the service hours (dinner 17:00-00:00); {MOVED}", reason


def test_the_review_reason_names_the_zone_change_for_bookings_made_before_it_only(till_midnight):
    Restaurant.objects.filter(pk=till_midnight.pk).update(
        service_periods=[{"name": "dinner", "start": "17:00", "end": "22:00"}]
    )
    till_midnight.refresh_from_db()
    before = waiting(till_midnight, start="21:30")  # 22:30 in Paris
    restaurant_timezone_change(restaurant=till_midnight, timezone="Europe/Paris")
    outcome = coordinator.process_booking(booking_id=before.pk)
    assert outcome.reason == f"22:30 is outside the service hours (dinner 17:00-22:00); {MOVED}"

    Restaurant.objects.filter(pk=till_midnight.pk).update(
        service_periods=[{"name": "dinner", "start": "17:00", "end": "21:00"}]
    )
    after = Booking.objects.get(pk=waiting(till_midnight, start="20:30").pk)  # 21:30 Paris, made since
    Restaurant.objects.filter(pk=till_midnight.pk).update(
        service_periods=[{"name": "dinner", "start": "17:00", "end": "20:00"}]
    )
    schedule_touch(restaurant_id=till_midnight.pk)
    reasons = review_reasons(
        bookings=list(Booking.objects.filter(pk__in=[before.pk, after.pk]).select_related("restaurant"))
    )
    assert reasons[before.pk].endswith(f"; {MOVED}")
    assert (
        reasons[after.pk]
        == "21:30 is outside the service hours (dinner 17:00-20:00); the service hours changed"
    )


def test_availability_uses_the_new_zone_at_once(till_midnight, django_capture_on_commit_callbacks):
    assert restaurant_tz(till_midnight.pk).key == "Europe/London"  # remembered
    with django_capture_on_commit_callbacks(execute=True):
        restaurant_timezone_change(restaurant=till_midnight, timezone="Europe/Paris")
    assert restaurant_tz(till_midnight.pk).key == "Europe/Paris"


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_in_flight_for_the_old_day_finishes_before_the_change_moves_its_booking(
    till_midnight, monkeypatch
):
    """A worker has claimed the 23:30 booking for its London day and is deciding it when the zone changes: the
    change waits on the booking's row, so the batch decides it wholly under the zone it claimed it in (inside
    dinner: seated), and only then is it moved to the next day (and listed there, to call: 00:30 is outside)."""
    held = waiting(till_midnight, start="23:30")
    claimed, go = batch_held_after_claim(monkeypatch)
    done: dict[str, object] = {}

    worker = in_thread(done, "batch", lambda: assign_due(restaurant_id=till_midnight.pk, service_date=DAY))
    assert claimed.wait(10)
    change = in_thread(
        done,
        "change",
        lambda: restaurant_timezone_change(
            restaurant=Restaurant.objects.get(pk=till_midnight.pk), timezone="Europe/Paris"
        ),
    )
    change.join(1.0)
    assert change.is_alive()  # waiting on the claimed booking's row
    assert Booking.objects.get(pk=held.pk).service_date == DAY
    go.set()
    worker.join(10)
    change.join(10)
    assert "batch" in done and "change" in done

    held.refresh_from_db()
    assert (held.state, held.service_date) == (BookingState.CONFIRMED, NEXT)
    (outside,) = days_with_confirmed_bookings_outside_service(
        restaurants=[Restaurant.objects.get(pk=till_midnight.pk)]
    )
    assert (outside.day, [b.pk for b in outside.bookings]) == (NEXT, [held.pk])
