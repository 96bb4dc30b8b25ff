"""The state machine: every allowed and disallowed transition, version checks, history and outbox."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from assignments import lifecycle
from assignments.lifecycle import InvalidTransition, VersionConflict
from assignments.models import Booking, BookingState, BookingStateHistory, OutboxEvent, TableAllocation
from assignments.services.allocations import allocations_create
from tests.factories import at, make_booking

S = BookingState


def _to(booking: Booking, state: str) -> Booking:
    """Walk a fresh booking to `state` through allowed transitions."""
    if state == S.PENDING:
        return booking
    lifecycle.booking_request_assignment(booking=booking)
    if state == S.ASSIGNMENT_PENDING:
        return booking
    if state == S.CONFIRMED:
        return lifecycle.booking_confirm(booking=booking, tables=["M1"], strategy="test")
    if state == S.MANUAL_REVIEW:
        return lifecycle.booking_send_to_review(booking=booking, reason="no plan")
    if state == S.CANCELLED:
        return lifecycle.booking_cancel(booking=booking)
    lifecycle.booking_confirm(booking=booking, tables=["M1"], strategy="test")
    if state == S.NO_SHOW:
        return lifecycle.booking_mark_no_show(booking=booking, now=at("19:20"))
    lifecycle.booking_mark_seated(booking=booking, now=at("19:02"))
    if state == S.SEATED:
        return booking
    if state == S.COMPLETED:
        return lifecycle.booking_complete(booking=booking, now=at("20:15"))
    raise AssertionError(state)


def _apply(booking: Booking, transition: str) -> Booking:
    calls = {
        "request_assignment": lambda: lifecycle.booking_request_assignment(booking=booking),
        "request_modification": lambda: lifecycle.booking_request_assignment(
            booking=booking, trigger="modification"
        ),
        "confirm": lambda: lifecycle.booking_confirm(booking=booking, tables=["M1"], strategy="test"),
        "send_to_review": lambda: lifecycle.booking_send_to_review(booking=booking, reason="x"),
        "cancel": lambda: lifecycle.booking_cancel(booking=booking),
        "seat": lambda: lifecycle.booking_mark_seated(booking=booking, now=at("19:05")),
        "complete": lambda: lifecycle.booking_complete(booking=booking, now=at("20:30")),
        "mark_no_show": lambda: lifecycle.booking_mark_no_show(booking=booking, now=at("19:30")),
    }
    return calls[transition]()


ALLOWED = {
    (S.PENDING, "request_assignment"): S.ASSIGNMENT_PENDING,
    (S.MANUAL_REVIEW, "request_assignment"): S.ASSIGNMENT_PENDING,
    (S.CONFIRMED, "request_modification"): S.ASSIGNMENT_PENDING,
    (S.PENDING, "request_modification"): S.ASSIGNMENT_PENDING,
    (S.MANUAL_REVIEW, "request_modification"): S.ASSIGNMENT_PENDING,
    (S.ASSIGNMENT_PENDING, "confirm"): S.CONFIRMED,
    (S.MANUAL_REVIEW, "confirm"): S.CONFIRMED,
    (S.ASSIGNMENT_PENDING, "send_to_review"): S.MANUAL_REVIEW,
    (S.PENDING, "cancel"): S.CANCELLED,
    (S.ASSIGNMENT_PENDING, "cancel"): S.CANCELLED,
    (S.CONFIRMED, "cancel"): S.CANCELLED,
    (S.MANUAL_REVIEW, "cancel"): S.CANCELLED,
    (S.CONFIRMED, "seat"): S.SEATED,
    (S.SEATED, "complete"): S.COMPLETED,
    (S.CONFIRMED, "mark_no_show"): S.NO_SHOW,
}
TRANSITIONS = [
    "request_assignment",
    "request_modification",
    "confirm",
    "send_to_review",
    "cancel",
    "seat",
    "complete",
    "mark_no_show",
]
ALL_CASES = [(state, t) for state in S.values for t in TRANSITIONS]


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "transition"), [c for c in ALL_CASES if c in ALLOWED])
def test_allowed_transition_writes_one_history_row_and_one_event(restaurant, state, transition):
    booking = _to(make_booking(restaurant), state)
    version, rows, events = booking.version, BookingStateHistory.objects.count(), OutboxEvent.objects.count()

    _apply(booking, transition)

    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == ALLOWED[(state, transition)] == booking.state
    assert fresh.version == version + 1
    assert BookingStateHistory.objects.count() == rows + 1
    # one event per transition; a cancel that lands while the pipeline has the booking also says it failed
    failed = 1 if (state, transition) == (S.ASSIGNMENT_PENDING, "cancel") else 0
    assert OutboxEvent.objects.exclude(event_type="booking.failed").count() == events + 1
    assert OutboxEvent.objects.filter(event_type="booking.failed").count() == failed
    last = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert (last.from_state, last.to_state, last.version) == (state, fresh.state, fresh.version)
    assert (
        OutboxEvent.objects.exclude(event_type="booking.failed").latest("id").event_type
        == lifecycle.EVENT_FOR_STATE[fresh.state]
    )
    # version counts the history rows (creation included)
    assert BookingStateHistory.objects.filter(booking=booking).count() == fresh.version


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "transition"), [c for c in ALL_CASES if c not in ALLOWED])
def test_disallowed_transition_raises_and_writes_nothing(restaurant, state, transition):
    booking = _to(make_booking(restaurant), state)
    version, rows, events = booking.version, BookingStateHistory.objects.count(), OutboxEvent.objects.count()

    with pytest.raises(InvalidTransition) as err:
        _apply(booking, transition)

    assert state in str(err.value)
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.version) == (state, version)
    assert (BookingStateHistory.objects.count(), OutboxEvent.objects.count()) == (rows, events)


@pytest.mark.django_db
def test_stale_version_raises_version_conflict_and_writes_nothing(restaurant):
    booking = make_booking(restaurant)
    stale = Booking.objects.get(pk=booking.pk)
    lifecycle.booking_request_assignment(booking=booking)
    rows = BookingStateHistory.objects.count()

    with pytest.raises(VersionConflict):
        lifecycle.booking_cancel(booking=stale)
    with pytest.raises(VersionConflict):
        lifecycle.booking_cancel(booking=booking, expected_version=booking.version - 1)

    assert Booking.objects.get(pk=booking.pk).state == S.ASSIGNMENT_PENDING
    assert BookingStateHistory.objects.count() == rows


@pytest.mark.django_db
def test_protected_state_cannot_be_assigned_directly(restaurant):
    booking = make_booking(restaurant)
    with pytest.raises(AttributeError):
        booking.state = S.CONFIRMED


@pytest.mark.django_db
def test_transition_rolled_back_leaves_no_history_and_no_outbox(restaurant):
    booking = make_booking(restaurant)
    rows, events = BookingStateHistory.objects.count(), OutboxEvent.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.booking_request_assignment(booking=booking)
        raise RuntimeError("boom after the transition")

    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.version) == (S.PENDING, 1)
    assert (BookingStateHistory.objects.count(), OutboxEvent.objects.count()) == (rows, events)


@pytest.mark.django_db
def test_cancel_releases_the_tables(restaurant):
    booking = _to(make_booking(restaurant), S.ASSIGNMENT_PENDING)
    allocations_create(
        tables=[restaurant.tables.get(label="M1")],
        start_at=booking.start_at,
        end_at=booking.end_at,
        booking=booking,
    )
    lifecycle.booking_confirm(booking=booking, tables=["M1"], strategy="test")

    lifecycle.booking_cancel(booking=booking, reason="guest called")

    assert not TableAllocation.objects.filter(booking=booking).exists()
    assert BookingStateHistory.objects.filter(booking=booking).latest("version").metadata[
        "released_tables"
    ] == ["M1"]


@pytest.mark.django_db
def test_legacy_status_mapping(restaurant):
    expected = {
        S.PENDING: "pending",
        S.ASSIGNMENT_PENDING: "pending",
        S.MANUAL_REVIEW: "pending",
        S.CONFIRMED: "confirmed",
        S.CANCELLED: "cancelled",
        S.SEATED: "seated",
        S.COMPLETED: "completed",
        S.NO_SHOW: "no_show",
    }
    assert set(expected) == set(S.values)
    for state, legacy in expected.items():
        assert _to(make_booking(restaurant), state).legacy_status == legacy


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_same_version_exactly_one_wins(restaurant):
    booking = make_booking(restaurant)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(transition: str) -> None:
        mine = Booking.objects.get(pk=booking.pk)
        barrier.wait()
        try:
            _apply(mine, transition)
            outcomes.append("won")
        except VersionConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in ("request_assignment", "cancel")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["conflict", "won"]
    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.version == 2
    assert BookingStateHistory.objects.filter(booking=booking).count() == 2
