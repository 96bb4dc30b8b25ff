"""The one door for putting bookings on tables, and for sending them to review.

Every writer that seats a booking (the pipeline's batches, manual assignment, the day optimizer,
re-seating) comes through here, so that releasing holds and old tables, allocating under the exclusion
constraint, the lifecycle transition and the attempt rows can never be half done or done differently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from assignments import lifecycle, metrics
from assignments.conf import maitre_settings
from assignments.lifecycle import SYSTEM, Actor, Change
from assignments.models import (
    AttemptResult,
    Booking,
    BookingAssignmentAttempt,
    BookingState,
    Table,
    TableAllocation,
)
from assignments.services import freed
from assignments.services.allocations import (
    DEADLOCK_DETECTED,
    AllocationConflict,
    _is_exclusion_violation,
    allocations_create,
    allocations_release,
)
from assignments.signals import allocations_changed_on_commit

TABLES_CHANGED = "booking.tables_changed"


def backoff_ms(retry_no: int) -> int:
    cfg = maitre_settings
    return int(min(cfg.RETRY_MAX_DELAY_MS, cfg.RETRY_BASE_DELAY_MS * (2 ** max(0, retry_no - 1))))


def conflict_delay(attempt_no: int) -> timedelta:
    """When a booking whose tables were taken at the commit is due again: at once the first two times (another
    writer won a race: re-plan on the floor as it is now), then backing off like a booking with no plan, so that a
    conflict that keeps coming back never spins (the coordinator sends it to review past CONFLICT_CAP x the
    restaurant's attempts)."""
    return timedelta(milliseconds=0 if attempt_no <= 2 else backoff_ms(attempt_no - 2))


class AttemptRow(NamedTuple):
    """What one strategy (or person) proposed in one attempt, before it becomes a row."""

    strategy: str
    result: str
    reason: str
    metadata: Mapping[str, Any]


def attempt_objects(
    *, booking_id: int, attempt_no: int, rows: Iterable[AttemptRow | tuple], correlation_id: str = ""
) -> list[BookingAssignmentAttempt]:
    """The one constructor of attempt rows (unsaved; `_attempts_save` writes them in one query)."""
    return [
        BookingAssignmentAttempt(
            booking_id=booking_id,
            attempt_no=attempt_no,
            strategy=s,
            result=r,
            reason=why[:2000],
            metadata=dict(m),
            correlation_id=correlation_id,
        )
        for s, r, why, m in rows
    ]


def attempts_record(
    *, booking_id: int, attempt_no: int, rows: Iterable[AttemptRow | tuple], correlation_id: str = ""
) -> list[BookingAssignmentAttempt]:
    """Record one attempt's rows (bulk, one query), with their outcome metrics."""
    return _attempts_save(
        attempt_objects(
            booking_id=booking_id, attempt_no=attempt_no, rows=rows, correlation_id=correlation_id
        )
    )


ATTEMPT_COLUMNS = (
    "booking_id",
    "attempt_no",
    "strategy",
    "result",
    "reason",
    "metadata",
    "correlation_id",
    "created_at",
)


def _attempts_save(
    objs: list[BookingAssignmentAttempt], *, bulk: bool = False
) -> list[BookingAssignmentAttempt]:
    """Insert the attempt rows. `bulk` (a pipeline batch: a few thousand rows a second under load, their ids
    not needed) streams them with COPY on PostgreSQL, which costs a fraction of building one INSERT for them."""
    if bulk and objs and connection.vendor == "postgresql":
        _attempts_copy(objs)
        created = objs
    else:
        created = BookingAssignmentAttempt.objects.bulk_create(objs)
    for a in objs:
        metrics.ASSIGNMENT_OUTCOMES.labels(a.strategy, a.result).inc()
    return created


def _attempts_copy(objs: list[BookingAssignmentAttempt]) -> None:
    """The same rows as bulk_create writes (one created_at for the batch), through COPY; the objects get no ids."""
    now = timezone.now()
    table = BookingAssignmentAttempt._meta.db_table
    with (
        connection.wrap_database_errors,  # psycopg's own errors as Django's, as for every other write here
        connection.cursor() as cur,
        cur.cursor.copy(f"COPY {table} ({', '.join(ATTEMPT_COLUMNS)}) FROM STDIN") as copy,
    ):
        for a in objs:
            a.created_at = now
            copy.write_row(
                (
                    a.booking_id,
                    a.attempt_no,
                    a.strategy,
                    a.result,
                    a.reason,
                    json.dumps(a.metadata),
                    a.correlation_id,
                    now,
                )
            )


def next_attempt_no(*, booking_id: int) -> int:
    last = BookingAssignmentAttempt.objects.filter(booking_id=booking_id).aggregate(n=Max("attempt_no"))["n"]
    return (last or 0) + 1


def booking_seat(
    *,
    booking: Booking,
    tables: Sequence[Table],
    window: tuple[datetime, datetime],
    strategy: str,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    attempt_no: int | None = None,
    attempt_rows: Sequence[AttemptRow] = (),
    metadata: Mapping | None = None,
    expected_version: int | None = None,
) -> Booking:
    """Seat one booking on `tables` over `window` (buffer included). Its live holds and current tables give
    way; the new allocations go in under the exclusion constraint; a booking waiting (assignment_pending or
    manual_review) is confirmed through the lifecycle, a confirmed one is moved (a `booking.tables_changed`
    event). `attempt_rows` are recorded as attempt `attempt_no` (default: the next one), plus a success row
    for `strategy` when none of them is one. Atomic: AllocationConflict or VersionConflict write nothing."""
    from assignments.services.holds import holds_release_for_booking

    labels = sorted(t.label for t in tables)
    with transaction.atomic():
        holds_release_for_booking(booking=booking)
        held = freed.bookings_held(booking_ids=[booking.pk]).get(booking.pk)
        before = sorted(held.tables) if held else []
        allocations_release(booking=booking)
        allocations_create(tables=tables, start_at=window[0], end_at=window[1], booking=booking)
        if held is not None:
            freed.held_freed_on_commit(
                held=held,
                restaurant=booking.restaurant,
                reason=freed.MOVED,
                tables=labels,
                window=window,
                cause=f"move of {freed.booking_ref(booking)}",
            )
        if booking.state == BookingState.CONFIRMED:
            version = booking.version if expected_version is None else expected_version
            if Booking.objects.filter(pk=booking.pk, version=version).count() != 1:
                raise lifecycle.VersionConflict(booking, version)
            lifecycle.outbox_emit(
                booking=booking,
                event_type=TABLES_CHANGED,
                payload={"from_tables": before, "tables": labels, "strategy": strategy, **(metadata or {})},
                correlation_id=correlation_id,
            )
        else:
            lifecycle.booking_confirm(
                booking=booking,
                tables=labels,
                strategy=strategy,
                expected_version=expected_version,
                actor=actor,
                correlation_id=correlation_id,
                attempts=attempt_no,
                metadata=dict(metadata or {}),
            )
        rows = list(attempt_rows)
        if not any(r[1] == AttemptResult.SUCCESS for r in rows):
            rows.append(
                AttemptRow(
                    strategy,
                    AttemptResult.SUCCESS,
                    f"seated at {', '.join(labels)} by {actor.label}",
                    {"tables": labels, **({"from_tables": before} if before else {})},
                )
            )
        attempts_record(
            booking_id=booking.pk,
            attempt_no=attempt_no or next_attempt_no(booking_id=booking.pk),
            rows=rows,
            correlation_id=correlation_id,
        )
    return booking


def booking_send_to_review(
    *,
    booking: Booking,
    reason: str,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    attempt_no: int | None = None,
    attempt_rows: Sequence[AttemptRow] = (),
    expected_version: int | None = None,
) -> Booking:
    """assignment_pending -> manual_review with the reason a person will read first. Tables it still holds
    from before a modification are released: they no longer fit it (else it would have kept them)."""
    with transaction.atomic():
        held = freed.bookings_held(booking_ids=[booking.pk]).get(booking.pk)
        allocations_release(booking=booking)
        if held is not None:
            freed.held_freed_on_commit(
                held=held,
                restaurant=booking.restaurant,
                reason=freed.RELEASED,
                cause=f"{freed.booking_ref(booking)} giving up its tables",
            )
        attempts = attempt_no or next_attempt_no(booking_id=booking.pk)
        if attempt_rows:
            attempts_record(
                booking_id=booking.pk, attempt_no=attempts, rows=attempt_rows, correlation_id=correlation_id
            )
        lifecycle.booking_send_to_review(
            booking=booking,
            reason=reason,
            actor=actor,
            correlation_id=correlation_id,
            attempts=attempts,
            expected_version=expected_version,
            metadata={"party_size": booking.party_size, "attempts": attempts},
        )
    return booking


# -- the pipeline's batches ----------------------------------------------------------------------------


@dataclass
class Seat:
    booking: Booking
    tables: tuple[Table, ...]
    window: tuple[datetime, datetime]
    strategy: str
    attempt_no: int
    rows: list[AttemptRow]
    correlation_id: str = ""
    metadata: dict = field(default_factory=dict)
    releases: bool = False  # it holds tables or holds of its own that must give way first


@dataclass
class Review:
    booking: Booking
    reason: str
    attempt_no: int
    rows: list[AttemptRow]
    correlation_id: str = ""


@dataclass
class Retry:
    booking: Booking
    due_at: datetime
    attempt_no: int
    rows: list[AttemptRow]
    correlation_id: str = ""


@dataclass
class BatchResult:
    seated: list[Seat]
    conflicted: list[Seat]  # lost their tables to a writer outside the batch: due again at once


def bookings_apply_batch(
    *, seats: Sequence[Seat], reviews: Sequence[Review], retries: Sequence[Retry], actor: Actor = SYSTEM
) -> BatchResult:
    """Write one batch of decisions in the caller's transaction, with few round trips: all allocations in one
    INSERT, one version-checked UPDATE per kind of transition, bulk history, events and attempts. The caller
    holds every booking row locked (FOR UPDATE), so versions cannot move under it. A seat whose tables were
    taken by a writer outside the batch (a hold, staff) is not confirmed: it comes back in `conflicted`."""
    from assignments.services.holds import holds_release_for_booking

    if not connection.in_atomic_block:
        raise RuntimeError("bookings_apply_batch runs inside the caller's transaction")
    releasing = [s.booking.pk for s in seats if s.releases] + [r.booking.pk for r in reviews]
    held = freed.bookings_held(booking_ids=releasing) if releasing else {}
    for seat in seats:
        if seat.releases:
            holds_release_for_booking(booking=seat.booking)
            allocations_release(booking=seat.booking)
    for review in reviews:
        allocations_release(booking=review.booking)
    seated, conflicted = _allocate_all(seats)
    if held:
        _announce_freed(held, seated, [*[s.booking for s in seats], *[r.booking for r in reviews]])
    lifecycle.bookings_transition(
        name="confirm",
        actor=actor,
        changes=[
            Change(
                booking=s.booking,
                fields={
                    "assigned_at": timezone.now(),
                    "assignment_strategy": s.strategy,
                    "assignment_attempts": s.attempt_no,
                    "due_at": None,
                },
                metadata={
                    "tables": [t.label for t in s.tables],
                    "strategy": s.strategy,
                    "attempt_no": s.attempt_no,
                    **s.metadata,
                },
                correlation_id=s.correlation_id,
            )
            for s in seated
        ],
    )
    lifecycle.bookings_transition(
        name="send_to_review",
        actor=actor,
        changes=[
            Change(
                booking=r.booking,
                fields={"assignment_attempts": r.attempt_no, "due_at": None},
                metadata={"reason": r.reason, "party_size": r.booking.party_size, "attempts": r.attempt_no},
                correlation_id=r.correlation_id,
            )
            for r in reviews
        ],
    )
    now = timezone.now()
    later = [
        *retries,
        *[
            Retry(s.booking, now + conflict_delay(s.attempt_no), s.attempt_no, [], s.correlation_id)
            for s in conflicted
        ],
    ]
    _retries_save(later)
    objs = []
    lost = {id(s) for s in conflicted}
    items: list[Seat | Review | Retry] = [*seated, *reviews, *retries, *conflicted]
    for item in items:
        rows = item.rows
        if isinstance(item, Seat) and id(item) in lost:
            rows = [
                *rows,
                AttemptRow(
                    item.strategy,
                    AttemptResult.CONFLICT,
                    "tables taken meanwhile by another writer",
                    {"tables": [t.label for t in item.tables]},
                ),
            ]
        objs.extend(
            attempt_objects(
                booking_id=item.booking.pk,
                attempt_no=item.attempt_no,
                rows=rows,
                correlation_id=item.correlation_id,
            )
        )
    _attempts_save(objs, bulk=True)
    return BatchResult(seated=seated, conflicted=conflicted)


def _retries_save(later: Sequence[Retry]) -> None:
    """No state change: a later due time and the attempt count. The retries of a batch share a few (attempt,
    due time) pairs (the due time is the batch's time plus the attempt's backoff), so one plain UPDATE per pair:
    a bulk_update's CASE over every booking cost the batch more than all its other writes to build and run."""
    groups: dict[tuple[int, datetime], list[int]] = {}
    for retry in later:
        retry.booking.assignment_attempts, retry.booking.due_at = retry.attempt_no, retry.due_at
        groups.setdefault((retry.attempt_no, retry.due_at), []).append(retry.booking.pk)
    for (attempt_no, due_at), pks in groups.items():
        Booking.objects.filter(pk__in=pks).update(assignment_attempts=attempt_no, due_at=due_at)


def _allocate_all(seats: Sequence[Seat]) -> tuple[list[Seat], list[Seat]]:
    """One INSERT for every seat's allocations, in one table order (as every writer inserts, against lock-order
    deadlocks); if the exclusion constraint refuses it or a deadlock victimises it (someone outside the batch
    took a table, or an expired hold not yet swept is in the way), seat by seat in savepoints (each purging
    expired holds first) so that only the losers are left out."""
    if not seats:
        return [], []
    rows = sorted(
        (
            TableAllocation(
                restaurant_id=s.booking.restaurant_id,
                table=t,
                booking=s.booking,
                start_at=s.window[0],
                end_at=s.window[1],
            )
            for s in seats
            for t in s.tables
        ),
        key=lambda a: (a.table.pk, a.start_at),
    )
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic():
                TableAllocation.objects.bulk_create(rows)
        except IntegrityError as exc:
            if not _is_exclusion_violation(exc):
                raise
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != DEADLOCK_DETECTED:
                raise
        else:
            _announce(seats)
            return list(seats), []
    seated, conflicted = [], []
    for s in seats:
        try:
            allocations_create(tables=s.tables, start_at=s.window[0], end_at=s.window[1], booking=s.booking)
        except AllocationConflict:
            conflicted.append(s)
        else:
            seated.append(s)
    return seated, conflicted


def _announce_freed(
    held: Mapping[int, freed.Held], seated: Sequence[Seat], bookings: Sequence[Booking]
) -> None:
    """A modified booking re-planned off (some of) its old tables or time, or sent to review, frees them."""
    now_at = {s.booking.pk: ([t.label for t in s.tables], s.window) for s in seated}
    by_pk = {b.pk: b for b in bookings}
    for pk, was in held.items():
        booking = by_pk[pk]
        tables, window = now_at.get(pk, ((), None))
        freed.held_freed_on_commit(
            held=was,
            restaurant=booking.restaurant,
            reason=freed.MOVED if window else freed.RELEASED,
            tables=tables,
            window=window,
            cause=f"move of {freed.booking_ref(booking)}"
            if window
            else f"{freed.booking_ref(booking)} giving up its tables",
        )


def _announce(seats: Sequence[Seat]) -> None:
    """Availability hears of the batch once, on commit, over the span it covers."""
    start = min(s.window[0] for s in seats)
    end = max(s.window[1] for s in seats)
    allocations_changed_on_commit(restaurant_id=seats[0].booking.restaurant_id, start_at=start, end_at=end)
