"""The floor heals itself: when tables free up in a restaurant day, the bookings of that day waiting for a table
are offered the freed time automatically.

`floor_heal` (the receiver of `assignments.signals.tables_freed`, after the freeing write committed):
- bookings in manual review that start later than now + FLOOR_HEAL_MARGIN_MINUTES go back to
  assignment_pending through the lifecycle door, with a history row that says which freed tables brought
  them back, marked for ONE attempt (`heal_version` = their new version): no plan sends them straight back
  to review, no retry cycle, no re-seat; one whose start is outside the day's service now (the day closed or
  its hours changed since it was made) is left in review: it waits for a call to the guest, not for a table;
- bookings in assignment_pending that are due later (backing off) are made due;
- all of them due after FLOOR_HEAL_DEBOUNCE_MS, then one wake-up for the day. A burst of freed tables finds
  them already due and changes nothing, so the burst costs one pass of the pipeline, which keeps its own
  locks (Redis lock + advisory lock): nothing is decided here.
Only in engine mode: with the kill switch on, or in shadow / legacy mode, nothing is seated automatically.

Which bookings, read when the heal runs, not when the tables were freed. The event names the service day it was
written for and the freed windows of table time (services.freed). Between the two a booking may have moved: a
time zone change, or an hours change that makes a day run past midnight (or stop doing so), puts bookings, and the
freed time with them, on another service day (services.schedule), so the event's day can be stale. The heal
therefore takes the waiting bookings (a) whose window, buffer included, overlaps a freed window, whatever their
service day, since only they can sit at that table time; and (b) every waiting booking of the service day a freed
window starts in now, as the heal always did for its day: a cancellation also frees the pacing of its service
(covers per service), which a booking at another time of that service may have been waiting for. A booking moved
away from the freed window and off that day gets nothing it could use, and is not offered. An event without windows
(a table back in service, the optimizer's moves: time freed over the whole day) serves its own day. A guest who
moves a booking over the API needs no heal: the change makes it due at once on its new day, whose pass sees the
freed tables. Each booking is checked against its own day's hours, and the pipeline is woken for each day that
has bookings offered or hastened.

Durable: the freeing write leaves a `tables.freed` outbox event in its own transaction (services.freed). Its
heal is a delivery (`FloorHealDelivery`, the outbox's per-consumer state): run at once by the receiver of the
signal in the freeing process, else by a worker, relayed like every event (`floor_heal_deliveries_create`, the
relay's consumer, wakes `assignments.jobs.heal_floor`), else by the periodic sweep of due deliveries. Whoever
claims it first runs it: the claim is a lease (MAITRE_FLOOR_HEAL_LEASE_SECONDS) on the delivery row, not a
transaction held through the heal, renewed between offers; a worker that finds its lease taken over (it stalled
past it) stops offering and leaves the delivery to the new holder, the only one that marks it. Each offer is its own short transaction, so a failure or conflict on one never takes the others
back; each offer's history row names the event, so a re-run (after a crash mid-way, or a retry after a failed
offer) offers only the bookings this event has not offered yet and never the same booking twice. The delivery is
marked delivered only once every offer was tried; a failed offer leaves it due again after a backoff, a crash
leaves it due once the lease lapses. The note reads the time the tables were freed (the event's), not the time
the heal ran.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from assignments import flags, lifecycle, metrics
from assignments.conf import maitre_settings
from assignments.lifecycle import Actor
from assignments.locks import booking_is_locked
from assignments.models import (
    Booking,
    BookingState,
    BookingStateHistory,
    DeliveryStatus,
    FloorHealDelivery,
    OutboxEvent,
    Restaurant,
)
from assignments.schedules import DaySchedule
from assignments.services.freed import TABLES_FREED_EVENT, Window
from assignments.services.outbox import (
    deliveries_due,
    delivery_record_failure,
    delivery_record_success,
)

logger = logging.getLogger("maitre.heal")
HEALER = Actor("floor_heal")
TRIGGER = "floor_healed"


# What freed the tables, in a host's words, when the sender gave no `cause` of its own.
REASON_WORDS = {
    "cancelled": "a cancellation",
    "completed": "a party leaving early",
    "no_show": "a no-show",
    "block_removed": "a block removed",
    "moved": "a booking moved",
    "released": "a booking giving up its tables",
    "table_in_service": "a table back in service",
    "optimized": "the day optimizer",
}


@dataclass
class HealResult:
    status: str  # "offered", "nothing", "off"
    offered: list[int] = field(default_factory=list)  # review -> assignment_pending
    hastened: int = 0  # assignment_pending made due sooner
    left_alone: list[int] = field(default_factory=list)  # being edited, or changed meanwhile
    outside_hours: list[int] = field(default_factory=list)  # the day closed or its hours changed since
    failed: list[int] = field(default_factory=list)  # the offer raised (rolled back alone; tried again later)
    lease_lost: bool = False  # stopped: another worker holds the heal now
    reason: str = ""


def heal_text(*, cause: str, freed_at: datetime, restaurant: Restaurant) -> str:
    """ "tables freed up at 20:41 (cancellation of #123)": what a host reads in the booking's history."""
    by = f" ({cause})" if cause else ""
    return f"tables freed up at {freed_at.astimezone(restaurant.tzinfo):%H:%M}{by}"


def floor_heal(
    *,
    restaurant_id: int,
    service_date: date,
    reason: str = "",
    cause: str = "",
    exclude_booking_ids=(),
    now: datetime | None = None,
    freed_at: datetime | None = None,
    event_id: int | None = None,
    still_ours: Callable[[], bool] | None = None,
    windows: Sequence[Window] | None = None,
) -> HealResult:
    """Offer a restaurant day's freed table time to the bookings waiting for it (see the module's doc), each
    offer in its own transaction. `windows` are the freed spans of table time (None: the whole `service_date`);
    `freed_at` is when the tables were freed (now, by default); `event_id` the
    `tables.freed` event this heal delivers: the bookings it offered already are not offered again.
    `still_ours`, asked before each offer, says whether the caller still holds the heal (its lease): once it
    does not, nothing more is offered (`lease_lost`)."""
    if not maitre_settings.FLOOR_HEAL:
        return HealResult("off", reason="FLOOR_HEAL is off")
    mode = flags.pipeline_mode()
    if mode is not flags.PipelineMode.ENGINE:
        metrics.FLOOR_HEAL_EVENTS.labels("mode_" + mode.value).inc()
        return HealResult("off", reason=f"pipeline in {mode.value} mode: nothing is seated automatically")
    restaurant = Restaurant.objects.filter(pk=restaurant_id).first()
    if restaurant is None:
        return HealResult("nothing", reason="unknown restaurant")
    from assignments.selectors.schedule import restaurant_day_schedule

    schedules: dict[date, DaySchedule] = {}

    def schedule_of(day: date) -> DaySchedule:
        if day not in schedules:
            schedules[day] = restaurant_day_schedule(restaurant=restaurant, day=day)
        return schedules[day]

    served = waiting_for_freed(restaurant=restaurant, service_date=service_date, windows=windows)
    now = now or timezone.now()
    debounce = maitre_settings.FLOOR_HEAL_DEBOUNCE_MS
    due = now + timedelta(milliseconds=debounce)
    cause = cause or REASON_WORDS.get(reason, reason)
    text = heal_text(cause=cause, freed_at=freed_at or now, restaurant=restaurant)[:200]
    correlation_id = f"heal-{uuid.uuid4().hex[:16]}"
    result = HealResult("nothing")
    waiting = (
        Booking.objects.filter(
            served,
            restaurant_id=restaurant_id,
            state=BookingState.MANUAL_REVIEW,
            start_at__gt=now + timedelta(minutes=maitre_settings.FLOOR_HEAL_MARGIN_MINUTES),
        )
        .exclude(pk__in=list(exclude_booking_ids))
        .order_by(F("arrival").asc(nulls_last=True), "start_at", "id")
    )
    waiting_list = list(waiting)
    woken: set[date] = set()
    offered_before = _offered_for_event(event_id=event_id, booking_ids=[b.pk for b in waiting_list])
    for booking in waiting_list:
        if booking.pk in offered_before:  # a re-run of this event's heal: offered already, theirs now
            continue
        if still_ours is not None and not still_ours():  # another worker took the heal over: its to finish
            result.lease_lost = True
            logger.warning(
                "floor heal: the lease of event %s was taken over; stopping before booking %s",
                event_id,
                booking.pk,
                extra={"correlation_id": correlation_id},
            )
            return result
        day = booking.service_date or service_date
        if schedule_of(day).outside_reason(restaurant.minute_of_day(booking.start_at, day)) is not None:
            result.outside_hours.append(booking.pk)  # the pipeline would send it straight back to review
            continue
        if booking_is_locked(booking.pk):  # staff (or the optimizer) are working on it right now
            result.left_alone.append(booking.pk)
            continue
        try:
            booking_offer_freed_tables(
                booking=booking,
                text=text,
                reason=reason,
                cause=cause,
                due_at=due,
                correlation_id=correlation_id,
                event_id=event_id,
            )
        except lifecycle.LifecycleError:  # changed since we read it (staff got there first): theirs
            result.left_alone.append(booking.pk)
            continue
        except Exception:  # this offer alone is rolled back; the others stand, the delivery is tried again
            logger.exception(
                "floor heal: offering booking %s failed", booking.pk, extra={"correlation_id": correlation_id}
            )
            result.failed.append(booking.pk)
            continue
        result.offered.append(booking.pk)
        woken.add(day)
    backing_off = dict(
        Booking.objects.filter(
            served, restaurant_id=restaurant_id, state=BookingState.ASSIGNMENT_PENDING, due_at__gt=due
        )
        .exclude(pk__in=list(exclude_booking_ids))
        .values_list("pk", "service_date")
    )
    result.hastened = Booking.objects.filter(
        pk__in=list(backing_off), state=BookingState.ASSIGNMENT_PENDING, due_at__gt=due
    ).update(due_at=due)
    if result.hastened:
        woken.update(d for d in backing_off.values() if d is not None)
    if result.offered or result.hastened:
        from assignments.services.pipeline import pipeline_wake

        result.status = "offered"
        for day in sorted(woken):
            pipeline_wake(restaurant_id=restaurant_id, service_date=day, delay_ms=debounce)
    metrics.FLOOR_HEAL_EVENTS.labels(result.status).inc()
    logger.info(
        "restaurant %s day %s: %s freed (%s): %s offered, %s hastened, %s left alone, %s outside the hours,"
        " %s failed",
        restaurant_id,
        service_date,
        reason,
        cause,
        len(result.offered),
        result.hastened,
        len(result.left_alone),
        len(result.outside_hours),
        len(result.failed),
        extra={"correlation_id": correlation_id},
    )
    return result


def waiting_for_freed(*, restaurant: Restaurant, service_date: date, windows: Sequence[Window] | None) -> Q:
    """The bookings freed table time can serve, as the floor is now (the module's doc): without windows, those
    of `service_date`; with them, those whose window (buffer included) overlaps one, and those of the service
    day each window starts in now."""
    if not windows:
        return Q(service_date=service_date)
    buffer = timedelta(minutes=restaurant.buffer_minutes)
    served = Q(service_date__in=sorted({restaurant.service_day_of(start) for start, _ in windows}))
    for start, end in windows:
        served |= Q(start_at__lt=end, end_at__gt=start - buffer)
    return served


def freed_windows(payload: dict) -> list[Window] | None:
    """The freed windows a `tables.freed` event names; None for the whole day (or an event written before
    events named them)."""
    raw = payload.get("windows")
    if payload.get("whole_day") or not raw:
        return None
    return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in raw]


def _offered_for_event(*, event_id: int | None, booking_ids: list[int]) -> set[int]:
    """Which of these bookings the heal of this `tables.freed` event has offered already (its history rows)."""
    if event_id is None or not booking_ids:
        return set()
    return set(
        BookingStateHistory.objects.filter(
            booking_id__in=booking_ids, actor_label=HEALER.label, metadata__heal_event_id=event_id
        ).values_list("booking_id", flat=True)
    )


def booking_offer_freed_tables(
    *,
    booking: Booking,
    text: str,
    reason: str,
    cause: str,
    due_at: datetime,
    correlation_id: str,
    event_id: int | None = None,
) -> Booking:
    """manual_review -> assignment_pending through the lifecycle (history + event), due at `due_at`, marked for
    one attempt, in one transaction of its own. Raises VersionConflict / InvalidTransition and writes nothing
    when the booking moved. The history row names the `tables.freed` event whose heal made the offer."""
    metadata: dict = {"reason": f"floor healed: {text}", "freed_by": cause, "freed_reason": reason}
    if event_id is not None:
        metadata["heal_event_id"] = event_id
    with transaction.atomic():
        lifecycle.booking_request_assignment(
            booking=booking,
            trigger=TRIGGER,
            expected_version=booking.version,
            actor=HEALER,
            correlation_id=correlation_id,
            metadata=metadata,
        )
        Booking.objects.filter(pk=booking.pk, version=booking.version).update(
            due_at=due_at,
            heal_version=booking.version,
            heal_cause=text,
        )
        booking.due_at, booking.heal_version, booking.heal_cause = due_at, booking.version, text
    return booking


def healing_cause(booking: Booking) -> str:
    """While a booking's one healing attempt is pending: "tables freed up at 20:41 (cancellation of #123)";
    else ''."""
    if booking.heal_version is not None and booking.heal_version == booking.version:
        return booking.heal_cause or "tables freed up"
    return ""


def seated_note(cause: str) -> dict:
    """What a healed booking's confirmation carries (its history row and its booking.confirmed event)."""
    return {"healed": f"seated automatically after {cause}", "cause": {"kind": TRIGGER, "detail": cause}}


def review_reason(cause: str, why: str) -> str:
    return f"still no free plan after {cause}: {why}" if why else f"still no free plan after {cause}"


def count_outcomes(*, seated: int = 0, back_to_review: int = 0) -> None:
    if seated:
        metrics.FLOOR_HEALED.labels("seated").inc(seated)
    if back_to_review:
        metrics.FLOOR_HEALED.labels("back_to_review").inc(back_to_review)


# The heal as a delivery of its `tables.freed` event ------------------------------------------------------


def floor_heal_deliveries_create(*, events: list[OutboxEvent]) -> None:
    """The outbox relay's consumer: a heal delivery for each `tables.freed` event (unless the freeing process
    made it already), written in the relay's transaction; the wake-ups go out once it commits."""
    wanted = [e for e in events if e.event_type == TABLES_FREED_EVENT]
    if not wanted:
        return
    now = timezone.now()
    FloorHealDelivery.objects.bulk_create(
        [FloorHealDelivery(event=e, next_attempt_at=now) for e in wanted], ignore_conflicts=True
    )
    event_ids = [e.pk for e in wanted]

    def wake():
        from assignments.jobs import heal_floor

        for pk in event_ids:
            heal_floor.send(event_id=pk)

    transaction.on_commit(wake)


class _Lease:
    """A worker's hold on one heal delivery: its `next_attempt_at`, which nobody else writes while it lasts, is
    the token. Renewed once half of it has passed; lost when another worker took the delivery over."""

    def __init__(self, pk: int, until: datetime) -> None:
        self.pk, self.until = pk, until
        self.seconds = float(maitre_settings.FLOOR_HEAL_LEASE_SECONDS)

    @classmethod
    def take(cls, pk: int) -> _Lease | None:
        """One conditional UPDATE: the delivery is ours if it was pending and due (nobody's lease on it)."""
        now = timezone.now()
        until = now + timedelta(seconds=float(maitre_settings.FLOOR_HEAL_LEASE_SECONDS))
        taken = FloorHealDelivery.objects.filter(
            pk=pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=until, updated_at=now)
        return cls(pk, until) if taken else None

    def still_ours(self) -> bool:
        now = timezone.now()
        if (self.until - now).total_seconds() > self.seconds / 2:
            return True  # renewed (or taken) less than half a lease ago: nobody can have it
        until = now + timedelta(seconds=self.seconds)
        renewed = FloorHealDelivery.objects.filter(
            pk=self.pk, status=DeliveryStatus.PENDING, next_attempt_at=self.until
        ).update(next_attempt_at=until, updated_at=now)
        if renewed:
            self.until = until
        return bool(renewed)


def floor_heal_delivery_run(*, event_id: int) -> bool:
    """Run the heal a `tables.freed` event calls for, if it is due and nobody has it: claim it (a lease of
    MAITRE_FLOOR_HEAL_LEASE_SECONDS, committed at once and renewed between offers), offer each booking in its own
    transaction, then mark it delivered, or, when some offer failed or the heal raised, record the failure (due
    again after a backoff; the offers made stand and are not made again). A worker whose lease was taken over
    meanwhile stops offering and leaves the delivery, its marks included, to the new holder. Returns whether it
    ran now and every offer was tried."""
    pk = FloorHealDelivery.objects.filter(event_id=event_id).values_list("pk", flat=True).first()
    if pk is None:
        return False
    lease = _Lease.take(pk)
    if lease is None:
        return False
    event = OutboxEvent.objects.get(pk=event_id)
    p = event.payload
    try:
        result = floor_heal(
            restaurant_id=int(event.restaurant_id or 0),
            service_date=date.fromisoformat(p["service_date"]),
            reason=p.get("reason", ""),
            cause=p.get("cause", ""),
            exclude_booking_ids=p.get("booking_ids", ()),
            freed_at=event.created_at,
            event_id=event.pk,
            still_ours=lease.still_ours,
            windows=freed_windows(p),
        )
    except Exception as exc:
        logger.exception("floor heal for event %s failed", event_id)
        error = f"{type(exc).__name__}: {exc}"
    else:
        if result.lease_lost:
            return False
        error = f"offering booking(s) {', '.join(map(str, result.failed))} failed" if result.failed else ""
    with transaction.atomic():
        fresh = (
            FloorHealDelivery.objects.select_for_update()
            .filter(pk=pk, status=DeliveryStatus.PENDING, next_attempt_at=lease.until)
            .first()
        )
        if fresh is None:  # our lease lapsed and another worker took the heal over: its to mark
            return False
        if error:
            metrics.FLOOR_HEAL_EVENTS.labels("failed").inc()
            delivery_record_failure(delivery=fresh, error=error)
            return False
        delivery_record_success(delivery=fresh)
        return True


def floor_heal_for_event(*, event_id: int) -> bool:
    """The fast half, in the process that freed the tables, right after its commit: the event's heal delivery
    (the relay finds it there), run now."""
    FloorHealDelivery.objects.get_or_create(event_id=event_id, defaults={"next_attempt_at": timezone.now()})
    return floor_heal_delivery_run(event_id=event_id)


def floor_heal_deliveries_run_due(*, limit: int = 200) -> int:
    """The safety net: every heal still due (the freeing process died before it, a lost wake-up, a retry)."""
    due = FloorHealDelivery.objects.filter(pk__in=deliveries_due(FloorHealDelivery, limit=limit))
    return sum(floor_heal_delivery_run(event_id=e) for e in due.values_list("event_id", flat=True))


def on_tables_freed(
    sender,
    *,
    restaurant_id: int,
    service_date: date,
    reason: str = "",
    cause: str = "",
    booking_ids=(),
    event_id: int | None = None,
    windows: Sequence[Window] | None = None,
    **kwargs,
) -> None:
    """The receiver of `tables_freed` (connected in AssignmentsConfig.ready). Runs after the freeing write
    committed: the event's heal at once; a failure is logged and leaves the heal to a worker (it is still
    due)."""
    try:
        if event_id is not None:
            floor_heal_for_event(event_id=event_id)
            return
        floor_heal(
            restaurant_id=restaurant_id,
            service_date=service_date,
            reason=reason,
            cause=cause,
            exclude_booking_ids=booking_ids,
            windows=windows,
        )
    except Exception:
        metrics.FLOOR_HEAL_EVENTS.labels("failed").inc()
        logger.exception("floor heal for restaurant %s day %s failed", restaurant_id, service_date)
