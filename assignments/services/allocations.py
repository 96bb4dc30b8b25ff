"""Allocating tables over a time range to a booking or a hold, never twice.

Postgres: the exclusion constraint `allocation_no_overlap` is the guard; its violation becomes an
AllocationConflict. SQLite: the transaction is IMMEDIATE (one writer at a time), so the overlap check
below and the insert cannot interleave with another writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from assignments.models import Booking, Hold, Table, TableAllocation, TableBlock
from assignments.signals import allocations_changed_on_commit

EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"  # two inserts waiting on each other's exclusion check: one of them lost the race


class AllocationConflict(Exception):
    """Some of the tables are taken over (part of) the window."""

    def __init__(self, tables: Sequence[str], detail: str = ""):
        self.tables = list(tables)
        super().__init__(detail or f"Tables {', '.join(self.tables)} are already taken over that time")


def _is_exclusion_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == EXCLUSION_VIOLATION or "allocation_no_overlap" in str(exc)


def allocations_purge_expired_holds(*, table_ids: Sequence[int], start_at: datetime, end_at: datetime) -> int:
    """An expired hold gives way at once: drop its allocations on these tables before anyone allocates."""
    expired = Hold.objects.filter(expires_at__lte=timezone.now()).values("id")
    deleted, _ = TableAllocation.objects.filter(
        table_id__in=list(table_ids), hold_id__in=expired, start_at__lt=end_at, end_at__gt=start_at
    ).delete()
    if deleted:
        for restaurant_id in set(
            Table.objects.filter(pk__in=list(table_ids)).values_list("restaurant_id", flat=True)
        ):
            allocations_changed_on_commit(restaurant_id=restaurant_id, start_at=start_at, end_at=end_at)
    return deleted


def allocations_create(
    *,
    tables: Sequence[Table],
    start_at: datetime,
    end_at: datetime,
    booking: Booking | None = None,
    hold: Hold | None = None,
    block: TableBlock | None = None,
) -> list[TableAllocation]:
    """Allocate `tables` over [start_at, end_at) (buffer included) to one booking, hold or table block, or
    raise AllocationConflict and write nothing."""
    if sum(o is not None for o in (booking, hold, block)) != 1:
        raise ValueError("An allocation belongs to exactly one booking, hold or table block")
    owner = booking or hold or block
    assert owner is not None  # exactly one of them, checked above
    tables = sorted(
        tables, key=lambda t: t.pk
    )  # one insertion order everywhere, against lock-order deadlocks
    table_ids = [t.pk for t in tables]
    rows = [
        TableAllocation(
            restaurant_id=owner.restaurant_id,
            table=t,
            booking=booking,
            hold=hold,
            block=block,
            start_at=start_at,
            end_at=end_at,
        )
        for t in tables
    ]
    try:
        # One savepoint: a refused insert rolls back to it, so a caller may try another plan in its transaction.
        with transaction.atomic():
            allocations_purge_expired_holds(table_ids=table_ids, start_at=start_at, end_at=end_at)
            if connection.vendor != "postgresql":
                clash = list(
                    TableAllocation.objects.filter(
                        table_id__in=table_ids, start_at__lt=end_at, end_at__gt=start_at
                    ).values_list("table__label", flat=True)
                )
                if clash:
                    raise AllocationConflict(sorted(set(clash)))
            created = TableAllocation.objects.bulk_create(rows)
    except IntegrityError as exc:
        if _is_exclusion_violation(exc):
            raise AllocationConflict(sorted(t.label for t in tables)) from exc
        raise
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED:
            raise AllocationConflict(sorted(t.label for t in tables), "Lost a race for these tables") from exc
        raise
    allocations_changed_on_commit(restaurant_id=owner.restaurant_id, start_at=start_at, end_at=end_at)
    return created


def allocations_release(
    *, booking: Booking | None = None, hold: Hold | None = None, block: TableBlock | None = None
) -> int:
    if booking is not None:
        qs = TableAllocation.objects.filter(booking_id=booking.pk)
    elif hold is not None:
        qs = TableAllocation.objects.filter(hold_id=hold.pk)
    elif block is not None:
        qs = TableAllocation.objects.filter(block_id=block.pk)
    else:
        raise ValueError("Release what? Give a booking, a hold or a table block")
    span = qs.aggregate(start=Min("start_at"), end=Max("end_at"))
    if span["start"] is None:
        return 0
    deleted, _ = qs.delete()
    owner = booking or hold or block
    assert owner is not None  # one of them, else the ValueError above
    allocations_changed_on_commit(
        restaurant_id=owner.restaurant_id, start_at=span["start"], end_at=span["end"]
    )
    return deleted


def allocations_trim(*, booking: Booking, end_at: datetime) -> bool:
    """The booking's tables are free from `end_at` on (it left early, or never came): allocations that run
    past it end there, those that would not start before it go. Availability hears of the freed span on
    commit. True when any table time was freed. `end_at` is rounded up to the whole minute: the engine counts
    in minutes, and a table it sees free at 20:42 must be free at 20:42:00."""
    if end_at.second or end_at.microsecond:
        end_at = end_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    qs = TableAllocation.objects.filter(booking_id=booking.pk, end_at__gt=end_at)
    span = qs.aggregate(end=Max("end_at"))
    if span["end"] is None:
        return False
    qs.filter(start_at__gte=end_at).delete()
    qs.update(end_at=end_at)
    allocations_changed_on_commit(restaurant_id=booking.restaurant_id, start_at=end_at, end_at=span["end"])
    return True
