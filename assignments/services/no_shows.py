"""The no-show sweep: confirmed bookings whose party has not been seated by their start plus the restaurant's
grace period become no-shows, and their tables are free for the rest of the evening.

Run every minute by the scheduler (`assignments.jobs.mark_no_shows_periodic`) and once by hand with
`manage.py mark_no_shows`. Idempotent and safe with two sweeps (or a host) at once: each restaurant's due
bookings are claimed with FOR UPDATE SKIP LOCKED and moved through the lifecycle with a version check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from assignments import lifecycle
from assignments.lifecycle import Actor, LifecycleError
from assignments.models import Booking, BookingState

logger = logging.getLogger("maitre.no_shows")
SWEEP = Actor("no_show_sweep")
# Bookings that started longer ago than this are history, not tonight's no-shows: a first deploy (or a
# sweep down for a week) must not turn old, never-closed confirmed bookings into a wave of no-shows.
LOOKBACK = timedelta(hours=24)


@dataclass(frozen=True)
class SweepResult:
    restaurant_id: int
    marked: tuple[int, ...]
    skipped: int  # locked by another writer right now, or moved meanwhile: the next sweep looks again


def no_shows_due(*, now: datetime) -> dict[int, int]:
    """Restaurants with confirmed bookings that started within the lookback, and each one's grace minutes."""
    rows = (
        Booking.objects.filter(state=BookingState.CONFIRMED, start_at__lte=now, start_at__gt=now - LOOKBACK)
        .values_list("restaurant_id", "restaurant__no_show_grace_minutes")
        .distinct()
    )
    return dict(rows)


def no_shows_mark_due(*, now: datetime | None = None, batch_size: int = 200) -> list[SweepResult]:
    """Mark every confirmed booking past its start plus grace (and not seated) as a no-show."""
    now = now or timezone.now()
    results = []
    for restaurant_id, grace in sorted(no_shows_due(now=now).items()):
        results.append(_sweep_restaurant(restaurant_id, now - timedelta(minutes=grace), now, batch_size))
    return results


def _sweep_restaurant(
    restaurant_id: int, started_before: datetime, now: datetime, batch_size: int
) -> SweepResult:
    marked: list[int] = []
    skipped = 0
    with transaction.atomic():
        due = list(
            Booking.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("restaurant")
            .filter(
                restaurant_id=restaurant_id,
                state=BookingState.CONFIRMED,
                start_at__lte=started_before,
                start_at__gt=now - LOOKBACK,
            )
            .order_by("start_at", "id")[:batch_size]
        )
        for booking in due:
            try:
                lifecycle.booking_mark_no_show(
                    booking=booking, expected_version=booking.version, actor=SWEEP, now=now, by="sweep"
                )
            except LifecycleError as exc:  # moved by someone else in between: theirs is the newer truth
                logger.info("no-show sweep left booking %s: %s", booking.pk, exc)
                skipped += 1
            else:
                marked.append(booking.pk)
    if marked:
        logger.info("restaurant %s: %s no-show(s) marked", restaurant_id, len(marked))
    return SweepResult(restaurant_id=restaurant_id, marked=tuple(marked), skipped=skipped)
