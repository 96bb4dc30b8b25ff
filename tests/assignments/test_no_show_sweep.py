"""The no-show sweep: after the restaurant's grace period (not before), only confirmed bookings, idempotent,
safe with two sweeps at once; its command and its place among the scheduler's jobs."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from assignments import lifecycle
from assignments.models import Booking, BookingState, BookingStateHistory, OutboxEvent, TableAllocation
from assignments.services.no_shows import no_shows_mark_due
from tests.assignments.test_service_lifecycle import seated_booking
from tests.factories import at, make_booking

S = BookingState


def confirmed(restaurant, **kw):
    return seated_booking(restaurant, arrived=None, **kw)


def _marked(results):
    return sorted(pk for r in results for pk in r.marked)


@pytest.mark.django_db
def test_a_confirmed_booking_becomes_a_no_show_after_the_grace_period_and_not_before(restaurant):
    booking = confirmed(restaurant)  # 19:00, grace 15 minutes by default
    assert restaurant.no_show_grace_minutes == 15

    assert _marked(no_shows_mark_due(now=at("19:14"))) == []
    assert _marked(no_shows_mark_due(now=at("19:15") - timedelta(seconds=1))) == []
    assert Booking.objects.get(pk=booking.pk).state == S.CONFIRMED

    assert _marked(no_shows_mark_due(now=at("19:15") + timedelta(seconds=30))) == [booking.pk]
    fresh = Booking.objects.get(pk=booking.pk)
    assert fresh.state == S.NO_SHOW
    row = BookingStateHistory.objects.filter(booking=booking).latest("version")
    assert (row.transition, row.actor_label, row.metadata["by"]) == ("mark_no_show", "no_show_sweep", "sweep")
    assert (
        OutboxEvent.objects.filter(aggregate_id=str(booking.pk)).latest("id").event_type == "booking.no_show"
    )
    # its table is free from the sweep's minute on (rounded up to the whole minute)
    assert list(TableAllocation.objects.filter(booking=booking).values_list("end_at", flat=True)) == [
        at("19:16")
    ]

    # idempotent: a second run finds nothing and writes nothing
    rows = BookingStateHistory.objects.count()
    assert _marked(no_shows_mark_due(now=at("19:30"))) == []
    assert BookingStateHistory.objects.count() == rows


@pytest.mark.django_db
def test_the_grace_period_is_the_restaurants_own(restaurant):
    restaurant.no_show_grace_minutes = 30
    restaurant.save(update_fields=["no_show_grace_minutes"])
    booking = confirmed(restaurant)
    assert _marked(no_shows_mark_due(now=at("19:20"))) == []
    assert _marked(no_shows_mark_due(now=at("19:31"))) == [booking.pk]


@pytest.mark.django_db
def test_seated_waiting_and_long_past_bookings_are_left_alone(restaurant):
    seated = seated_booking(restaurant, table="M1", start="19:00")
    review = lifecycle.booking_send_to_review(
        booking=lifecycle.booking_request_assignment(booking=make_booking(restaurant, start="19:00")),
        reason="no plan",
    )
    old = confirmed(restaurant, table="M2", start="17:00")
    # seen from the next evening, the 17:00 booking started more than the lookback (24 h) ago
    assert _marked(no_shows_mark_due(now=at("17:01") + timedelta(days=1))) == []
    assert {b.state for b in Booking.objects.filter(pk__in=[seated.pk, review.pk, old.pk])} == {
        S.SEATED,
        S.MANUAL_REVIEW,
        S.CONFIRMED,
    }


@pytest.mark.django_db
def test_the_command_runs_the_sweep_once_and_prints_a_summary(restaurant, monkeypatch):
    from assignments.services import no_shows

    booking = confirmed(restaurant)
    real = no_shows.no_shows_mark_due
    monkeypatch.setattr(
        "assignments.management.commands.mark_no_shows.no_shows_mark_due",
        lambda **kw: real(now=at("19:40"), **kw),
    )
    out = io.StringIO()
    call_command("mark_no_shows", stdout=out)
    assert Booking.objects.get(pk=booking.pk).state == S.NO_SHOW
    assert (
        f"{restaurant.slug}" in out.getvalue() and "marked 1 no-show(s) in 1 restaurant(s)" in out.getvalue()
    )


def test_the_scheduler_sends_the_sweep_every_minute():
    from assignments.management.commands.scheduler import periodic_jobs

    jobs = {j.name: j for j in periodic_jobs()}
    job = next(j for name, j in jobs.items() if name.endswith("mark_no_shows_periodic"))
    assert "interval[0:01:00]" in str(job.trigger)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_mark_each_booking_exactly_once(restaurant):
    bookings = [confirmed(restaurant, table=t) for t in ("M1", "M2", "M3")]
    barrier = threading.Barrier(2)
    marked: list[int] = []

    def sweep():
        try:
            barrier.wait()
            marked.extend(_marked(no_shows_mark_due(now=at("19:20"))))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(marked) == sorted(b.pk for b in bookings)
    for b in bookings:
        assert BookingStateHistory.objects.filter(booking=b, transition="mark_no_show").count() == 1
        assert Booking.objects.get(pk=b.pk).state == S.NO_SHOW
