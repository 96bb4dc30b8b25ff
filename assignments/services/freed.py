"""Saying that table time became free: the senders' half of `assignments.signals.tables_freed`.

A service that frees table time (a cancellation, a booking moved off its tables, a block removed, a table
back in service, the day optimizer's moves) calls `tables_freed_on_commit`. Once per restaurant day per
transaction it writes a `tables.freed` outbox event **in that transaction** (the durable half: the floor heal
it calls for survives a crash right after the commit, relayed to a worker by the outbox, services.heal), and
the signal goes out after the commit (the fast half: the heal at once, in this process), so nothing hears of
time that a rollback took back.

The event names the day it was written for and, where the sender knows it, each freed window of table time
(`windows`, UTC, buffer included: a cancelled booking's allocation, a removed block, the rest of a completed
party's time); a sender that freed a whole day (a table back in service, the day optimizer's moves) gives none,
and the event says `whole_day`. The heal reads the windows when it runs, not the day: a zone or hours change made
between the two may have put the freed time, and the bookings around it, on another service day (services.heal).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction

from assignments.models import Booking, BookingState, OutboxEvent, Restaurant, Table, TableAllocation
from assignments.signals import tables_freed

logger = logging.getLogger("maitre.freed")
Window = tuple[datetime, datetime]

CANCELLED = "cancelled"
MOVED = "moved"
BLOCK_REMOVED = "block_removed"
BLOCK_SHORTENED = "block_shortened"
TABLE_IN_SERVICE = "table_in_service"
OPTIMIZED = "optimized"
RELEASED = "released"
TABLES_FREED_EVENT = "tables.freed"  # an outbox event for the floor heal, not for booking platforms


def booking_ref(booking: Booking) -> str:
    return booking.external_ref or f"#{booking.pk}"


@dataclass
class _Freed:
    reason: str
    causes: list[str] = field(default_factory=list)
    booking_ids: set[int] = field(default_factory=set)
    event_id: int | None = None  # its `tables.freed` outbox event
    windows: list[Window] = field(
        default_factory=list
    )  # the freed table time, when every sender gave its own
    whole_day: bool = False  # some sender freed time over the whole day (no window)

    def payload(self, service_date: date) -> dict:
        return {
            "service_date": service_date.isoformat(),
            "reason": self.reason,
            "cause": _cause_text(self.causes),
            "booking_ids": sorted(self.booking_ids),
            "windows": [] if self.whole_day else [[a.isoformat(), b.isoformat()] for a, b in self.windows],
            "whole_day": self.whole_day,
        }

    def grown(self, cause: str, booking_id: int | None, window: Window | None) -> _Freed:
        return _Freed(
            self.reason,
            [*self.causes, cause] if cause and cause not in self.causes else self.causes,
            self.booking_ids | ({booking_id} if booking_id is not None else set()),
            self.event_id,
            [*self.windows, window] if window is not None and window not in self.windows else self.windows,
            self.whole_day or window is None,
        )

    def record(self, restaurant_id: int, service_date: date) -> None:
        """Write the day's `tables.freed` event, in the caller's transaction."""
        self.event_id = OutboxEvent.objects.create(
            aggregate_type="restaurant_day",
            aggregate_id=f"{restaurant_id}:{service_date.isoformat()}",
            restaurant_id=restaurant_id,
            event_type=TABLES_FREED_EVENT,
            payload=self.payload(service_date),
        ).pk


class _Pending:
    """What one transaction freed, by restaurant day; sent by `send` when it commits."""

    def __init__(self) -> None:
        self.days: dict[tuple[int, date], _Freed] = {}
        self.sent = False

    def add(
        self,
        restaurant_id: int,
        service_date: date,
        reason: str,
        cause: str,
        booking_id: int | None,
        window: Window | None,
    ) -> None:
        key = (restaurant_id, service_date)
        freed = self.days.get(key)
        if freed is not None:
            grown = freed.grown(cause, booking_id, window)
            if OutboxEvent.objects.filter(pk=grown.event_id or 0).update(payload=grown.payload(service_date)):
                self.days[key] = grown
                return
            # its event was written in a savepoint since rolled back, with all that had freed the day: anew
        fresh = _fresh(reason, cause, booking_id, window)
        fresh.record(restaurant_id, service_date)
        self.days[key] = fresh

    def send(self) -> None:
        """After the commit: a day whose every freeing was rolled back with a savepoint (its event with it) freed
        nothing, and nobody hears of it."""
        self.sent = True
        days, self.days = self.days, {}
        ids = [f.event_id for f in days.values() if f.event_id is not None]
        committed = set(OutboxEvent.objects.filter(pk__in=ids).values_list("pk", flat=True))
        for (restaurant_id, service_date), freed in days.items():
            if freed.event_id in committed:
                _send(restaurant_id, service_date, freed)


def _fresh(reason: str, cause: str, booking_id: int | None, window: Window | None) -> _Freed:
    return _Freed(
        reason,
        [cause] if cause else [],
        {booking_id} if booking_id is not None else set(),
        windows=[window] if window is not None else [],
        whole_day=window is None,
    )


def _cause_text(causes: list[str]) -> str:
    if not causes:
        return ""
    if len(causes) == 1:
        return causes[0]
    return f"{causes[0]} and {len(causes) - 1} more"


def _send(restaurant_id: int, service_date: date, freed: _Freed) -> None:
    results = tables_freed.send_robust(
        sender=None,
        restaurant_id=restaurant_id,
        service_date=service_date,
        reason=freed.reason,
        cause=_cause_text(freed.causes),
        booking_ids=frozenset(freed.booking_ids),
        event_id=freed.event_id,
        windows=None if freed.whole_day else tuple(freed.windows),
    )
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "tables_freed receiver %s failed for restaurant %s day %s",
                receiver,
                restaurant_id,
                service_date,
                exc_info=result,
            )


def _pending_for(connection) -> _Pending:
    """The transaction's pending set: a fresh one when the last one was sent or rolled back (its on-commit
    hook is then gone from the connection's list)."""
    pending = getattr(connection, "_maitre_tables_freed", None)
    if (
        pending is not None
        and not pending.sent
        and any(getattr(hook, "__self__", None) is pending for _, hook, _ in connection.run_on_commit)
    ):
        return pending
    pending = _Pending()
    connection._maitre_tables_freed = pending
    transaction.on_commit(pending.send, robust=True)
    return pending


def tables_freed_on_commit(
    *,
    restaurant_id: int,
    service_date: date | None,
    reason: str,
    cause: str = "",
    booking_id: int | None = None,
    window: Window | None = None,
) -> None:
    """On commit, tell `tables_freed`'s receivers that time on the restaurant day's tables is free: over `window`
    (start, end), or, without one, anywhere in the day. `cause` is for people ("cancellation of #123");
    `booking_id` is the booking whose tables they were (the receiver leaves it alone). Several calls in one
    transaction make one signal per restaurant day."""
    if service_date is None:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        freed = _fresh(reason, cause, booking_id, window)
        freed.record(restaurant_id, service_date)
        _send(restaurant_id, service_date, freed)
        return
    _pending_for(connection).add(restaurant_id, service_date, reason, cause, booking_id, window)


@dataclass(frozen=True)
class Held:
    """Where a booking sat before a write: its tables and window (buffer included)."""

    booking_id: int
    restaurant_id: int
    tables: frozenset[str]
    start_at: datetime
    end_at: datetime

    def freed_by(self, tables=(), window: tuple[datetime, datetime] | None = None) -> bool:
        """Whether moving to `tables` over `window` (nothing: released) lets go of some of this time."""
        if window is None or not tables:
            return True
        return bool(self.tables - set(tables)) or self.start_at < window[0] or self.end_at > window[1]


def bookings_held(*, booking_ids) -> dict[int, Held]:
    """What these bookings hold now (one query)."""
    spans: dict[int, list] = {}
    rows = TableAllocation.objects.filter(booking_id__in=list(booking_ids)).values_list(
        "booking_id", "restaurant_id", "table__label", "start_at", "end_at"
    )
    for booking_id, restaurant_id, label, start_at, end_at in rows:
        spans.setdefault(booking_id, []).append((restaurant_id, label, start_at, end_at))
    return {
        bid: Held(
            bid,
            items[0][0],
            frozenset(i[1] for i in items),
            min(i[2] for i in items),
            max(i[3] for i in items),
        )
        for bid, items in spans.items()
    }


def held_freed_on_commit(
    *,
    held: Held,
    restaurant: Restaurant | None,
    reason: str,
    cause: str,
    tables=(),
    window: tuple[datetime, datetime] | None = None,
) -> bool:
    """Send for the day of what a booking held, when its move to `tables` over `window` (or its release) frees
    some of it. Returns whether it did."""
    if not held.freed_by(tables, window):
        return False
    restaurant = (
        restaurant
        if restaurant is not None and restaurant.pk == held.restaurant_id
        else (Restaurant.objects.get(pk=held.restaurant_id))
    )
    tables_freed_on_commit(
        restaurant_id=held.restaurant_id,
        service_date=restaurant.service_day_of(held.start_at),
        reason=reason,
        cause=cause,
        booking_id=held.booking_id,
        window=(held.start_at, held.end_at),
    )
    return True


def span_freed_on_commit(
    *,
    restaurant: Restaurant,
    start_at: datetime,
    end_at: datetime,
    reason: str,
    cause: str,
    booking_id: int | None = None,
) -> None:
    tables_freed_on_commit(
        restaurant_id=restaurant.pk,
        service_date=restaurant.service_day_of(start_at),
        reason=reason,
        cause=cause,
        booking_id=booking_id,
        window=(start_at, end_at),
    )


def table_in_service_on_commit(*, table: Table) -> None:
    """A table (back) in service frees time on every coming day that has bookings waiting for a table."""
    from django.utils import timezone

    restaurant = table.restaurant
    today = restaurant.service_day_of(timezone.now())
    days = (
        Booking.objects.filter(
            restaurant_id=restaurant.pk,
            service_date__gte=today,
            state__in=(BookingState.MANUAL_REVIEW, BookingState.ASSIGNMENT_PENDING),
        )
        .values_list("service_date", flat=True)
        .distinct()
        .order_by("service_date")
    )
    for day in days:
        tables_freed_on_commit(
            restaurant_id=restaurant.pk,
            service_date=day,
            reason=TABLE_IN_SERVICE,
            cause=f"table {table.label} in service",
        )
