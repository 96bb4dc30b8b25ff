"""The fast path beside the Redis wake-up: a NOTIFY in the transaction that makes a booking due (delivered at
its commit) and each worker's listener, which decides the day without Redis or a free consumer thread."""

from __future__ import annotations

import time
from datetime import date

import psycopg
import pytest
from django.db import connection, transaction

from assignments import flags
from assignments.listener import Listener, listen_connection, parse_payload
from assignments.models import Booking, BookingState
from assignments.services.pipeline import WAKE_CHANNEL, booking_submit_for_assignment, pipeline_wake
from tests.coordinator.conftest import wait_until
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

        assert wait_until(
            lambda: Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED,
            timeout=5,
            interval=0.01,
        )
        assert time.monotonic() - committed < 2.0
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


def _submitted(restaurant, **kwargs) -> Booking:
    booking = make_booking(restaurant, **kwargs)
    booking_submit_for_assignment(booking=booking)
    return booking
