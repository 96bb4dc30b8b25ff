"""The fast paths beside the Redis wake-up: a NOTIFY in the transaction that makes a booking due (delivered at
its commit) and each worker's listener, which decides the day without Redis or a free consumer thread; and the
re-seat thread, which keeps the solves off the threads that decide fresh bookings."""

from __future__ import annotations

import time
from datetime import date, timedelta

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from assignments import coordinator, flags
from assignments.coordinator import Status
from assignments.listener import Listener, listen_connection, parse_payload
from assignments.models import Booking, BookingState
from assignments.services.pipeline import WAKE_CHANNEL, booking_submit_for_assignment, pipeline_wake
from tests.coordinator.conftest import pass_count, wait_until
from tests.factories import make_booking


def _listening() -> psycopg.Connection:
    conn = listen_connection()
    conn.execute(f"LISTEN {WAKE_CHANNEL}")
    return conn


def _payloads(conn: psycopg.Connection, wait: float = 0.5) -> list[str]:
    return [n.payload for n in conn.notifies(timeout=wait)]


def test_payloads_read_back_and_garbage_is_refused():
    assert parse_payload("12:2026-12-05") == (12, date(2026, 12, 5))
    assert parse_payload("12:") == (12, None)
    assert parse_payload("x:2026-12-05") is None and parse_payload("12:tomorrow") is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_wake_up_is_notified_at_the_commit_and_never_for_a_rollback(restaurant):
    day = date(2026, 12, 5)
    conn = _listening()
    try:
        with transaction.atomic():
            pipeline_wake(restaurant_id=restaurant.pk, service_date=day)
            assert _payloads(conn, wait=0.2) == []  # not before the commit
        assert _payloads(conn) == [f"{restaurant.pk}:2026-12-05"]

        with pytest.raises(RuntimeError), transaction.atomic():
            pipeline_wake(restaurant_id=restaurant.pk, service_date=day)
            raise RuntimeError("rolled back")
        pipeline_wake(
            restaurant_id=restaurant.pk, service_date=day, delay_ms=500
        )  # later: Redis and the sweep
        assert _payloads(conn, wait=0.3) == []
    finally:
        conn.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_listener_confirms_a_booking_without_the_broker_or_a_sweep(restaurant, monkeypatch):
    """The broker is unreachable and no sweep runs: the NOTIFY alone gets the booking decided, at once."""
    from assignments import tasks

    def broker_away(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.assign_due, "send", broker_away)
    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)  # a flushed db has no switches
    listener = Listener()
    listener.start()
    try:
        assert listener.listening.wait(10)
        booking = make_booking(restaurant, party_size=2)
        committed = time.monotonic()
        booking_submit_for_assignment(booking=booking)

        # Nothing else could decide it (no broker, no sweep); the bound only keeps a hang from passing, with room
        # for a busy CI machine's first decision (imports, the floor's first load).
        assert wait_until(
            lambda: Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED,
            timeout=20,
            interval=0.01,
        )
        assert time.monotonic() - committed < 20.0
    finally:
        listener.stop()
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_listener_listens_again_after_its_connection_is_cut(restaurant):
    seen: list[list] = []
    listener = Listener(decide=seen.append)
    listener.start()
    try:
        assert listener.listening.wait(10)
        with connection.cursor() as cur:  # the server ends the listener's session
            cur.execute("SELECT pg_terminate_backend(%s)", [listener.backend_pid])
        assert wait_until(lambda: not listener.listening.is_set(), timeout=5, interval=0.01)
        assert listener.listening.wait(10)
        pipeline_wake(restaurant_id=restaurant.pk, service_date=None)

        assert wait_until(lambda: seen == [[(restaurant.pk, None)]], timeout=5, interval=0.01), seen
    finally:
        listener.stop()


def _notified(outcome: str) -> float:
    return pass_count("maitre_pipeline_notified_total", outcome)


@pytest.mark.django_db(transaction=True)  # the listener hands its connection back between days
def test_the_listener_counts_what_each_notified_day_came_to(restaurant, monkeypatch):
    """maitre_pipeline_notified_total counted every notified day as decided, also those another worker held
    (nothing done: left to the holder) and those already decided: it now says which."""
    from assignments.listener import decide_days
    from assignments.locks import restaurant_day_lock

    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
    booking = _submitted(restaurant, party_size=2)
    day = [(restaurant.pk, booking.service_date)]
    outcomes = ("decided", "nothing_due", "busy", "failed")
    before = {o: _notified(o) for o in outcomes}

    held = restaurant_day_lock(restaurant.pk, booking.service_date)  # another worker has the day
    try:
        decide_days(day)
    finally:
        held.release()
    assert Booking.objects.get(pk=booking.pk).state == BookingState.ASSIGNMENT_PENDING
    decide_days(day)
    assert Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED
    decide_days(day)  # decided already, by the wake-up beside it

    def broken(**kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(coordinator, "assign_due", broken)
    decide_days(day)

    assert {o: _notified(o) - before[o] for o in outcomes} == {
        "decided": 1,
        "nothing_due": 1,
        "busy": 1,
        "failed": 1,
    }


def _submitted(restaurant, **kwargs) -> Booking:
    booking = make_booking(restaurant, **kwargs)
    booking_submit_for_assignment(booking=booking)
    return booking


@pytest.mark.django_db
def test_a_worker_hands_reseat_solves_to_its_reseat_thread_with_the_booking_leased(restaurant):
    """On its last attempt a party of seven gets a re-seat solve before review. In a worker it is queued on
    the re-seat thread: the pass returns without waiting for it, the booking is leased meanwhile (a worker that
    dies with it queued leaves it due again), and the queued solve sends it to review as it would have inline."""
    restaurant.max_assignment_attempts = 1
    restaurant.save()
    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
    first = coordinator.process_booking(booking_id=_submitted(restaurant, party_size=7).pk)
    assert first.status == Status.CONFIRMED  # M2+M3: the seven below cannot be seated, nothing can move
    seven = _submitted(restaurant, party_size=7)
    queued = []
    coordinator.reseats_hand_to(queued.append)
    try:
        outcomes = coordinator.assign_due(restaurant_id=restaurant.pk, service_date=seven.service_date)
    finally:
        coordinator.reseats_hand_to(None)

    assert [(o.status, o.booking_id) for o in outcomes] == [(Status.RESEAT_QUEUED, seven.pk)] and len(
        queued
    ) == 1
    leased = Booking.objects.get(pk=seven.pk)
    assert leased.state == BookingState.ASSIGNMENT_PENDING
    assert leased.due_at > timezone.now() + timedelta(seconds=30)

    outcome = queued[0]()

    assert outcome.status == Status.MANUAL_REVIEW
    assert Booking.objects.get(pk=seven.pk).state == BookingState.MANUAL_REVIEW


def test_the_reseat_thread_runs_jobs_in_order_survives_a_failing_one_and_stops():
    from assignments.reseat_lane import ReseatLane

    done = []
    lane = ReseatLane()
    lane.start()
    lane.submit(lambda: done.append(1))
    lane.submit(lambda: 1 / 0)
    lane.submit(lambda: done.append(2))
    assert wait_until(lambda: done == [1, 2], timeout=5, interval=0.01)
    lane.stop()
    assert not lane.is_alive()


@pytest.mark.django_db
def test_a_stopping_worker_releases_the_reseats_it_has_not_started(restaurant):
    """Re-seats still queued on a worker's re-seat thread when it stops were left to their 60 s leases; they are
    now due at once, with the same attempt count, for the next sweep of any worker. A lease that is no longer
    the batch's (its search started: it leased the booking again) is left alone."""
    import threading

    from assignments.reseat_lane import ReseatLane

    restaurant.max_assignment_attempts = 1
    restaurant.save()
    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
    assert coordinator.process_booking(booking_id=_submitted(restaurant, party_size=7).pk).status == (
        Status.CONFIRMED
    )
    sevens = [_submitted(restaurant, party_size=7) for _ in range(3)]
    jobs: list[coordinator.ReseatJob] = []
    coordinator.reseats_hand_to(jobs.append)
    try:
        coordinator.assign_due(restaurant_id=restaurant.pk, service_date=sevens[0].service_date)
    finally:
        coordinator.reseats_hand_to(None)
    assert sorted(j.booking_id for j in jobs) == sorted(b.pk for b in sevens)
    leased = {
        b.pk: (b.due_at, b.assignment_attempts)
        for b in Booking.objects.filter(pk__in=[j.booking_id for j in jobs])
    }
    assert all(due > timezone.now() + timedelta(seconds=30) for due, _ in leased.values())
    started_elsewhere = jobs[2].booking_id  # as its search does at its start: leased again, its own way
    Booking.objects.filter(pk=started_elsewhere).update(
        due_at=leased[started_elsewhere][0] + timedelta(seconds=5)
    )

    under_way, finish = threading.Event(), threading.Event()
    lane = ReseatLane(release=lambda queued: coordinator.reseats_release(jobs=queued))
    lane.start()
    lane.submit(lambda: (under_way.set(), finish.wait(10)))
    for job in jobs:
        lane.submit(job)
    assert under_way.wait(5)
    try:
        lane.stop(timeout=0.2)  # the solve under way goes on; the queued ones are released at once
    finally:
        finish.set()
    lane.join(5)

    now = timezone.now()
    for booking in Booking.objects.filter(pk__in=leased):
        assert booking.state == BookingState.ASSIGNMENT_PENDING
        assert booking.assignment_attempts == leased[booking.pk][1]  # the same attempt count
        if booking.pk == started_elsewhere:
            assert booking.due_at == leased[booking.pk][0] + timedelta(seconds=5)
        else:
            assert booking.due_at <= now
    assert not lane.is_alive()


@pytest.mark.django_db
def test_a_redis_error_under_the_breaker_falls_back_to_this_processs_own(restaurant, monkeypatch):
    """Redis went away between "is Redis usable" and the breaker's first read of its shared state (seen: a failed
    wake-up send marked Redis down while the listener decided): the pass used to raise and leave the booking to the
    sweep. It now takes this process's own breaker and decides."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
    booking = _submitted(restaurant, party_size=2)
    real = coordinator.assignment_breaker
    calls = []

    def shared_state_gone():
        calls.append(1)
        if len(calls) == 1:
            raise RedisConnectionError("Redis went away")
        return real()

    monkeypatch.setattr(coordinator, "assignment_breaker", shared_state_gone)

    outcome = coordinator.process_booking(booking_id=booking.pk)

    assert outcome.status == Status.CONFIRMED and len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_a_database_error_under_the_pass_counts_as_failed_not_busy(restaurant, monkeypatch):
    """The pass turns a database error into "left due" (None, as when another worker holds the day); the
    wake-up and sweep counters counted that as busy, so an outage looked like contention."""
    from django.db import OperationalError

    from assignments.listener import decide_days
    from assignments.sweeper import sweep_once

    flags.flags_set(pipeline_v3=True, shadow_mode=False, kill_switch=False)
    booking = _submitted(restaurant, party_size=2)

    def database_away(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(coordinator, "_batch", database_away)
    outcomes = ("decided", "nothing_due", "busy", "failed")
    notified = {o: _notified(o) for o in outcomes}
    swept = {o: _swept(o) for o in outcomes}

    decide_days([(restaurant.pk, booking.service_date)])
    sweep_once()

    assert Booking.objects.get(pk=booking.pk).state == BookingState.ASSIGNMENT_PENDING  # still due
    assert {o: _notified(o) - notified[o] for o in outcomes} == {
        "decided": 0,
        "nothing_due": 0,
        "busy": 0,
        "failed": 1,
    }
    assert {o: _swept(o) - swept[o] for o in outcomes} == {
        "decided": 0,
        "nothing_due": 0,
        "busy": 0,
        "failed": 1,
    }
    # and a day another worker holds is busy again on the same thread afterwards
    monkeypatch.undo()
    from assignments.locks import restaurant_day_lock

    held = restaurant_day_lock(restaurant.pk, booking.service_date)
    try:
        decide_days([(restaurant.pk, booking.service_date)])
    finally:
        held.release()
    assert _notified("busy") - notified["busy"] == 1


def _swept(outcome: str) -> float:
    return pass_count("maitre_pipeline_sweeps_total", outcome)
