"""Backfill of the audit trail for bookings that predate it: one history row each, so that the invariant
"version counts history rows" holds for every booking."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Exists, OuterRef

from assignments.models import Booking, BookingStateHistory


def bookings_without_history():
    return Booking.objects.filter(~Exists(BookingStateHistory.objects.filter(booking=OuterRef("pk"))))


def history_backfill(
    *, batch_size: int = 500, dry_run: bool = False, progress: Callable[[int], None] | None = None
) -> dict:
    """Give every booking without history one row (∅ → its current state) and version 1. Idempotent: a
    booking that has history is never touched. Each batch is its own transaction."""
    total = bookings_without_history().count()
    done = 0
    by_state: dict[str, int] = {}
    if dry_run:
        for state in bookings_without_history().values_list("state", flat=True):
            by_state[state] = by_state.get(state, 0) + 1
        return {"candidates": total, "backfilled": 0, "by_state": by_state}
    while True:
        with transaction.atomic():
            batch = list(
                bookings_without_history()
                .select_for_update()
                .order_by("pk")
                .values_list("pk", "state", "version")[:batch_size]
            )
            if not batch:
                break
            BookingStateHistory.objects.bulk_create(
                [
                    BookingStateHistory(
                        booking_id=pk,
                        from_state="",
                        to_state=state,
                        version=1,
                        transition="backfill",
                        actor_label="backfill",
                        metadata={"backfilled": True, "previous_version": version},
                    )
                    for pk, state, version in batch
                ]
            )
            Booking.objects.filter(pk__in=[pk for pk, _, _ in batch]).update(version=1)
        for _, state, _ in batch:
            by_state[state] = by_state.get(state, 0) + 1
        done += len(batch)
        if progress:
            progress(done)
    return {"candidates": total, "backfilled": done, "by_state": by_state}
