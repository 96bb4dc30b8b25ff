"""The only door through which a booking's state changes.

Each transition, in one transaction: a conditional UPDATE on (id, version, state) that bumps the
version, exactly one `booking_state_history` row, and one outbox event. A stale version raises
VersionConflict and a transition the state machine forbids raises InvalidTransition; neither writes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django_fsm import can_proceed

from assignments import metrics
from assignments.models import Booking, BookingState, BookingStateHistory, OutboxEvent

logger = logging.getLogger("maitre.lifecycle")

EVENT_FOR_STATE = {
    BookingState.PENDING: "booking.created",
    BookingState.ASSIGNMENT_PENDING: "booking.assignment_requested",
    BookingState.CONFIRMED: "booking.confirmed",
    BookingState.MANUAL_REVIEW: "booking.manual_review",
    BookingState.CANCELLED: "booking.cancelled",
    BookingState.SEATED: "booking.seated",
    BookingState.COMPLETED: "booking.completed",
    BookingState.NO_SHOW: "booking.no_show",
}
BOOKING_FAILED = "booking.failed"
BOOKING_MODIFIED = "booking.modified"


class LifecycleError(Exception):
    """Base of the lifecycle's refusals."""


class InvalidTransition(LifecycleError):
    def __init__(self, booking: Booking, transition: str, why: str = ""):
        self.booking_id = booking.pk
        self.state = str(getattr(booking.state, "value", booking.state))
        self.transition = transition
        msg = f"Booking {booking.pk} cannot {transition.replace('_', ' ')} from state '{self.state}'"
        super().__init__(f"{msg}: {why}" if why else msg)


class VersionConflict(LifecycleError):
    def __init__(self, booking: Booking, expected_version: int):
        self.booking_id = booking.pk
        self.expected_version = expected_version
        super().__init__(
            f"Booking {booking.pk} was changed by someone else (expected version {expected_version}); reload and retry"
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a staff user, or a named part of the system."""

    label: str = "system"
    user: Any = None

    @classmethod
    def staff(cls, user) -> Actor:
        return cls(label=f"staff:{user.get_username()}", user=user)


SYSTEM = Actor("system")


def event_payload(booking: Booking, from_state: str, to_state: str, extra: Mapping[str, Any] | None) -> dict:
    payload = {
        "booking_id": booking.pk,
        "restaurant_id": booking.restaurant_id,
        "external_ref": booking.external_ref,
        "party_size": booking.party_size,
        "start_at": booking.start_at.isoformat() if booking.start_at else None,
        "from_state": from_state,
        "to_state": to_state,
        "version": booking.version,
    }
    if extra:
        payload.update(extra)
    return payload


def outbox_event(
    *,
    booking: Booking,
    event_type: str,
    from_state: str,
    to_state: str,
    extra: Mapping[str, Any] | None = None,
    correlation_id: str = "",
) -> OutboxEvent:
    """The one constructor of a booking's outbox event (unsaved: callers save one or bulk-create many)."""
    return OutboxEvent(
        aggregate_type="booking",
        aggregate_id=str(booking.pk),
        restaurant_id=booking.restaurant_id,
        event_type=event_type,
        payload=event_payload(booking, from_state, to_state, extra),
        correlation_id=correlation_id,
    )


def outbox_emit(
    *, booking: Booking, event_type: str, payload: Mapping[str, Any] | None = None, correlation_id: str = ""
) -> OutboxEvent:
    """An event about a booking that changes no state (tables moved, a failure recorded)."""
    event = outbox_event(
        booking=booking,
        event_type=event_type,
        from_state=booking.state,
        to_state=booking.state,
        extra=payload,
        correlation_id=correlation_id,
    )
    event.save()
    return event


def booking_record_created(*, booking: Booking, actor: Actor = SYSTEM, correlation_id: str = "") -> None:
    """The birth of a booking is its first state change: version 1 and the first history row."""
    with transaction.atomic():
        updated = Booking.objects.filter(pk=booking.pk, version=0).update(version=1)
        if updated != 1:
            raise VersionConflict(booking, 0)
        booking.version = 1
        BookingStateHistory.objects.create(
            booking=booking,
            from_state="",
            to_state=booking.state,
            version=1,
            transition="create",
            actor=actor.user,
            actor_label=actor.label,
            correlation_id=correlation_id,
        )
        outbox_event(
            booking=booking,
            event_type=EVENT_FOR_STATE[BookingState.PENDING],
            from_state="",
            to_state=booking.state,
            correlation_id=correlation_id,
        ).save()


def _transition(
    booking: Booking,
    name: str,
    *,
    expected_version: int | None,
    actor: Actor,
    metadata: Mapping[str, Any] | None,
    correlation_id: str,
    fields: Mapping[str, Any] | None = None,
    event_extra: Mapping[str, Any] | None = None,
) -> Booking:
    method = getattr(booking, name)
    from_state = booking.state
    if not can_proceed(method):
        raise InvalidTransition(booking, name)
    version = booking.version if expected_version is None else expected_version
    to_state = method._django_fsm.next_state(from_state)
    started = time.perf_counter()
    fields = dict(fields or {})
    # No savepoint of its own: a VersionConflict ends the caller's transaction too (no caller goes on after one).
    with transaction.atomic(savepoint=False):
        now = timezone.now()
        updated = Booking.objects.filter(pk=booking.pk, version=version, state=from_state).update(
            state=to_state, version=version + 1, updated_at=now, **fields
        )
        if updated != 1:
            metrics.TRANSITION_CONFLICTS.inc()
            raise VersionConflict(booking, version)
        method()  # the in-memory state follows the row (and django-fsm's signals fire)
        booking.version = version + 1
        booking.updated_at = now
        for key, value in fields.items():
            setattr(booking, key, value)
        BookingStateHistory.objects.create(
            booking=booking,
            from_state=from_state,
            to_state=to_state,
            version=booking.version,
            transition=name,
            actor=actor.user,
            actor_label=actor.label,
            metadata=dict(metadata or {}),
            correlation_id=correlation_id,
        )
        outbox_event(
            booking=booking,
            event_type=EVENT_FOR_STATE[to_state],
            from_state=from_state,
            to_state=to_state,
            extra={**(event_extra or {}), **(metadata or {})},
            correlation_id=correlation_id,
        ).save()
    metrics.TRANSITION_SECONDS.labels(from_state, to_state).observe(time.perf_counter() - started)
    logger.info(
        "booking %s %s -> %s v%s by %s",
        booking.pk,
        from_state,
        to_state,
        booking.version,
        actor.label,
        extra={"correlation_id": correlation_id},
    )
    return booking


def booking_request_assignment(
    *,
    booking: Booking,
    trigger: str = "creation",
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    metadata: Mapping[str, Any] | None = None,
) -> Booking:
    """pending / manual_review → assignment_pending; confirmed → assignment_pending only for a modification."""
    if booking.state == BookingState.CONFIRMED and trigger != "modification":
        raise InvalidTransition(
            booking, "request_assignment", "a confirmed booking is re-planned only when modified"
        )
    fields: dict[str, Any] = {"due_at": timezone.now(), "assignment_attempts": 0}
    if correlation_id:
        fields["last_correlation_id"] = correlation_id
    return _transition(
        booking,
        "request_assignment",
        expected_version=expected_version,
        actor=actor,
        metadata={"trigger": trigger, **(metadata or {})},
        correlation_id=correlation_id,
        fields=fields,
    )


def booking_confirm(
    *,
    booking: Booking,
    tables: list[str],
    strategy: str,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    metadata: Mapping[str, Any] | None = None,
    attempts: int | None = None,
) -> Booking:
    """assignment_pending → confirmed (coordinator) or manual_review → confirmed (staff). The caller has
    written the allocations in the same transaction. `attempts`: the booking's new attempt count."""
    fields: dict[str, Any] = {"assigned_at": timezone.now(), "assignment_strategy": strategy, "due_at": None}
    if attempts is not None:
        fields["assignment_attempts"] = attempts
    return _transition(
        booking,
        "confirm",
        expected_version=expected_version,
        actor=actor,
        metadata={"tables": list(tables), "strategy": strategy, **(metadata or {})},
        correlation_id=correlation_id,
        fields=fields,
    )


def booking_send_to_review(
    *,
    booking: Booking,
    reason: str,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    metadata: Mapping[str, Any] | None = None,
    attempts: int | None = None,
) -> Booking:
    return _transition(
        booking,
        "send_to_review",
        expected_version=expected_version,
        actor=actor,
        metadata={"reason": reason, **(metadata or {})},
        correlation_id=correlation_id,
        fields={"due_at": None, **({"assignment_attempts": attempts} if attempts is not None else {})},
    )


def booking_cancel(
    *,
    booking: Booking,
    reason: str = "",
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
) -> Booking:
    """Any live state → cancelled; the booking's tables are released in the same transaction."""
    from assignments.services import freed

    from_state = booking.state
    with transaction.atomic():
        held = freed.bookings_held(booking_ids=[booking.pk]).get(booking.pk)
        released = sorted(held.tables) if held else []
        booking = _transition(
            booking,
            "cancel",
            expected_version=expected_version,
            actor=actor,
            metadata={"reason": reason, "released_tables": sorted(released)},
            correlation_id=correlation_id,
            fields={"due_at": None},
        )
        from assignments.services.allocations import allocations_release

        allocations_release(booking=booking)
        if held is not None:  # the floor may heal itself (services.heal), once this commits
            freed.held_freed_on_commit(
                held=held,
                restaurant=None,
                reason=freed.CANCELLED,
                cause=f"cancellation of {freed.booking_ref(booking)}",
            )
        if from_state == BookingState.ASSIGNMENT_PENDING:
            # Cancelled while the pipeline had it: its assignment failed, and the platform hears so.
            outbox_emit(
                booking=booking,
                event_type=BOOKING_FAILED,
                payload={"reason": "cancelled before assignment"},
                correlation_id=correlation_id,
            )
    return booking


def booking_record_modification(
    *, booking: Booking, changes: Mapping[str, Any], actor: Actor = SYSTEM, correlation_id: str = ""
) -> Booking:
    """A change of party size or time, in the caller's transaction: one history row (the state stays), a
    version bump (so a plan computed before the change can no longer be confirmed) and a booking.modified
    event. The row is already locked by the caller."""
    state = str(getattr(booking.state, "value", booking.state))
    version = booking.version
    updated = Booking.objects.filter(pk=booking.pk, version=version).update(
        version=version + 1, updated_at=timezone.now()
    )
    if updated != 1:
        raise VersionConflict(booking, version)
    booking.version = version + 1
    BookingStateHistory.objects.create(
        booking=booking,
        from_state=state,
        to_state=state,
        version=booking.version,
        transition="modify",
        actor=actor.user,
        actor_label=actor.label,
        metadata={"changes": dict(changes)},
        correlation_id=correlation_id,
    )
    outbox_emit(
        booking=booking,
        event_type=BOOKING_MODIFIED,
        payload={"changes": dict(changes)},
        correlation_id=correlation_id,
    )
    return booking


def booking_record_failure(*, booking: Booking, reason: str, correlation_id: str = "") -> OutboxEvent:
    """No state change (e.g. the booking was cancelled while we processed it): tell the world it failed."""
    return outbox_emit(
        booking=booking, event_type=BOOKING_FAILED, payload={"reason": reason}, correlation_id=correlation_id
    )


@dataclass
class Change:
    """One booking's part in a batch transition: its row fields and what its history and event carry."""

    booking: Booking
    fields: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    correlation_id: str = ""


def bookings_transition(*, name: str, changes: Sequence[Change], actor: Actor = SYSTEM) -> None:
    """The same transition for many bookings at once (the pipeline's batches): one UPDATE checked on every
    row's (id, version, state), one bulk insert of history rows and one of events, in the caller's
    transaction. All or nothing: if any row moved meanwhile, VersionConflict and nothing is kept (the caller
    holds the rows locked, so that is a bug, not a race)."""
    if not changes:
        return
    started = time.perf_counter()
    plan = []
    for change in changes:
        booking = change.booking
        method = getattr(booking, name)
        if not can_proceed(method):
            raise InvalidTransition(booking, name)
        plan.append((change, booking.state, method._django_fsm.next_state(booking.state)))
    targets = {to for _, _, to in plan}
    if len(targets) != 1:
        raise ValueError("bookings_transition applies one transition with one target state")
    to_state = targets.pop()
    now = timezone.now()
    per_row: dict[str, Any] = {}
    for key in {k for c in changes for k in c.fields}:
        values = [c.fields.get(key) for c in changes]
        if all(v == values[0] for v in values) and all(key in c.fields for c in changes):
            per_row[key] = values[0]
        else:
            out = Booking._meta.get_field(key)
            per_row[key] = Case(
                *[
                    When(pk=c.booking.pk, then=Value(c.fields[key], output_field=out))
                    for c in changes
                    if key in c.fields
                ],
                default=F(key),
                output_field=out,
            )
    with transaction.atomic(savepoint=False):
        match = reduce(or_, (Q(pk=c.booking.pk, version=c.booking.version, state=frm) for c, frm, _ in plan))
        updated = Booking.objects.filter(match).update(
            state=to_state, version=F("version") + 1, updated_at=now, **per_row
        )
        if updated != len(plan):
            metrics.TRANSITION_CONFLICTS.inc()
            raise VersionConflict(changes[0].booking, changes[0].booking.version)
        history, events = [], []
        for change, from_state, _ in plan:
            booking = change.booking
            getattr(booking, name)()
            booking.version += 1
            booking.updated_at = now
            for key, value in change.fields.items():
                setattr(booking, key, value)
            history.append(
                BookingStateHistory(
                    booking=booking,
                    from_state=from_state,
                    to_state=to_state,
                    version=booking.version,
                    transition=name,
                    actor=actor.user,
                    actor_label=actor.label,
                    metadata=dict(change.metadata),
                    correlation_id=change.correlation_id,
                )
            )
            events.append(
                outbox_event(
                    booking=booking,
                    event_type=EVENT_FOR_STATE[to_state],
                    from_state=from_state,
                    to_state=to_state,
                    extra=change.metadata,
                    correlation_id=change.correlation_id,
                )
            )
        BookingStateHistory.objects.bulk_create(history)
        OutboxEvent.objects.bulk_create(events)
    elapsed = (time.perf_counter() - started) / len(plan)
    for _, from_state, _ in plan:
        metrics.TRANSITION_SECONDS.labels(from_state, to_state).observe(elapsed)


# -- the service itself: seated, completed, no-show ------------------------------------------------------


def _service_step(
    booking: Booking,
    name: str,
    *,
    expected_version: int | None,
    actor: Actor,
    correlation_id: str,
    metadata: Mapping[str, Any],
    fields: Mapping[str, Any] | None = None,
    then: Callable[[Booking], None] | None = None,
    observe: Callable[[], None],
) -> Booking:
    """The one shape of the evening's steps: the transition in a savepoint (a conflict leaves the caller's
    transaction usable), what the step does to its tables (`then`) in the same savepoint, and its metrics once
    the whole write has committed (`observe`)."""
    with transaction.atomic():
        booking = _transition(
            booking,
            name,
            expected_version=expected_version,
            actor=actor,
            correlation_id=correlation_id,
            metadata=metadata,
            fields=fields,
        )
        if then is not None:
            then(booking)
    transaction.on_commit(observe)
    return booking


def _tables_free_from(booking: Booking, *, end_at: datetime, reason: str, cause: str) -> None:
    """End the booking's allocations at `end_at`; when that frees table time, tell the floor on commit."""
    from assignments.services.allocations import allocations_trim

    if allocations_trim(booking=booking, end_at=end_at):
        until = booking.restaurant.occupied_window(booking.start_at, booking.end_at)[1]
        _service_freed_on_commit(
            booking=booking, reason=reason, cause=cause, window=(end_at, max(end_at, until))
        )


SEAT_EARLY = timedelta(hours=2)  # a party early for its table, not one booked for another day


def booking_mark_seated(
    *,
    booking: Booking,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    now: datetime | None = None,
) -> Booking:
    """confirmed → seated: the party is at its tables. It is noted late when it came more than the
    restaurant's late tolerance after its start; its tables keep their planned time either way."""
    now = now or timezone.now()
    if now < booking.start_at - SEAT_EARLY:
        raise InvalidTransition(
            booking,
            "seat",
            f"it starts at {booking.local_start:%a %d %b %H:%M}: a party is seated from "
            f"{int(SEAT_EARLY.total_seconds() // 3600)} h before its time",
        )
    late_minutes = max(0, int((now - booking.start_at).total_seconds() // 60))
    late = late_minutes > booking.restaurant.late_tolerance_minutes
    restaurant = booking.restaurant.slug
    return _service_step(
        booking,
        "seat",
        expected_version=expected_version,
        actor=actor,
        correlation_id=correlation_id,
        metadata={"arrived_at": now.isoformat(), "late": late, "late_minutes": late_minutes},
        fields={"arrived_at": now, "arrived_late": late},
        observe=lambda: metrics.PARTY_ARRIVALS.labels(restaurant, "late" if late else "on_time").inc(),
    )


def booking_complete(
    *,
    booking: Booking,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    now: datetime | None = None,
) -> Booking:
    """seated → completed: the party left. The rest of its tables' time is freed at once (its allocations end
    now plus the buffer to clear the table), availability hears of it and `tables_freed` is sent on commit."""
    now = now or timezone.now()
    planned = (booking.end_at - booking.start_at).total_seconds() / 60
    actual = max(0.0, (now - (booking.arrived_at or booking.start_at)).total_seconds() / 60)
    restaurant = booking.restaurant.slug

    def observe():
        metrics.TURN_MINUTES.labels(restaurant).observe(actual)
        metrics.TURN_RATIO.labels(restaurant).observe(actual / planned if planned else 0.0)

    return _service_step(
        booking,
        "complete",
        expected_version=expected_version,
        actor=actor,
        correlation_id=correlation_id,
        metadata={
            "left_at": now.isoformat(),
            "turn_minutes": round(actual, 1),
            "planned_minutes": round(planned, 1),
        },
        fields={"left_at": now},
        then=lambda b: _tables_free_from(
            b,
            end_at=now + timedelta(minutes=b.restaurant.buffer_minutes),
            reason=COMPLETED,
            cause=f"{_ref(b)} left early",
        ),
        observe=observe,
    )


def booking_mark_no_show(
    *,
    booking: Booking,
    expected_version: int | None = None,
    actor: Actor = SYSTEM,
    correlation_id: str = "",
    now: datetime | None = None,
    by: str = "host",
) -> Booking:
    """confirmed → no_show, once the booking has started (before that, the guest cancels): a host says so, or
    the no-show sweep after the restaurant's grace period (`by`="sweep"). Its tables are free from now on."""
    now = now or timezone.now()
    if now < booking.start_at and booking.state == BookingState.CONFIRMED:
        raise InvalidTransition(
            booking, "mark_no_show", "it has not started yet (a guest who will not come cancels)"
        )
    restaurant = booking.restaurant.slug
    return _service_step(
        booking,
        "mark_no_show",
        expected_version=expected_version,
        actor=actor,
        correlation_id=correlation_id,
        metadata={"by": by, "minutes_after_start": int((now - booking.start_at).total_seconds() // 60)},
        then=lambda b: _tables_free_from(b, end_at=now, reason=NO_SHOW, cause=f"no-show of {_ref(b)}"),
        observe=lambda: metrics.PARTY_ARRIVALS.labels(restaurant, "no_show").inc(),
    )


COMPLETED = "completed"
NO_SHOW = "no_show"


def _ref(booking: Booking) -> str:
    from assignments.services.freed import booking_ref

    return booking_ref(booking)


def _service_freed_on_commit(
    *, booking: Booking, reason: str, cause: str, window: tuple[datetime, datetime] | None = None
) -> None:
    """Tell the floor (assignments.signals.tables_freed, through the one sender in services.freed) once the
    write that freed the rest of the booking's table time has committed."""
    from assignments.services.freed import tables_freed_on_commit

    tables_freed_on_commit(
        restaurant_id=booking.restaurant_id,
        service_date=booking.service_date or booking.restaurant.service_day_of(booking.start_at),
        reason=reason,
        cause=cause,
        booking_id=booking.pk,
        window=window,
    )
