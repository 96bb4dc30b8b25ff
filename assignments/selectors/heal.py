"""Reads for the floor's self-healing: which bookings freed tables brought back and seated, for the review queue
and the booking page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from assignments.models import Booking, BookingStateHistory, Restaurant, TableAllocation


@dataclass(frozen=True)
class HealedSeat:
    booking_id: int
    ref: str
    guest_name: str
    party_size: int
    start: str  # the booking's local start, HH:MM
    tables: tuple[str, ...]
    note: str  # "seated automatically after tables freed up at 20:41 (cancellation of #118)"
    at: datetime


def floor_healed_recent(
    *, restaurants: QuerySet[Restaurant], since: datetime | None = None, limit: int = 8
) -> list[HealedSeat]:
    """The latest bookings seated automatically after tables freed up (last 12 hours by default), newest first,
    with their tables now: two queries."""
    since = since or timezone.now() - timedelta(hours=12)
    rows = list(
        BookingStateHistory.objects.filter(
            transition="confirm",
            metadata__has_key="healed",
            created_at__gte=since,
            booking__restaurant__in=restaurants,
        )
        .select_related("booking__restaurant")
        .order_by("-created_at", "-id")[:limit]
    )
    tables: dict[int, list[str]] = {}
    for booking_id, label in TableAllocation.objects.filter(
        booking_id__in=[r.booking_id for r in rows]
    ).values_list("booking_id", "table__label"):
        tables.setdefault(booking_id, []).append(label)
    return [
        HealedSeat(
            booking_id=r.booking_id,
            ref=r.booking.external_ref or f"#{r.booking_id}",
            guest_name=r.booking.guest_name,
            party_size=r.booking.party_size,
            start=f"{r.booking.local_start:%H:%M}",
            tables=tuple(sorted(tables.get(r.booking_id, ()))),
            note=str(r.metadata.get("healed", "")),
            at=r.created_at,
        )
        for r in rows
    ]


def booking_heal_note(*, booking: Booking) -> str:
    """'seated automatically after tables freed up at 20:41 (...)' while the booking's latest change is that
    seating; else ''."""
    row = BookingStateHistory.objects.filter(
        booking=booking, version=booking.version, transition="confirm"
    ).first()
    return str((row.metadata or {}).get("healed", "")) if row else ""
