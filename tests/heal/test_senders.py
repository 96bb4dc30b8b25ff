"""Every write path that frees table time says so on commit, once per restaurant day per write, and only then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from assignments import lifecycle
from assignments.coordinator import assign_due
from assignments.models import Booking, BookingState, OutboxEvent, Table
from assignments.services.blocks import table_block_create, table_block_remove
from assignments.services.bookings import booking_modify
from assignments.services.floor import table_save
from assignments.services.manual import booking_move_tables
from assignments.signals import tables_freed
from tests.factories import DAY, at, make_booking
from tests.heal.helpers import seated, tables_of, waiting_in_review


@pytest.fixture
def heard():
    """What `tables_freed` said, with the floor-heal receiver disconnected (these tests are about senders)."""
    from assignments.services.heal import on_tables_freed

    got: list[dict] = []

    def record(sender, **kwargs):
        got.append(kwargs)

    tables_freed.disconnect(dispatch_uid="floor-heal")
    tables_freed.connect(record, dispatch_uid="test-recorder")
    yield got
    tables_freed.disconnect(dispatch_uid="test-recorder")
    tables_freed.connect(on_tables_freed, dispatch_uid="floor-heal")


def test_cancelling_a_seated_booking_says_so_once_on_commit(
    restaurant, heard, django_capture_on_commit_callbacks
):
    booking = seated(restaurant, ["T1"], party_size=5)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_cancel(booking=booking, reason="guest called")
        assert heard == []  # nothing before the commit

    (event,) = OutboxEvent.objects.filter(event_type="tables.freed")  # written by the cancelling transaction
    buffer = timedelta(minutes=restaurant.buffer_minutes)
    assert (event.restaurant_id, event.payload) == (
        restaurant.pk,
        {
            "service_date": DAY.isoformat(),
            "reason": "cancelled",
            "cause": f"cancellation of #{booking.pk}",
            "booking_ids": [booking.pk],
            # the freed table time, buffer included: the heal reads it when it runs (services.heal)
            "windows": [[booking.start_at.isoformat(), (booking.end_at + buffer).isoformat()]],
            "whole_day": False,
        },
    )
    assert heard == [
        {
            "signal": tables_freed,
            "restaurant_id": restaurant.pk,
            "service_date": DAY,
            "reason": "cancelled",
            "cause": f"cancellation of #{booking.pk}",
            "booking_ids": frozenset({booking.pk}),
            "event_id": event.pk,
            "windows": ((booking.start_at, booking.end_at + buffer),),
        }
    ]


def test_cancelling_a_booking_that_held_no_table_frees_nothing(
    restaurant, heard, django_capture_on_commit_callbacks
):
    booking = waiting_in_review(restaurant, party_size=2)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_cancel(booking=booking)
    assert heard == []


def test_many_cancellations_in_one_transaction_make_one_signal_per_day(
    restaurant, heard, django_capture_on_commit_callbacks
):
    first, second = seated(restaurant, ["M1"], start="18:00"), seated(restaurant, ["M2"], start="18:00")
    other_day = seated(restaurant, ["M3"], start="18:00")
    Booking.objects.filter(pk=other_day.pk).update(service_date=DAY + timedelta(days=1))
    from assignments.models import TableAllocation

    TableAllocation.objects.filter(booking=other_day).update(
        start_at=at("18:00") + timedelta(days=1), end_at=at("20:00") + timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for b in (first, second, other_day):
            lifecycle.booking_cancel(booking=Booking.objects.get(pk=b.pk))

    assert sorted((h["service_date"], h["cause"]) for h in heard) == [
        (DAY, f"cancellation of #{first.pk} and 1 more"),
        (DAY + timedelta(days=1), f"cancellation of #{other_day.pk}"),
    ]


def test_a_rolled_back_cancellation_says_nothing(restaurant, heard, django_capture_on_commit_callbacks):
    booking = seated(restaurant, ["T1"], party_size=5)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            lifecycle.booking_cancel(booking=booking)
            raise RuntimeError("the request failed after the cancel")
        lifecycle.booking_cancel(
            booking=seated(restaurant, ["M1"])
        )  # the next write on the connection is heard
    assert [h["cause"].split(" #")[0] for h in heard] == ["cancellation of"]
    assert Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED


def test_removing_a_block_frees_its_tables(restaurant, heard, django_capture_on_commit_callbacks):
    block = table_block_create(
        restaurant=restaurant,
        table_labels=["T1", "M1"],
        start_at=at("18:00"),
        end_at=at("23:00"),
        reason="private party",
    )
    with django_capture_on_commit_callbacks(execute=True):
        table_block_remove(block=block)
    assert [(h["reason"], h["cause"], h["service_date"]) for h in heard] == [
        ("block_removed", "removal of the block on M1, T1 (private party)", DAY)
    ]


def test_a_booking_moved_to_another_day_frees_the_old_day_when_it_is_re_planned(
    restaurant, heard, django_capture_on_commit_callbacks
):
    booking = seated(restaurant, ["T1"], party_size=5)
    with django_capture_on_commit_callbacks(execute=True):
        booking_modify(booking=booking, start_at=at("19:00") + timedelta(days=1))
    assert heard == []  # it keeps its tables until the pipeline re-plans it
    with django_capture_on_commit_callbacks(execute=True):
        assign_due(restaurant_id=restaurant.pk, service_date=DAY + timedelta(days=1))

    booking.refresh_from_db()
    assert booking.state == BookingState.CONFIRMED and booking.service_date == DAY + timedelta(days=1)
    assert [(h["reason"], h["service_date"]) for h in heard] == [("moved", DAY)]


def test_a_booking_re_planned_on_the_same_tables_and_time_frees_nothing(
    restaurant, heard, django_capture_on_commit_callbacks
):
    booking = seated(restaurant, ["M2"], party_size=4)
    with django_capture_on_commit_callbacks(execute=True):
        booking_modify(booking=booking, party_size=3, duration_minutes=105)
        assign_due(restaurant_id=restaurant.pk, service_date=DAY)
    assert Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED
    assert tables_of(booking) == ["M2"]
    assert heard == []


def test_staff_moving_a_booking_to_other_tables_frees_the_old_ones(
    restaurant, heard, django_capture_on_commit_callbacks
):
    from assignments.lifecycle import Actor

    booking = seated(restaurant, ["M2"], party_size=2)
    with django_capture_on_commit_callbacks(execute=True):
        booking_move_tables(
            booking=booking, table_labels=["M1"], actor=Actor("staff:host"), expected_version=booking.version
        )
    assert [(h["reason"], h["cause"]) for h in heard] == [("moved", f"move of #{booking.pk}")]


def test_a_table_back_in_service_frees_time_on_each_coming_day_with_bookings_waiting(
    restaurant, heard, django_capture_on_commit_callbacks
):
    waiting_in_review(restaurant, party_size=6)
    later = make_booking(restaurant, party_size=2, start="19:00")
    Booking.objects.filter(pk=later.pk).update(service_date=DAY + timedelta(days=3))
    lifecycle.booking_request_assignment(booking=Booking.objects.get(pk=later.pk))
    table = Table.objects.get(restaurant=restaurant, label="T1")
    table.active = False
    table_save(table=table, created=False, changed=["active"])

    with django_capture_on_commit_callbacks(execute=True):
        table.max_covers = 5
        table_save(table=table, created=False, changed=["max_covers"])  # still out of service: nothing
    assert heard == []
    with django_capture_on_commit_callbacks(execute=True):
        table.active = True
        table_save(table=table, created=False, changed=["active"])
    assert sorted((h["service_date"], h["reason"], h["cause"]) for h in heard) == [
        (DAY, "table_in_service", "table T1 in service"),
        (DAY + timedelta(days=3), "table_in_service", "table T1 in service"),
    ]


def test_the_day_optimizer_moving_bookings_frees_their_old_tables(
    restaurant, heard, django_capture_on_commit_callbacks
):
    from optimization.day_optimizer import day_optimize

    couple = seated(restaurant, ["M2"], party_size=2)  # would fit M1; a party of 8 needs M2+M3
    seated(restaurant, ["T1"], party_size=4)
    waiting_in_review(restaurant, party_size=8, start="19:00")
    with django_capture_on_commit_callbacks(execute=True):
        result = day_optimize(restaurant=restaurant, day=DAY, now=at("12:00"), time_limit=5)
    assert result.status == "applied" and result.moved == 1, result.reason
    assert tables_of(couple) == ["M1"]
    assert [(h["reason"], h["service_date"], h["cause"]) for h in heard] == [
        ("optimized", DAY, "the day optimizer moving 1 booking(s)")
    ]
