"""The floor heals itself end to end: a write frees tables, the review booking is offered them on commit, and a
real worker seats it (a `manage.py worker` process on Postgres + Redis; an in-process Dramatiq worker on the
configured broker, which is the stub broker on the embedded defaults)."""

from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY

from assignments import lifecycle
from assignments.models import (
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    BookingStateHistory,
    OutboxEvent,
)
from assignments.services.blocks import table_block_create, table_block_remove
from tests.coordinator.conftest import wait_until
from tests.factories import at
from tests.heal.helpers import seated, tables_of, transitions, waiting_in_review, wide_floor


def _state(booking: Booking) -> str:
    return Booking.objects.get(pk=booking.pk).state


def _heal_offers(booking: Booking) -> int:
    return BookingStateHistory.objects.filter(booking=booking, actor_label="floor_heal").count()


def _assert_seated_by_healing(booking: Booking, cause: str) -> None:
    booking.refresh_from_db()
    offer, confirm = list(BookingStateHistory.objects.filter(booking=booking).order_by("version"))[-2:]
    assert (offer.transition, offer.actor_label) == ("request_assignment", "floor_heal")
    assert (
        offer.metadata["reason"].startswith("floor healed: tables freed up at ")
        and cause in offer.metadata["reason"]
    )
    assert confirm.transition == "confirm" and confirm.actor_label == "coordinator"
    assert confirm.metadata["healed"].startswith("seated automatically after tables freed up at ")
    event = OutboxEvent.objects.get(aggregate_id=str(booking.pk), event_type="booking.confirmed")
    assert event.payload["cause"]["kind"] == "floor_healed" and cause in event.payload["cause"]["detail"]


@pytest.mark.postgres
@pytest.mark.redis
def test_a_cancellation_lets_a_review_booking_be_seated_by_the_worker_process(restaurant, worker_process):
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="19:30")

    lifecycle.booking_cancel(booking=five, reason="guest called")

    assert wait_until(lambda: _state(six) == BookingState.CONFIRMED, timeout=20)
    assert tables_of(six) == ["T1"]
    _assert_seated_by_healing(six, f"cancellation of #{five.pk}")


@pytest.mark.postgres
@pytest.mark.redis
def test_a_block_removed_lets_a_review_booking_be_seated_by_the_worker_process(restaurant, worker_process):
    block = table_block_create(
        restaurant=restaurant,
        table_labels=["T1"],
        start_at=at("18:00"),
        end_at=at("23:00"),
        reason="private party",
    )
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="19:30")

    table_block_remove(block=block)

    assert wait_until(lambda: _state(six) == BookingState.CONFIRMED, timeout=20)
    assert tables_of(six) == ["T1"]
    _assert_seated_by_healing(six, "removal of the block on T1 (private party)")


@pytest.mark.postgres
@pytest.mark.redis
def test_an_early_completion_lets_a_review_booking_be_seated_by_the_worker_process(
    restaurant, worker_process
):
    """The issue's case: a party leaves early, the rest of its table's time is freed, and a worker process
    seats the party waiting in review there, saying why."""
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="20:00")
    five = lifecycle.booking_mark_seated(booking=five, now=at("19:00"))

    lifecycle.booking_complete(booking=five, now=at("19:30"))  # left 70 minutes early: T1 is free from 19:40

    assert wait_until(lambda: _state(six) == BookingState.CONFIRMED, timeout=20)
    assert tables_of(six) == ["T1"]
    _assert_seated_by_healing(six, f"#{five.pk} left early")


def test_a_cancellation_heals_the_floor_with_an_in_process_worker_on_either_backend(restaurant, worker):
    five = seated(restaurant, ["T1"], party_size=5, start="19:00")
    seated(restaurant, ["M2", "M3"], party_size=8, start="19:00")
    six = waiting_in_review(restaurant, party_size=6, start="19:30")

    lifecycle.booking_cancel(booking=five)

    assert wait_until(lambda: _state(six) == BookingState.CONFIRMED, timeout=20)
    _assert_seated_by_healing(six, f"cancellation of #{five.pk}")


def test_a_storm_of_twenty_cancellations_makes_one_pass_for_the_day(
    transactional_db, worker, settings, monkeypatch
):
    settings.MAITRE = {**settings.MAITRE, "FLOOR_HEAL_DEBOUNCE_MS": 5000}  # the storm fits well inside it
    from assignments.services import pipeline

    wakes = []
    real_wake = pipeline.pipeline_wake
    monkeypatch.setattr(pipeline, "pipeline_wake", lambda **kw: (wakes.append(kw), real_wake(**kw)))
    restaurant = wide_floor(20)
    couples = [seated(restaurant, [f"S{n:02d}"], party_size=2, start="19:00") for n in range(1, 21)]
    eight = seated(restaurant, ["B1"], party_size=8, start="19:00")
    party = waiting_in_review(restaurant, party_size=8, start="19:30")
    attempts_before = BookingAssignmentAttempt.objects.filter(booking=party).count()
    events = {
        r: REGISTRY.get_sample_value("maitre_floor_heal_events_total", {"result": r}) or 0.0
        for r in ("offered", "nothing")
    }

    started = time.monotonic()
    for couple in couples:
        lifecycle.booking_cancel(booking=couple, reason="storm")
    storm_seconds = time.monotonic() - started

    assert wait_until(
        lambda: _state(party) == BookingState.MANUAL_REVIEW and _heal_offers(party) == 1, timeout=20
    )
    time.sleep(1.0)  # a second pass, if any, would have come by now
    assert storm_seconds < 5.0, f"the storm took {storm_seconds:.1f}s, longer than the debounce"
    assert _heal_offers(party) == 1, transitions(party)
    assert transitions(party)[-2:] == [
        ("request_assignment", "assignment_pending"),
        ("send_to_review", "manual_review"),
    ]
    tried = BookingAssignmentAttempt.objects.filter(booking=party).order_by("id")[attempts_before:]
    assert {a.attempt_no for a in tried} == {1}
    assert len(wakes) == 1 and wakes[0]["delay_ms"] == 5000
    assert (REGISTRY.get_sample_value("maitre_floor_heal_events_total", {"result": "offered"}) or 0.0) == (
        events["offered"] + 1
    )
    assert (REGISTRY.get_sample_value("maitre_floor_heal_events_total", {"result": "nothing"}) or 0.0) == (
        events["nothing"] + 19
    )

    # A later event offers it again, and now it fits (the storm's long debounce has done its part: a short one).
    settings.MAITRE = {**settings.MAITRE, "FLOOR_HEAL_DEBOUNCE_MS": 200}
    lifecycle.booking_cancel(booking=eight)

    assert wait_until(lambda: _state(party) == BookingState.CONFIRMED, timeout=20)
    assert tables_of(party) == ["B1"] and _heal_offers(party) == 2
