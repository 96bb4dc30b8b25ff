"""Putting a booking into the assignment pipeline: it becomes due in Postgres (the queue of record), and
wake-ups go to the workers on commit: a NOTIFY on WAKE_CHANNEL (PostgreSQL only; each worker's listener gets
it within a millisecond or so of the commit) and a Dramatiq message through Redis. Both are hints: if they
cannot be sent, or are lost, a worker's sweep finds the due booking within a second or so."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from assignments import lifecycle, metrics
from assignments.lifecycle import SYSTEM, Actor
from assignments.models import Booking, BookingState

logger = logging.getLogger("maitre.pipeline")
TRIGGERS = ("creation", "modification", "retry")
# The LISTEN/NOTIFY channel of the wake-ups (assignments.listener); the payload is "<restaurant id>:<ISO day>".
WAKE_CHANNEL = "maitre_due"


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def pipeline_wake(*, restaurant_id: int, service_date: date | None, delay_ms: int = 0) -> None:
    """On commit of the surrounding transaction, ask a worker to look at this restaurant day now (or in
    `delay_ms`, when its bookings are due then). Never raises for the broker: a broker that cannot be reached
    costs a short delay (the sweep), never the booking. On PostgreSQL a wake-up due now is also a NOTIFY in
    the surrounding transaction, which Postgres delivers at its commit (and drops with a rollback); it needs
    neither Redis nor an on-commit hook, only the database the booking is written to anyway."""
    if delay_ms <= 0 and connection.vendor == "postgresql":
        payload = f"{int(restaurant_id)}:{service_date.isoformat() if service_date else ''}"
        with connection.cursor() as cur:
            cur.execute("SELECT pg_notify(%s, %s)", [WAKE_CHANNEL, payload])

    def send() -> None:
        from assignments.resilience import redis_failed, redis_usable
        from assignments.tasks import assign_due

        if settings.REDIS_URL and not redis_usable():  # Redis was away a moment ago: the sweep will do
            metrics.WAKEUPS.labels("skipped").inc()
            return
        try:
            args = (restaurant_id, service_date.isoformat() if service_date else None)
            if delay_ms > 0:
                assign_due.send_with_options(args=args, delay=delay_ms)
            else:
                assign_due.send(*args)
        except Exception as exc:  # the broker is away: the booking is due in Postgres all the same
            metrics.WAKEUPS.labels("failed").inc()
            if settings.REDIS_URL:
                redis_failed()
            logger.warning("wake-up for restaurant %s day %s not sent: %s", restaurant_id, service_date, exc)
        else:
            metrics.WAKEUPS.labels("sent").inc()

    transaction.on_commit(send)


def booking_submit_for_assignment(
    *,
    booking: Booking,
    trigger: str = "creation",
    actor: Actor = SYSTEM,
    correlation_id: str | None = None,
    expected_version: int | None = None,
) -> str:
    """pending / manual_review (/ confirmed on modification) -> assignment_pending, due now, then a wake-up
    on commit. A booking already in assignment_pending is made due now. Returns the correlation id that
    follows the booking through logs, attempts and events."""
    if trigger not in TRIGGERS:
        raise ValueError(f"Unknown trigger {trigger!r}; expected one of {', '.join(TRIGGERS)}")
    correlation_id = correlation_id or new_correlation_id()
    with transaction.atomic():
        if booking.state != BookingState.ASSIGNMENT_PENDING:
            lifecycle.booking_request_assignment(
                booking=booking,
                trigger=trigger,
                actor=actor,
                correlation_id=correlation_id,
                expected_version=expected_version,
            )
        else:
            Booking.objects.filter(pk=booking.pk, state=BookingState.ASSIGNMENT_PENDING).update(
                due_at=timezone.now()
            )
        pipeline_wake(restaurant_id=booking.restaurant_id, service_date=booking.service_date)
    return correlation_id


def booking_being_processed(*, booking_id: int) -> bool:
    """True while a worker holds the booking (its batch has the row locked) or its per-booking lock is held
    (staff or the optimizer are moving it)."""
    from assignments.locks import booking_is_locked

    if booking_is_locked(booking_id):
        return True
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic():
            list(
                Booking.objects.select_for_update(nowait=True)
                .filter(pk=booking_id)
                .values_list("pk", flat=True)
            )
    except OperationalError:
        return True
    return False


def bookings_requeue_stuck() -> int:
    """Safety net for "never stuck in assignment_pending": wake a worker for every restaurant day with due
    work (each worker's sweep does the same every second; this also reaches workers that sweep nothing,
    e.g. a deployment that turned the sweep off). Returns how many restaurant days were woken."""
    from assignments.coordinator import due_restaurant_days

    days = due_restaurant_days()
    with transaction.atomic():
        for restaurant_id, service_date in days:
            pipeline_wake(restaurant_id=restaurant_id, service_date=service_date)
    return len(days)
