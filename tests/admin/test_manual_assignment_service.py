"""booking_assign_manually: one transaction that seats a booking by hand, or refuses and writes nothing."""

from __future__ import annotations

import re

import pytest

from assignments.lifecycle import Actor
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
    Hold,
    OutboxEvent,
    TableAllocation,
)
from assignments.services.allocations import allocations_create
from assignments.services.manual import (
    InvalidTables,
    NotAssignable,
    StaleBooking,
    TablesTaken,
    booking_assign_manually,
)
from tests.admin.conftest import confirmed_at, in_review
from tests.factories import at

pytestmark = pytest.mark.django_db


def _snapshot(booking: Booking) -> tuple:
    fresh = Booking.objects.get(pk=booking.pk)
    return (
        fresh.state,
        fresh.version,
        fresh.assigned_at,
        fresh.assignment_strategy,
        TableAllocation.objects.count(),
        BookingStateHistory.objects.count(),
        BookingAssignmentAttempt.objects.count(),
        OutboxEvent.objects.count(),
        sorted(TableAllocation.objects.values_list("table__label", "booking_id", "hold_id")),
    )


def test_assigns_confirms_and_records_a_manual_attempt_by_the_staff_user(restaurant, assigner):
    booking = in_review(restaurant, party_size=6)
    version = booking.version

    booking_assign_manually(
        booking=booking, table_labels=["M3", "M2"], actor=Actor.staff(assigner), expected_version=version
    )

    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == BookingState.CONFIRMED
    assert fresh.version == version + 1
    assert fresh.assignment_strategy == "manual"
    allocs = TableAllocation.objects.filter(booking=booking).order_by("table__label")
    assert [a.table.label for a in allocs] == ["M2", "M3"]
    assert {(a.start_at, a.end_at) for a in allocs} == {
        (booking.start_at, booking.end_at + restaurant_buffer(restaurant))
    }
    last = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert (last.from_state, last.to_state, last.transition) == ("manual_review", "confirmed", "confirm")
    assert last.actor == assigner and last.actor_label == "staff:assigner"
    assert last.metadata["tables"] == ["M2", "M3"]
    attempt = BookingAssignmentAttempt.objects.get(booking=booking)
    assert (attempt.strategy, attempt.result, attempt.metadata["tables"]) == (
        "manual",
        "success",
        ["M2", "M3"],
    )
    assert "staff:assigner" in attempt.reason


def restaurant_buffer(restaurant):
    from datetime import timedelta

    return timedelta(minutes=restaurant.buffer_minutes)


def test_a_table_taken_by_another_booking_is_refused_with_its_message_and_nothing_written(
    restaurant, assigner
):
    other = confirmed_at(restaurant, ["M1"], start="18:30")
    booking = in_review(restaurant, start="19:00")
    before = _snapshot(booking)

    with pytest.raises(TablesTaken) as exc:
        booking_assign_manually(
            booking=booking,
            table_labels=["M1"],
            actor=Actor.staff(assigner),
            expected_version=booking.version,
        )

    assert str(exc.value).startswith(f"Not seated: M1 is taken by #{other.pk} (2p 18:30-20:00)")
    assert exc.value.tables == ["M1"]
    assert _snapshot(booking) == before


def test_a_live_hold_blocks_the_table_and_nothing_is_written(restaurant, assigner):
    from datetime import timedelta

    from django.utils import timezone

    hold = Hold.objects.create(
        restaurant=restaurant,
        party_size=2,
        start_at=at("19:30"),
        end_at=at("21:00"),
        expires_at=timezone.now() + timedelta(minutes=10),
    )
    t1 = restaurant.tables.get(label="T1")
    allocations_create(tables=[t1], start_at=hold.start_at, end_at=hold.end_at, hold=hold)
    booking = in_review(restaurant, party_size=4, start="19:00")
    before = _snapshot(booking)

    with pytest.raises(TablesTaken, match=f"hold #{hold.pk}"):
        booking_assign_manually(
            booking=booking,
            table_labels=["T1"],
            actor=Actor.staff(assigner),
            expected_version=booking.version,
        )
    assert _snapshot(booking) == before


@pytest.mark.parametrize(
    ("party", "tables", "accessible", "message"),
    [
        (6, ["M1"], False, "seat at most 2; the party is 6"),
        (2, ["T1"], False, "takes parties of 3-6; the party is 2"),
        (9, ["M2", "M3"], False, "seat at most 8; the party is 9"),
        (4, ["M1", "M2"], False, "M1 cannot be combined"),
        (8, ["M2", "T1"], False, "one zone"),
        (4, ["M2"], True, "M2 is not accessible"),
        (2, ["Z9"], False, "Unknown or inactive table(s): Z9"),
        (2, [], False, "Choose at least one table"),
    ],
)
def test_capacity_and_combination_rules_are_enforced(
    restaurant, assigner, party, tables, accessible, message
):
    booking = in_review(restaurant, party_size=party, needs_accessible=accessible)
    before = _snapshot(booking)

    with pytest.raises(InvalidTables, match=re.escape(message)):
        booking_assign_manually(
            booking=booking,
            table_labels=tables,
            actor=Actor.staff(assigner),
            expected_version=booking.version,
        )
    assert _snapshot(booking) == before


def test_tables_not_joined_by_adjacency_or_over_the_limit_are_refused(restaurant, assigner):
    from tests.factories import TableFactory

    m4 = TableFactory(zone=restaurant.zones.get(key="main"), label="M4", max_covers=4, combinable=True)
    assert m4.restaurant_id == restaurant.pk
    booking = in_review(restaurant, party_size=7)
    with pytest.raises(InvalidTables, match="not connected by adjacency"):
        booking_assign_manually(
            booking=booking,
            table_labels=["M2", "M4"],
            actor=Actor.staff(assigner),
            expected_version=booking.version,
        )

    restaurant.max_combination_tables = 1
    restaurant.save(update_fields=["max_combination_tables"])
    before = _snapshot(booking)
    with pytest.raises(InvalidTables, match="at most 1 tables may be joined"):
        booking_assign_manually(
            booking=booking,
            table_labels=["M2", "M3"],
            actor=Actor.staff(assigner),
            expected_version=booking.version,
        )
    assert _snapshot(booking) == before


def test_a_stale_version_is_refused_and_nothing_written(restaurant, assigner):
    booking = in_review(restaurant)
    stale = booking.version - 1
    before = _snapshot(booking)

    with pytest.raises(StaleBooking, match="changed while you were looking"):
        booking_assign_manually(
            booking=booking, table_labels=["M1"], actor=Actor.staff(assigner), expected_version=stale
        )
    assert _snapshot(booking) == before


def test_a_confirmed_booking_is_never_assigned_twice(restaurant, assigner):
    booking = in_review(restaurant)
    booking_assign_manually(
        booking=booking, table_labels=["M1"], actor=Actor.staff(assigner), expected_version=booking.version
    )
    fresh = Booking.objects.get(pk=booking.pk)
    before = _snapshot(fresh)

    with pytest.raises(NotAssignable, match="'Confirmed' at M1"):
        booking_assign_manually(
            booking=fresh, table_labels=["M2"], actor=Actor.staff(assigner), expected_version=fresh.version
        )
    assert _snapshot(fresh) == before


def test_tables_kept_from_a_modification_give_way_to_the_manual_choice(restaurant, assigner):
    from assignments.services.bookings import booking_modify

    booking = confirmed_at(restaurant, ["M1"])
    booking_modify(booking=booking, party_size=4)  # back to assignment_pending, still holding M1
    booking = Booking.objects.get(pk=booking.pk)
    assert booking.state == BookingState.ASSIGNMENT_PENDING

    booking_assign_manually(
        booking=booking, table_labels=["M2"], actor=Actor.staff(assigner), expected_version=booking.version
    )

    assert list(TableAllocation.objects.filter(booking=booking).values_list("table__label", flat=True)) == [
        "M2"
    ]
