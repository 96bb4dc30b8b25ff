"""An hours change and a booking made at the same moment: the booking ends on the service day its start belongs to
under the hours that hold once both committed, whichever came first. An hours change puts every booking it finds
on its day (services.schedule.schedule_change_follow); a booking it cannot see yet (made in a transaction still
open, or computed from the restaurant as read before the change) must not keep a day from the hours it replaced."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import transaction

from assignments.models import Booking, Restaurant, WeeklyService
from assignments.scenario_schedule import parse_schedule
from assignments.services.bookings import booking_create
from assignments.services.schedule import schedule_replace
from tests.factories import DAY, at
from tests.schedule.threads import batch_held_after_claim, in_thread

SAT = DAY  # a Saturday
FRI = DAY - timedelta(days=1)
NO_LATE_FRIDAY = parse_schedule({"weekly": {}})


def late_friday(restaurant) -> None:
    WeeklyService.objects.create(
        restaurant=restaurant, weekday=FRI.weekday(), name="late dinner", start="18:00", end="01:30"
    )


def no_late_friday_in_thread(done: dict, restaurant):
    """The manager's change removing Friday's late service, in a thread of its own: done["change"] once it ends."""
    return in_thread(
        done,
        "change",
        lambda: schedule_replace(restaurant=Restaurant.objects.get(pk=restaurant.pk), spec=NO_LATE_FRIDAY),
    )


@pytest.mark.django_db
def test_a_booking_made_from_the_restaurant_read_before_an_hours_change_is_put_on_the_day_of_the_new_hours(
    restaurant,
):
    """The API read the restaurant (Friday ran to 01:30) before a manager removed Friday's late service; the
    booking it makes afterwards for 00:45 is Saturday's, not Friday's."""
    late_friday(restaurant)
    read_before = Restaurant.objects.get(pk=restaurant.pk)
    assert read_before.service_day_of(at("00:45")) == FRI

    schedule_replace(restaurant=Restaurant.objects.get(pk=restaurant.pk), spec=NO_LATE_FRIDAY)
    booking = booking_create(restaurant=read_before, party_size=2, start_at=at("00:45"))

    assert Booking.objects.get(pk=booking.pk).service_date == SAT


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_booking_committed_while_an_hours_change_runs_ends_on_its_day_under_the_new_hours(restaurant):
    """A booking for 00:45 is being made (Friday's late service still runs to 01:30: it is Friday's) when a
    manager removes that service: whichever commits last, the booking ends on Saturday. The change waits for the
    booking's commit and then moves it; it must not finish around a booking it cannot see yet."""
    late_friday(restaurant)
    created, go = threading.Event(), threading.Event()
    done: dict[str, object] = {}

    def make():
        with transaction.atomic():
            booking = booking_create(
                restaurant=Restaurant.objects.get(pk=restaurant.pk), party_size=2, start_at=at("00:45")
            )
            created.set()
            assert go.wait(10)
        return booking

    maker = in_thread(done, "booking", make)
    assert created.wait(10)
    change = no_late_friday_in_thread(done, restaurant)
    change.join(1.0)
    go.set()
    maker.join(10)
    change.join(10)
    assert "booking" in done and "change" in done

    booking = Booking.objects.get(pk=done["booking"].pk)
    assert Restaurant.objects.get(pk=restaurant.pk).service_day_of(booking.start_at) == SAT
    assert booking.service_date == SAT


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_in_flight_for_friday_finishes_before_the_hours_change_moves_its_booking(
    restaurant, monkeypatch
):
    """Friday's pass has claimed the 00:45 booking (Friday's while the late service runs to 01:30) and is deciding
    it when a manager removes that service: the change waits on the booking's row, so the batch decides it wholly
    under the hours it claimed it in (seated), and only then is it moved to Saturday, once, and listed there."""
    from assignments.coordinator import assign_due
    from assignments.models import BookingState
    from assignments.selectors.outside_service import days_with_confirmed_bookings_outside_service
    from tests.schedule.test_closed_after_booking import waiting

    late_friday(restaurant)
    held = waiting(Restaurant.objects.get(pk=restaurant.pk), start="00:45")
    assert held.service_date == FRI
    claimed, go = batch_held_after_claim(monkeypatch)
    done: dict[str, object] = {}

    worker = in_thread(done, "batch", lambda: assign_due(restaurant_id=restaurant.pk, service_date=FRI))
    assert claimed.wait(10)
    change = no_late_friday_in_thread(done, restaurant)
    change.join(1.0)
    assert change.is_alive()  # waiting on the claimed booking's row
    go.set()
    worker.join(10)
    change.join(10)
    assert "batch" in done and "change" in done

    held.refresh_from_db()
    assert (held.state, held.service_date, held.version) == (BookingState.CONFIRMED, SAT, 3)
    assert assign_due(restaurant_id=restaurant.pk, service_date=SAT) == []  # nothing for Saturday's pass
    (outside,) = days_with_confirmed_bookings_outside_service(
        restaurants=[Restaurant.objects.get(pk=restaurant.pk)]
    )
    assert (outside.day, [b.pk for b in outside.bookings]) == (SAT, [held.pk])
