"""Re-seating one booking: the fewest moves of unfrozen confirmed bookings, applied in the caller's transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from assignments import lifecycle
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
    OutboxEvent,
)
from assignments.reseating import PlanStale
from assignments.services.allocations import allocations_create
from assignments.services.seating import TABLES_CHANGED
from optimization.reseating import reseat_apply, reseat_compute
from tests.factories import FloorFactory, at, make_booking
from tests.optimization.test_day_optimizer import overlaps, seat, snapshot, tables_of

EARLY = at("12:00")


def moves_applied(booking: Booking, now) -> list[str] | None:
    """Compute and apply a re-seat in one transaction: the booking's tables, or None (nothing written)."""
    plan = reseat_compute(booking=booking, now=now)
    if plan is None:
        return None
    with transaction.atomic():
        return list(reseat_apply(plan=plan))


def pending(restaurant, **kw) -> Booking:
    b = make_booking(restaurant, **kw)
    lifecycle.booking_request_assignment(booking=b)
    return b


@pytest.fixture
def accessible_four(db):
    """Couples on M2 and M3 at 19:00, M1 free; an accessible party of 4 fits only M3 (the accessible 4-top)."""
    r = FloorFactory.small()
    a = seat(r, ["M2"], party_size=2)
    b = seat(r, ["M3"], party_size=2)
    four = pending(r, party_size=4, needs_accessible=True)
    return r, a, b, four


def test_one_minimal_move_and_the_booking_is_not_confirmed(accessible_four):
    r, a, b, four = accessible_four
    history = BookingStateHistory.objects.count()
    tables = moves_applied(four, EARLY)
    assert tables == ["M3"]
    assert tables_of(a) == ("M2",)  # moving both would work too; one move is the minimum
    assert tables_of(b) == ("M1",)
    four.refresh_from_db()
    assert four.state == BookingState.ASSIGNMENT_PENDING and not tables_of(four)  # the caller confirms it
    assert BookingStateHistory.objects.count() == history  # a move is no state change
    attempt = BookingAssignmentAttempt.objects.get(booking=b, strategy="reseat")
    assert attempt.metadata == {"from_tables": ["M3"], "tables": ["M1"], "move": True, "room_for": four.pk}
    assert OutboxEvent.objects.filter(aggregate_id=str(b.pk), event_type=TABLES_CHANGED).count() == 1
    assert not OutboxEvent.objects.filter(aggregate_id=str(a.pk), event_type=TABLES_CHANGED).exists()
    assert overlaps() == 0


def test_the_coordinator_pattern_moves_and_confirms_in_one_transaction(accessible_four):
    r, a, b, four = accessible_four
    plan = reseat_compute(booking=four, now=EARLY)
    assert plan is not None and set(plan.moves) == {str(b.pk)}
    with transaction.atomic():
        tables = reseat_apply(plan=plan, correlation_id="c-1")
        by_label = {t.label: t for t in r.tables.all()}
        allocations_create(
            tables=[by_label[t] for t in tables],
            start_at=four.start_at,
            end_at=four.end_at + timedelta(minutes=r.buffer_minutes),
            booking=four,
        )
        lifecycle.booking_confirm(
            booking=four, tables=list(tables), strategy="reseat", expected_version=four.version
        )
    four.refresh_from_db()
    assert four.state == BookingState.CONFIRMED and tables_of(four) == ("M3",)
    assert overlaps() == 0


@pytest.mark.django_db(transaction=True)
def test_reseat_apply_needs_a_transaction(accessible_four):
    r, a, b, four = accessible_four
    plan = reseat_compute(booking=four, now=EARLY)
    with pytest.raises(RuntimeError):
        reseat_apply(plan=plan)


def test_frozen_bookings_do_not_move(accessible_four):
    r, a, b, four = accessible_four
    before = snapshot()
    assert reseat_compute(booking=four, now=at("18:30")) is None  # the 19:00 couples are frozen
    assert snapshot() == before


def test_no_room_anywhere_is_none(db):
    r = FloorFactory.small()
    for tables in (["M1"], ["M2"], ["M3"]):
        seat(r, tables, party_size=2)
    seat(r, ["T1"], party_size=4)
    five = pending(r, party_size=5)
    before = snapshot()
    assert reseat_compute(booking=five, now=EARLY) is None
    assert snapshot() == before


def test_a_moved_booking_changed_meanwhile_aborts_and_writes_nothing(accessible_four):
    r, a, b, four = accessible_four
    plan = reseat_compute(booking=four, now=EARLY)
    lifecycle.booking_cancel(booking=Booking.objects.get(pk=b.pk), reason="guest cancelled")
    before = snapshot()
    with pytest.raises(PlanStale), transaction.atomic():
        reseat_apply(plan=plan)
    assert snapshot() == before


@pytest.mark.postgres
def test_reseat_on_postgres_holds_the_exclusion_constraint(accessible_four):
    r, a, b, four = accessible_four
    assert moves_applied(four, EARLY) == ["M3"]
    assert overlaps() == 0
