"""A booking platform's requests, each one unit of work: the rules a request must meet before a booking is
written or changed, an idempotent create, a modification, a (re)submission to the pipeline, and a cancel that
wins against the pipeline; and a host's steps of the evening (seat, complete, no-show). The API's views call
these (one each); imports and the admin do not.

Refusals are exceptions (django's ValidationError, the lifecycle's, assignments.services.errors); the API maps
each to its answer in one place (assignments.api.errors)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assignments import lifecycle
from assignments.conf import api_settings
from assignments.lifecycle import SYSTEM, Actor
from assignments.models import Booking, BookingState, Restaurant, Zone
from assignments.models.bookings import FINAL_STATES
from assignments.services.bookings import booking_create, booking_modify, guest_phone_clean
from assignments.services.errors import BookingBusy, BookingStateRefused, ExternalRefTaken
from assignments.services.pipeline import (
    booking_being_processed,
    booking_submit_for_assignment,
    new_correlation_id,
)

CANCEL_ATTEMPTS = 5


def booking_horizon(*, restaurant: Restaurant) -> tuple[int, int]:
    """(past grace in minutes, horizon in days): the restaurant's own, else the settings'."""
    grace = restaurant.booking_past_grace_minutes
    horizon = restaurant.booking_horizon_days
    return (
        api_settings.BOOKING_PAST_GRACE_MINUTES if grace is None else grace,
        api_settings.BOOKING_HORIZON_DAYS if horizon is None else horizon,
    )


def booking_check_start(
    *, restaurant: Restaurant, start_at: datetime, now: datetime | None = None, field: str = "start_at"
) -> None:
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


def booking_matches_request(
    *,
    booking: Booking,
    party_size: int,
    start_at: datetime,
    duration_minutes: int | None,
    details: dict[str, object] | None = None,
) -> bool:
    """Whether a create with this booking's external_ref asks for the same thing (a retry) or something else:
    the party, the time, and every detail it gave (guest, zone wish, access, notes) as it would have been kept."""
    if booking.party_size != party_size or booking.start_at != start_at:
        return False
    if duration_minutes is not None and booking.end_at - booking.start_at != timedelta(
        minutes=duration_minutes
    ):
        return False
    kept = {
        "guest_name": booking.guest_name,
        "guest_email": booking.guest_email,
        "guest_phone": booking.guest_phone,
        "preferred_zone_id": booking.preferred_zone_id,
        "needs_accessible": booking.needs_accessible,
        "notes": booking.notes,
    }
    return all(kept[k] == v for k, v in (details or {}).items())


def booking_cancel_for_client(
    *, booking: Booking, reason: str = "", expected_version: int | None = None, actor: Actor = SYSTEM
) -> Booking:
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
                booking=current,
                reason=reason,
                actor=actor,
                expected_version=expected_version if expected_version is not None else current.version,
            )
        except lifecycle.VersionConflict:
            if expected_version is not None:
                raise
    raise lifecycle.VersionConflict(current, current.version)


@dataclass(frozen=True)
class BookingRequestAnswer:
    """What a platform's create or change did: the booking, whether it is new, and the correlation id that
    follows it through the pipeline (None when a retried create found the original)."""

    booking: Booking
    created: bool
    correlation_id: str | None


def _zone_by_key(*, restaurant: Restaurant, key: str | None) -> Zone | None:
    if not key:
        return None
    zone = Zone.objects.filter(restaurant=restaurant, key=key).first()
    if zone is None:
        raise ValidationError({"preferred_zone": ["Unknown zone."]})
    return zone


def request_fingerprint(
    *, party_size: int, start_at: datetime, duration_minutes: int | None, details: dict[str, object]
) -> str:
    """A platform's create request as it was checked (the phone normalized, the start in UTC), hashed: a retry
    hashes alike, another request does not, whatever staff or a modification changed on the booking since."""
    canonical = json.dumps(
        {
            "party_size": party_size,
            "start_at": start_at.astimezone(UTC).isoformat(),
            "duration_minutes": duration_minutes,
            **details,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _retried_create(
    *,
    existing: Booking,
    party_size: int,
    start_at: datetime,
    duration_minutes: int | None,
    details: dict[str, object],
) -> BookingRequestAnswer:
    same = (
        existing.request_fingerprint
        == request_fingerprint(
            party_size=party_size, start_at=start_at, duration_minutes=duration_minutes, details=details
        )
        if existing.request_fingerprint
        else booking_matches_request(  # made before the fingerprint was kept: compared with the booking as it is
            booking=existing,
            party_size=party_size,
            start_at=start_at,
            duration_minutes=duration_minutes,
            details=details,
        )
    )
    if not same:
        raise ExternalRefTaken(external_ref=existing.external_ref or "", original=existing.pk)
    return BookingRequestAnswer(booking=existing, created=False, correlation_id=None)


def booking_request_create(
    *,
    restaurant: Restaurant,
    party_size: int,
    start_at: datetime,
    duration_minutes: int | None = None,
    guest_name: str = "",
    guest_email: str = "",
    guest_phone: str = "",
    preferred_zone_key: str | None = None,
    needs_accessible: bool = False,
    external_ref: str | None = None,
    notes: str = "",
    actor: Actor = SYSTEM,
) -> BookingRequestAnswer:
    """A platform's create: checked, written and submitted to the pipeline in one transaction. Idempotent on
    external_ref: the same request again answers the original (created=False); a different request with a used
    reference is ExternalRefTaken, also when two creates race for it."""
    booking_check_start(restaurant=restaurant, start_at=start_at)
    preferred_zone = _zone_by_key(restaurant=restaurant, key=preferred_zone_key)
    details: dict[str, object] = {
        "guest_name": guest_name,
        "guest_email": guest_email,
        "guest_phone": guest_phone_clean(guest_phone),
        "preferred_zone_id": preferred_zone.pk if preferred_zone else None,
        "needs_accessible": needs_accessible,
        "notes": notes,
    }

    def retried(existing: Booking) -> BookingRequestAnswer:
        return _retried_create(
            existing=existing,
            party_size=party_size,
            start_at=start_at,
            duration_minutes=duration_minutes,
            details=details,
        )

    if external_ref:
        existing = Booking.objects.filter(restaurant=restaurant, external_ref=external_ref).first()
        if existing is not None:
            return retried(existing)
    correlation_id = new_correlation_id()
    try:
        with transaction.atomic():
            booking = booking_create(
                restaurant=restaurant,
                party_size=party_size,
                start_at=start_at,
                duration_minutes=duration_minutes,
                guest_name=guest_name,
                guest_email=guest_email,
                guest_phone=guest_phone,
                preferred_zone=preferred_zone,
                needs_accessible=needs_accessible,
                external_ref=external_ref,
                notes=notes,
                actor=actor,
                correlation_id=correlation_id,
                request_fingerprint=request_fingerprint(
                    party_size=party_size,
                    start_at=start_at,
                    duration_minutes=duration_minutes,
                    details=details,
                ),
            )
            booking_submit_for_assignment(
                booking=booking, trigger="creation", actor=actor, correlation_id=correlation_id
            )
    except IntegrityError:
        existing = Booking.objects.filter(restaurant=restaurant, external_ref=external_ref).first()
        if existing is None:
            raise
        return retried(existing)
    return BookingRequestAnswer(booking=booking, created=True, correlation_id=correlation_id)


def booking_request_modify(
    *,
    booking: Booking,
    party_size: int | None = None,
    start_at: datetime | None = None,
    duration_minutes: int | None = None,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
) -> BookingRequestAnswer:
    """A platform's change of party size or time: checked, written and, when it needs new tables, submitted to
    the pipeline in one transaction. A booking cancelled, seated or finished is not changed (BookingStateRefused)."""
    if start_at is not None:
        booking_check_start(restaurant=booking.restaurant, start_at=start_at)
    if booking.state in (*FINAL_STATES, BookingState.SEATED):  # the party sat down, left or never came
        raise BookingStateRefused(
            f"A {booking.get_state_display().lower()} booking cannot be modified.", state=booking.state
        )
    correlation_id = new_correlation_id()
    with transaction.atomic():
        booking = booking_modify(
            booking=booking,
            party_size=party_size,
            start_at=start_at,
            duration_minutes=duration_minutes,
            expected_version=expected_version,
            actor=actor,
            correlation_id=correlation_id,
        )
        if booking.state == BookingState.ASSIGNMENT_PENDING:
            booking_submit_for_assignment(
                booking=booking, trigger="modification", actor=actor, correlation_id=correlation_id
            )
    return BookingRequestAnswer(booking=booking, created=False, correlation_id=correlation_id)


def booking_request_processing(*, booking: Booking, trigger: str, actor: Actor = SYSTEM) -> str:
    """A platform asks for (another) assignment run: refused while the booking is held (BookingBusy), when it is
    cancelled, or confirmed without a modification (BookingStateRefused). Returns the correlation id."""
    if booking_being_processed(booking_id=booking.pk):
        raise BookingBusy()
    if booking.state == BookingState.CANCELLED:
        raise BookingStateRefused("A cancelled booking cannot be assigned.", state=booking.state)
    if booking.state == BookingState.CONFIRMED and trigger != "modification":
        raise BookingStateRefused(
            "The booking is already confirmed; only a modification re-plans it.", state=booking.state
        )
    return booking_submit_for_assignment(booking=booking, trigger=trigger, actor=actor)


SERVICE_STEPS = ("seat", "complete", "no_show")
_STEP_TARGET = {
    "seat": BookingState.SEATED,
    "complete": BookingState.COMPLETED,
    "no_show": BookingState.NO_SHOW,
}


def booking_serve_for_client(
    *,
    booking: Booking,
    step: str,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> Booking:
    """A host's step of the evening over the API, through the lifecycle door: seat (confirmed → seated),
    complete (seated → completed: the party left) or no_show (confirmed → no_show, once started). Idempotent like
    a cancel: a booking already in the step's state is answered as it is (a retried request). With a version, a
    booking changed meanwhile is a VersionConflict; a step its state forbids is an InvalidTransition."""
    if booking.state == _STEP_TARGET[step]:
        return booking
    if step == "seat":
        return lifecycle.booking_mark_seated(
            booking=booking, expected_version=expected_version, actor=actor, now=now
        )
    if step == "complete":
        return lifecycle.booking_complete(
            booking=booking, expected_version=expected_version, actor=actor, now=now
        )
    return lifecycle.booking_mark_no_show(
        booking=booking, expected_version=expected_version, actor=actor, now=now
    )
