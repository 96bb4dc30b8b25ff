"""Putting a booking into the assignment pipeline: transition to assignment_pending and enqueue, on commit."""

from __future__ import annotations

import uuid

from django.db import transaction

from assignments import lifecycle
from assignments.lifecycle import SYSTEM, Actor
from assignments.models import Booking, BookingState

TRIGGERS = ("creation", "modification", "retry")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def booking_enqueue(*, booking_id: int, trigger: str, correlation_id: str, restaurant_id: int | None = None) -> None:
    """Send the process message once the surrounding transaction commits (never for a rolled-back change)."""
    from assignments.tasks import process_booking

    transaction.on_commit(
        lambda: process_booking.send(
            booking_id=booking_id, trigger=trigger, correlation_id=correlation_id, restaurant_id=restaurant_id
        )
    )


def booking_submit_for_assignment(
    *,
    booking: Booking,
    trigger: str = "creation",
    actor: Actor = SYSTEM,
    correlation_id: str | None = None,
    expected_version: int | None = None,
) -> str:
    """pending / manual_review (/ confirmed on modification) → assignment_pending, then enqueue. A booking
    already in assignment_pending is just enqueued again (the coordinator is idempotent). Returns the
    correlation id that follows the booking through logs, attempts and events."""
    if trigger not in TRIGGERS:
        raise ValueError(f"Unknown trigger {trigger!r}; expected one of {', '.join(TRIGGERS)}")
    correlation_id = correlation_id or new_correlation_id()
    with transaction.atomic():
        if booking.state != BookingState.ASSIGNMENT_PENDING:
            lifecycle.booking_request_assignment(
                booking=booking, trigger=trigger, actor=actor, correlation_id=correlation_id,
                expected_version=expected_version,
            )
        booking_enqueue(
            booking_id=booking.pk, trigger=trigger, correlation_id=correlation_id, restaurant_id=booking.restaurant_id
        )
    return correlation_id


def bookings_requeue_stuck(*, older_than_seconds: int | None = None) -> int:
    """Safety net for the invariant "never stuck in assignment_pending": re-send bookings that have
    waited longer than the threshold (their message was lost, e.g. a broker outage). Idempotent."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    threshold = older_than_seconds if older_than_seconds is not None else settings.MAITRE["STUCK_PENDING_SECONDS"]
    cutoff = timezone.now() - timedelta(seconds=threshold)
    stuck = list(
        Booking.objects.filter(state=BookingState.ASSIGNMENT_PENDING, updated_at__lt=cutoff).values_list(
            "pk", "last_correlation_id"
        )
    )
    from assignments.tasks import process_booking

    for pk, correlation_id in stuck:
        process_booking.send(booking_id=pk, trigger="retry", correlation_id=correlation_id or new_correlation_id())
    return len(stuck)
