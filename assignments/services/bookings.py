"""Creating and modifying bookings. State changes themselves go through assignments.lifecycle."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q

from assignments import lifecycle
from assignments.lifecycle import SYSTEM, Actor
from assignments.models import Booking, BookingState, Restaurant, Zone
from assignments.models.bookings import FINAL_STATES
from assignments.phones import PhoneInvalid, phone_normalize
from assignments.services.errors import BookingStateRefused


def booking_create(
    *,
    restaurant: Restaurant,
    party_size: int,
    start_at: datetime,
    duration_minutes: int | None = None,
    guest_name: str = "",
    guest_email: str = "",
    guest_phone: str = "",
    preferred_zone: Zone | None = None,
    needs_accessible: bool = False,
    external_ref: str | None = None,
    notes: str = "",
    arrival: int | None = None,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    request_fingerprint: str = "",
) -> Booking:
    """A new booking in `pending`, version 1, with its first history row and a booking.created event."""
    if party_size < 1:
        raise ValidationError({"party_size": "Must be at least 1."})
    if start_at.tzinfo is None:
        raise ValidationError({"start_at": "Must include a time zone."})
    start_at = start_at.astimezone(UTC)  # the turn time is elapsed time, also on the night the clocks change
    if preferred_zone is not None and preferred_zone.restaurant_id != restaurant.pk:
        raise ValidationError({"preferred_zone": "Belongs to another restaurant."})
    minutes = (
        duration_minutes if duration_minutes is not None else restaurant.turn_for(party_size, at=start_at)
    )
    if minutes < 1:
        raise ValidationError({"duration_minutes": "Must be at least 1."})
    with transaction.atomic():
        _hours_now(restaurant)
        booking = Booking.objects.create(
            restaurant=restaurant,
            party_size=party_size,
            start_at=start_at,
            end_at=start_at + timedelta(minutes=minutes),
            service_date=restaurant.service_day_of(start_at),
            explicit_duration=duration_minutes is not None,
            guest_name=guest_name,
            guest_email=guest_email,
            guest_phone=guest_phone_clean(guest_phone),
            preferred_zone=preferred_zone,
            needs_accessible=needs_accessible,
            external_ref=external_ref,
            notes=notes,
            arrival=arrival,
            request_fingerprint=request_fingerprint,
        )
        lifecycle.booking_record_created(booking=booking, actor=actor, correlation_id=correlation_id)
    return booking


_HOURS_FIELDS = (
    "timezone",
    "previous_timezone",
    "timezone_changed_at",
    "schedule_version",
    "service_periods",
)


def _hours_now(restaurant: Restaurant) -> None:
    """Hold the restaurant's row FOR SHARE until the caller's transaction ends, and read its zone and hours as they
    are now onto the instance (it may have been read before a change). An hours or zone change updates that row
    first, then puts every booking it finds on its service day (services.schedule): it either committed before
    this read, and the new booking's day is computed under its hours, or it waits for this commit and then finds
    the booking. One query; no lock on SQLite, whose writers take turns anyway."""
    columns = ", ".join(("id", *_HOURS_FIELDS))  # their columns bear their names
    share = " FOR SHARE" if connection.vendor == "postgresql" else ""
    sql = f"SELECT {columns} FROM {Restaurant._meta.db_table} WHERE id = %s{share}"  # noqa: S608
    for fresh in Restaurant.objects.raw(sql, [restaurant.pk]):
        for name in _HOURS_FIELDS:
            setattr(restaurant, name, getattr(fresh, name))


def booking_modify(
    *,
    booking: Booking,
    party_size: int | None = None,
    start_at: datetime | None = None,
    duration_minutes: int | None = None,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
) -> Booking:
    """Change party size or time. A confirmed booking goes back to assignment_pending (trigger
    'modification') keeping its tables until the coordinator re-plans it."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        version = locked.version if expected_version is None else expected_version
        if locked.version != version:
            raise lifecycle.VersionConflict(locked, version)
        # cancelled (or sat down) since the caller read it: checked on the locked row
        if locked.state in (*FINAL_STATES, BookingState.SEATED):
            raise BookingStateRefused(
                f"A {locked.get_state_display().lower()} booking cannot be modified.", state=locked.state
            )
        changes: dict[str, Any] = {}
        if party_size is not None and party_size != locked.party_size:
            if party_size < 1:
                raise ValidationError({"party_size": "Must be at least 1."})
            changes["party_size"] = party_size
        new_start = (start_at or locked.start_at).astimezone(UTC)
        if duration_minutes is not None:
            minutes = duration_minutes
            changes["explicit_duration"] = True
        elif locked.explicit_duration:
            minutes = int((locked.end_at - locked.start_at).total_seconds() // 60)
        else:
            minutes = locked.restaurant.turn_for(changes.get("party_size", locked.party_size), at=new_start)
        new_end = new_start + timedelta(minutes=minutes)
        if new_start != locked.start_at:
            changes["start_at"] = new_start
            changes["service_date"] = locked.restaurant.service_day_of(new_start)
        if new_end != locked.end_at:
            changes["end_at"] = new_end
        if not changes:
            return locked
        Booking.objects.filter(pk=locked.pk).update(**changes)
        locked.refresh_from_db()
        described = {k: str(v) for k, v in changes.items() if k != "service_date"}
        lifecycle.booking_record_modification(
            booking=locked, changes=described, actor=actor, correlation_id=correlation_id
        )
        if locked.state in ("confirmed", "manual_review", "pending"):
            lifecycle.booking_request_assignment(
                booking=locked,
                trigger="modification",
                actor=actor,
                correlation_id=correlation_id,
                metadata={"changes": described},
            )
        return locked


CONTACT_FIELDS = ("guest_name", "guest_email", "guest_phone", "notes")


def guest_phone_clean(text: str) -> str:
    """The phone as kept (phones.phone_normalize), or a ValidationError on guest_phone saying why."""
    try:
        return phone_normalize(text)
    except PhoneInvalid as exc:
        raise ValidationError({"guest_phone": f"{exc}."}) from None


def booking_update_contact(*, booking: Booking, **changes: str) -> Booking:
    """Change how to reach the guest and the notes (staff in the admin). Only these fields are written: a full
    save() would write back a state and version that the lifecycle may have moved meanwhile. No state change, so
    no history row and no event."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"Not contact fields: {', '.join(sorted(unknown))}")
    if not changes:
        return booking
    if "guest_phone" in changes:
        changes["guest_phone"] = guest_phone_clean(changes["guest_phone"])
    for name, value in changes.items():
        setattr(booking, name, value)
    booking.save(update_fields=[*changes, "updated_at"])
    return booking


def bookings_service_day_recompute(*, restaurant: Restaurant, since: date, now: datetime) -> dict[int, date]:
    """Put each booking of the restaurant from the service day `since` on (or starting from `now` on) on the
    service day its start belongs to now: after a time zone change a 23:30 booking may start at 00:30 the next
    day; after Friday's hours came to run past midnight a 00:45 Saturday-morning booking is Friday's. Runs in the
    caller's transaction (the zone or hours change's), holding the rows it rewrites (in id order), so a
    pipeline batch that claimed one of them for its old day finishes first, and a later batch of the old day no
    longer finds it. Not a state change: no history, no version bump. Returns {booking id: its new day}."""
    if not connection.in_atomic_block:
        raise RuntimeError("bookings_service_day_recompute runs inside the caller's transaction")
    rows = Booking.objects.filter(Q(service_date__gte=since) | Q(start_at__gte=now), restaurant=restaurant)
    if connection.vendor == "postgresql":
        rows = rows.select_for_update(of=("self",))
    moved: dict[int, date] = {}
    changed: list[Booking] = []
    for booking in rows.order_by("pk").only("pk", "start_at", "service_date"):
        day = restaurant.service_day_of(booking.start_at)
        if day != booking.service_date:
            booking.service_date = moved[booking.pk] = day
            changed.append(booking)
    Booking.objects.bulk_update(changed, ["service_date"], batch_size=500)
    return moved
