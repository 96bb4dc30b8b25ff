"""Pacing through the real coordinator (Postgres, the restaurant-day lock), availability showing paced slots
full, the review queue's reason, and the engine's context taking the weekday's turn time."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from assignments import coordinator
from assignments.coordinator import Status
from assignments.models import (
    AttemptResult,
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    TableAllocation,
    WeeklyService,
)
from assignments.selectors.review import review_reasons
from assignments.services.pipeline import booking_submit_for_assignment
from availability.selectors import availability_for_day
from tests.availability.helpers import plan_tables, seat, slot
from tests.factories import DAY, FloorFactory, TableFactory, at, make_booking

SATURDAY = DAY


@pytest.fixture(autouse=True)
def _slow_retries(settings):
    settings.MAITRE = {**settings.MAITRE, "RETRY_BASE_DELAY_MS": 60_000, "RETRY_MAX_DELAY_MS": 600_000}


@pytest.fixture
def big(db):
    """The small floor plus six more 4-tops, so that tables never run out before pacing does."""
    r = FloorFactory.small()
    zone = r.zones.get(key="main")
    for i in range(6):
        TableFactory(zone=zone, label=f"X{i}", max_covers=4)
    r.refresh_from_db()
    return r


def submitted(restaurant, **kwargs) -> Booking:
    booking = make_booking(restaurant, **kwargs)
    booking_submit_for_assignment(booking=booking, trigger="creation", correlation_id=f"corr-{booking.pk}")
    booking.refresh_from_db()
    return booking


def _decide(restaurant, bookings):
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(due_at=timezone.now())
    return {
        o.booking_id: o
        for o in coordinator.assign_due(restaurant_id=restaurant.pk, service_date=bookings[0].service_date)
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_batch_is_paced_exactly_and_the_refused_go_to_review_with_the_reason(big):
    big.pacing_covers_per_slot = 8
    big.save()
    first = [submitted(big, party_size=4, start="19:30"), submitted(big, party_size=3, start="19:35")]
    third = submitted(big, party_size=2, start="19:40")  # 7 + 2 = 9 > 8
    fourth = submitted(big, party_size=1, start="19:44")  # 7 + 1 = 8: fits
    later = submitted(big, party_size=4, start="19:45")  # the next slot

    out = _decide(big, [*first, third, fourth, later])  # one batch, one in-memory ledger

    assert [out[b.pk].status for b in (*first, fourth, later)] == [Status.CONFIRMED] * 4
    assert out[third.pk].status == Status.MANUAL_REVIEW
    reason = "pacing: 19:30 already has 7 of 8 covers starting; a party of 2 would make 9"
    assert out[third.pk].reason == reason
    third.refresh_from_db()
    assert (
        third.state == BookingState.MANUAL_REVIEW
        and not TableAllocation.objects.filter(booking=third).exists()
    )
    attempt = BookingAssignmentAttempt.objects.get(booking=third, strategy="pacing")
    assert attempt.result == AttemptResult.NO_PLAN and attempt.reason == reason
    history = third.history.filter(transition="send_to_review").get()
    assert history.metadata["reason"] == reason
    # the review queue reads pacing live too (the floor has tables free: pacing is why); the one-cover party
    # seated after it has filled the slot since
    third.restaurant = big
    assert review_reasons(bookings=[third]) == {third.pk: "pacing: 19:30 already has 8 of 8 covers starting"}

    # a second batch counts what the first seated (from the database, under the day's lock)
    again = submitted(big, party_size=1, start="19:30")
    assert _decide(big, [again])[again.pk].reason == "pacing: 19:30 already has 8 of 8 covers starting"


@pytest.mark.postgres
@pytest.mark.django_db
def test_bookings_per_slot_and_covers_per_service_of_the_weekday(big):
    WeeklyService.objects.create(
        restaurant=big,
        weekday=SATURDAY.weekday(),
        name="dinner",
        start=time(18),
        end=time(23),
        pacing_bookings_per_slot=2,
        pacing_covers_per_service=12,
    )
    big.refresh_from_db()
    a, b, c = (submitted(big, party_size=2, start="19:00") for _ in range(3))
    out = _decide(big, [a, b, c])
    assert [out[x.pk].status for x in (a, b)] == [Status.CONFIRMED] * 2
    assert out[c.pk].reason == "pacing: 19:00 already has 2 of 2 bookings starting"
    d, e = submitted(big, party_size=4, start="20:00"), submitted(big, party_size=6, start="21:00")
    out = _decide(big, [d, e])
    assert out[d.pk].status == Status.CONFIRMED
    assert out[e.pk].reason == "pacing: dinner already has 8 of 12 covers; a party of 6 would make 14"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_modified_booking_does_not_count_against_itself(big):
    big.pacing_covers_per_slot = 4
    big.save()
    booking = submitted(big, party_size=4, start="19:00")
    assert _decide(big, [booking])[booking.pk].status == Status.CONFIRMED
    from assignments.services.bookings import booking_modify

    booking_modify(booking=booking, start_at=at("19:05"))
    booking.refresh_from_db()
    assert _decide(big, [booking])[booking.pk].status == Status.CONFIRMED


@pytest.mark.django_db
def test_availability_shows_a_paced_slot_full(big, django_capture_on_commit_callbacks):
    big.pacing_covers_per_slot = 6
    big.save()
    with django_capture_on_commit_callbacks(execute=True):  # the seat's commit tells availability
        seat(big, ["X0"], party_size=4, start="19:30")
    grid = availability_for_day(restaurant=big, day=SATURDAY, party_size=4)
    assert slot(grid, "19:30") is None  # tables are free, but four more would make 8 of 6
    assert {
        "start_at": at("19:30").isoformat(),
        "reason": "pacing: 19:30 already has 4 of 6 covers starting; a party of 4 would make 8",
    } in grid["paced"]
    assert plan_tables(slot(grid, "19:45"))  # the next slot is free
    two = availability_for_day(restaurant=big, day=SATURDAY, party_size=2)
    assert slot(two, "19:30")["largest_party"] == 2  # two more covers may still start there
    with django_capture_on_commit_callbacks(execute=True):
        seat(big, ["X1"], party_size=2, start="19:30")
    grid = availability_for_day(restaurant=big, day=SATURDAY, party_size=2)
    assert slot(grid, "19:30") is None


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_coordinator_seats_for_the_weekday_s_turn_time(big):
    WeeklyService.objects.create(
        restaurant=big,
        weekday=SATURDAY.weekday(),
        name="dinner",
        start=time(18),
        end=time(23),
        turn_minutes={"2": 60, "default": 100},
    )
    big.refresh_from_db()
    saturday = submitted(big, party_size=2, start="19:00")
    out = _decide(big, [saturday])
    assert out[saturday.pk].status == Status.CONFIRMED
    alloc = TableAllocation.objects.get(booking=saturday)
    assert alloc.end_at - alloc.start_at == timedelta(minutes=60 + big.buffer_minutes)
