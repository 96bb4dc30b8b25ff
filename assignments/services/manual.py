"""Staff seat, move and re-time bookings by hand (the review queue, the timeline): one transaction each, through
the one door for seating (services.seating.booking_seat) with the staff user as actor, or nothing at all.

The choice is checked with the engine's own rules: the tables must form one of the floor's plan shapes
(Floor.candidates: a single table, or combinable tables of one zone connected by adjacency, up to the
restaurant's limit), the shape must seat the party (covers, accessibility), and every table must be free
over the booking's window (buffer included). The allocation service, and on Postgres the exclusion
constraint, remain the final guard against a table taken at the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from assignments.context import assignment_context, engine_for
from assignments.engine import Candidate, Floor
from assignments.lifecycle import Actor, LifecycleError, VersionConflict
from assignments.models import AttemptResult, Booking, BookingState, TableAllocation
from assignments.selectors.review import Clash, booking_reason_now, clashes_for, clashes_over, clashes_text
from assignments.services.allocations import AllocationConflict
from assignments.services.booking_requests import booking_horizon
from assignments.services.bookings import booking_modify
from assignments.services.seating import AttemptRow, booking_seat

MANUAL_STRATEGY = "manual"
ASSIGNABLE_STATES = (BookingState.MANUAL_REVIEW, BookingState.ASSIGNMENT_PENDING)


class ManualAssignmentError(Exception):
    """A refused manual assignment; nothing was written. `str(exc)` is meant for the person who tried."""


class StaleBooking(ManualAssignmentError):
    pass


class NotAssignable(ManualAssignmentError):
    pass


class InvalidTables(ManualAssignmentError):
    """The tables break a rule: unknown, not combinable, not connected, too many, too small, not accessible."""


class TablesTaken(ManualAssignmentError):
    """Some of the tables are allocated to another booking, a hold or a block over the window; `clashes`
    names them (booking references, for links)."""

    def __init__(self, message: str, tables: Sequence[str], clashes: Sequence[Clash] = ()):
        self.tables = list(tables)
        self.clashes = list(clashes)
        super().__init__(message)


def _why_not_a_shape(floor: Floor, labels: tuple[str, ...]) -> str:
    """Explain, in the floor's rules, why these tables are not one plan shape."""
    specs = [floor.table_by_id[t] for t in labels]
    if len(labels) > floor.max_combination_tables:
        return f"at most {floor.max_combination_tables} tables may be joined here, not {len(labels)}"
    zones = sorted({s.zone for s in specs})
    if len(zones) > 1:
        return f"joined tables must stand in one zone; these are in {', '.join(zones)}"
    lone = sorted(s.id for s in specs if not s.combinable)
    if lone:
        return f"{', '.join(lone)} cannot be combined with other tables"
    return f"{', '.join(labels)} are not connected by adjacency"


def manual_plan_check(
    *, floor: Floor, table_labels: Sequence[str], party_size: int, accessible: bool
) -> Candidate:
    """The floor's plan shape for exactly these tables, if it seats the party; else InvalidTables."""
    labels = tuple(sorted({str(t).strip() for t in table_labels if str(t).strip()}))
    if not labels:
        raise InvalidTables("Choose at least one table.")
    unknown = [t for t in labels if t not in floor.table_by_id]
    if unknown:
        raise InvalidTables(f"Unknown or inactive table(s): {', '.join(unknown)}.")
    shape = next((c for c in floor.candidates if c.tables == labels), None)
    if shape is None:
        raise InvalidTables(
            f"Tables {', '.join(labels)} cannot seat one party: {_why_not_a_shape(floor, labels)}."
        )
    if accessible and not shape.accessible:
        missing = sorted(t for t in labels if not floor.table_by_id[t].accessible)
        raise InvalidTables(f"The guest needs an accessible table; {', '.join(missing)} is not accessible.")
    if not shape.fits(party_size, accessible):
        if party_size > shape.max_covers:
            raise InvalidTables(
                f"Tables {', '.join(labels)} seat at most {shape.max_covers}; the party is {party_size}."
            )
        raise InvalidTables(
            f"Table {labels[0]} takes parties of {shape.min_covers}-{shape.max_covers}; the party is {party_size}."
        )
    return shape


def booking_assign_manually(
    *,
    booking: Booking,
    table_labels: Sequence[str],
    actor: Actor,
    expected_version: int,
    correlation_id: str = "",
    override: bool = False,
) -> Booking:
    """Seat `booking` at `table_labels`: allocations + confirm (history by `actor`) + a 'manual' attempt row, in
    one transaction. Raises a ManualAssignmentError (StaleBooking, NotAssignable, InvalidTables, TablesTaken)
    and writes nothing when refused. With `override` (the caller checked the permission) a plan that breaks a
    soft rule (covers, a join across zones or without adjacency) is seated, and the broken rule is recorded
    with the attempt and the history row; the tables must still exist and be free."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("restaurant").get(pk=booking.pk)
        if locked.version != expected_version:
            raise StaleBooking(
                f"Booking {locked} changed while you were looking (it is now '{locked.get_state_display()}', "
                f"version {locked.version}, not {expected_version}). Reload the page and decide again."
            )
        if locked.state not in ASSIGNABLE_STATES:
            seated = sorted(
                TableAllocation.objects.filter(booking=locked).values_list("table__label", flat=True)
            )
            where = f" at {', '.join(seated)}" if seated else ""
            raise NotAssignable(
                f"Booking {locked} is '{locked.get_state_display()}'{where}; only bookings in manual review or "
                "waiting for assignment can be assigned by hand."
            )
        ctx = assignment_context(booking_id=locked.pk)
        broken = ""
        try:
            tables = manual_plan_check(
                floor=ctx.floor,
                table_labels=table_labels,
                party_size=locked.party_size,
                accessible=locked.needs_accessible,
            ).tables
        except InvalidTables as exc:
            tables = tuple(sorted({str(t).strip() for t in table_labels if str(t).strip()}))
            if not override or not tables or any(t not in ctx.floor.table_by_id for t in tables):
                raise
            broken = str(exc).rstrip(".")
        req, occ = ctx.request, ctx.occupancy
        busy = {
            t: sorted({ref for s, e, ref in occ.intervals(t) if s < req.end and e > req.start})
            for t in tables
            if not occ.is_free(t, req.start, req.end)
        }
        if busy:
            clashes = clashes_for(restaurant=ctx.restaurant, refs_by_table=busy)
            raise TablesTaken(
                f"Not seated: {clashes_text(clashes)}, over {_window_label(ctx)}.", sorted(busy), clashes
            )

        # Through the one door: what the booking still holds (tables kept across a modification, its own
        # holds) gives way, the tables are allocated, the booking confirmed and the attempt recorded.
        score, breakdown = _engine_score(ctx, tables)
        why = f"seated at {', '.join(tables)} by {actor.label}" + (
            f", overriding: {broken}" if broken else ""
        )
        extra = {"override": broken} if broken else {}
        row = AttemptRow(
            MANUAL_STRATEGY,
            AttemptResult.SUCCESS,
            why,
            {"tables": list(tables), "actor": actor.label, "score": score, "breakdown": breakdown, **extra},
        )
        _seat(
            ctx,
            locked,
            tables,
            actor=actor,
            expected_version=expected_version,
            row=row,
            metadata={"manual": True, "score": score, **extra},
            correlation_id=correlation_id,
        )
    booking.refresh_from_db()
    return booking


def _seat(
    ctx,
    booking: Booking,
    tables: Sequence[str],
    *,
    actor: Actor,
    expected_version: int,
    row,
    metadata: dict,
    correlation_id: str,
) -> None:
    """booking_seat over the booking's window; a table taken a moment ago is named with what took it."""
    start_at, end_at = ctx.window
    try:
        booking_seat(
            booking=booking,
            tables=[ctx.tables_by_label[t] for t in tables],
            window=(start_at, end_at),
            strategy=MANUAL_STRATEGY,
            actor=actor,
            correlation_id=correlation_id,
            attempt_rows=[row],
            metadata=metadata,
            expected_version=expected_version,
        )
    except AllocationConflict as exc:
        clashes = clashes_over(
            restaurant=ctx.restaurant,
            table_labels=exc.tables,
            start_at=start_at,
            end_at=end_at,
            exclude_booking_id=booking.pk,
        )
        detail = clashes_text(clashes) or str(exc)
        raise TablesTaken(f"Not seated: {detail} (taken a moment ago).", exc.tables, clashes) from exc
    except VersionConflict as exc:
        raise StaleBooking(f"Booking {booking} changed while you were looking. Reload the page.") from exc


def _engine_score(ctx, tables: tuple[str, ...]) -> tuple[float | None, dict]:
    """The engine's cost for this choice when it is one of its options (dominated shapes have none)."""
    options, _ = engine_for(restaurant=ctx.restaurant, floor=ctx.floor, day=ctx.day).options(
        ctx.request, ctx.occupancy
    )
    for o in options:
        if o.tables == tables:
            return o.cost, dict(o.breakdown or {})
    return None, {}


def _window_label(ctx) -> str:
    tz = ctx.restaurant.tzinfo
    start, end = ctx.window
    return f"{start.astimezone(tz):%H:%M}-{end.astimezone(tz):%H:%M}"


def booking_move_tables(
    *,
    booking: Booking,
    table_labels: Sequence[str],
    actor: Actor,
    expected_version: int,
    correlation_id: str = "",
) -> Booking:
    """Move a confirmed booking to other tables at the same time: release, allocate, record (an attempt row
    and a booking.tables_changed event; its state and version stay). Refused with the clash named."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("restaurant").get(pk=booking.pk)
        if locked.version != expected_version:
            raise StaleBooking(
                f"Booking {locked} changed while you were looking. Reload the page and decide again."
            )
        if locked.state != BookingState.CONFIRMED:
            raise NotAssignable(
                f"Booking {locked} is '{locked.get_state_display()}': only a confirmed booking moves."
            )
        ctx = assignment_context(booking_id=locked.pk)
        shape = manual_plan_check(
            floor=ctx.floor,
            table_labels=table_labels,
            party_size=locked.party_size,
            accessible=locked.needs_accessible,
        )
        old = ctx.current_tables
        if tuple(shape.tables) == tuple(old):
            return locked
        req, occ = ctx.request, ctx.occupancy
        busy = {
            t: sorted({ref for s, e, ref in occ.intervals(t) if s < req.end and e > req.start})
            for t in shape.tables
            if not occ.is_free(t, req.start, req.end)
        }
        if busy:
            clashes = clashes_for(restaurant=ctx.restaurant, refs_by_table=busy)
            raise TablesTaken(
                f"Not moved: {clashes_text(clashes)}, over {_window_label(ctx)}.", sorted(busy), clashes
            )
        row = AttemptRow(
            MANUAL_STRATEGY,
            AttemptResult.SUCCESS,
            f"moved from {', '.join(old) or 'no table'} to {', '.join(shape.tables)} by {actor.label}",
            {"from_tables": list(old), "tables": list(shape.tables), "move": True, "actor": actor.label},
        )
        _seat(
            ctx,
            locked,
            shape.tables,
            actor=actor,
            expected_version=expected_version,
            row=row,
            metadata={"manual": True},
            correlation_id=correlation_id,
        )
    booking.refresh_from_db()
    return booking


def booking_seat_at_table(*, booking: Booking, table_label: str, actor: Actor, expected_version: int) -> bool:
    """A table picked on the timeline: a confirmed booking moves there, a waiting one is seated there. Returns
    True when it moved (for the host's message). Refused as its service refuses, with the clash named."""
    if booking.state == BookingState.CONFIRMED:
        booking_move_tables(
            booking=booking, table_labels=[table_label], actor=actor, expected_version=expected_version
        )
        return True
    booking_assign_manually(
        booking=booking, table_labels=[table_label], actor=actor, expected_version=expected_version
    )
    return False


def booking_seat_at_time(
    *,
    booking: Booking,
    start_at,
    table_labels: Sequence[str],
    actor: Actor,
    expected_version: int,
    correlation_id: str = "",
) -> Booking:
    """The guest agreed to another time: change it through the modification path (its own history row and
    booking.modified event), then seat at `table_labels`, in one transaction (both or neither)."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("restaurant").get(pk=booking.pk)
        if locked.version != expected_version:
            raise StaleBooking(
                f"Booking {locked} changed while you were looking. Reload the page and decide again."
            )
        if locked.state not in ASSIGNABLE_STATES:
            raise NotAssignable(f"Booking {locked} is '{locked.get_state_display()}': nothing to seat.")
        if start_at.tzinfo is None:
            raise NotAssignable(f"Booking {locked} cannot move there: the time has no time zone.")
        _, horizon = booking_horizon(restaurant=locked.restaurant)
        if abs(start_at - locked.start_at) > timedelta(days=horizon):  # 0001-01-01 overflowed the schedule
            raise NotAssignable(
                f"Booking {locked} cannot move there: more than {horizon} days from its time. Book it anew."
            )
        refusal = locked.restaurant.start_refusal(start_at)
        if refusal is not None:  # the day's schedule: closed, outside its hours, after its last seating
            raise NotAssignable(f"Booking {locked} cannot move there: {refusal}.")
        try:
            moved = booking_modify(
                booking=locked,
                start_at=start_at,
                expected_version=expected_version,
                actor=actor,
                correlation_id=correlation_id,
            )
        except VersionConflict as exc:
            raise StaleBooking(f"Booking {locked} changed while you were looking. Reload the page.") from exc
        return booking_assign_manually(
            booking=moved,
            table_labels=table_labels,
            actor=actor,
            expected_version=moved.version,
            correlation_id=correlation_id,
        )


def booking_seat_with_reseat(
    *,
    booking: Booking,
    expected_moves: dict[str, tuple[str, ...]],
    actor: Actor,
    expected_version: int,
    correlation_id: str = "",
    now=None,
) -> tuple[Booking, Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]]:
    """Apply the optimizer's re-seat proposal the person saw (moves of other bookings, then this one seated),
    in one transaction. When the proposal computed now differs from `expected_moves` ({booking id: new
    tables}), nothing is written and StaleBooking says so."""
    from assignments.reseating import PlanStale, reseat_apply, reseat_compute

    fresh = Booking.objects.select_related("restaurant").get(pk=booking.pk)
    if fresh.version != expected_version:
        raise StaleBooking(
            f"Booking {fresh} changed while you were looking. Reload the page and decide again."
        )
    plan = reseat_compute(booking=fresh, now=now)
    if plan is None:
        raise NotAssignable("No re-arrangement of the day's bookings seats it any more.")
    moves = {bid: tuple(new) for bid, (_old, new) in plan.moves.items()}
    if moves != {k: tuple(v) for k, v in expected_moves.items()}:
        raise StaleBooking(
            "The floor changed since the proposal was made: look at the new proposal and apply it."
        )
    try:
        with transaction.atomic():
            tables = reseat_apply(plan=plan, actor=actor, correlation_id=correlation_id)
            seated = booking_assign_manually(
                booking=fresh,
                table_labels=tables,
                actor=actor,
                expected_version=expected_version,
                correlation_id=correlation_id,
            )
    except (PlanStale, AllocationConflict, VersionConflict) as exc:
        raise StaleBooking(
            f"The floor changed while applying the proposal ({exc}); nothing was moved."
        ) from exc
    return seated, plan.moves


@dataclass(frozen=True)
class RetryOutcome:
    """What a staff retry did to a booking: refused (with the lifecycle's reason), confirmed at `tables`,
    back in review at once, or queued (`plan_now`: whether the engine saw a plan when it was sent)."""

    result: str  # "refused" | "confirmed" | "review" | "queued"
    reason_before: str = ""
    plan_now: bool = False
    tables: tuple[str, ...] = ()
    error: str = ""


def booking_retry_by_staff(
    *, booking: Booking, actor: Actor, expected_version: int | None = None
) -> RetryOutcome:
    """Send the booking back to automatic assignment and tell what happened to it."""
    from assignments.services.pipeline import booking_submit_for_assignment

    before = booking_reason_now(ctx=assignment_context(booking_id=booking.pk))
    try:
        booking_submit_for_assignment(
            booking=booking, trigger="retry", actor=actor, expected_version=expected_version
        )
    except LifecycleError as exc:
        return RetryOutcome(result="refused", error=str(exc))
    booking.refresh_from_db()
    if booking.state == BookingState.CONFIRMED:
        tables = tuple(sorted(booking.allocations.values_list("table__label", flat=True)))
        return RetryOutcome(result="confirmed", tables=tables)
    if booking.state == BookingState.MANUAL_REVIEW:
        return RetryOutcome(result="review", reason_before=before)
    return RetryOutcome(
        result="queued", reason_before=before, plan_now=before.startswith("a plan is free now")
    )
