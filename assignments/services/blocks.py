"""Taking tables out of service for a time range (a private event, a broken chair), and giving them back.

A block is allocations like a booking's, under the same exclusion constraint: the engine, availability and
the optimizer read it as a taken table. A block over a booking or a hold is refused, naming what is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction

from assignments.models import Restaurant, Table, TableAllocation, TableBlock
from assignments.selectors.review import Clash, clashes_over, clashes_text
from assignments.services.allocations import AllocationConflict, allocations_create, allocations_release
from assignments.services.freed import BLOCK_REMOVED, span_freed_on_commit


class BlockRefused(Exception):
    """Nothing was written; `str(exc)` is for the person who tried, `clashes` names what is in the way."""

    def __init__(self, message: str, clashes: Sequence[Clash] = ()):
        self.clashes = list(clashes)
        super().__init__(message)


def block_window(*, restaurant: Restaurant, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """A block's [start, end) from wall-clock times on a service day, in the restaurant's zone; an end at or
    before the start runs past midnight. A time the clocks skip that night (01:30 on the last Sunday of March in
    London) is refused: it names no moment."""
    tz = restaurant.tzinfo
    start_at = datetime.combine(day, start, tzinfo=tz)
    end_at = datetime.combine(day, end, tzinfo=tz)
    try:
        if end_at <= start_at:  # same zone: compared on the wall clock
            end_at += timedelta(days=1)
        in_utc = [moment.astimezone(UTC) for moment in (start_at, end_at)]
    except OverflowError as exc:  # 9999-12-31 23:00 to 18:00 runs past the calendar
        raise BlockRefused(f"{day.isoformat()} is too far away to block a table.") from exc
    for moment, utc in zip((start_at, end_at), in_utc, strict=True):
        if utc.astimezone(tz).replace(tzinfo=None) != moment.replace(tzinfo=None):
            raise BlockRefused(
                f"{moment:%H:%M} does not exist on {moment:%d %B %Y} in {restaurant.timezone}: the clocks go "
                f"forward that night. Start or end the block after the change."
            )
    return start_at, end_at


def table_block_create(
    *,
    restaurant: Restaurant,
    table_labels: Sequence[str],
    start_at: datetime,
    end_at: datetime,
    reason: str,
    user=None,
) -> TableBlock:
    labels = sorted({str(t).strip() for t in table_labels if str(t).strip()})
    reason = (reason or "").strip()
    if not labels:
        raise BlockRefused("Choose a table to block.")
    if not reason:
        raise BlockRefused(
            "Say why the table is blocked (a private event, a broken chair): the host will read it."
        )
    if "\x00" in reason:
        raise BlockRefused("The reason holds a NUL character, which cannot be stored; type it again.")
    if end_at.astimezone(UTC) <= start_at.astimezone(UTC):  # as moments, not on the wall clock
        raise BlockRefused("A block must end after it starts.")
    unknown = sorted(repr(t)[1:-1] for t in labels if "\x00" in t)  # no table's label holds a NUL
    if unknown:
        raise BlockRefused(f"Unknown or inactive table(s): {', '.join(unknown)}.")
    tables = list(Table.objects.filter(restaurant=restaurant, label__in=labels, active=True))
    unknown = sorted(set(labels) - {t.label for t in tables})
    if unknown:
        raise BlockRefused(f"Unknown or inactive table(s): {', '.join(unknown)}.")
    with transaction.atomic():
        clashes = clashes_over(restaurant=restaurant, table_labels=labels, start_at=start_at, end_at=end_at)
        if clashes:
            raise BlockRefused(f"Not blocked: {clashes_text(clashes)}. Move or cancel it first.", clashes)
        block = TableBlock.objects.create(
            restaurant=restaurant, reason=reason[:200], start_at=start_at, end_at=end_at, created_by=user
        )
        try:
            allocations_create(tables=tables, start_at=start_at, end_at=end_at, block=block)
        except AllocationConflict as exc:
            clashes = clashes_over(
                restaurant=restaurant, table_labels=exc.tables, start_at=start_at, end_at=end_at
            )
            raise BlockRefused(
                f"Not blocked: {clashes_text(clashes) or exc}; taken a moment ago.", clashes
            ) from exc
    return block


def table_block_remove(*, block: TableBlock) -> None:
    """The tables are free again (availability is told on commit, and the floor may heal itself)."""
    with transaction.atomic():
        labels = sorted(TableAllocation.objects.filter(block=block).values_list("table__label", flat=True))
        if labels:
            allocations_release(block=block)
            span_freed_on_commit(
                restaurant=block.restaurant,
                start_at=block.start_at,
                end_at=block.end_at,
                reason=BLOCK_REMOVED,
                cause=f"removal of the block on {', '.join(labels)} ({block.reason})",
            )
        block.delete()
