"""`manage.py worker` as the Procfile runs it: a real process on the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from assignments.models import Booking, BookingState
from tests.coordinator.conftest import wait_until
from tests.factories import make_booking

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(transactional_db):
    """`start_worker(*extra args, sweep_seconds=0.5)`: a `manage.py worker` process, killed at the end."""
    import dramatiq

    import assignments.tasks  # noqa: F401

    broker = dramatiq.get_broker()
    for queue in list(broker.get_declared_queues()):
        broker.flush(queue)  # no wake-up left over from another test
    procs = []

    def start(*args: str, sweep_seconds: float = 0.5) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "MAITRE_SWEEP_INTERVAL_SECONDS": str(sweep_seconds),
        }
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--threads", "2", *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        procs.append(proc)
        line = proc.stdout.readline()
        assert "worker ready" in line, line
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture
def worker_process(start_worker):
    return start_worker()


def _submitted(restaurant, **kwargs) -> Booking:
    from assignments.services.pipeline import booking_submit_for_assignment

    booking = make_booking(restaurant, **kwargs)
    booking_submit_for_assignment(booking=booking)
    return booking


def test_the_worker_process_seats_woken_bookings_and_stops_cleanly_on_sigterm(restaurant, worker_process):
    bookings = [_submitted(restaurant, party_size=2, start=t) for t in ("18:00", "19:00", "20:00")]

    assert wait_until(
        lambda: (
            Booking.objects.filter(pk__in=[b.pk for b in bookings], state=BookingState.CONFIRMED).count() == 3
        ),
        timeout=20,
    )

    worker_process.send_signal(signal.SIGTERM)
    assert worker_process.wait(20) == 0


def _broker_away(monkeypatch) -> None:
    from assignments import tasks

    def broker_away(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.assign_due, "send", broker_away)


def test_the_worker_process_sweeps_due_work_nobody_woke_it_for(restaurant, start_worker, monkeypatch):
    start_worker("--no-listen")  # neither wake-up reaches it: the sweep alone finds the booking
    _broker_away(monkeypatch)
    booking = _submitted(restaurant, party_size=4)
    started = time.monotonic()

    assert wait_until(lambda: Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED, timeout=20)
    assert time.monotonic() - started < 10


def test_the_worker_process_confirms_on_the_notify_well_before_its_sweep(
    restaurant, start_worker, monkeypatch
):
    """The broker is unreachable and the sweep is a minute away: the commit's NOTIFY wakes the worker."""
    start_worker(sweep_seconds=60)
    _broker_away(monkeypatch)
    booking = _submitted(restaurant, party_size=4)
    started = time.monotonic()

    assert wait_until(
        lambda: Booking.objects.get(pk=booking.pk).state == BookingState.CONFIRMED, timeout=30, interval=0.02
    )
    # a third of the sweep's minute: the NOTIFY, on a busy CI machine too
    assert time.monotonic() - started < 20
