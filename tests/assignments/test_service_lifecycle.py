"""The service itself: seating (lateness noted), completion and no-show freeing the rest of the tables' time at
once, the tables_freed signal on commit, and version conflicts on the new transitions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assignments import lifecycle
from assignments.lifecycle import InvalidTransition, VersionConflict
from assignments.models import Booking, BookingState, BookingStateHistory, OutboxEvent, TableAllocation
from assignments.services.seating import booking_seat
from assignments.signals import tables_freed
from tests.factories import at, make_booking

pytestmark = pytest.mark.django_db
S = BookingState


def seated_booking(restaurant, *, table="M1", start="19:00", party_size=2, arrived="19:02"):
    """A booking confirmed on `table` through the seating service (allocation = start .. end + buffer), seated."""
    booking = make_booking(restaurant, party_size=party_size, start=start)
    lifecycle.booking_request_assignment(booking=booking)
    booking_seat(
        booking=booking,
        tables=[restaurant.tables.get(label=table)],
        window=(booking.start_at, booking.end_at + timedelta(minutes=restaurant.buffer_minutes)),
        strategy="test",
    )
    if arrived:
        lifecycle.booking_mark_seated(booking=booking, now=at(arrived))
    return booking


@pytest.fixture
def freed(django_capture_on_commit_callbacks):
    """The tables_freed signals sent, as (restaurant_id, service_date, reason)."""
    got = []

    def receiver(sender, **kw):
        got.append((kw["restaurant_id"], kw["service_date"], kw["reason"]))

    tables_freed.connect(receiver, dispatch_uid="test-freed")
    yield got
    tables_freed.disconnect(dispatch_uid="test-freed")


def _span(booking):
    return list(
        TableAllocation.objects.filter(booking=booking).values_list("table__label", "start_at", "end_at")
    )


@pytest.mark.parametrize(
    ("arrived", "late"), [("18:50", False), ("19:05", False), ("19:06", True), ("19:40", True)]
)
def test_seating_notes_when_the_party_came_and_whether_it_was_late(restaurant, arrived, late):
    booking = seated_booking(restaurant, arrived=None)
    lifecycle.booking_mark_seated(booking=booking, now=at(arrived))

    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.arrived_at, fresh.arrived_late) == (S.SEATED, at(arrived), late)
    row = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert (row.transition, row.metadata["late"]) == ("seat", late)
    event = OutboxEvent.objects.latest("id")
    assert (event.event_type, event.payload["to_state"], event.payload["late"]) == (
        "booking.seated",
        "seated",
        late,
    )
    assert _span(booking)[0][2] == at("20:40")  # the tables keep their planned time


def test_completion_frees_the_rest_of_the_tables_time_at_once(
    restaurant, freed, django_capture_on_commit_callbacks
):
    booking = seated_booking(restaurant)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_complete(booking=booking, now=at("19:45") + timedelta(seconds=20))

    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == S.COMPLETED and fresh.left_at == at("19:45") + timedelta(seconds=20)
    # now + buffer (10), rounded up to the whole minute
    assert _span(booking) == [("M1", at("19:00"), at("19:56"))]
    assert fresh.end_at == at("20:30")  # the plan stays on record, for planned vs actual
    row = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert row.transition == "complete" and row.metadata["planned_minutes"] == 90.0
    assert row.metadata["turn_minutes"] == pytest.approx(43.3, abs=0.1)  # seated 19:02, left 19:45:20
    assert OutboxEvent.objects.filter(aggregate_type="booking").latest("id").event_type == "booking.completed"
    assert freed == [(restaurant.pk, at("19:00").date(), "completed")]


def test_completion_after_the_planned_end_frees_nothing_and_says_nothing(
    restaurant, freed, django_capture_on_commit_callbacks
):
    booking = seated_booking(restaurant)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_complete(booking=booking, now=at("20:45"))
    assert _span(booking) == [("M1", at("19:00"), at("20:40"))]
    assert freed == []


def test_no_show_frees_the_tables_from_now(restaurant, freed, django_capture_on_commit_callbacks):
    booking = seated_booking(restaurant, arrived=None)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.booking_mark_no_show(booking=booking, now=at("19:20"))
    assert Booking.objects.get(pk=booking.pk).state == S.NO_SHOW
    assert _span(booking) == [("M1", at("19:00"), at("19:20"))]
    assert OutboxEvent.objects.filter(aggregate_type="booking").latest("id").event_type == "booking.no_show"
    assert freed == [(restaurant.pk, at("19:00").date(), "no_show")]


def test_no_show_before_the_start_is_refused_and_writes_nothing(restaurant):
    booking = seated_booking(restaurant, arrived=None)
    rows, events = BookingStateHistory.objects.count(), OutboxEvent.objects.count()
    with pytest.raises(InvalidTransition, match="not started yet"):
        lifecycle.booking_mark_no_show(booking=booking, now=at("18:59"))
    assert Booking.objects.get(pk=booking.pk).state == S.CONFIRMED
    assert (BookingStateHistory.objects.count(), OutboxEvent.objects.count()) == (rows, events)
    assert _span(booking)[0][2] == at("20:40")


@pytest.mark.parametrize("transition", ["seat", "complete", "mark_no_show"])
def test_a_stale_version_on_a_new_transition_is_a_conflict_and_writes_nothing(restaurant, transition):
    booking = seated_booking(restaurant, arrived=None if transition != "complete" else "19:02")
    stale = Booking.objects.select_related("restaurant").get(pk=booking.pk)
    stale.version -= 1
    rows, events, span = BookingStateHistory.objects.count(), OutboxEvent.objects.count(), _span(booking)
    call = {
        "seat": lifecycle.booking_mark_seated,
        "complete": lifecycle.booking_complete,
        "mark_no_show": lifecycle.booking_mark_no_show,
    }[transition]
    with pytest.raises(VersionConflict):
        call(booking=stale, now=at("19:30"))
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.state, fresh.version) == (booking.state, booking.version)
    assert (BookingStateHistory.objects.count(), OutboxEvent.objects.count(), _span(booking)) == (
        rows,
        events,
        span,
    )


def test_arrivals_no_shows_and_turn_times_are_counted_per_restaurant(
    restaurant, django_capture_on_commit_callbacks
):
    from prometheus_client import REGISTRY

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, {"restaurant": restaurant.slug, **labels}) or 0.0

    before = (
        value("maitre_party_arrivals_total", outcome="late"),
        value("maitre_party_arrivals_total", outcome="no_show"),
        value("maitre_turn_minutes_count"),
        value("maitre_turn_actual_to_planned_ratio_sum"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        party = seated_booking(restaurant, table="M1", arrived="19:30")  # late
        lifecycle.booking_complete(booking=party, now=at("20:15"))  # 45 of 90 planned minutes
        gone = seated_booking(restaurant, table="M2", arrived=None)
        lifecycle.booking_mark_no_show(booking=gone, now=at("19:20"))
    after = (
        value("maitre_party_arrivals_total", outcome="late"),
        value("maitre_party_arrivals_total", outcome="no_show"),
        value("maitre_turn_minutes_count"),
        value("maitre_turn_actual_to_planned_ratio_sum"),
    )
    assert after[0] - before[0] == 1 and after[1] - before[1] == 1 and after[2] - before[2] == 1
    assert after[3] - before[3] == pytest.approx(0.5)
