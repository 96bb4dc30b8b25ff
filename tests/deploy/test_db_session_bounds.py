"""The bounds on what a stalled process holds in Postgres (the fault audit froze a worker mid-batch for 64 s: its
restaurant day, new bookings included, waited as long, and a cancel through the API hung 63.7 s). Every
connection carries the settings' session options: a session idle inside a transaction is ended (its transaction
rolled back, its locks free), a statement waiting on a lock gives up, and TCP keepalives find a vanished peer."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _conninfo(options: str) -> dict:
    db = connection.settings_dict  # the test database
    return {
        "host": db["HOST"],
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "dbname": db["NAME"],
        "options": options,
        "autocommit": False,
    }


def test_every_connection_carries_the_bounds():
    if connection.vendor != "postgresql":
        pytest.skip("Postgres session settings")
    with connection.cursor() as cur:
        shown = {}
        for name in ("idle_in_transaction_session_timeout", "lock_timeout", "tcp_keepalives_idle"):
            cur.execute(f"SHOW {name}")
            shown[name] = cur.fetchone()[0]
    assert shown == {
        "idle_in_transaction_session_timeout": "30s",
        "lock_timeout": "10s",
        "tcp_keepalives_idle": "30",
    }


def test_a_stalled_transaction_lets_go_of_its_lock_and_a_waiter_gives_up_instead_of_hanging():
    if connection.vendor != "postgresql":
        pytest.skip("Postgres session settings")
    fast = settings.DATABASES["default"]["OPTIONS"]["options"]
    fast = fast.replace("idle_in_transaction_session_timeout=30s", "idle_in_transaction_session_timeout=1s")
    fast = fast.replace("lock_timeout=10s", "lock_timeout=300ms")
    stalled = psycopg.connect(**_conninfo(fast))
    waiter = psycopg.connect(**_conninfo(fast))
    try:
        stalled.execute("SELECT pg_advisory_xact_lock(4242, 1)")  # a worker's day lock; then it freezes
        started = time.monotonic()
        with pytest.raises(psycopg.errors.LockNotAvailable):
            waiter.execute(
                "SELECT pg_advisory_xact_lock(4242, 1)"
            )  # the API's cancel: gives up, does not hang
        assert time.monotonic() - started < 2
        waiter.rollback()
        time.sleep(1.5)  # past the idle-in-transaction timeout: the server ends the stalled session
        assert waiter.execute("SELECT pg_try_advisory_xact_lock(4242, 1)").fetchone()[0] is True
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
            stalled.execute("SELECT 1")  # the frozen worker finds its session gone: nothing it held was kept
    finally:
        stalled.close()
        waiter.close()


@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_sent_keeps_its_session_past_the_idle_bound():
    """A webhook POST or an SMTP exchange runs inside the transaction that claimed its delivery: a slow receiver
    must not get the session ended at 30 s, before the outcome is written (review of the bounds)."""
    from django.db import transaction

    from assignments.models import EmailDelivery, OutboxEvent
    from assignments.services.outbox import DELIVERY_TRANSACTION_TIMEOUT, delivery_claim

    if connection.vendor != "postgresql":
        pytest.skip("Postgres session settings")
    event = OutboxEvent.objects.create(event_type="booking.confirmed", aggregate_id="1", payload={})
    delivery = EmailDelivery.objects.create(event=event, next_attempt_at=timezone.now())
    with transaction.atomic():
        assert delivery_claim(EmailDelivery, delivery_id=delivery.pk) is not None
        with connection.cursor() as cur:
            cur.execute("SHOW idle_in_transaction_session_timeout")
            assert cur.fetchone()[0] == DELIVERY_TRANSACTION_TIMEOUT
    with connection.cursor() as cur:  # SET LOCAL: the session's own bound is back after the transaction
        cur.execute("SHOW idle_in_transaction_session_timeout")
        assert cur.fetchone()[0] == "30s"
