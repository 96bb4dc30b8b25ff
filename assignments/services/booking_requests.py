"""The rules a booking platform's request must meet before a booking is written or changed, and a cancel that
wins against the pipeline. The API's serializers and views call these; imports and the admin do not."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from assignments import lifecycle
from assignments.lifecycle import SYSTEM, Actor
from assignments.models import Booking, BookingState, Restaurant

CANCEL_ATTEMPTS = 5


def booking_horizon(*, restaurant: Restaurant) -> tuple[int, int]:
    """(past grace in minutes, horizon in days): the restaurant's own, else the settings'."""
    rules = settings.MAITRE_API
    grace = restaurant.booking_past_grace_minutes
    horizon = restaurant.booking_horizon_days
    return (
        rules["BOOKING_PAST_GRACE_MINUTES"] if grace is None else grace,
        rules["BOOKING_HORIZON_DAYS"] if horizon is None else horizon,
    )


def booking_check_start(*, restaurant: Restaurant, start_at: datetime, now: datetime | None = None,
                        field: str = "start_at") -> None:
    """A start time a platform may book: aware, inside the horizon, and inside a service period."""
    if start_at.tzinfo is None:
        raise ValidationError({field: "Must include a time zone."})
    now = now or timezone.now()
    grace, horizon = booking_horizon(restaurant=restaurant)
    if start_at < now - timedelta(minutes=grace):
        raise ValidationError({field: f"In the past (more than {grace} minutes ago)."})
    if start_at > now + timedelta(days=horizon):
        raise ValidationError({field: f"More than {horizon} days ahead."})
    refusal = restaurant.start_refusal(start_at)
    if refusal is not None:  # closed that day, outside the day's service hours, after the last seating
        raise ValidationError({field: refusal[0].upper() + refusal[1:] + "."})


def booking_matches_request(*, booking: Booking, party_size: int, start_at: datetime,
                            duration_minutes: int | None) -> bool:
    """Whether a create with this booking's external_ref asks for the same thing (a retry) or something else."""
    if booking.party_size != party_size or booking.start_at != start_at:
        return False
    if duration_minutes is not None:
        return booking.end_at - booking.start_at == timedelta(minutes=duration_minutes)
    return True


def booking_cancel_for_client(*, booking: Booking, reason: str = "", expected_version: int | None = None,
                              actor: Actor = SYSTEM) -> Booking:
    """Cancel, idempotently: an already cancelled booking is answered as it is. Without an expected version
    the cancel wins against the pipeline: a version that moved meanwhile is re-read and the cancel retried
    (a few times), unless the booking became final. With a version, a moved one is a VersionConflict."""
    current = booking
    for _ in range(CANCEL_ATTEMPTS):
        current = Booking.objects.get(pk=current.pk)
        if current.state == BookingState.CANCELLED:
            return current
        try:
            return lifecycle.booking_cancel(
                booking=current, reason=reason, actor=actor,
                expected_version=expected_version if expected_version is not None else current.version,
            )
        except lifecycle.VersionConflict:
            if expected_version is not None:
                raise
    raise lifecycle.VersionConflict(current, current.version)
